"""Cluster end to end: real AiohttpClient against FakeOpenSearchServer (no auth, basic, SigV4)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asyncconsole._errors import HttpError
from asyncconsole.config import ClusterConfig
from asyncconsole.infra.http import AiohttpClient, AwsCredentials, BasicAuth, HttpAuth, SigV4Auth
from asyncconsole.services.clusters import Cluster
from asyncconsole.testing import FakeOpenSearchServer

pytestmark = pytest.mark.integration

CREDENTIALS = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
AUTHS: dict[str, tuple[Any, dict[str, Any], HttpAuth | None]] = {
    "no_auth": (None, {"no_auth": None}, None),
    "basic_auth": (
        ("admin", "pa55:word"),
        {"basic_auth": {"username": "admin", "password": "pa55:word"}},
        BasicAuth("admin", "pa55:word"),
    ),
    "sigv4": (
        SigV4Auth(region="us-east-1", service="es", credentials=CREDENTIALS),
        {"sigv4": {"region": "us-east-1", "service": "es"}},
        SigV4Auth(region="us-east-1", service="es", credentials=CREDENTIALS),
    ),
}


@contextlib.asynccontextmanager
async def cluster_on(
    kind: str, **server_kwargs: Any
) -> AsyncIterator[tuple[Cluster, FakeOpenSearchServer]]:
    server_auth, config_auth, client_auth = AUTHS[kind]
    async with FakeOpenSearchServer(auth=server_auth, **server_kwargs) as server:
        config = ClusterConfig(endpoint=server.url, **config_auth)
        async with AiohttpClient(base_url=server.url, auth=client_auth, timeout=10) as http:
            yield Cluster(config, http, name="target"), server


@pytest.mark.parametrize("kind", sorted(AUTHS))
async def test_connection_and_indices_per_auth(kind: str) -> None:
    async with cluster_on(kind) as (cluster, server):
        server.create_index("logs", [{"n": i} for i in range(5)], replicas=0)
        status = await cluster.connection_check()
        assert status.connected, status.message
        assert status.version == "2.15.0"
        assert await cluster.check() == "connected, OpenSearch 2.15.0"
        rows = await cluster.cat_indices(refresh=True)
        assert [(r.index, r.docs_count) for r in rows] == [("logs", 5)]
        text = await cluster.cat_indices_text()
        assert text.splitlines()[0].split()[:3] == ["health", "status", "index"]
        assert "logs" in text
        # bodies (scroll pages, the scroll clean-up) are signed and authenticated too
        pages = [page async for page in cluster.scroll("logs", batch_size=2)]
        assert [len(page) for page in pages] == [2, 2, 1]
        assert sorted(hit["_source"]["n"] for page in pages for hit in page) == list(range(5))
        assert server.open_scrolls == 0
        cleared = await cluster.clear_indices(confirm=True)
        assert cleared.deleted == ("logs",)
        assert server.index_names == []


@pytest.mark.parametrize("kind", ["basic_auth", "sigv4"])
async def test_wrong_credentials_fail_the_check(kind: str) -> None:
    server_auth, config_auth, _ = AUTHS[kind]
    wrong: HttpAuth = (
        BasicAuth("admin", "nope")
        if kind == "basic_auth"
        else SigV4Auth(
            region="us-east-1",
            service="es",
            credentials=AwsCredentials("AKIDEXAMPLE", "wrong-secret"),
        )
    )
    async with FakeOpenSearchServer(auth=server_auth) as server:
        config = ClusterConfig(endpoint=server.url, **config_auth)
        async with AiohttpClient(base_url=server.url, auth=wrong, timeout=10) as http:
            cluster = Cluster(config, http, name="source")
            status = await cluster.connection_check()
            assert not status.connected
            with pytest.raises(HttpError) as err:
                await cluster.check()
            assert err.value.status in (401, 403)
            assert "nope" not in str(err.value)
            assert "wrong-secret" not in str(err.value)


async def test_curl_and_call_api() -> None:
    async with cluster_on("no_auth") as (cluster, server):
        created = await cluster.curl("books", "PUT", json='{"settings": {"number_of_shards": 2}}')
        assert created.status == 200
        missing = await cluster.curl("/nothing/_doc/1")
        assert missing.status == 404
        head = await cluster.call_api("/books", "HEAD")
        assert head.status == 200
        assert server.index("books") is not None


async def test_clear_indices_wildcard_and_destructive_requires_name() -> None:
    async with cluster_on("sigv4") as (cluster, server):
        for name in ("logs", "geonames", ".kibana", ".migrations_working_state"):
            server.create_index(name, [{"a": 1}])
        result = await cluster.clear_indices(confirm=True)
        assert result.method == "wildcard"
        assert set(result.deleted) == {"logs", "geonames", ".migrations_working_state"}
        assert server.index_names == [".kibana"]

        for name in ("a1", "a2", "a3"):
            server.create_index(name)
        server.set_cluster_setting("action.destructive_requires_name", True)
        result = await cluster.clear_indices(confirm=True)
        assert result.method == "by_name"
        assert sorted(result.deleted) == ["a1", "a2", "a3"]
        assert server.index_names == [".kibana"]


async def test_scroll_streams_every_document_and_releases_contexts() -> None:
    async with cluster_on("basic_auth") as (cluster, server):
        server.create_index("docs", [(str(i), {"n": i}) for i in range(250)])
        pages = [page async for page in cluster.scroll("docs", batch_size=100)]
        assert [len(p) for p in pages] == [100, 100, 50]
        assert sorted(int(h["_id"]) for p in pages for h in p) == list(range(250))
        assert server.open_scrolls == 0

        async with contextlib.aclosing(cluster.scroll("docs", batch_size=10)) as stream:
            async for _ in stream:
                break
        assert server.open_scrolls == 0

        query = {"range": {"n": {"gte": 240}}}
        found = [h["_source"]["n"] async for p in cluster.scroll("docs", query=query) for h in p]
        assert sorted(found) == list(range(240, 250))
