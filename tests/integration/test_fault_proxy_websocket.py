"""FaultProxy relays websockets (a pod exec, an attach), and its faults hit their handshake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from asyncconsole.testing import FaultProxy

pytestmark = pytest.mark.integration


@pytest.fixture
async def echo() -> AsyncIterator[str]:
    """A websocket server answering each message with itself, upper-cased, then closing."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("v4.channel.k8s.io",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(msg.data.upper())
            else:
                await ws.send_str(msg.data.upper())
                await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/echo", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_websocket_is_relayed_both_ways(echo: str) -> None:
    protocols = ("v4.channel.k8s.io",)
    async with (
        FaultProxy(echo) as proxy,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{proxy.url}/echo", protocols=protocols) as ws,
    ):
        assert ws.protocol == "v4.channel.k8s.io"
        await ws.send_bytes(b"\x01abc")
        assert (await ws.receive()).data == b"\x01ABC"
        await ws.send_str("bye")
        assert (await ws.receive()).data == "BYE"
        assert (await ws.receive()).type is aiohttp.WSMsgType.CLOSE
    assert proxy.forwarded[("GET", "/echo")] == 1


@pytest.mark.parametrize(("fault", "status"), [("status", 503), ("garbage", 200)])
async def test_faults_hit_the_handshake_after_the_peer_saw_it(
    echo: str, fault: str, status: int
) -> None:
    async with FaultProxy(echo) as proxy, aiohttp.ClientSession() as session:
        proxy.add(fault, times=1)
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(f"{proxy.url}/echo")
    assert caught.value.status == status
    assert proxy.forwarded[("GET", "/echo")] == 1, "the peer saw the handshake"


async def test_a_refused_handshake_is_passed_on(echo: str) -> None:
    async with FaultProxy(echo) as proxy, aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(f"{proxy.url}/nowhere")
    assert caught.value.status == 404
