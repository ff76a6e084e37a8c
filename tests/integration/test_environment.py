"""Environment against real peers: local HTTP servers, moto, the fake Kubernetes API server,
and FakeOpenSearchServer, through the real clients the environment builds itself."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import Environment
from asyncconsole.environment import Infrastructure, SecretBasicAuth
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.http import AiohttpClient, HttpRequest, HttpResponse
from asyncconsole.infra.http._server import HttpHandlerServer
from asyncconsole.testing import FakeKubernetesApiServer

pytestmark = pytest.mark.integration

OS_ROOT = {
    "name": "node-1",
    "cluster_name": "local",
    "version": {"number": "2.15.0", "distribution": "opensearch"},
}
UA_EXTRA = "test-user-agent-v1.0"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Recorder:
    """One local server playing every peer: clusters under path prefixes, Prometheus, and an
    AWS endpoint (requests with ``X-Amz-Target``) that refuses politely."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, HttpRequest]] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("x-amz-target"):
            self.seen.append(("aws:" + request.headers["x-amz-target"].split(".")[0], request))
            return HttpResponse.build(
                400, json={"__type": "ClientException", "message": "not here"}
            )
        for cluster in ("source", "target", "proxy"):
            if request.path.startswith(f"/{cluster}"):
                self.seen.append((cluster, request))
                return HttpResponse.build(200, json=OS_ROOT)
        self.seen.append(("prometheus", request))
        if request.path.endswith("/-/ready"):
            return HttpResponse.build(200, text="Prometheus Server is Ready.")
        return HttpResponse.build(200, json={"status": "success", "data": []})


async def test_user_agent_extra_reaches_every_client(aws_env: dict[str, str]) -> None:
    recorder = Recorder()
    async with HttpHandlerServer(recorder) as server:
        url = server.url
        config = {
            "source_cluster": {
                "endpoint": f"{url}/source",
                "no_auth": None,
                "proxy": {"endpoint": f"{url}/proxy"},
            },
            "target_cluster": {
                "endpoint": f"{url}/target",
                "basic_auth": {"username": "admin", "password": "pw"},
            },
            "metrics_source": {"prometheus": {"endpoint": url}},
            "backfill": {
                "reindex_from_snapshot": {
                    "ecs": {"cluster_name": "c", "service_name": "rfs", "aws_region": "us-east-1"}
                }
            },
            "replay": {
                "ecs": {"cluster_name": "c", "service_name": "replayer", "aws_region": "us-east-2"}
            },
            "client_options": {"user_agent_extra": UA_EXTRA},
        }
        env = Environment.from_dict(config, infra=Infrastructure(aws_endpoint_url=url))
        async with env:
            report = await env.check(timeout=30)
    assert report["source_cluster"].ok, report["source_cluster"].detail
    assert report["target_cluster"].ok, report["target_cluster"].detail
    assert report["proxy"].ok, report["proxy"].detail
    who = {name for name, _ in recorder.seen}
    assert {
        "source",
        "target",
        "proxy",
        "prometheus",
        "aws:AmazonEC2ContainerServiceV20141113",
    } <= who
    for name, request in recorder.seen:
        agent = request.headers.get("user-agent", "")
        assert UA_EXTRA in agent, (name, agent)
    # two ECS regions: two clients, each with the suffix
    ecs_requests = [r for n, r in recorder.seen if n.startswith("aws:")]
    regions = {r.headers["authorization"].split("/")[2] for r in ecs_requests}
    assert regions == {"us-east-1", "us-east-2"}


async def test_secrets_manager_basic_auth_against_moto(moto_endpoint: str) -> None:
    options = AwsClientOptions(region="us-east-1", endpoint_url=moto_endpoint)
    async with open_aws_client("secretsmanager", options) as sm:
        created = await sm.create_secret(
            Name="target-basic", SecretString='{"username": "svc-user", "password": "p@ss:word"}'
        )
    arn = created["ARN"]
    recorder = Recorder()
    async with HttpHandlerServer(recorder) as server:
        config = {
            "target_cluster": {
                "endpoint": f"{server.url}/target",
                "basic_auth": {"user_secret_arn": arn},
            }
        }
        env = Environment.from_dict(config, infra=Infrastructure(aws_endpoint_url=moto_endpoint))
        assert env.target_cluster is not None
        async with env:
            report = await env.check()
            await asyncio.gather(*(env.target_cluster.call_api("/_cat/indices") for _ in range(10)))
        auth = env.target_cluster.http.auth  # type: ignore[attr-defined]
    assert report["target_cluster"].ok, report["target_cluster"].detail
    headers = {r.headers.get("authorization") for _, r in recorder.seen}
    assert headers == {_basic("svc-user", "p@ss:word")}
    assert len(recorder.seen) == 11
    assert isinstance(auth, SecretBasicAuth)
    assert auth.fetches == 1
    kinds = {type(obj).__name__ for _, obj in env.resources}
    assert "AwsSecretsManager" in kinds
    assert all(obj.closed for _, obj in env.resources)


async def test_k8s_secret_basic_auth_through_the_fake_api_server(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    from asyncconsole.infra.kubernetes import KubernetesManager

    kube_server.add_secret("ma", "target-creds", {"username": "kube-user", "password": "kube-pw"})
    recorder = Recorder()
    async with HttpHandlerServer(recorder) as server:
        config = {
            "target_cluster": {
                "endpoint": f"{server.url}/target",
                "basic_auth": {"k8s_secret_name": "target-creds"},
            }
        }
        k8s = KubernetesManager(kubeconfig=kubeconfig)
        env = Environment.from_dict(config, infra=Infrastructure(k8s=k8s))
        assert env.target_cluster is not None
        async with env:
            await asyncio.gather(*(env.target_cluster.call_api("/") for _ in range(5)))
            report = await env.check()
        assert k8s.closed
    assert report["target_cluster"].ok, report["target_cluster"].detail
    assert {r.headers.get("authorization") for _, r in recorder.seen} == {
        _basic("kube-user", "kube-pw")
    }
    secret_reads = [r for r in kube_server.requests if "/secrets/" in r.path]
    assert len(secret_reads) == 1
    assert secret_reads[0].path == "/api/v1/namespaces/ma/secrets/target-creds"


async def test_check_end_to_end_against_fake_opensearch_servers() -> None:
    from asyncconsole.testing import FakeOpenSearchServer

    async with (
        FakeOpenSearchServer(version="7.10.2", distribution="elasticsearch") as source,
        FakeOpenSearchServer(version="2.15.0") as target,
    ):
        config: dict[str, Any] = {
            "source_cluster": {"endpoint": source.url, "version": "ES_7.10", "no_auth": None},
            "target_cluster": {"endpoint": target.url, "no_auth": None},
            "snapshot": {"snapshot_name": "snap1", "fs": {"repo_path": "/tmp/snapshots"}},
        }
        async with Environment.from_dict(config) as env:
            report = await env.check()
            clients = [obj for _, obj in env.resources if isinstance(obj, AiohttpClient)]
            assert len(clients) == 2
        assert all(client.closed for client in clients)
    assert report["source_cluster"].ok, report["source_cluster"].detail
    assert "7.10.2" in report["source_cluster"].detail
    assert report["target_cluster"].ok, report["target_cluster"].detail
    assert "2.15.0" in report["target_cluster"].detail
    assert "snapshot" in report
    data = report.to_dict()["components"]
    assert set(data) == {"source_cluster", "target_cluster", "snapshot"}
    html = report._repr_html_()
    assert "source_cluster" in html


async def test_unreachable_cluster_fails_its_check_only() -> None:
    from tests.fixtures.peers import free_port

    async with HttpHandlerServer(Recorder()) as server:
        config = {
            "source_cluster": {"endpoint": f"{server.url}/source", "no_auth": None},
            "target_cluster": {"endpoint": f"http://127.0.0.1:{free_port()}", "no_auth": None},
        }
        async with Environment.from_dict(config) as env:
            report = await env.check(timeout=20)
    assert report["source_cluster"].ok
    assert report["target_cluster"].status == "failed"


async def test_proxy_requests_are_signed_for_the_source_domain(
    sigv4_server: tuple[HttpHandlerServer, Any],
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fixtures.http_servers import SIGV4_CREDENTIALS

    secret, _ = SIGV4_CREDENTIALS["AKIDPLAIN"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDPLAIN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    server, verifier = sigv4_server
    domain = "https://search-migration.us-east-1.es.amazonaws.com"
    config = {
        "source_cluster": {
            "endpoint": domain,
            "sigv4": {"region": "us-east-1", "service": "es"},
            "proxy": {"endpoint": server.url},
        }
    }
    async with Environment.from_dict(config) as env:
        assert env.proxy is not None
        answer = await env.proxy.call_api("/logs/_search", "POST", json={"size": 1})
    assert answer.json()["verified"] is True
    assert verifier.rejected == []
    (request,) = verifier.verified
    assert request.headers["host"] == "search-migration.us-east-1.es.amazonaws.com"
    assert "/us-east-1/es/aws4_request" in request.headers["authorization"]
