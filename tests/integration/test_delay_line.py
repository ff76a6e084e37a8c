"""DelayLine: TCP forwarded both ways, and the client's round trips counted (connections made
together are one step, requests that waited for an answer the next)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from asyncconsole._concurrency import gather
from asyncconsole.infra.http import AiohttpClient, HttpResponse
from asyncconsole.testing import DelayLine, HttpHandlerServer, RoundTrips

DELAY = 0.2  # large against the client's own work between concurrent sends


@pytest.fixture
async def server() -> AsyncIterator[HttpHandlerServer]:
    served = HttpHandlerServer()
    served.router.add("GET", "/a", json={"a": 1})
    served.router.add("POST", "/echo", lambda r: HttpResponse.build(200, body=r.body))
    async with served:
        yield served


async def test_sequential_requests_on_a_new_connection(server: HttpHandlerServer) -> None:
    async with (
        DelayLine("127.0.0.1", server.port, delay=DELAY) as line,
        AiohttpClient(line.url, timeout=10) as http,
    ):
        assert (await http.request("GET", "/a")).json() == {"a": 1}
        await http.request("GET", "/a")
        big = b"x" * 300_000  # a body in many chunks is still one request
        assert (await http.request("POST", "/echo", data=big)).body == big
    counted = line.counter
    assert (counted.round_trips, counted.connections, counted.requests) == (4, 1, 3)


async def test_concurrent_requests_are_one_step_after_one_connect(
    server: HttpHandlerServer,
) -> None:
    counter = RoundTrips()
    async with (
        DelayLine("127.0.0.1", server.port, delay=DELAY, counter=counter) as line,
        AiohttpClient(line.url, timeout=10) as http,
    ):
        await gather(*(http.request("GET", "/a") for _ in range(3)))
        assert (counter.round_trips, counter.connections, counter.requests) == (2, 3, 3)
        counter.reset()
        await gather(*(http.request("GET", "/a") for _ in range(3)))  # warm: pooled
        assert (counter.round_trips, counter.connections, counter.requests) == (1, 0, 3)


async def test_lines_sharing_a_counter_count_one_client(server: HttpHandlerServer) -> None:
    counter = RoundTrips()
    async with (
        DelayLine("127.0.0.1", server.port, delay=DELAY, counter=counter) as first,
        DelayLine("127.0.0.1", server.port, delay=DELAY, counter=counter) as second,
        AiohttpClient(first.url, timeout=10) as one,
        AiohttpClient(second.url, timeout=10) as other,
    ):
        await asyncio.gather(one.request("GET", "/a"), other.request("GET", "/a"))
        assert counter.round_trips == 2
        counter.reset()
        await one.request("GET", "/a")
        await other.request("GET", "/a")  # waited for the first peer's answer
        assert counter.round_trips == 2


async def test_closing_leaves_nothing_open(server: HttpHandlerServer) -> None:
    line = DelayLine("127.0.0.1", server.port, delay=0.01)
    async with line, AiohttpClient(line.url, timeout=10) as http:
        await http.request("GET", "/a")
    assert not line._connections
    with pytest.raises(ValueError, match="delay"):
        DelayLine("127.0.0.1", server.port, delay=-1)
