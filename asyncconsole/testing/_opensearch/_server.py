"""``FakeOpenSearchServer``: the :class:`FakeOpenSearch` engine served over real HTTP."""

from __future__ import annotations

import logging
from typing import Any

from ..._clock import Clock
from ..._resource import AsyncResource
from ...infra.http._listen import listen
from ._engine import FakeOpenSearch, encode_json

__all__ = ["FakeOpenSearchServer"]

_log = logging.getLogger("asyncconsole.testing.opensearch")


class FakeOpenSearchServer(FakeOpenSearch, AsyncResource):
    """:class:`FakeOpenSearch` over real HTTP on 127.0.0.1, for tests, demos and other processes.

    ``async with FakeOpenSearchServer() as os:`` starts it on a free port; point clients at
    :attr:`url`. It is the in-process engine itself (helpers, request log, faults, and a
    ``FakeHttpClient`` handler too), so everything :class:`FakeOpenSearch` documents holds
    here: writes are searchable only after a refresh (``refresh_interval`` on ``clock``,
    ``POST _refresh``, ``refresh=true|wait_for``) unless ``near_real_time=False``; versions,
    conflicts and mapping errors behave like OpenSearch; unknown parameters are a 400.

    Args:
        host: Address to bind (loopback by default).
        port: Port to bind (0 picks a free one).
        **kwargs: Everything :class:`FakeOpenSearch` takes (``version``, ``auth``,
            ``latency``, ``clock``, ``near_real_time``, ...).
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None, **kwargs: Any
    ) -> None:
        super().__init__(clock=clock, **kwargs)
        self._host = host
        self._port = port
        self._runner: Any = None

    def __repr__(self) -> str:
        return f"<FakeOpenSearchServer {self.url if self._runner else 'not started'}>"

    # ------------------------------------------------------------------ lifecycle

    async def _open(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=256 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner, self._port = await listen(
            app,
            self._host,
            self._port,
            handler_cancellation=True,
            shutdown_timeout=1.0,
            backlog=1024,
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
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self._host}:{self._port}"

    # ------------------------------------------------------------------ serving

    async def _serve(self, request: Any) -> Any:
        from aiohttp import web
        from multidict import CIMultiDict, CIMultiDictProxy

        body = await request.read()
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        query = list(request.query.items())
        try:
            status, payload, reply_headers = await self.dispatch(
                request.method.upper(),
                request.rel_url.raw_path,
                query,
                body,
                headers,
                host=request.headers.get("Host", f"{self._host}:{self._port}"),
                raw_query=request.rel_url.raw_query_string,
            )
        except ConnectionResetError:
            # An injected reset: drop the connection, the client sees it closed unanswered.
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if payload is None:
            return web.Response(status=status, headers=reply_headers)
        if isinstance(payload, str):
            return web.Response(
                status=status,
                text=payload,
                content_type="text/plain",
                charset="UTF-8",
                headers=reply_headers,
            )
        return web.Response(
            status=status,
            body=encode_json(payload, dict(query)).encode(),
            content_type="application/json",
            charset="UTF-8",
            headers=reply_headers,
        )
