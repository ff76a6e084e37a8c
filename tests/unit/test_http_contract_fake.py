"""The HTTP contract suite against FakeHttpClient (always runs, no sockets)."""

from __future__ import annotations

from typing import Any

import pytest

from asyncconsole.infra.http import FakeHttpClient
from asyncconsole.testing import HttpContractHandler, check_http_client


async def test_fake_http_client_meets_contract() -> None:
    def make(**options: Any) -> FakeHttpClient:
        return FakeHttpClient(HttpContractHandler(options.get("clock")), **options)

    await check_http_client(make)


async def test_contract_catches_a_client_that_never_raises() -> None:
    """The suite is not vacuous: a client that ignores raise_for_status fails it."""

    class Lenient(FakeHttpClient):
        async def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs["raise_for_status"] = False
            return await super().request(*args, **kwargs)

    def make(**options: Any) -> FakeHttpClient:
        return Lenient(HttpContractHandler(options.get("clock")), **options)

    with pytest.raises(AssertionError, match="status_errors"):
        await check_http_client(make)
