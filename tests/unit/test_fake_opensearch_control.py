"""FakeOpenSearchServer: authentication, SigV4 verification, faults, latency, request log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import pytest

from asyncconsole._clock import FakeClock
from asyncconsole.infra.http import (
    AiohttpClient,
    AwsCredentials,
    BasicAuth,
    HttpError,
    SigV4Auth,
    sign_sigv4,
)
from asyncconsole.testing import FakeOpenSearchServer
from tests.fixtures.opensearch import OpenSearchHttp, open_http

CREDS = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")


@pytest.mark.parametrize("auth", [("admin", "pw"), BasicAuth("admin", "pw")])
async def test_basic_auth(auth: object) -> None:
    async with FakeOpenSearchServer(auth=auth) as server, open_http(server) as http:
        anonymous = await http("GET", "/")
        assert anonymous.status == 401
        assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="OpenSearch Security"'
        assert anonymous.text == "Unauthorized"
        wrong = await http("GET", "/", auth=("admin", "nope"))
        assert wrong.status == 401
        right = await http("GET", "/_cluster/health", auth=("admin", "pw"))
        assert right.status == 200


async def test_sigv4_with_the_project_client() -> None:
    auth = SigV4Auth(region="us-east-1", service="es", credentials=CREDS)
    async with FakeOpenSearchServer(auth=auth) as server:
        async with AiohttpClient(server.url, auth=auth, timeout=5, retry=False) as client:
            assert (await client.request("GET", "/")).json()["cluster_name"] == "fake-opensearch"
            created = await client.request("PUT", "/my-index", json={"settings": {}})
            assert created.json()["acknowledged"] is True
            await client.request(
                "PUT", "/my-index/_doc/a b", params={"refresh": "true"}, json={"t": "ü"}
            )
            found = await client.request(
                "POST",
                "/my-index/_search",
                params={"size": "1"},
                json={"query": {"ids": {"values": ["a b"]}}},
            )
            assert found.json()["hits"]["hits"][0]["_source"] == {"t": "ü"}
        wrong_secret = SigV4Auth(
            region="us-east-1",
            service="es",
            credentials=AwsCredentials("AKIDEXAMPLE", "x", "session-token"),
        )
        async with AiohttpClient(server.url, auth=wrong_secret, timeout=5, retry=False) as client:
            with pytest.raises(HttpError) as caught:
                await client.request("GET", "/_cat/indices")
            assert caught.value.status == 403
            assert "signature" in caught.value.body_excerpt
        wrong_region = SigV4Auth(region="eu-west-1", service="es", credentials=CREDS)
        async with AiohttpClient(server.url, auth=wrong_region, timeout=5, retry=False) as client:
            with pytest.raises(HttpError) as region_error:
                await client.request("GET", "/")
            assert region_error.value.status == 403
        async with open_http(server) as http:
            unsigned = await http("GET", "/")
            assert unsigned.status == 403
            assert unsigned.body == {"message": "Missing Authentication Token"}


async def test_sigv4_signed_by_botocore_is_accepted() -> None:
    botocore_auth = pytest.importorskip("botocore.auth")
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    async with FakeOpenSearchServer(
        auth=SigV4Auth(region="us-west-2", service="es", credentials=CREDS)
    ) as server:
        body = b'{"query": {"match_all": {}}}'
        url = f"{server.url}/_search?size=5&q=x"
        request = AWSRequest(
            method="POST", url=url, data=body, headers={"Content-Type": "application/json"}
        )
        signer = botocore_auth.SigV4Auth(
            Credentials(CREDS.access_key, CREDS.secret_key.get(), "session-token"),
            "es",
            "us-west-2",
        )
        signer.add_auth(request)
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=dict(request.headers.items())) as reply:
                assert reply.status == 200, await reply.text()
            tampered = dict(request.headers.items())
            async with session.post(url, data=b"{}", headers=tampered) as reply:
                assert reply.status == 403


async def test_sigv4_pure_signer_and_expired_clock_free() -> None:
    # A signature made with sign_sigv4 at any time verifies (the fake does not police skew).
    async with FakeOpenSearchServer(
        auth=SigV4Auth(region="us-east-1", service="aoss", credentials=CREDS)
    ) as server:
        url = f"{server.url}/_cat/indices?format=json"
        headers = sign_sigv4(
            "GET",
            url,
            {"Host": f"127.0.0.1:{server.port}"},
            b"",
            credentials=CREDS,
            region="us-east-1",
            service="aoss",
            timestamp=datetime(2024, 1, 1, tzinfo=UTC),
        )
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as reply:
            assert reply.status == 200
            assert await reply.json() == []


async def test_fault_injection(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> None:
    opensearch_server.fail_next(
        2,
        method="GET",
        path=r"^/_cat/",
        status=429,
        headers={"Retry-After": "3"},
    )
    first = await os_http("GET", "/_cat/indices")
    assert first.status == 429
    assert first.headers["Retry-After"] == "3"
    assert first.body["error"]["type"] == "rejected_execution_exception"
    assert (await os_http("GET", "/")).status == 200  # other paths are untouched
    assert (await os_http("GET", "/_cat/indices")).status == 429
    assert (await os_http("GET", "/_cat/indices")).status == 200  # the two faults are used up

    opensearch_server.fail_next(status=503, error_type="cluster_block_exception", reason="blocked")
    blocked = await os_http("POST", "/x/_doc", {"a": 1})
    assert blocked.status == 503
    assert blocked.body["error"]["reason"] == "blocked"

    opensearch_server.fail_next(method="POST", path="/_bulk$", reset=True)
    with pytest.raises(aiohttp.ClientError):
        await os_http(
            "POST",
            "/_bulk",
            data=b'{"index": {"_index": "r"}}\n{"a": 1}\n',
            headers={"Content-Type": "application/x-ndjson"},
        )
    assert "r" not in opensearch_server.index_names
    assert (await os_http("GET", "/")).status == 200

    opensearch_server.fail_next(5, path="never")
    opensearch_server.clear_faults()
    assert (await os_http("GET", "/never")).status == 404


async def test_latency_global_and_per_route_uses_the_clock() -> None:
    clock = FakeClock()
    async with FakeOpenSearchServer(clock=clock, latency=0.3) as server, open_http(server) as http:
        await http("GET", "/")
        assert clock.sleeps == [0.3]
        server.add_latency(2.0, method="POST", path=r"/_search$")
        await http("POST", "/_search", {})
        await http("GET", "/_search")
        assert clock.sleeps == [0.3, 2.0, 0.3]
        server.latency = 0
        server.clear_faults()
        await http("GET", "/")
        assert clock.sleeps == [0.3, 2.0, 0.3]


async def test_latency_on_real_time_lets_requests_overlap() -> None:
    async with FakeOpenSearchServer(latency=0.2) as server, open_http(server) as http:
        loop = asyncio.get_running_loop()
        started = loop.time()
        replies = await asyncio.gather(*(http("GET", "/") for _ in range(5)))
        elapsed = loop.time() - started
        assert [r.status for r in replies] == [200] * 5
        assert elapsed >= 0.2
        assert len(server.requests) == 5


async def test_request_log(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> None:
    await os_http("GET", "/_cat/indices/_all?v=true")
    await os_http(
        "POST",
        "/idx/_search",
        {"size": 0, "query": {"match_all": {}}},
        headers={"X-Trace": "abc"},
    )
    log = opensearch_server.requests
    assert [r.target for r in log] == ["GET /_cat/indices/_all", "POST /idx/_search"]
    assert log[0].query == {"v": "true"}
    assert log[0].raw_query == "v=true"
    assert log[0].json() is None
    assert log[1].json() == {"size": 0, "query": {"match_all": {}}}
    assert log[1].headers["x-trace"] == "abc"
    assert log[1].headers["Content-Type"] == "application/json"
    assert opensearch_server.requests_matching("POST") == [log[1]]
    assert opensearch_server.requests_matching(path=r"_cat") == [log[0]]
    opensearch_server.clear_requests()
    assert opensearch_server.requests == []


async def test_bulk_bodies_are_logged_as_ndjson(
    opensearch_server: FakeOpenSearchServer, os_http: OpenSearchHttp
) -> None:
    await os_http(
        "POST",
        "/_bulk",
        data='{"index": {"_index": "a"}}\n{"x": 1}\n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert opensearch_server.requests[-1].json() == [{"index": {"_index": "a"}}, {"x": 1}]


async def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="distribution"):
        FakeOpenSearchServer(distribution="solr")
    with pytest.raises(TypeError, match="unsupported auth"):
        FakeOpenSearchServer(auth="admin:pw")
    with pytest.raises(ValueError, match="credentials"):
        FakeOpenSearchServer(auth=SigV4Auth(region="us-east-1"))
    server = FakeOpenSearchServer()
    assert "not started" in repr(server)
    await server.aclose()
