"""The shared request pipeline (URLs, bodies, retries, errors) through FakeHttpClient, and the
pure helpers behind it."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole._errors import ConflictError, NotFoundError
from asyncconsole._redact import mask_url
from asyncconsole.infra.http import (
    AwsCredentials,
    BasicAuth,
    FakeHttpClient,
    Headers,
    HttpClient,
    HttpError,
    HttpNotFoundError,
    HttpRequest,
    HttpResponse,
    HttpRouter,
    HttpTimeoutError,
    SigV4Auth,
)
from asyncconsole.infra.http._client import encode_query, quote_path, should_retry
from asyncconsole.infra.http._errors import parse_retry_after


def test_fake_satisfies_the_protocol() -> None:
    assert isinstance(FakeHttpClient(), HttpClient)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/plain/_doc-1.x~y", "/plain/_doc-1.x~y"),
        ("/my index", "/my%20index"),
        ("/ü/中", "/%C3%BC/%E4%B8%AD"),
        ("/kept%20escape", "/kept%20escape"),
        ("/bad%zz/100%", "/bad%25zz/100%25"),
        ("/*,-.kibana/a+b:c@d", "/*,-.kibana/a+b:c@d"),
        ('/quote"<>', "/quote%22%3C%3E"),
    ],
)
def test_quote_path(path: str, expected: str) -> None:
    assert quote_path(path) == expected


@pytest.mark.parametrize(
    ("query", "params", "expected"),
    [
        ("v=true&format=json", None, "v=true&format=json"),
        ("q=a+b&h=a,b", None, "q=a%20b&h=a%2Cb"),
        ("pretty", None, "pretty"),
        ("a=b=c&&d", None, "a=b%3Dc&d="),
        ("", {"z": [1, None, 2], "t": True, "f": False, "n": None}, "z=1&z=2&t=true&f=false"),
        ("x=1", [("k", "ü /"), ("k", 0)], "x=1&k=%C3%BC%20%2F&k=0"),
        ("", {}, ""),
    ],
)
def test_encode_query(query: str, params: object, expected: str) -> None:
    assert encode_query(query, params) == expected  # type: ignore[arg-type]


def test_url_for() -> None:
    http = FakeHttpClient(base_url="https://host:9200/")
    assert http.url_for("/_cat/indices") == "https://host:9200/_cat/indices"
    assert http.url_for("_cat/indices") == "https://host:9200/_cat/indices"
    assert http.url_for("/x?a=1#frag", {"b": 2}) == "https://host:9200/x?a=1&b=2"
    assert http.url_for("http://other:1/y z") == "http://other:1/y%20z"
    assert http.url_for("http://other:1") == "http://other:1/"
    with pytest.raises(ValueError, match="no base_url"):
        FakeHttpClient(base_url=None).url_for("/x")
    with pytest.raises(ValueError, match="base_url"):
        FakeHttpClient(base_url="host:9200")
    with pytest.raises(ValueError, match="timeout"):
        FakeHttpClient(timeout=0)


def test_mask_url() -> None:
    assert mask_url("https://u:p@host/x") == "https://u:********@host/x"
    redacted = mask_url("https://h/x?X-Amz-Signature=abc&keep=1&token=t0k&password=pw")
    assert redacted == (
        "https://h/x?X-Amz-Signature=********&keep=1&token=********&password=********"
    )
    assert mask_url("https://h/plain") == "https://h/plain"


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    when = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(when, now=now.timestamp()) == 30.0
    past = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(past, now=now.timestamp()) == 0.0


def test_headers_mapping() -> None:
    h = Headers([("Set-Cookie", "a=1"), ("Content-Type", "text/plain"), ("set-cookie", "b=2")])
    assert h["set-cookie"] == "a=1, b=2"
    assert h.get_all("SET-COOKIE") == ["a=1", "b=2"]
    assert list(h) == ["Set-Cookie", "Content-Type"]
    assert len(h) == 2
    assert "content-TYPE" in h
    assert object() not in h
    assert h == {"set-cookie": "a=1, b=2", "content-type": "text/plain"}
    assert Headers(h).raw_items() == h.raw_items()
    assert Headers({"A": "1"}) == Headers([("a", "1")])
    assert hash(Headers({"A": "1"})) == hash(Headers([("a", "1")]))


def test_response_helpers() -> None:
    r = HttpResponse.build(201, json={"ok": True})
    assert r.ok
    assert r.json() == {"ok": True}
    assert r.headers["content-type"] == "application/json"
    assert r.raise_for_status() is r
    latin = HttpResponse(
        "GET",
        "u",
        200,
        Headers({"Content-Type": "text/plain; charset=latin-1"}),
        "é".encode("latin-1"),
    )
    assert latin.text == "é"
    unknown = HttpResponse(
        "GET", "u", 200, Headers({"Content-Type": "text/plain; charset=nope"}), b"ok"
    )
    assert unknown.text == "ok"
    assert HttpResponse.build(302).ok
    assert not HttpResponse.build(404).ok
    req = HttpRequest(
        "POST", "http://h/p%20q?a=1&a=2", Headers({"Content-Type": "application/json"}), b'{"x":1}'
    )
    assert req.path == "/p%20q"
    assert req.query == [("a", "1"), ("a", "2")]
    assert req.json() == {"x": 1}
    assert req.text == '{"x":1}'


def test_should_retry_classification() -> None:
    def err(status: int | None, transient: bool) -> HttpError:
        e = HttpError("x", method="GET", url="u", status=status)
        e.transient = transient
        return e

    assert should_retry(err(503, True))
    assert should_retry(err(None, True))
    assert not should_retry(err(None, False))  # TLS failures
    assert not should_retry(err(500, False))
    assert not should_retry(HttpTimeoutError("t", method="GET", url="u", timeout=1))
    assert not should_retry(ValueError())


async def test_router_routes_by_method_and_path() -> None:
    router = HttpRouter()
    router.add("GET", "/items", json=[1])
    router.add("*", re.compile(r"/items/(\d+)"), lambda req: HttpResponse.build(200, text=req.path))

    async def created(req: HttpRequest) -> HttpResponse:
        return HttpResponse.build(201, json=req.json())

    route = router.add("POST", "/items", created)
    async with FakeHttpClient(router) as http:
        assert (await http.request("GET", "/items")).json() == [1]
        assert (await http.request("DELETE", "/items/7")).text == "/items/7"
        assert (await http.request("POST", "/items", json={"a": 1})).status == 201
        assert route.calls == 1
        with pytest.raises(HttpNotFoundError) as caught:
            await http.request("PUT", "/items")
        assert "no route for PUT /items" in caught.value.body_excerpt
        router.add("GET", "/items", json=[2])  # later routes win
        assert (await http.request("GET", "/items")).json() == [2]
        assert (await http.request("GET", "/my items/x", raise_for_status=False)).status == 404
        assert [r.method for r in http.requests] == ["GET", "DELETE", "POST", "PUT", "GET", "GET"]


async def test_route_helper_and_recorded_requests_with_auth() -> None:
    http = FakeHttpClient(auth=BasicAuth("u", "p"), headers={"X-Default": "1"})
    http.route("GET", "/my index", text="found")
    async with http:
        assert (await http.request("GET", "/my index")).text == "found"
    sent = http.requests_to("GET", "/my index")
    assert len(sent) == 1
    assert sent[0].headers["authorization"] == "Basic dTpw"
    assert sent[0].headers["x-default"] == "1"
    assert sent[0].url == "http://fake.invalid/my%20index"


async def test_sigv4_through_the_fake() -> None:
    auth = SigV4Auth(
        "us-east-1",
        "aoss",
        AwsCredentials("AK", "SK", "TOK"),
        clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)),
    )
    async with FakeHttpClient(lambda r: HttpResponse.build(200), auth=auth) as http:
        await http.request("PUT", "/idx", json={"a": 1})
        await http.request("PUT", "/idx", json={"a": 1})
    first, second = http.requests
    assert first.headers["authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/aoss/"
    )
    assert first.headers["x-amz-security-token"] == "TOK"
    assert "x-amz-content-sha256" in first.headers
    assert first.headers["authorization"] == second.headers["authorization"]


async def test_injected_status_faults_and_retries() -> None:
    clock = FakeClock()
    http = FakeHttpClient(lambda r: HttpResponse.build(200, text="ok"), clock=clock)
    http.fail(503, path="/x", times=2, headers={"Retry-After": "3"})
    async with http:
        r = await http.request("GET", "/x")
        assert r.text == "ok"
        assert len(http.requests) == 3
        assert [round(s) for s in clock.sleeps] == [3, 3]
        http.fail(429, times=None)
        with pytest.raises(HttpError) as caught:
            await http.request("GET", "/y")
        assert caught.value.status == 429
        assert caught.value.transient
        http.clear_faults()
        assert (await http.request("GET", "/y")).text == "ok"


async def test_retry_budget_bounds_total_time() -> None:
    clock = FakeClock()
    policy = RetryPolicy(attempts=10, wait_initial=1, wait_max=5, wait_jitter=0, timeout=12)
    http = FakeHttpClient(lambda r: HttpResponse.build(200), clock=clock, retry=policy)
    http.fail(503, times=None, headers={"Retry-After": "100"})
    async with http:
        with pytest.raises(HttpError):
            await http.request("GET", "/x")
    assert clock.monotonic() <= 12
    assert len(http.requests) < 10


async def test_connection_faults() -> None:
    clock = FakeClock()
    http = FakeHttpClient(lambda r: HttpResponse.build(200), clock=clock)
    async with http:
        http.fail("reset", method="POST")
        with pytest.raises(HttpError) as caught:
            await http.request("POST", "/x")
        assert caught.value.status is None
        assert caught.value.transient
        http.fail(ConnectionRefusedError("refused"))
        assert (await http.request("GET", "/x")).status == 200  # retried
        http.fail(TimeoutError(), times=3)
        with pytest.raises(HttpTimeoutError):
            await http.request("GET", "/x")  # timeouts are not retried
        http.clear_faults()
        http.fail("timeout")
        with pytest.raises(HttpTimeoutError) as timed:
            await http.request("GET", "/x", timeout=2.5)
        assert timed.value.timeout == 2.5
        assert clock.monotonic() >= 2.5
        http.fail(RuntimeError("bug in test"))
        with pytest.raises(RuntimeError, match="bug in test"):
            await http.request("GET", "/x")


async def test_handler_exceptions_are_translated() -> None:
    def handler(request: HttpRequest) -> HttpResponse:
        if request.path == "/drop":
            raise ConnectionResetError("gone")
        raise HttpError("custom", method=request.method, url=request.url, status=418)

    async with FakeHttpClient(handler, retry=False) as http:
        with pytest.raises(HttpError) as dropped:
            await http.request("GET", "/drop")
        assert dropped.value.status is None
        with pytest.raises(HttpError) as custom:
            await http.request("GET", "/teapot")
        assert custom.value.status == 418


async def test_latency_on_the_clock_and_timeouts() -> None:
    clock = FakeClock()
    http = FakeHttpClient(
        lambda r: HttpResponse.build(200),
        clock=clock,
        latency=lambda r: 10.0 if r.path == "/slow" else 0.5,
        timeout=5,
    )
    async with http:
        await http.request("GET", "/fast")
        assert clock.monotonic() == 0.5
        with pytest.raises(HttpTimeoutError):
            await http.request("GET", "/slow")
        assert clock.monotonic() == 5.5
        assert (await http.request("GET", "/slow", timeout=20)).status == 200


async def test_cancelling_a_request_leaves_the_client_usable() -> None:
    clock = FakeClock(auto_advance=False)
    async with FakeHttpClient(lambda r: HttpResponse.build(200), clock=clock, latency=30) as http:
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(http.request("GET", "/x"))
            await asyncio.sleep(0)
            assert clock._sleepers, "the request is waiting on its latency"
            task.cancel()
        assert task.cancelled()
        http.latency = 0
        assert (await http.request("GET", "/x")).status == 200


async def test_status_errors_are_typed() -> None:
    router = HttpRouter()
    router.add("GET", "/missing", status=404, text="no such index")
    router.add("PUT", "/taken", status=409, json={"error": "exists"})
    async with FakeHttpClient(router) as http:
        with pytest.raises(NotFoundError):
            await http.request("GET", "/missing")
        with pytest.raises(ConflictError) as caught:
            await http.request("PUT", "/taken")
    assert caught.value.body_excerpt == '{"error": "exists"}'  # type: ignore[attr-defined]


async def test_no_secrets_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncconsole")
    auth = SigV4Auth("us-east-1", credentials=AwsCredentials("AKID", "sekrit-key", "sekrit-token"))
    http = FakeHttpClient(
        lambda r: HttpResponse.build(503, text="busy"), auth=auth, clock=FakeClock()
    )
    async with http:
        with pytest.raises(HttpError) as caught:
            await http.request(
                "GET", "https://user:sekrit-pw@host/x?X-Amz-Credential=AKID%2Fsekrit"
            )
    everything = caplog.text + str(caught.value) + repr(caught.value) + repr(http) + repr(auth)
    assert "sekrit" not in everything
    assert "http.retry" in caplog.text
    assert "http.request" in caplog.text


async def test_closed_and_lazy_open() -> None:
    http = FakeHttpClient(lambda r: HttpResponse.build(200))
    assert (await http.request("GET", "/")).status == 200  # opens on first use
    await http.aclose()
    assert http.closed
    with pytest.raises(RuntimeError, match="closed"):
        await http.request("GET", "/")


async def test_body_arguments() -> None:
    async with FakeHttpClient(lambda r: HttpResponse.build(200, body=r.body)) as http:
        with pytest.raises(ValueError, match="either json= or data="):
            await http.request("POST", "/", json={}, data=b"x")
        assert (await http.request("POST", "/", data="ü")).body == "ü".encode()
        r = await http.post("/", json=[1], headers={"content-type": "application/vnd+json"})
        assert r.body == b"[1]"
        assert http.requests[-1].headers["Content-Type"] == "application/vnd+json"
        assert (await http.get("/")).status == 200
        assert (await http.put("/")).status == 200
        assert (await http.delete("/")).status == 200
        assert (await http.head("/")).body == b""
    with pytest.raises(TypeError, match="retry"):
        FakeHttpClient(retry="always")  # type: ignore[arg-type]


async def test_single_attempt_policy_returns_transient_responses_when_not_raising() -> None:
    policy = RetryPolicy(attempts=1, timeout=None)
    http = FakeHttpClient(lambda r: HttpResponse.build(503), retry=policy, raise_for_status=False)
    async with http:
        assert (await http.request("GET", "/")).status == 503
        with pytest.raises(HttpError) as caught:
            await http.request("GET", "/", raise_for_status=True)
    assert caught.value.status == 503
    assert len(http.requests) == 2


async def test_custom_retry_predicate_is_respected() -> None:
    clock = FakeClock()
    never = RetryPolicy(attempts=5, retry_on=lambda exc: False)
    http = FakeHttpClient(lambda r: HttpResponse.build(502), clock=clock, retry=never)
    async with http:
        with pytest.raises(HttpError):
            await http.request("GET", "/")
    assert len(http.requests) == 1
    assert clock.sleeps == []


async def test_per_call_timeout_must_be_positive() -> None:
    async with FakeHttpClient(lambda r: HttpResponse.build(200)) as http:
        for bad in (0, -1.0, float("nan")):
            with pytest.raises(ValueError, match="timeout"):
                await http.request("GET", "/", timeout=bad)
        assert http.requests == []
