"""Snapshot routes: repositories (put/get/delete/verify/cleanup), snapshots and their status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._api import TIMEOUTS
from ._errors import snapshot_missing
from ._routes import Call, Reply, Router

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["register"]


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the snapshot routes."""
    svc = api.snapshots

    def status_of(snapshots: Sequence[Any]) -> dict[str, Any]:
        now = api.now_ms()
        return {"snapshots": [s.status(now) for s in snapshots]}

    async def repositories(call: Call) -> Reply:
        call.flag("local")
        repo = call.get("repository")
        return 200, svc.get_repositories(None if repo in {None, "_all"} else repo)

    async def put_repository(call: Call) -> Reply:
        call.flag("verify")
        svc.put_repository(call["repository"], call.object())
        return 200, {"acknowledged": True}

    async def delete_repository(call: Call) -> Reply:
        svc.delete_repository(call["repository"])
        return 200, {"acknowledged": True}

    async def verify(call: Call) -> Reply:
        svc.repository(call["repository"])
        return 200, {"nodes": {"fake-node-id": {"name": "fake-node-1"}}}

    async def cleanup(call: Call) -> Reply:
        return 200, svc.cleanup(call["repository"])

    async def running_status(call: Call) -> Reply:
        return 200, status_of(svc.running(call.get("repository")))

    async def create(call: Call) -> Reply:
        snapshot = svc.create(call["repository"], call["snapshot"], call.object())
        if not call.flag("wait_for_completion"):
            return 200, {"accepted": True}
        while not snapshot.done(api.now_ms()):
            remaining = (snapshot.end_ms() - api.now_ms()) / 1000
            await api.clock.sleep(max(0.001, min(remaining, 1.0)))
        return 200, {"snapshot": snapshot.info(api.now_ms())}

    async def get(call: Call) -> Reply:
        verbose = call.flag("verbose", True)
        chosen = svc.select(
            call["repository"], call["snapshot"], ignore_unavailable=call.flag("ignore_unavailable")
        )
        now = api.now_ms()
        return 200, {"snapshots": [s.info(now, verbose=verbose) for s in chosen]}

    async def delete(call: Call) -> Reply:
        svc.delete(call["repository"], call["snapshot"])
        return 200, {"acknowledged": True}

    async def snapshot_status(call: Call) -> Reply:
        repository = svc.repository(call["repository"])
        found = []
        for name in call["snapshot"].split(","):
            snapshot = repository.snapshots.get(name)
            if snapshot is None:
                if call.flag("ignore_unavailable"):
                    continue
                raise snapshot_missing(call["repository"], name)
            found.append(snapshot)
        return 200, status_of(found)

    router.add("GET", "/_snapshot", repositories, ("local", *TIMEOUTS))
    router.add("GET", "/_snapshot/{repository}", repositories, ("local", *TIMEOUTS))
    router.add("PUT POST", "/_snapshot/{repository}", put_repository, ("verify", *TIMEOUTS))
    router.add("DELETE", "/_snapshot/{repository}", delete_repository, TIMEOUTS)
    router.add("POST", "/_snapshot/{repository}/_verify", verify, TIMEOUTS)
    router.add("POST", "/_snapshot/{repository}/_cleanup", cleanup, TIMEOUTS)
    router.add("GET", "/_snapshot/_status", running_status, ("ignore_unavailable", *TIMEOUTS))
    router.add(
        "GET", "/_snapshot/{repository}/_status", running_status, ("ignore_unavailable", *TIMEOUTS)
    )
    router.add(
        "PUT POST", "/_snapshot/{repository}/{snapshot}", create, ("wait_for_completion", *TIMEOUTS)
    )
    router.add(
        "GET",
        "/_snapshot/{repository}/{snapshot}",
        get,
        ("ignore_unavailable", "verbose", *TIMEOUTS),
    )
    router.add("DELETE", "/_snapshot/{repository}/{snapshot}", delete, TIMEOUTS)
    router.add(
        "GET", "/_snapshot/{repository}/{snapshot}/_status", snapshot_status,
        ("ignore_unavailable", *TIMEOUTS),
    )  # fmt: skip
