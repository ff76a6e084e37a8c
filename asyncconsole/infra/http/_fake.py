"""An in-memory HTTP client: requests go to a handler (like httpx's MockTransport), not a socket.

The fake shares the real client's pipeline (URL building, auth, retries, ``raise_for_status``,
errors), so code tested against it behaves the same against a server.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias

from ..._clock import Clock, FakeClock
from ..._errors import HttpError
from .._core import FaultPlan
from ._auth import HttpAuth
from ._client import DEFAULT_RETRY, BaseHttpClient, RetryOption
from ._errors import connection_error, timeout_error
from ._types import Headers, HttpRequest, HttpResponse

__all__ = ["FakeHttpClient", "Handler", "HttpRouter", "Route"]

Handler: TypeAlias = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]
Fault: TypeAlias = int | BaseException | Literal["reset", "timeout"]


@dataclass
class Route:
    """One entry of an :class:`HttpRouter`: which requests it answers and how."""

    method: str
    path: str | re.Pattern[str]
    handler: Handler
    calls: int = 0

    def matches(self, request: HttpRequest) -> bool:
        """Whether ``request`` (method and percent-decoded path) is for this route."""
        if self.method != "*" and self.method != request.method:
            return False
        from urllib.parse import unquote

        path = unquote(request.path)
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return self.path == path


class HttpRouter:
    """A route table usable as a handler: method + path (exact or regex) to response/handler.

    Unmatched requests get 404 with a JSON body naming the request.
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        path: str | re.Pattern[str],
        response: HttpResponse | Handler | None = None,
        *,
        status: int = 200,
        json: Any = None,
        text: str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Route:
        """Answer ``method path`` (``"*"`` for any method) with a response or a handler.

        Without ``response``, one is built from ``status``/``json``/``text``/``body``/
        ``headers``. Later routes take precedence, so a test can override a default.
        """
        handler: Handler
        if response is None:
            fixed = HttpResponse.build(status, json=json, text=text, body=body, headers=headers)
            handler = _constant(fixed)
        elif isinstance(response, HttpResponse):
            handler = _constant(response)
        else:
            handler = response
        route = Route(method.upper(), path, handler)
        self.routes.insert(0, route)
        return route

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        for route in self.routes:
            if route.matches(request):
                route.calls += 1
                result = route.handler(request)
                if inspect.isawaitable(result):
                    result = await result
                return result
        return HttpResponse.build(
            404, json={"error": f"no route for {request.method} {request.path}"}, request=request
        )


def _constant(response: HttpResponse) -> Handler:
    def handler(request: HttpRequest) -> HttpResponse:
        return response

    return handler


@dataclass
class _FaultRule:
    fault: Fault
    method: str | None
    path: str | re.Pattern[str] | None
    times: int | None
    headers: Mapping[str, str] = field(default_factory=dict)

    def matches(self, request: HttpRequest) -> bool:
        if self.method is not None and self.method != request.method:
            return False
        if self.path is None:
            return True
        from urllib.parse import unquote

        path = unquote(request.path)
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return self.path == path


class FakeHttpClient(BaseHttpClient):
    """An :class:`HttpClient` whose requests are answered by a handler, in memory.

    Args:
        handler: ``HttpRequest -> HttpResponse`` (sync or async). Without one, the client's
            :attr:`router` answers: add routes with :meth:`route`.
        base_url: Base URL requests are built against.
        latency: Seconds each request takes on the clock (a number, or a function of the
            request); a request slower than its timeout raises ``HttpTimeoutError``.
        clock: Defaults to an auto-advancing :class:`~asyncconsole.FakeClock`, so latency and
            retry waits cost no real time.
        faults: The adapter core's fault plan (a new one by default), as every fake has: faults
            by operation (``"http.request"``), rate and count. :meth:`fail` injects faults by
            method and path, at the transport.

    The other arguments mean what they mean for :class:`AiohttpClient`. Every attempt is
    recorded in :attr:`requests` with the headers as sent (auth included). Faults are
    injected with :meth:`fail`.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        base_url: str | None = "http://fake.invalid",
        auth: HttpAuth | None = None,
        timeout: float = 60.0,
        retry: RetryOption = DEFAULT_RETRY,
        raise_for_status: bool = True,
        clock: Clock | None = None,
        latency: float | Callable[[HttpRequest], float] = 0.0,
        headers: Mapping[str, str] | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            timeout=timeout,
            retry=retry,
            raise_for_status=raise_for_status,
            clock=clock or FakeClock(),
            faults=faults if faults is not None else FaultPlan(),
        )
        self.router = HttpRouter()
        self.handler: Handler = handler if handler is not None else self.router
        self.latency = latency
        self.default_headers = dict(headers or {})
        self.requests: list[HttpRequest] = []
        self._faults: list[_FaultRule] = []

    def route(
        self,
        method: str,
        path: str | re.Pattern[str],
        response: HttpResponse | Handler | None = None,
        **kwargs: Any,
    ) -> Route:
        """Add a route to :attr:`router` (see :meth:`HttpRouter.add`)."""
        return self.router.add(method, path, response, **kwargs)

    def fail(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Make the next ``times`` matching requests fail (``None`` = until :meth:`clear_faults`).

        ``fault`` is a status code (answered with ``headers``, e.g. ``Retry-After``),
        ``"reset"`` (connection dropped), ``"timeout"`` (no answer within the timeout), or an
        exception to raise (``ConnectionError``/``TimeoutError`` are translated like the real
        client's).
        """
        self._faults.append(
            _FaultRule(fault, method.upper() if method else None, path, times, dict(headers or {}))
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    def requests_to(self, method: str, path: str) -> list[HttpRequest]:
        """Recorded requests with this method and (percent-decoded) path."""
        from urllib.parse import unquote

        return [r for r in self.requests if r.method == method and unquote(r.path) == path]

    async def _send(self, request: HttpRequest, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        method, url = request.method, request.url
        if self.default_headers:
            sent = dict(self.default_headers)
            sent.update(request.headers.raw_items())
            request = HttpRequest(method, url, Headers(sent), request.body)
        self.requests.append(request)
        started = self.clock.monotonic()

        rule = next((f for f in self._faults if f.matches(request)), None)
        if rule is not None:
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._faults.remove(rule)
            fault = rule.fault
            if isinstance(fault, int):
                return HttpResponse.build(
                    fault, text=f"injected fault {fault}", headers=rule.headers, request=request
                )
            if fault == "timeout":
                await self.clock.sleep(timeout)
                raise timeout_error(method, url, timeout)
            if fault == "reset":
                raise connection_error(method, url, ConnectionResetError("connection reset"))
            raise _translate(method, url, fault, timeout)

        latency = self.latency(request) if callable(self.latency) else self.latency
        if latency >= timeout:
            await self.clock.sleep(timeout)
            raise timeout_error(method, url, timeout)
        if latency > 0:
            await self.clock.sleep(latency)
        try:
            result = self.handler(request)
            if inspect.isawaitable(result):
                result = await result
        except HttpError:
            raise
        except (OSError, TimeoutError) as exc:
            raise _translate(method, url, exc, timeout) from exc
        if self.clock.monotonic() - started > timeout:
            # The handler took (fake) time past the deadline: the caller would have given up.
            raise timeout_error(method, url, timeout)
        if not result.method or not result.url:
            result = replace(result, method=result.method or method, url=result.url or url)
        if method == "HEAD" and result.body:
            result = replace(result, body=b"")
        return result


def _translate(method: str, url: str, exc: BaseException, timeout: float) -> BaseException:
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, TimeoutError):
        return timeout_error(method, url, timeout)
    if isinstance(exc, OSError):
        return connection_error(method, url, exc)
    return exc
