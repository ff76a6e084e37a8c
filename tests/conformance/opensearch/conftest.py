"""Fixtures: a fresh fake cluster on a fake clock, and a caller that returns every answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from asyncconsole import FakeClock
from asyncconsole.infra.http import FakeHttpClient
from asyncconsole.testing import FakeOpenSearch


@dataclass
class Reply:
    """One answer: status, the body parsed (JSON) or as text, and headers."""

    status: int
    body: Any
    text: str
    headers: Mapping[str, str]

    @property
    def error_type(self) -> str | None:
        """``error.type`` of an OpenSearch error body."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("type") if isinstance(error, dict) else None

    @property
    def reason(self) -> str:
        """``error.reason`` (or the plain-string error)."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            return str(error.get("reason"))
        return str(error)


class Api:
    """``await api("PUT", "/i/_doc/1", {"a": 1}, refresh="true")`` -> :class:`Reply`."""

    def __init__(self, http: FakeHttpClient) -> None:
        self.http = http

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        ndjson: list[Any] | None = None,
        **params: str,
    ) -> Reply:
        kwargs: dict[str, Any] = {"params": params or None, "raise_for_status": False}
        if ndjson is not None:
            kwargs["data"] = "".join(json.dumps(line) + "\n" for line in ndjson).encode()
            kwargs["headers"] = {"Content-Type": "application/x-ndjson"}
        elif body is not None:
            kwargs["json"] = body
        response = await self.http.request(method, path, **kwargs)
        text = response.text
        parsed: Any = text
        if response.headers.get("content-type", "").startswith("application/json") and text:
            parsed = response.json()
        return Reply(response.status, parsed, text, response.headers)

    async def ok(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        """The body of a call that must succeed."""
        reply = await self(method, path, body, ndjson=None, **params)
        assert reply.status < 300, f"{method} {path} -> {reply.status}: {reply.text}"
        return reply.body


@pytest.fixture
def clock() -> FakeClock:
    """The cluster's clock: time moves only when something sleeps or a test advances it."""
    return FakeClock()


@pytest.fixture
def cluster(clock: FakeClock) -> FakeOpenSearch:
    """A fresh, empty fake cluster with OpenSearch's defaults (near-real-time search)."""
    return FakeOpenSearch(clock=clock)


@pytest.fixture
async def api(cluster: FakeOpenSearch) -> AsyncIterator[Api]:
    """A caller for ``cluster``, in process, without retries."""
    async with cluster.client(retry=False) as http:
        yield Api(http)
