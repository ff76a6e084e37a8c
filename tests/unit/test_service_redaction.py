"""Credentials never leave the services: passwords written into URLs are masked at the source
(``describe()``, check details, reprs, error messages, the benchmark command line), and no
password reaches the logs (console_link logged cluster configs, passwords included, at INFO)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from asyncconsole import ConfigError, Environment, FakeClock
from asyncconsole._errors import ConfirmationRequiredError
from asyncconsole._redact import mask_described, mask_url, mask_urls_in
from asyncconsole.config import ClusterConfig
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.commands import FakeCommandExecutor
from asyncconsole.infra.docker import FakeDockerManager
from asyncconsole.infra.http import AiohttpClient, FakeHttpClient, HttpAuth, HttpClient
from asyncconsole.infra.metrics import FakeMetricsCollector, PrometheusMetricsCollector
from asyncconsole.infra.secrets import FakeSecretStore
from asyncconsole.services.clusters import Cluster
from asyncconsole.testing import FakeOpenSearchServer

OS_ROOT = {"version": {"number": "2.15.0", "distribution": "opensearch"}}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://admin:hunter2@host:9200/p?q=1", "https://admin:********@host:9200/p?q=1"),
        ("https://host:9200", "https://host:9200"),
        ("https://admin@host", "https://admin@host"),
        ("http://u:p:q@h", "http://u:********@h"),
        ("https://u:p@w@h/", "https://u:********@h/"),
        ("not a url @ all", "not a url @ all"),
    ],
)
def test_mask_url(url: str, expected: str) -> None:
    assert mask_url(url) == expected


def test_masking_text_and_described_data() -> None:
    text = "see https://u:hunter2@a:1 and http://v:hunter3@b/x"
    assert mask_urls_in(text) == "see https://u:********@a:1 and http://v:********@b/x"
    described = mask_described(
        {
            "endpoint": "https://u:hunter2@a",
            "command": [
                "--target-host",
                "https://u:hunter2@a",
                "--target-password",
                "hunter2",
                "--source-api-key=hunter2",
                "--snapshot-name",
                "snap",
            ],
            "environment": {"RFS_TARGET_PASSWORD": "hunter2", "API_KEY": "k", "MODE": "fast"},
            "scale": 3,
        }
    )
    assert "hunter2" not in json.dumps(described)
    assert described["environment"] == {
        "RFS_TARGET_PASSWORD": "********",
        "API_KEY": "********",
        "MODE": "fast",
    }
    assert described["command"] == [
        "--target-host",
        "https://u:********@a",
        "--target-password",
        "********",
        "--source-api-key=********",
        "--snapshot-name",
        "snap",
    ]
    assert described["scale"] == 3


def url_cluster(endpoint: str = "https://admin:hunter2@target:9200") -> Cluster:
    config = ClusterConfig(endpoint=endpoint, no_auth=None)
    http = FakeHttpClient(base_url=endpoint)  # as the environment wires it
    return Cluster(config, http, name="target", clock=FakeClock())


async def test_cluster_with_a_password_in_its_url() -> None:
    cluster = url_cluster()
    described = cluster.describe()
    assert described["endpoint"] == "https://admin:********@target:9200"
    assert "hunter2" not in json.dumps(described) + repr(cluster)
    with pytest.raises(ConfirmationRequiredError) as refused:
        await cluster.clear_indices(confirm=False)
    assert "hunter2" not in str(refused.value)
    assert "admin:********@target" in str(refused.value)

    command = await cluster.benchmark_command("geonames")
    assert "--target-host=https://admin:hunter2@target:9200" in command.reveal()
    assert "--target-host=https://admin:********@target:9200" in command.shown
    assert "hunter2" not in str(command) + repr(command)


def test_sigv4_signing_endpoint_is_masked_too() -> None:
    config = ClusterConfig.model_validate(
        {
            "endpoint": "https://proxy:9201",
            "sigv4": {"region": "us-east-1"},
            "sigv4_signing_endpoint": "https://u:hunter2@domain.es.amazonaws.com",
        }
    )
    cluster = Cluster(config, FakeHttpClient(base_url="https://proxy:9201"), name="proxy")
    assert cluster.describe()["sigv4_signing_endpoint"] == (
        "https://u:********@domain.es.amazonaws.com"
    )


def every_url_has_a_password() -> dict[str, Any]:
    """A config in which each component has a password somewhere a user may write one."""
    return {
        "source_cluster": {
            "endpoint": "https://admin:pw-source@source:9200",
            "version": "ES_7.10",
            "basic_auth": {"username": "admin", "password": "pw-basic"},
            "proxy": {"endpoint": "https://admin:pw-proxy@proxy:9201"},
        },
        "target_cluster": {"endpoint": "https://admin:pw-target@target:9200", "no_auth": None},
        "snapshot": {
            "snapshot_name": "snap",
            "s3": {
                "repo_uri": "s3://bucket/path",
                "aws_region": "us-east-1",
                "endpoint": "https://key:pw-s3@minio:9000",
            },
        },
        "backfill": {
            "reindex_from_snapshot": {
                "docker": {
                    "image": "rfs:latest",
                    "command": ["--target-host", "https://admin:pw-command@target:9200"],
                    "environment": {"RFS_TARGET_PASSWORD": "pw-env", "LOG": "info"},
                },
                "backfill_session_name": "s1",
                "failed_document_stream": {
                    "s3_bucket": "failures",
                    "s3_endpoint": "https://key:pw-stream@minio:9000",
                },
            }
        },
        "replay": {"docker": {"environment": {"TARGET_TOKEN": "pw-token"}}},
        "metrics_source": {"prometheus": {"endpoint": "http://metrics:pw-metrics@prom:9090"}},
        "metadata_migration": {"from_snapshot": None},
    }


class Clusters:
    """Fake clusters answering ``GET /`` (the factory of an ``Infrastructure``)."""

    def __call__(self, config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
        client = FakeHttpClient(base_url=config.endpoint, auth=auth, retry=False)
        client.route("GET", "/", json=OS_ROOT)
        return client


async def test_environment_describe_and_check_never_show_a_password(tmp_path: Any) -> None:
    tool = tmp_path / "MetadataMigration"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    env = Environment.from_dict(
        every_url_has_a_password(),
        infra=Infrastructure(
            http=Clusters(),
            docker=FakeDockerManager(images=["rfs:latest", "migrations/traffic_replayer:latest"]),
            metrics=PrometheusMetricsCollector(endpoint="http://metrics:pw-metrics@prom:9090"),
            executor=FakeCommandExecutor(),
            metadata_tool=str(tool),
        ),
    )
    described = env.describe()
    dumped = json.dumps(described)
    assert "pw-" not in dumped, dumped
    assert described["source_cluster"]["endpoint"] == "https://admin:********@source:9200"
    assert described["metrics"]["endpoint"] == "http://metrics:********@prom:9090"
    # the environment hands the service an on-demand view: the kind is still the collector's
    assert described["metrics"]["source_type"] == "PrometheusMetricsCollector"
    rfs = described["backfill"]["reindex_from_snapshot"]
    assert rfs["docker"]["environment"] == {"RFS_TARGET_PASSWORD": "********", "LOG": "info"}
    assert described["backfill"]["workers"]["environment"]["RFS_TARGET_PASSWORD"] == "********"
    assert "pw-" not in repr(env) + "".join(repr(c) for c in env.components.values())

    async with env:
        report = await env.check(components=["source_cluster", "target_cluster", "metadata"])
    assert report["metadata"].ok, report["metadata"].detail
    assert "admin:********@target" in str(report["metadata"].detail)
    assert "pw-" not in json.dumps(report.to_dict())


async def test_no_password_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Every cluster operation at DEBUG, with inline and Secrets Manager credentials."""
    caplog.set_level(logging.DEBUG)
    store = FakeSecretStore()
    arn = store.put_secret("source", '{"username": "svc", "password": "pw-secret"}')
    async with (
        FakeOpenSearchServer(auth=("svc", "pw-secret")) as source,
        FakeOpenSearchServer(auth=("admin", "pw-inline")) as target,
    ):
        env = Environment.from_dict(
            {
                "source_cluster": {"endpoint": source.url, "basic_auth": {"user_secret_arn": arn}},
                "target_cluster": {
                    "endpoint": target.url,
                    "basic_auth": {"username": "admin", "password": "pw-inline"},
                },
            },
            infra=Infrastructure(secrets=store, metrics=FakeMetricsCollector()),
        )
        async with env:
            assert env.source_cluster is not None
            assert env.target_cluster is not None
            report = await env.check()
            assert report.ok, report.to_dict()
            for cluster in (env.source_cluster, env.target_cluster):
                await cluster.generate_data("books", num_docs=30, batch_size=10)
                await cluster.cat_indices(refresh=True)
                await cluster.cat_indices_text()
                async for _page in cluster.scroll("books", batch_size=7):
                    pass
                await cluster.curl("/_cluster/health")
                await cluster.call_api("/missing", raise_error=False)
                await cluster.clear_indices(confirm=True)
                await cluster.benchmark_command("geonames")
            env.describe()
    assert caplog.records, "the operations log something"
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for password in ("pw-secret", "pw-inline"):
        assert password not in logged


def test_config_errors_never_show_a_url_password() -> None:
    with pytest.raises(ConfigError) as failed:
        Environment.from_dict(
            {"target_cluster": {"endpoint": "https://u:pw-url@t:9200", "basic_auth": {}}}
        )
    assert "pw-url" not in str(failed.value) + repr(failed.value)


async def test_aiohttp_client_repr_of_a_url_with_a_password() -> None:
    # the service masks at the source whatever the client does with the URL
    config = ClusterConfig(endpoint="https://u:pw-url@t:9200", no_auth=None)
    async with AiohttpClient(base_url=config.endpoint) as http:
        cluster = Cluster(config, http, name="target")
        assert "pw-url" not in repr(cluster) + json.dumps(cluster.describe())
