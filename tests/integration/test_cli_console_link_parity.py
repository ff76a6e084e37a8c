"""console_link's options that asyncconsole now takes, run as processes: ``--cluster proxy``
for generate-data and run-test-benchmarks, the resource selectors (``--source``, ``--target``,
``--proxy``, ``--kafka``), ``--pipeline-name`` and ``--migration``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from tests.integration.test_cli_e2e import Deployment, deployment
from tests.integration.test_cli_process import clean_env, cli, one_document

__all__ = ["deployment"]  # the fixture, re-exported for pytest

pytestmark = pytest.mark.integration

BENCHMARK_TOOL = '#!/bin/sh\necho "opensearch-benchmark $*"\n'
KAFKA_TOOL = """#!/bin/sh
case "$*" in
  *--list*) printf 'logging-traffic-topic\\n' ;;
esac
"""


def _tool(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _with(deployment: Deployment, tmp_path: Path, **blocks: object) -> str:
    """The deployment's config plus ``blocks`` (a proxy, Kafka...), written next to it."""
    config = yaml.safe_load(deployment.config.read_text())
    for key, value in blocks.items():
        if key == "proxy":
            config["source_cluster"]["proxy"] = value
        elif key == "stream":
            config["backfill"]["reindex_from_snapshot"]["failed_document_stream"] = value
        else:
            config[key] = value
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_cluster_proxy_for_generate_data_and_benchmarks(
    deployment: Deployment, tmp_path: Path
) -> None:
    # the "proxy" forwards to the source: here it is the source itself
    proxy = {"name": "capture-proxy", "endpoint": deployment.source.url}
    config = _with(deployment, tmp_path, proxy=proxy)
    tools = tmp_path / "bin"
    tools.mkdir()
    _tool(tools / "opensearch-benchmark", BENCHMARK_TOOL)
    env = clean_env(deployment, PATH=f"{tools}{os.pathsep}{os.environ['PATH']}")

    made = cli(
        "--config-file", config, "--json", "clusters", "generate-data", "--cluster", "proxy",
        "--index-name", "through-proxy", "--num-docs", "10", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert one_document(made.stdout)["inserted"] == 10
    assert "through-proxy" in deployment.loop.call(lambda: deployment.source.index_names)

    ran = cli(
        "--config-file", config, "--json", "clusters", "run-test-benchmarks", "--cluster",
        "proxy", env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    data = one_document(ran.stdout)
    assert data["cluster"] == "proxy"
    assert {w["exit_code"] for w in data["workloads"]} == {0}
    assert f"--target-host={deployment.source.url}" in data["workloads"][0]["argv"]

    # the proxy's selector is its name
    selected = cli(
        "--config-file", config, "clusters", "connection-check", "--cluster", "proxy",
        "--proxy", "capture-proxy", env=env,
    )  # fmt: skip
    assert selected.returncode == 0, selected.stderr


def test_cluster_names_and_selectors(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    both = cli(
        "--config-file", config, "--json", "clusters", "cat-indices", "--source", "source",
        "--target", "target", env=env,
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    assert set(one_document(both.stdout)) == {"source_cluster", "target_cluster"}

    # a Kubernetes catalog's names are usage errors naming what is valid here
    other = cli("--config-file", config, "clusters", "cat-indices", "--source", "source2", env=env)
    assert other.returncode == 2
    assert "No source resource matches 'source2'. Valid selectors: source, source_cluster." in (
        other.stderr
    )
    named = cli(
        "--config-file", config, "clusters", "clear-indices", "--cluster", "source2",
        "--acknowledge-risk", env=env,
    )  # fmt: skip
    assert named.returncode == 2
    assert "No cluster resource matches 'source2'. Valid selectors: source, target." in (
        named.stderr
    )
    proxy = cli("--config-file", config, "clusters", "clear-indices", "--cluster", "proxy", env=env)
    assert proxy.returncode == 2
    assert "Cluster selector 'proxy' is not valid for this command" in proxy.stderr
    assert deployment.loop.call(lambda: deployment.source.index_names) == ["logs"]

    curl = cli("--config-file", config, "clusters", "curl", "TARGET", "/", "--json", env=env)
    assert curl.returncode == 0, curl.stderr
    assert one_document(curl.stdout)["status"] == 200


def test_pipeline_name_is_accepted_and_said_to_be_unused(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    for action in ("start", "pause", "stop"):
        args = ["--config-file", config, "backfill", action, "--pipeline-name", "p1"]
        done = cli(*args, *(["--no-archive"] if action == "stop" else []), env=env)
        assert done.returncode == 0, (action, done.stderr)
        assert "--pipeline-name p1 ignored" in done.stderr
    replicas = deployment.loop.call(lambda: deployment.kube.deployment("ma", "rfs"))
    assert replicas["spec"]["replicas"] == 0


def test_kafka_selector(deployment: Deployment, tmp_path: Path) -> None:
    config = _with(
        deployment, tmp_path, kafka={"broker_endpoints": "127.0.0.1:9092", "standard": None}
    )
    tools = tmp_path / "kafka"
    tools.mkdir()
    _tool(tools / "kafka-topics.sh", KAFKA_TOOL)
    env = clean_env(deployment, KAFKA_TOOLS_HOME=str(tools))
    listed = cli("--config-file", config, "--json", "kafka", "list-topics", "--kafka", "default",
                 env=env)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert one_document(listed.stdout)["topics"] == ["logging-traffic-topic"]
    other = cli("--config-file", config, "kafka", "list-topics", "--kafka", "kafka-b", env=env)
    assert other.returncode == 2
    assert "No kafka resource matches 'kafka-b'" in other.stderr


def test_migration_names_the_failed_document_stream_session(
    deployment: Deployment, tmp_path: Path
) -> None:
    config = _with(deployment, tmp_path, stream={"s3_bucket": "failures", "session": "current"})
    done = cli(
        "--config-file", config, "--json", "failed-document-stream", "location", "--migration",
        "backfill-1", env=clean_env(deployment),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    location = one_document(done.stdout)
    assert location["session"] == "backfill-1"
    assert location["location"].endswith("session=backfill-1/")
    assert json.loads(done.stdout) == location
