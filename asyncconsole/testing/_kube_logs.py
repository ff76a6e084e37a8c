"""``GET .../pods/<name>/log?follow=true``: a pod's log streamed as it grows, until the pod ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import web

from ..infra.kubernetes._sim import KubeCluster, WatchEvent

__all__ = ["serve_log_follow"]


async def serve_log_follow(
    request: web.Request,
    cluster: KubeCluster,
    namespace: str,
    pod: str,
    *,
    on_open: Callable[[int], None],
) -> web.StreamResponse:
    """Send the log so far, then each addition, and end the response when the pod has ended
    (Succeeded/Failed), is terminating or is gone, as the kubelet does when the container
    exits. A client that leaves ends the handler (the server cancels it)."""
    cluster.check_followable(namespace, pod, request.query.get("container"))
    changed = asyncio.Event()

    def on_log(ns: str, name: str) -> None:
        if (ns, name) == (namespace, pod):
            changed.set()

    def on_event(event: WatchEvent) -> None:
        if event.resource == "pods" and event.namespace == namespace:
            changed.set()

    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    unsubscribe_logs = cluster.subscribe_logs(on_log)
    unsubscribe_events = cluster.subscribe(on_event)
    on_open(+1)
    try:
        await response.prepare(request)
        sent = 0
        while True:
            changed.clear()
            text, complete = cluster.log_follow_state(namespace, pod)
            if len(text) > sent:
                await response.write(text[sent:].encode())
                sent = len(text)
            if complete:
                break
            await changed.wait()
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response
    except ConnectionError:
        return response  # the client went away
    finally:
        unsubscribe_logs()
        unsubscribe_events()
        on_open(-1)
