"""``asyncconsole serve``: a live migration dashboard in the browser.

::

    from asyncconsole import Environment
    from asyncconsole.serve import DashboardServer, DashboardSettings

    async with Environment.from_file("migration_services.yaml") as env:
        async with DashboardServer(env, DashboardSettings(port=8080)) as server:
            print(server.url)                 # http://127.0.0.1:8080/?token=...
            await asyncio.Event().wait()      # serve until cancelled

The page and its JSON API under ``/api/`` show the environment through the SDK: every
component's check, source and target indices side by side, the snapshot, the backfill (with
its progress over time), the replayer and the metrics. Updates are pushed as server-sent
events from one poll loop per resource, however many pages are open. Every API answer is the
document of the CLI's ``--json`` for the same question; ``/api/openapi.json`` describes them.
Actions (start, pause, scale, stop, clear) are POSTs that need the per-run token in the
``X-AsyncConsole-Token`` header; ``read_only`` removes them. Guide: ``docs/guides/dashboard.md``.
"""

from ._app import Dashboard, DashboardServer
from ._openapi import openapi_document
from ._security import TOKEN_HEADER
from ._settings import DEFAULT_INTERVALS, DashboardSettings, is_loopback

__all__ = [
    "DEFAULT_INTERVALS",
    "TOKEN_HEADER",
    "Dashboard",
    "DashboardServer",
    "DashboardSettings",
    "is_loopback",
    "openapi_document",
]
