"""Pod exec over a websocket, in the ``v4``/``v5.channel.k8s.io`` protocols.

Each binary frame is one channel byte (1 stdout, 2 stderr, 3 error/status) and the data. The
command's outcome travels on channel 3 as a ``Status``: ``Success``, or ``Failure`` with an
``ExitCode`` cause carrying the exit code, exactly as the kubelet reports it.
"""

from __future__ import annotations

import json

from aiohttp import web

from ..infra.kubernetes._sim import KubeCluster, exit_status

__all__ = ["PROTOCOLS", "serve_exec"]

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "t", "yes")


async def serve_exec(
    request: web.Request, cluster: KubeCluster, namespace: str, pod: str
) -> web.StreamResponse | None:
    """Run the cluster's exec handler for this request and stream the result.

    Returns ``None`` when the request is not a websocket upgrade (the caller answers 400);
    validation errors (no pod, bad container, pod not running) raise before the upgrade, as
    the real API server answers them with a plain ``Status``.
    """
    query = request.query
    argv = query.getall("command", [])
    if not argv:
        raise ValueError("you must specify at least 1 command")
    container = query.get("container")
    cluster.container_of(namespace, pod, container)
    if request.headers.get("Upgrade", "").lower() != "websocket":
        return None
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    await ws.prepare(request)
    try:
        reply = await cluster.run_exec(namespace, pod, container, argv)
        if _flag(query.get("stdout")) and reply.stdout:
            await ws.send_bytes(b"\x01" + reply.stdout.encode())
        if _flag(query.get("stderr")) and reply.stderr:
            await ws.send_bytes(b"\x02" + reply.stderr.encode())
        status = exit_status(reply)
    except Exception as exc:  # the handler failed: report it the way the kubelet would
        status = {
            "metadata": {},
            "status": "Failure",
            "message": f"Internal error occurred: error executing command in container: {exc}",
            "reason": "InternalError",
            "code": 500,
        }
    await ws.send_bytes(b"\x03" + json.dumps(status).encode())
    await ws.close()
    return ws
