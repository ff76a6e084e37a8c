"""FakeOpenSearch in-process: the engine as a FakeHttpClient handler, and the same engine on TCP."""

from __future__ import annotations

import pytest

from asyncconsole import FakeClock, HttpError
from asyncconsole.infra.http import (
    AiohttpClient,
    AwsCredentials,
    BasicAuth,
    FakeHttpClient,
    SigV4Auth,
)
from asyncconsole.testing import FakeOpenSearch, FakeOpenSearchServer


async def test_fake_http_client_drives_the_engine_without_a_socket() -> None:
    cluster = FakeOpenSearch()
    async with FakeHttpClient(cluster) as http:
        created = await http.request("PUT", "/logs/_doc/1", json={"level": "info"})
        assert (created.status, created.json()["result"]) == (201, "created")
        got = await http.request("GET", "/logs/_doc/1")
        assert got.json()["_source"] == {"level": "info"}
        assert got.headers["content-type"].startswith("application/json")
        table = await http.request("GET", "/_cat/indices", params={"h": "index"})
        assert table.text == "logs\n"
    assert [r.target for r in cluster.requests] == [
        "PUT /logs/_doc/1",
        "GET /logs/_doc/1",
        "GET /_cat/indices",
    ]


async def test_client_shares_the_clusters_clock_so_refreshes_need_no_real_time() -> None:
    clock = FakeClock(auto_advance=False)
    cluster = FakeOpenSearch(clock=clock)
    async with cluster.client(retry=False) as http:
        assert http.clock is clock
        await http.request("PUT", "/logs/_doc/1", json={"n": 1})
        assert (await http.request("GET", "/logs/_count")).json()["count"] == 0
        await clock.advance(1.0)  # the default refresh_interval
        assert (await http.request("GET", "/logs/_count")).json()["count"] == 1


async def test_errors_and_auth_behave_as_over_http() -> None:
    cluster = FakeOpenSearch(auth=("admin", "pw"))
    async with cluster.client(retry=False) as anonymous:
        with pytest.raises(HttpError) as denied:
            await anonymous.request("GET", "/")
        assert denied.value.status == 401
    async with cluster.client(retry=False, auth=BasicAuth("admin", "pw")) as http:
        missing = await http.request("GET", "/nope/_doc/1", raise_for_status=False)
        assert missing.status == 404
        assert missing.json()["error"]["type"] == "index_not_found_exception"


async def test_injected_reset_is_a_connection_error_in_process() -> None:
    cluster = FakeOpenSearch()
    cluster.fail_next(1, path="/", reset=True)
    async with cluster.client(retry=False) as http:
        with pytest.raises(HttpError, match="reset"):
            await http.request("GET", "/")
        assert (await http.request("GET", "/")).status == 200


async def test_the_server_is_the_same_engine_on_a_socket() -> None:
    async with FakeOpenSearchServer() as server:
        async with AiohttpClient(server.url, retry=False) as tcp:
            await tcp.request("PUT", "/shared/_doc/1", params={"refresh": "true"}, json={"a": 1})
        async with FakeHttpClient(server) as memory:
            count = await memory.request("GET", "/shared/_count")
        assert count.json()["count"] == 1
        assert [r.target for r in server.requests] == ["PUT /shared/_doc/1", "GET /shared/_count"]


async def test_near_real_time_false_makes_writes_visible_at_once() -> None:
    cluster = FakeOpenSearch(near_real_time=False)
    assert cluster.near_real_time is False
    async with cluster.client() as http:
        await http.request("PUT", "/now/_doc/1", json={"a": 1})
        await http.request("DELETE", "/now/_doc/1")
        await http.request("PUT", "/now/_doc/2", json={"a": 2})
        assert (await http.request("GET", "/now/_count")).json()["count"] == 1
    assert FakeOpenSearch().near_real_time is True


async def test_sigv4_is_verified_in_process() -> None:
    creds = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    auth = SigV4Auth(region="us-east-1", service="es", credentials=creds)
    cluster = FakeOpenSearch(auth=auth)
    async with cluster.client(auth=auth, retry=False) as http:
        assert (await http.request("GET", "/_cat/indices", params={"v": "true"})).status == 200
    wrong = SigV4Auth(region="us-west-2", service="es", credentials=creds)
    async with cluster.client(auth=wrong, retry=False) as http:
        with pytest.raises(HttpError) as refused:
            await http.request("GET", "/")
        assert refused.value.status == 403
