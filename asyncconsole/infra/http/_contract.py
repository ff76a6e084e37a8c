"""Contract suite for :class:`HttpClient` implementations (trio-style ``check_*``).

The server side is :class:`HttpContractHandler`, a plain handler: run it in
:class:`FakeHttpClient` for the fake and in :class:`HttpHandlerServer` for a real client, so
both are judged against one behaviour.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..._clock import Clock, FakeClock, SystemClock
from ..._errors import (
    ConflictError,
    HttpConflictError,
    HttpError,
    HttpNotFoundError,
    HttpTimeoutError,
    NotFoundError,
    OperationTimeoutError,
)
from ..._retry import RetryPolicy
from ._auth import BasicAuth
from ._protocol import HttpClient
from ._types import HttpRequest, HttpResponse

__all__ = ["HttpContractHandler", "check_http_client"]

E = TypeVar("E", bound=BaseException)

ClientFactory = Callable[..., HttpClient]
"""Builds a client aimed at a server running :class:`HttpContractHandler`.

Called with keyword arguments the suite chooses among ``auth``, ``timeout``, ``retry``,
``raise_for_status`` and ``clock``; they mean what they mean for ``AiohttpClient``.
"""


class HttpContractHandler:
    """The server behaviour the contract suite expects, as a handler.

    Routes: ``/echo/...`` (the request as JSON), ``/status/<code>`` (that status; ``?retry_after=``
    adds ``Retry-After``), ``/flaky/<key>?fail=N&status=S`` (S for the first N requests per key,
    then 200), ``/slow?seconds=S`` (answers after S seconds on ``clock``), ``/reset`` (drops the
    connection), ``/`` (200).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.counts: dict[str, int] = {}

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        from urllib.parse import unquote

        path = request.path
        query = dict(request.query)
        if path.startswith("/echo"):
            return HttpResponse.build(
                200,
                json={
                    "method": request.method,
                    "raw_path": path,
                    "path": unquote(path),
                    "query": request.query,
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": base64.b64encode(request.body).decode(),
                },
                headers={"X-Echo": "yes", "X-Multi": "a"},
                request=request,
            )
        if path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
            headers = {}
            if "retry_after" in query:
                headers["Retry-After"] = query["retry_after"]
            return HttpResponse.build(
                status, text=f"status {status} body", headers=headers, request=request
            )
        if path.startswith("/flaky/"):
            key = path
            seen = self.counts.get(key, 0)
            self.counts[key] = seen + 1
            if seen < int(query.get("fail", "1")):
                return HttpResponse.build(int(query.get("status", "503")), text="try again")
            return HttpResponse.build(200, json={"attempt": seen + 1})
        if path == "/slow":
            await self.clock.sleep(float(query.get("seconds", "1")))
            return HttpResponse.build(200, text="slow")
        if path == "/reset":
            raise ConnectionResetError("contract handler drops the connection")
        if path == "/":
            return HttpResponse.build(200, json={"name": "contract"})
        return HttpResponse.build(404, json={"error": "not found", "path": path})


async def check_http_client(make_client: ClientFactory, *, slow_seconds: float = 2.0) -> None:
    """Run every behavioural check against clients from ``make_client``.

    Args:
        make_client: Builds a client aimed at a server running :class:`HttpContractHandler`
            (see :data:`ClientFactory`). Each check closes the clients it makes.
        slow_seconds: How long ``/slow`` takes in the timeout check; the client's timeout is a
            tenth of it. Keep it short for real servers.

    Raises:
        AssertionError: A check failed; the message names it.
    """
    for check in (
        _check_get_and_response,
        _check_url_building,
        _check_bodies,
        _check_status_errors,
        _check_retries,
        _check_retry_after,
        _check_timeout,
        _check_connection_failure,
        _check_secrets_stay_hidden,
        _check_ping_and_close,
        _check_observe_event,
    ):
        try:
            await check(make_client, slow_seconds)
        except AssertionError as exc:
            raise AssertionError(f"{check.__name__.removeprefix('_check_')}: {exc}") from exc


async def _using(client: HttpClient, fn: Callable[[HttpClient], Awaitable[None]]) -> None:
    try:
        await fn(client)
    finally:
        await client.aclose()


async def _raises(cls: type[E], call: Awaitable[object], what: str) -> E:
    """Await ``call``; return the ``cls`` error it raised, fail if it raised nothing."""
    try:
        await call
    except cls as exc:
        return exc
    raise AssertionError(f"{what}: no {cls.__name__} raised")


def _check(condition: object, message: object) -> None:
    if not condition:
        raise AssertionError(message)


async def _check_get_and_response(make: ClientFactory, _: float) -> None:
    async def run(http: HttpClient) -> None:
        r = await http.request("GET", "/echo/a", params=None, json=None, headers=None, timeout=None)
        _check(isinstance(r, HttpResponse), f"request returned {type(r).__name__}")
        _check(r.status == 200, f"status {r.status}")
        _check(r.ok, "a 200 response is not ok")
        data = r.json()
        _check(data["method"] == "GET", data)
        _check(data["path"] == "/echo/a", data)
        _check(r.headers["x-echo"] == "yes", "response headers are not case-insensitive")
        _check(r.headers["X-ECHO"] == "yes", "response headers are not case-insensitive")
        _check("X-Echo" in r.headers, "'in' is not case-insensitive")
        _check("X-Missing" not in r.headers, "a missing header is reported present")
        _check(r.headers["content-type"].startswith("application/json"), dict(r.headers))
        _check(isinstance(r.body, bytes), f"body is {type(r.body).__name__}")
        _check(json.loads(r.text) == data, "text and json() disagree")
        _check(r.url.startswith(("http://", "https://")), r.url)
        _check(r.url.endswith("/echo/a"), r.url)
        _check(r.method == "GET", r.method)
        for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
            echoed = (await http.request(method.lower(), "/echo/m")).json()
            _check(echoed["method"] == method, echoed)
        head = await http.request("HEAD", "/echo/h")
        _check(head.status == 200, head.status)
        _check(head.body == b"", "HEAD must return no body")

    await _using(make(), run)


async def _check_url_building(make: ClientFactory, _: float) -> None:
    async def run(http: HttpClient) -> None:
        data = (await http.request("GET", "/echo/my index/ü")).json()
        _check(data["raw_path"] == "/echo/my%20index/%C3%BC", data["raw_path"])
        _check(data["path"] == "/echo/my index/ü", data["path"])
        data = (await http.request("GET", "/echo/already%20encoded")).json()
        _check(data["raw_path"] == "/echo/already%20encoded", "valid %XX escapes must be kept")
        data = (
            await http.request(
                "GET",
                "/echo/q?v=true&h=a,b",
                params={"z": [1, 2], "flag": True, "none": None, "s": "a b&c"},
            )
        ).json()
        expected = [("v", "true"), ("h", "a,b"), ("z", "1"), ("z", "2"), ("flag", "true")]
        expected.append(("s", "a b&c"))
        _check([tuple(p) for p in data["query"]] == expected, data["query"])
        data = (await http.request("GET", "/echo/list", params=[("b", 2), ("a", 1)])).json()
        _check([tuple(p) for p in data["query"]] == [("b", "2"), ("a", "1")], data["query"])

    await _using(make(), run)


async def _check_bodies(make: ClientFactory, _: float) -> None:
    async def run(http: HttpClient) -> None:
        data = (await http.request("POST", "/echo/j", json={"a": [1, "é"]})).json()
        _check(json.loads(base64.b64decode(data["body"])) == {"a": [1, "é"]}, data)
        _check(data["headers"]["content-type"] == "application/json", data["headers"])
        raw = bytes(range(256))
        data = (
            await http.request(
                "PUT", "/echo/b", data=raw, headers={"Content-Type": "application/x-ndjson"}
            )
        ).json()
        _check(base64.b64decode(data["body"]) == raw, "binary body changed in transit")
        _check(data["headers"]["content-type"] == "application/x-ndjson", data["headers"])
        data = (await http.request("POST", "/echo/f", data={"q": "up", "n": 1})).json()
        _check(base64.b64decode(data["body"]) == b"q=up&n=1", data["body"])
        form = "application/x-www-form-urlencoded"
        _check(data["headers"]["content-type"] == form, data["headers"])
        data = (await http.request("GET", "/echo/h", headers={"X-Custom": "v 1"})).json()
        _check(data["headers"]["x-custom"] == "v 1", data["headers"])

    await _using(make(), run)


async def _check_status_errors(make: ClientFactory, _: float) -> None:
    async def run(http: HttpClient) -> None:
        cases: list[tuple[int, type[HttpError], type[Exception] | None]] = [
            (404, HttpNotFoundError, NotFoundError),
            (409, HttpConflictError, ConflictError),
            (400, HttpError, None),
            (500, HttpError, None),
        ]
        for status, cls, kind in cases:
            exc = await _raises(
                HttpError, http.request("GET", f"/status/{status}"), f"HTTP {status}"
            )
            _check(type(exc) is cls, f"{status} raised {type(exc).__name__}")
            _check(kind is None or isinstance(exc, kind), f"{status} is not a {kind}")
            _check(exc.status == status, exc.status)
            _check(exc.method == "GET", exc.method)
            _check(exc.url.endswith(f"/status/{status}"), exc.url)
            _check(exc.body_excerpt == f"status {status} body", exc.body_excerpt)
            _check(str(status) in str(exc), str(exc))
        r = await http.request("GET", "/status/404", raise_for_status=False)
        _check(r.status == 404, r.status)
        _check(not r.ok, "a 404 response is ok")
        try:
            r.raise_for_status()
        except HttpNotFoundError:
            pass
        else:
            raise AssertionError("HttpResponse.raise_for_status did not raise for 404")
        _check((await http.request("GET", "/status/204")).status == 204, "204")

    await _using(make(), run)

    async def run_lenient(http: HttpClient) -> None:
        r = await http.request("GET", "/status/500", retry=False)
        _check(r.status == 500, r.status)
        call = http.request("GET", "/status/500", raise_for_status=True, retry=False)
        exc = await _raises(HttpError, call, "per-call raise_for_status=True")
        _check(exc.status == 500, exc.status)

    await _using(make(raise_for_status=False), run_lenient)


async def _check_retries(make: ClientFactory, _: float) -> None:
    clock = FakeClock()
    policy = RetryPolicy(attempts=3, wait_initial=1.0, wait_max=10.0, wait_jitter=0.0, timeout=60)

    def flaky(fail: int, status: int) -> str:
        return f"/flaky/{uuid.uuid4().hex}?fail={fail}&status={status}"

    async def run(http: HttpClient) -> None:
        r = await http.request("GET", flaky(2, 503))
        _check(r.status == 200, (r.status, r.text))
        _check(r.json() == {"attempt": 3}, r.text)
        _check(clock.sleeps[-2:] == [1.0, 2.0], f"backoff waits {clock.sleeps}")
        for status in (429, 502, 504):
            r = await http.request("GET", flaky(1, status))
            _check(r.status == 200, f"{status} was not retried")
        exc = await _raises(HttpError, http.request("POST", flaky(1, 503)), "POST not retried")
        _check(exc.status == 503, exc.status)
        _check(exc.transient, "a 503 error is not marked transient")
        r = await http.request("POST", flaky(1, 503), retry=True)
        _check(r.status == 200, "retry=True did not make the POST retryable")
        exc = await _raises(HttpError, http.request("GET", flaky(1, 500)), "500 not retried")
        _check(exc.status == 500, exc.status)
        exc = await _raises(HttpError, http.request("GET", flaky(5, 503)), "bounded retries")
        _check(exc.status == 503, exc.status)
        call = http.request("GET", flaky(1, 503), retry=False)
        exc = await _raises(HttpError, call, "retry=False")
        _check(exc.status == 503, exc.status)
        r = await http.request("GET", flaky(5, 503), raise_for_status=False)
        _check(r.status == 503, "exhausted retries without raising must return the response")

    await _using(make(retry=policy, clock=clock), run)


async def _check_retry_after(make: ClientFactory, _: float) -> None:
    clock = FakeClock()

    async def run(http: HttpClient) -> None:
        call = http.request("GET", "/status/429?retry_after=7", retry=False)
        exc = await _raises(HttpError, call, "429")
        _check(exc.retry_after == 7.0, exc.retry_after)
        _check(exc.transient, "429 is not marked transient")
        before = len(clock.sleeps)
        exc = await _raises(HttpError, http.request("GET", "/status/503?retry_after=4"), "503")
        _check(exc.status == 503, exc.status)
        waits = clock.sleeps[before:]
        _check(waits, "503 with Retry-After was not retried")
        _check(all(w >= 4.0 for w in waits), f"Retry-After not honoured: {waits}")

    policy = RetryPolicy(attempts=2, wait_initial=0.1, wait_max=1.0, wait_jitter=0.0, timeout=60)
    await _using(make(retry=policy, clock=clock), run)


async def _check_timeout(make: ClientFactory, slow: float) -> None:
    async def run(http: HttpClient) -> None:
        call = http.request("GET", f"/slow?seconds={slow}", timeout=slow / 10)
        exc = await _raises(HttpTimeoutError, call, "slower than the timeout")
        _check(isinstance(exc, OperationTimeoutError), "not an OperationTimeoutError")
        _check(isinstance(exc, TimeoutError), "not a TimeoutError")
        _check(exc.status is None, exc.status)
        _check(exc.method == "GET", exc.method)
        _check(exc.timeout == slow / 10, exc.timeout)
        r = await http.request("GET", "/slow?seconds=0")
        _check(r.text == "slow", r.text)

    await _using(make(timeout=slow * 5, clock=FakeClock()), run)


async def _check_connection_failure(make: ClientFactory, _: float) -> None:
    clock = FakeClock()
    policy = RetryPolicy(attempts=2, wait_initial=0.5, wait_max=1.0, wait_jitter=0.0, timeout=60)

    async def run(http: HttpClient) -> None:
        for retry in (False, None):
            before = len(clock.sleeps)
            exc = await _raises(HttpError, http.request("GET", "/reset", retry=retry), "reset")
            _check(not isinstance(exc, HttpTimeoutError), "a dropped connection is not a timeout")
            _check(exc.status is None, exc.status)
            _check(exc.transient, "a dropped connection is not marked transient")
            _check(exc.method == "GET", exc.method)
            _check(exc.url.endswith("/reset"), exc.url)
            retried = len(clock.sleeps) - before
            _check(retried == (0 if retry is False else 1), f"retry={retry}: {retried} waits")

    await _using(make(retry=policy, clock=clock), run)


async def _check_secrets_stay_hidden(make: ClientFactory, _: float) -> None:
    password = "pw-" + uuid.uuid4().hex
    auth = BasicAuth("alice", password)
    token = base64.b64encode(f"alice:{password}".encode()).decode()

    async def run(http: HttpClient) -> None:
        data = (await http.request("GET", "/echo/auth")).json()
        sent = data["headers"]["authorization"]
        _check(sent == f"Basic {token}", "BasicAuth header not sent")
        exc = await _raises(HttpError, http.request("GET", "/status/401"), "401")
        text = f"{exc} {exc!r} {exc.url} {exc.headers} {exc.context}"
        for secret in (password, token):
            _check(secret not in text, "credentials leaked into an error")
            _check(secret not in repr(http), "credentials in the client's repr")
            _check(secret not in repr(auth), "credentials in BasicAuth's repr")

    await _using(make(auth=auth), run)


async def _check_ping_and_close(make: ClientFactory, _: float) -> None:
    http = make()
    try:
        await http.ping()
        exc = await _raises(HttpError, http.ping("/status/503"), "ping against 503")
        _check(exc.status == 503, exc.status)
    finally:
        await http.aclose()
    await http.aclose()  # idempotent
    await _raises(RuntimeError, http.request("GET", "/"), "request on a closed client")


async def _check_observe_event(make: ClientFactory, _: float) -> None:
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("asyncconsole.http")
    handler = Capture(logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    async def run(http: HttpClient) -> None:
        await http.request("GET", "/echo/logged", retry=False)
        await _raises(HttpNotFoundError, http.request("GET", "/status/404", retry=False), "404")

    try:
        await _using(make(), run)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    events = [getattr(r, "asyncconsole", {}) for r in records]
    events = [e for e in events if e.get("operation") == "http.request"]
    _check(len(events) == 2, f"expected one event per request, got {len(events)}")
    _check(events[0]["method"] == "GET", events[0])
    _check(events[0]["target"].endswith("/echo/logged"), events[0])
    _check(events[0]["status"] == 200, events[0])
    _check(events[1]["status"] == 404, events[1])
