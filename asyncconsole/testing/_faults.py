"""Faulty peers for tests: a mute server, an HTTP proxy that injects faults, garbage answers.

Users point an adapter at these to see what their code does when a peer hangs, drops the
connection, answers 503 or answers garbage: the same checks asyncconsole runs on its own
adapters (:func:`~asyncconsole.testing.check_fault_contract`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import parse_qs

from .._resource import AsyncResource
from ..infra.http._listen import listen

__all__ = ["MALFORMED_ANSWERS", "FaultProxy", "MalformedAnswer", "MuteServer", "ProxyFaultKind"]


@dataclass(frozen=True)
class MalformedAnswer:
    """An answer that is not what any JSON API documents."""

    body: bytes
    content_type: str = "application/json"
    status: int = 200


MALFORMED_ANSWERS: Final[Mapping[str, MalformedAnswer]] = {
    "html": MalformedAnswer(
        b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"
    ),
    "truncated": MalformedAnswer(b'{"items": [{"metadata": {"name": "we'),
    "empty": MalformedAnswer(b""),
    "whitespace": MalformedAnswer(b"  \r\n "),
    "list": MalformedAnswer(b"[1, 2, 3]"),
    "null": MalformedAnswer(b"null"),
    "string": MalformedAnswer(b'"ok"'),
    "wrong_types": MalformedAnswer(
        b'{"items": "none", "spec": 7, "status": [], "data": "x", "hits": 1, "snapshots": {},'
        b' "version": [], "indices": 3, "metadata": "m", "Id": 5, "State": "up",'
        b' "services": "s", "failures": 1, "tasks": "t", "error": 0}'
    ),
    "deep": MalformedAnswer(b"[" * 10_000 + b"]" * 10_000),
    "bad_utf8": MalformedAnswer(b'{"message": "\xff\xfe\xfd"}'),
    "binary": MalformedAnswer(
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\x00", "application/octet-stream"
    ),
}
"""Eleven kinds of garbage, by name: an HTML error page, truncated JSON, an empty or blank
body, an array / null / string where an object is due, an object whose fields have the wrong
types, 10,000-deep nesting, invalid UTF-8, binary bytes."""


class MuteServer(AsyncResource):
    """A TCP (or Unix-socket) server that accepts connections, reads, and never answers.

    ``async with MuteServer() as mute:`` then point a client at :attr:`url` (``http://``) or,
    with ``unix_path=``, at that socket. :attr:`connections` counts those still open.
    """

    def __init__(self, *, port: int = 0, unix_path: str | None = None) -> None:
        self.port = port
        self.unix_path = unix_path
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (or ``unix://<path>``)."""
        if self.unix_path is not None:
            return f"unix://{self.unix_path}"
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        """Connections open now."""
        return sum(1 for w in self._writers if not w.is_closing())

    async def _open(self) -> None:
        if self.unix_path is not None:
            self._server = await asyncio.start_unix_server(self._serve, self.unix_path)
        else:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        try:
            while await reader.read(65536):
                pass  # swallow the request; never answer
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _close(self) -> None:
        server, self._server = self._server, None
        for writer in list(self._writers):
            writer.close()
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()


ProxyFaultKind = Literal["hang", "drop", "reset", "status", "garbage"]
"""- ``hang``: hold the request, never forward or answer it.
- ``drop``: close the connection without forwarding (the peer never sees the request).
- ``reset``: forward (the peer acts), then close the connection without an answer.
- ``status``: forward, then answer ``status`` (503 by default) instead of the peer's answer.
- ``garbage``: forward, then answer one of :data:`MALFORMED_ANSWERS`.
"""

_BEFORE: Final = frozenset({"hang", "drop"})
# Hop-by-hop headers, and framing aiohttp sets itself. Host is forwarded as the client sent
# it: a signed request (AWS SigV4 signs the host) must still verify at the peer.
_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass
class _Rule:
    kind: ProxyFaultKind
    rate: float
    times: int | None
    status: int
    answer: str
    methods: frozenset[str] | None
    path: re.Pattern[str] | None

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.path is None or self.path.search(path) is not None


class FaultProxy(AsyncResource):
    """An HTTP proxy on 127.0.0.1 between a client and its real peer, injecting faults.

    ``async with FaultProxy("http://127.0.0.1:9090") as proxy:`` (or ``"unix:///run/docker.sock"``)
    then point the client at :attr:`url`. Without faults it forwards every request, streaming
    the answer, and relays websockets (faults then hit their handshake). :meth:`add` injects
    faults by method, path and rate (seeded, so a run can be repeated); :attr:`forwarded`
    counts, per ``(method, path)``, the requests that reached the peer: a request not safe to
    repeat must appear there at most once per call. APIs that send every operation to one path
    are counted per operation in :attr:`forwarded_operations`: by the value of
    ``operation_header`` (AWS JSON APIs: ``X-Amz-Target``), else by the field
    ``operation_field`` of a form-encoded body (AWS query APIs: ``Action``).
    """

    def __init__(
        self,
        upstream: str,
        *,
        seed: int | None = None,
        port: int = 0,
        operation_header: str | None = None,
        operation_field: str | None = None,
    ) -> None:
        if not upstream.startswith(("http://", "unix://")):
            raise ValueError(f"upstream must be http:// or unix://, not {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self.port = port
        self.forwarded: Counter[tuple[str, str]] = Counter()
        self.operation_header = operation_header
        self.operation_field = operation_field
        self.forwarded_operations: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._rules: list[_Rule] = []
        self._random = random.Random(seed)
        self._runner: Any = None
        self._session: Any = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def add(
        self,
        kind: ProxyFaultKind,
        *,
        rate: float = 1.0,
        times: int | None = None,
        status: int = 503,
        answer: str = "html",
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        """Inject ``kind`` into matching requests (``path``: a regex searched in the path), at
        ``rate``, at most ``times`` times (None: until :meth:`clear`); earlier rules first."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within 0..1, got {rate!r}")
        if answer not in MALFORMED_ANSWERS:
            raise ValueError(f"unknown answer {answer!r}: one of {', '.join(MALFORMED_ANSWERS)}")
        self._rules.append(
            _Rule(
                kind,
                rate,
                times,
                status,
                answer,
                None if methods is None else frozenset(m.upper() for m in methods),
                None if path is None else re.compile(path),
            )
        )

    def clear(self) -> None:
        """Remove every fault; counts are kept (see :meth:`reset_counts`)."""
        self._rules.clear()

    def reset_counts(self) -> None:
        """Forget what was forwarded and injected so far."""
        self.forwarded.clear()
        self.forwarded_operations.clear()
        self.injected.clear()

    def _pick(self, method: str, path: str, before: bool) -> _Rule | None:
        for rule in self._rules:
            if (rule.kind in _BEFORE) != before or not rule.matches(method, path):
                continue
            if rule.rate < 1.0 and self._random.random() >= rule.rate:
                continue
            if rule.times is not None:
                rule.times -= 1
            self.injected[rule.kind] += 1
            return rule
        return None

    async def _open(self) -> None:
        import aiohttp
        from aiohttp import web

        connector: aiohttp.BaseConnector
        if self.upstream.startswith("unix://"):
            connector = aiohttp.UnixConnector(path=self.upstream[len("unix://") :])
            self._base = "http://localhost"
        else:
            connector = aiohttp.TCPConnector()
            self._base = self.upstream
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self.port = await listen(
            app, "127.0.0.1", self.port, handler_cancellation=True
        )

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        method, path = request.method, request.path
        rule = self._pick(method, path, before=True)
        if rule is not None:
            if rule.kind == "hang":
                await asyncio.Event().wait()  # until the client hangs up
            _abort(request)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        after = self._pick(method, path, before=False)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request, headers, after)
        async with self._session.request(
            method,
            self._base + request.raw_path,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            self.forwarded[(method, path)] += 1
            operation = self._operation(request.headers, body)
            if operation is not None:
                self.forwarded_operations[operation] += 1
            if after is not None:
                return self._after(request, after)
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for name, value in upstream.headers.items():
                if name.lower() not in _HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    def _operation(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """The operation a request names (see the class docstring), or None."""
        if self.operation_header is not None and self.operation_header in headers:
            return headers[self.operation_header]
        if self.operation_field is not None and headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            fields = parse_qs(body.decode("utf-8", "replace"))
            return fields.get(self.operation_field, [""])[0]
        return "" if self.operation_header is not None else None

    async def _websocket(self, request: Any, headers: dict[str, str], after: _Rule | None) -> Any:
        """Relay a websocket both ways (a pod exec, say); faults hit its handshake."""
        import aiohttp
        from aiohttp import web

        method, path = request.method, request.path
        protocols = [
            p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
        ]
        headers = {k: v for k, v in headers.items() if not k.lower().startswith("sec-websocket")}
        try:
            upstream = await self._session.ws_connect(
                self._base + request.raw_path,
                headers=headers,
                protocols=[p for p in protocols if p],
            )
        except aiohttp.WSServerHandshakeError as exc:  # the peer answered, and refused
            self.forwarded[(method, path)] += 1
            return web.Response(status=exc.status, text=exc.message)
        self.forwarded[(method, path)] += 1
        async with upstream:
            if after is not None:
                return self._after(request, after)
            down = web.WebSocketResponse(
                protocols=(upstream.protocol,) if upstream.protocol else ()
            )
            await down.prepare(request)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(_relay(upstream, down))
                tg.create_task(_relay(down, upstream))
            return down

    @staticmethod
    def _after(request: Any, rule: _Rule) -> Any:
        """The answer of a fault that hits after the peer acted."""
        from aiohttp import web

        if rule.kind == "reset":
            _abort(request)
        if rule.kind == "status":
            return web.Response(
                status=rule.status,
                text=f"injected {rule.status}",
                headers={"Content-Type": "text/plain"},
            )
        answer = MALFORMED_ANSWERS[rule.answer]
        return web.Response(
            status=answer.status, body=answer.body, content_type=answer.content_type
        )


async def _relay(source: Any, sink: Any) -> None:
    """Copy one websocket's messages to the other until it closes, then close the other."""
    import aiohttp

    async for msg in source:
        if msg.type is aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        elif msg.type is aiohttp.WSMsgType.TEXT:
            await sink.send_str(msg.data)
    await sink.close()


def _abort(request: Any) -> None:
    """Drop the client's connection without an answer."""
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionResetError("fault proxy drops the connection")
