"""The dashboard of one environment: its aiohttp application and the server running it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from .._resource import AsyncResource
from ..infra.http._listen import listen
from ._api import ROUTES
from ._hub import Hub
from ._polls import ProgressHistory, resource_topics
from ._security import add_security_headers, security_middleware
from ._settings import DashboardSettings

if TYPE_CHECKING:
    from ..environment import Environment

__all__ = ["DASHBOARD", "STATIC_DIR", "Dashboard", "DashboardServer"]

STATIC_DIR = Path(__file__).parent / "static"
"""The page, its script and style, and the vendored chart library (with its licence)."""


class Dashboard:
    """The live dashboard of an :class:`~asyncconsole.Environment`: an aiohttp application
    whose pages and JSON API show the environment, and whose poll loops (one per resource,
    however many pages are open) start and stop with the application.

    The environment is used, not owned: open and close it around the application's life.

    Args:
        env: The environment to show and drive.
        settings: Address, token, read-only mode and poll intervals.

    Attributes:
        hub: The resources' topics and their loops.
        history: The backfill's progress over time (the chart's points).
    """

    def __init__(self, env: Environment, settings: DashboardSettings | None = None) -> None:
        self.env = env
        self.settings = settings if settings is not None else DashboardSettings()
        self.history = ProgressHistory()
        self.hub = Hub(env.clock)
        for topic in resource_topics(env, self.settings, self.history):
            self.hub.add(topic)
        self.acting = asyncio.Lock()
        """Held while an action runs: actions never interleave."""

    def application(self) -> web.Application:
        """A new aiohttp application serving this dashboard (one per server)."""
        app = web.Application(middlewares=[security_middleware(self.settings)])
        app[DASHBOARD] = self
        for route in ROUTES:
            if route.action and self.settings.read_only:
                continue  # read-only: the action routes do not exist
            app.router.add_route(route.method, route.path, route.handler)
        app.router.add_get("/", _index)
        app.router.add_static("/static/", STATIC_DIR, append_version=False)
        app.on_response_prepare.append(add_security_headers)
        app.cleanup_ctx.append(self._live)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _live(self, _app: web.Application) -> AsyncIterator[None]:
        async with self.hub:
            yield

    async def _shutdown(self, _app: web.Application) -> None:
        self.hub.close_subscriptions()  # event streams end now, not at the shutdown timeout


DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard", Dashboard)


async def _index(_request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


class DashboardServer(AsyncResource):
    """A :class:`Dashboard` served over HTTP: ``async with DashboardServer(env) as server:``
    listens on ``settings.host:port`` until the block ends.

    Args:
        env: The (open, or opened on first use) environment.
        settings: See :class:`DashboardSettings`; the port 0 picks a free one.

    Attributes:
        dashboard: The dashboard served.
    """

    def __init__(self, env: Environment, settings: DashboardSettings | None = None) -> None:
        self.dashboard = Dashboard(env, settings)
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def settings(self) -> DashboardSettings:
        """The settings served with."""
        return self.dashboard.settings

    async def _open(self) -> None:
        self._runner, self._port = await listen(
            self.dashboard.application(),
            self.settings.host,
            self.settings.port,
            shutdown_timeout=2.0,
        )

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>`` (IPv6 addresses in brackets)."""
        host = self.settings.host
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"http://{shown}:{self._port}"

    @property
    def url(self) -> str:
        """The page's address with the token, as printed on start (the page keeps the token
        and drops it from the address bar)."""
        return f"{self.base_url}/?token={self.settings.token}"
