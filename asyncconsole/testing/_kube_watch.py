"""``?watch=true`` streams: newline-delimited ``{"type": ..., "object": ...}`` events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..infra.kubernetes._selectors import FieldSelector, LabelSelector
from ..infra.kubernetes._sim import KubeCluster, WatchEvent

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["serve_watch"]

DEFAULT_TIMEOUT = 1800.0


def _line(kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"


async def serve_watch(
    request: web.Request,
    cluster: KubeCluster,
    resource: str,
    namespace: str | None,
    *,
    label_selector: LabelSelector,
    field_selector: FieldSelector,
    on_open: Callable[[int], None],
) -> web.StreamResponse:
    """Stream changes of ``resource`` until ``timeoutSeconds``, the client leaves, or shutdown.

    Without a ``resourceVersion`` (or with "0") every current object is first sent as ADDED;
    with one, the recorded events after it are replayed (a 410 ``Expired`` ERROR event if the
    history no longer reaches back), then live events follow.
    """
    query = request.query
    try:
        timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    queue: asyncio.Queue[WatchEvent] = asyncio.Queue()

    def listener(event: WatchEvent) -> None:
        if event.resource == resource and (namespace is None or event.namespace == namespace):
            queue.put_nowait(event)

    def selected(obj: dict[str, Any]) -> bool:
        return label_selector.matches(obj["metadata"].get("labels")) and field_selector.matches(obj)

    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    unsubscribe = cluster.subscribe(listener)
    on_open(+1)
    try:
        since = query.get("resourceVersion") or "0"
        await response.prepare(request)
        sent = cluster.resource_version
        if since == "0":
            for obj in cluster.select(resource, namespace):
                if selected(obj):
                    await response.write(_line("ADDED", obj))
        else:
            try:
                replay = cluster.events_since(int(since))
            except ValueError:
                replay = None
            if replay is None:
                gone = {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": f"too old resource version: {since} ({cluster.resource_version})",
                    "reason": "Expired",
                    "code": 410,
                }
                await response.write(_line("ERROR", gone))
                return response
            for event in replay:
                if (
                    event.resource == resource
                    and (namespace is None or event.namespace == namespace)
                    and selected(event.object)
                ):
                    await response.write(_line(event.type, event.object))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while True:
                    event = await queue.get()
                    if event.resource_version <= sent or not selected(event.object):
                        continue
                    await response.write(_line(event.type, event.object))
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response
    except ConnectionError:
        return response  # the client went away; nothing more to send
    finally:
        unsubscribe()
        on_open(-1)
