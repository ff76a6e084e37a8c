"""The HTTP contract suite against AiohttpClient talking to a real local aiohttp server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from asyncconsole.infra.http import AiohttpClient
from asyncconsole.testing import HttpContractHandler, HttpHandlerServer, check_http_client

pytestmark = pytest.mark.integration


@pytest.fixture
async def contract_server() -> AsyncIterator[HttpHandlerServer]:
    async with HttpHandlerServer(HttpContractHandler()) as server:
        yield server


async def test_aiohttp_client_meets_contract(contract_server: HttpHandlerServer) -> None:
    def make(**options: Any) -> AiohttpClient:
        return AiohttpClient(contract_server.url, **options)

    await check_http_client(make, slow_seconds=1.0)
