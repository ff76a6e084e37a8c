"""A real HTTP server on 127.0.0.1 that answers with the same handlers the fake client uses."""

from __future__ import annotations

import inspect

from aiohttp import web

from ..._resource import AsyncResource
from ._fake import Handler, HttpRouter
from ._listen import listen
from ._types import Headers, HttpRequest

__all__ = ["HttpHandlerServer"]

# Hop-by-hop and framing headers aiohttp computes itself.
_SKIP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class HttpHandlerServer(AsyncResource):
    """Serve ``handler`` (``HttpRequest -> HttpResponse``, sync or async) over real HTTP.

    ``async with HttpHandlerServer(handler) as server:`` then send requests to
    ``server.url``. A handler raising ``ConnectionError`` makes the server drop the connection
    without answering. Binds to 127.0.0.1 only; ``port=0`` picks a free port.
    """

    def __init__(self, handler: Handler | None = None, *, port: int = 0) -> None:
        self.router = HttpRouter()
        self.handler: Handler = handler if handler is not None else self.router
        self.port = port
        self.requests: list[HttpRequest] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    async def _open(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner, self.port = await listen(
            app, "127.0.0.1", self.port, handler_cancellation=True
        )

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        req = HttpRequest(
            request.method,
            f"{request.scheme}://{request.host}{request.raw_path}",
            Headers(tuple(request.headers.items())),
            await request.read(),
        )
        self.requests.append(req)
        try:
            result = self.handler(req)
            if inspect.isawaitable(result):
                result = await result
        except ConnectionError:
            if request.transport is not None:
                request.transport.abort()
            raise
        headers = [(k, v) for k, v in result.headers.raw_items() if k.lower() not in _SKIP]
        response = web.Response(status=result.status, body=result.body or None)
        for name, value in headers:
            response.headers.add(name, value)
        return response
