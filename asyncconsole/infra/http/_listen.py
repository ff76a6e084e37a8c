"""Serving an aiohttp application on a local address: the one set-up shared by every server
asyncconsole runs (the dashboard, the fake peers, the fault proxy, the demo's Prometheus)."""

from __future__ import annotations

import ssl

from aiohttp import web

__all__ = ["listen"]


async def listen(
    app: web.Application,
    host: str,
    port: int,
    *,
    handler_cancellation: bool = False,
    shutdown_timeout: float = 60.0,
    backlog: int = 128,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host:port`` (``port=0``: a free one); the runner, to clean up, and
    the bound port. A failed bind (the port taken) cleans up before raising."""
    runner = web.AppRunner(
        app,
        handler_cancellation=handler_cancellation,
        access_log=None,
        shutdown_timeout=shutdown_timeout,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=backlog)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])
