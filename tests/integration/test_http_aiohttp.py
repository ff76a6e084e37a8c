"""AiohttpClient against real local servers: TLS options, refused connections, the User-Agent,
cancellation, pooling and timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole.infra.http import (
    AiohttpClient,
    HttpClient,
    HttpError,
    HttpRequest,
    HttpResponse,
    HttpTimeoutError,
)
from asyncconsole.infra.http._server import HttpHandlerServer
from tests.fixtures.peers import free_port, missing_peer

pytestmark = pytest.mark.integration


def echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse.build(
        200, json={"ua": request.headers.get("user-agent"), "path": request.path}, request=request
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl CLI)."""
    if shutil.which("openssl") is None:
        missing_peer("openssl", "needed to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def tls_url(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"tls": True})

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_tls_is_verified_by_default(tls_url: str, certificate: tuple[Path, Path]) -> None:
    clock = FakeClock()
    async with AiohttpClient(tls_url, timeout=5, clock=clock) as http:
        with pytest.raises(HttpError) as caught:
            await http.request("GET", "/")
    assert caught.value.status is None
    assert not caught.value.transient
    assert "allow_insecure" in str(caught.value)
    assert clock.sleeps == []  # a certificate problem is not retried

    async with AiohttpClient(tls_url, timeout=5, allow_insecure=True) as http:
        assert (await http.request("GET", "/")).json() == {"tls": True}
    async with AiohttpClient(tls_url, timeout=5, ca_bundle=str(certificate[0])) as http:
        assert (await http.request("GET", "/")).json() == {"tls": True}


async def test_bad_ca_bundle_is_a_clear_error(tmp_path: Path) -> None:
    http = AiohttpClient("https://127.0.0.1:1", ca_bundle=str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="ca_bundle"):
        await http.open()
    assert http.closed


async def test_refused_connection_is_transient_and_retried() -> None:
    clock = FakeClock()
    policy = RetryPolicy(attempts=3, wait_initial=1, wait_jitter=0, timeout=60)
    async with AiohttpClient(f"http://127.0.0.1:{free_port()}", retry=policy, clock=clock) as http:
        with pytest.raises(HttpError) as caught:
            await http.request("GET", "/")
    assert caught.value.status is None
    assert caught.value.transient
    assert clock.sleeps == [1.0, 2.0]


async def test_user_agent_and_default_headers() -> None:
    async with HttpHandlerServer(echo) as server:
        async with AiohttpClient(server.url, user_agent_extra="migration-console/2.0") as http:
            assert isinstance(http, HttpClient)
            r = await http.request("GET", "/x")
            assert r.json()["ua"] == "asyncconsole/0.1.0 migration-console/2.0"
        async with AiohttpClient(server.url, headers={"User-Agent": "mine"}) as http:
            assert (await http.request("GET", "/x")).json()["ua"] == "mine"


async def test_absolute_urls_and_no_base_url() -> None:
    async with HttpHandlerServer(echo) as server, AiohttpClient() as http:
        r = await http.request("GET", f"{server.url}/a b")
        assert r.json()["path"] == "/a%20b"


async def test_cancellation_closes_nothing_it_should_not() -> None:
    started = asyncio.Event()

    async def slow(request: HttpRequest) -> HttpResponse:
        started.set()
        await asyncio.sleep(30)
        return HttpResponse.build(200)

    async with HttpHandlerServer(slow) as server, AiohttpClient(server.url, timeout=60) as http:
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(http.request("GET", "/slow"))
            await started.wait()
            task.cancel()
        assert task.cancelled()
        server.handler = echo
        assert (await http.request("GET", "/again")).status == 200


async def test_connections_are_pooled() -> None:
    peers: set[tuple[str, int]] = set()

    async def who(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.add(request.transport.get_extra_info("peername"))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", who)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with (
            AiohttpClient(f"http://127.0.0.1:{port}", limit=2) as http,
            asyncio.TaskGroup() as tg,
        ):
            for _ in range(20):
                tg.create_task(http.request("GET", "/"))
    finally:
        await runner.cleanup()
    assert 1 <= len(peers) <= 2  # 20 requests over at most `limit` connections


async def test_per_call_timeout_overrides_default() -> None:
    async def slow(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(0.3)
        return HttpResponse.build(200, text="late")

    async with HttpHandlerServer(slow) as server, AiohttpClient(server.url, timeout=0.05) as http:
        with pytest.raises(TimeoutError):
            await http.request("GET", "/")
        assert (await http.request("GET", "/", timeout=5)).text == "late"


async def test_connect_timeout_bounds_connecting() -> None:
    # A listening socket whose accept queue is full: Linux drops further SYNs, so connecting
    # hangs. The connect timeout, not the much longer total timeout, must end the request.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                filler = socket.socket()
                fillers.append(filler)
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            url = f"http://127.0.0.1:{port}"
            async with AiohttpClient(url, timeout=60, connect_timeout=0.2, retry=False) as http:
                with pytest.raises(HttpTimeoutError) as caught:
                    await http.request("GET", "/")
        finally:
            for filler in fillers:
                filler.close()
    assert caught.value.timeout == 0.2
    assert "could not connect within 0.2s" in str(caught.value)


async def test_invalid_url_is_a_value_error() -> None:
    async with AiohttpClient() as http:
        with pytest.raises(ValueError, match=r"invalid URL"):
            await http.request("GET", "http://[::1/x")
