"""Secrets never reach the dashboard's page or API: a config holding passwords (one of them
wrong, so its check fails and reports an error) is served, and no answer, asset or event
carries a password or the basic-auth header made from it."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from asyncconsole import Environment
from asyncconsole.serve import DashboardServer, DashboardSettings
from asyncconsole.serve._api import ROUTES
from asyncconsole.testing import FakeOpenSearchServer

pytestmark = pytest.mark.integration

SOURCE_PASSWORD = "Source-Pa55word-1b9c"
TARGET_PASSWORD = "Target-Pa55word-77ad"
WRONG_PASSWORD = "Wrong-Pa55word-e3f0"
SECRETS = (SOURCE_PASSWORD, TARGET_PASSWORD, WRONG_PASSWORD)


def _encoded(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
async def served() -> AsyncIterator[DashboardServer]:
    async with (
        FakeOpenSearchServer(auth=("admin", SOURCE_PASSWORD)) as source,
        FakeOpenSearchServer(auth=("admin", TARGET_PASSWORD)) as target,
    ):
        source.create_index("logs", [{"n": 1}])
        env = Environment.from_dict(
            {
                "source_cluster": {
                    "endpoint": source.url,
                    "basic_auth": {"username": "admin", "password": SOURCE_PASSWORD},
                },
                "target_cluster": {  # the wrong password: its check fails with 401
                    "endpoint": target.url,
                    "basic_auth": {"username": "admin", "password": WRONG_PASSWORD},
                },
            }
        )
        async with env, DashboardServer(env, DashboardSettings()) as server:
            yield server


async def test_no_answer_carries_a_secret(served: DashboardServer) -> None:
    forbidden = [*SECRETS, *(_encoded("admin", p) for p in SECRETS)]
    seen: dict[str, str] = {}
    async with aiohttp.ClientSession(served.base_url) as http:
        paths = ["/", "/static/app.js", "/static/index.html"]
        paths += [r.path for r in ROUTES if r.method == "GET" and r.path != "/api/events"]
        for path in paths:
            async with http.get(path) as answer:
                seen[path] = await answer.text()
        check = json.loads(seen["/api/check"])["components"]
        assert check["source_cluster"]["status"] == "ok"
        assert check["target_cluster"]["status"] == "failed"  # and says why, without secrets
        assert "401" in check["target_cluster"]["detail"]
        described = json.loads(seen["/api/environment"])
        assert described["source_cluster"]["basic_auth"]["password"] == "********"
        async with http.get("/api/events", params={"topics": "overview,clusters"}) as stream:
            events = []
            async for line in stream.content:
                if line.startswith(b"data: "):
                    events.append(line.decode())
                    if len(events) >= 2 and '"document":{' in events[-1]:
                        break
        seen["/api/events"] = "".join(events)
    leaks = {path: s for path, text in seen.items() for s in forbidden if s in text}
    assert leaks == {}
