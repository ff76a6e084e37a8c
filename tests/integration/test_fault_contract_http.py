"""The fault contract for the real HTTP client: a FaultProxy in front of a real HTTP server."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from asyncconsole import RetryPolicy
from asyncconsole.infra.http import AiohttpClient, HttpRequest, HttpResponse
from asyncconsole.infra.http._client import should_retry
from asyncconsole.testing import (
    FaultCall,
    FaultProxy,
    HttpHandlerServer,
    ProxyInjector,
    check_fault_contract,
)

pytestmark = pytest.mark.integration

TIMEOUT = 1.0
PATIENT = RetryPolicy(
    attempts=8,
    wait_initial=0.01,
    wait_max=0.05,
    wait_jitter=0.0,
    timeout=None,
    retry_on=should_retry,
)
_names = itertools.count()


class Items:
    """A peer with creates that refuse a second time, as OpenSearch's do."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if request.method == "PUT" and path.startswith("/items/"):
            if path in self.items:
                return HttpResponse.build(400, json={"error": "resource_already_exists"})
            self.items[path] = json.loads(request.body or b"{}")
            return HttpResponse.build(200, json={"acknowledged": True})
        if request.method == "POST" and path == "/search":
            return HttpResponse.build(200, json={"hits": len(self.items)})
        return HttpResponse.build(200, json=sorted(self.items))


async def _create(http: AiohttpClient) -> HttpResponse:
    return await http.request("PUT", f"/items/{next(_names)}", json={"n": 1})


async def _decoded(http: AiohttpClient) -> Any:
    return (await http.request("GET", "/items")).json()


CALLS: list[FaultCall[AiohttpClient]] = [
    FaultCall(
        "GET",
        lambda http: http.request("GET", "/items"),
        True,
        HttpResponse,
        path=r"^/items$",
        method="GET",
    ),
    FaultCall("GET + json()", _decoded, True, path=r"^/items$", method="GET"),
    FaultCall(
        "POST search (retry=True)",
        lambda http: http.request("POST", "/search", json={}, retry=True),
        True,
        HttpResponse,
        path=r"^/search$",
        method="POST",
    ),
    FaultCall("PUT create", _create, False, HttpResponse, path=r"^/items/\d+$", method="PUT"),
]


async def test_aiohttp_client_keeps_the_fault_contract() -> None:
    async with HttpHandlerServer(Items()) as peer, FaultProxy(peer.url, seed=7) as proxy:

        @asynccontextmanager
        async def open_client() -> AsyncIterator[AiohttpClient]:
            async with AiohttpClient(proxy.url, timeout=TIMEOUT, retry=PATIENT) as http:
                yield http

        await check_fault_contract(open_client, CALLS, ProxyInjector(proxy), timeout=TIMEOUT)
