"""End to end: AiohttpClient signs and sends; a local server re-verifies with botocore."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest

from asyncconsole.infra.http import AiohttpClient, AwsCredentials, HttpError, SigV4Auth
from asyncconsole.infra.http._server import HttpHandlerServer
from tests.fixtures.http_servers import SIGV4_CREDENTIALS, SigV4Verifier

pytestmark = pytest.mark.integration

Server = tuple[HttpHandlerServer, SigV4Verifier]


def creds(access_key: str) -> AwsCredentials:
    secret, token = SIGV4_CREDENTIALS[access_key]
    return AwsCredentials(access_key, secret, token)


@pytest.mark.parametrize("access_key", sorted(SIGV4_CREDENTIALS))
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/_cat/indices?format=json&v=true",
        "/my index/_doc/ü 1",
        "/logs-2024.05.*,-.kibana/_search",
        "/already%20encoded/a+b/%E4%B8%AD",
        "/odd%zz/100%/x",
        "/a//b/./c/../d",
    ],
)
async def test_signed_requests_are_accepted(
    sigv4_server: Server, access_key: str, path: str
) -> None:
    server, verifier = sigv4_server
    auth = SigV4Auth(region="us-east-1", service="es", credentials=creds(access_key))
    async with AiohttpClient(server.url, auth=auth, timeout=5.0) as http:
        r = await http.request(
            "GET", path, params=[("z", "last"), ("a", "x y"), ("a", "ü/&=")], retry=False
        )
        assert r.json()["verified"] is True, verifier.rejected
        # The path arrived decoded to what the caller meant.
        sent_path = r.json()["raw_path"]
        expected = path.split("?")[0].replace("%zz", "%25zz").replace("100%/", "100%25/")
        assert unquote(sent_path) == unquote(expected)
        assert ["a", "ü/&="] in r.json()["query"]


async def test_bodies_are_signed(sigv4_server: Server) -> None:
    server, verifier = sigv4_server
    auth = SigV4Auth(region="us-east-1", credentials=creds("ASIATOKEN"))
    async with AiohttpClient(server.url, auth=auth, timeout=5.0) as http:
        r = await http.request("POST", "/idx/_search", json={"query": {"match": {"t": "ü"}}})
        assert r.json()["verified"] is True
        raw = bytes(range(256)) * 4
        r = await http.request("PUT", "/blob", data=raw, headers={"X-Custom": "  a   b "})
        assert r.json()["body_sha256"] == hashlib.sha256(raw).hexdigest()
        r = await http.request("DELETE", "/idx", data=b"")
        assert r.json()["verified"] is True
    assert len(verifier.verified) == 3


async def test_signing_endpoint_for_a_proxy(sigv4_server: Server) -> None:
    server, _ = sigv4_server
    auth = SigV4Auth(
        region="us-east-1",
        credentials=creds("AKIDPLAIN"),
        signing_endpoint="https://search-domain.us-east-1.es.amazonaws.com",
    )
    async with AiohttpClient(server.url, auth=auth, timeout=5.0) as http:
        r = await http.request("GET", "/my index/_count", params={"q": "a:b"})
    assert r.json()["verified"] is True
    assert r.json()["host"] == "search-domain.us-east-1.es.amazonaws.com"


async def test_a_wrong_signature_is_rejected(sigv4_server: Server) -> None:
    server, verifier = sigv4_server
    wrong = AwsCredentials("AKIDPLAIN", "not-the-secret")
    async with AiohttpClient(
        server.url, auth=SigV4Auth("us-east-1", credentials=wrong), timeout=5
    ) as http:
        with pytest.raises(HttpError) as caught:
            await http.request("GET", "/idx")
    assert caught.value.status == 403
    assert "signature" in caught.value.body_excerpt
    assert "not-the-secret" not in str(caught.value)
    assert verifier.rejected
