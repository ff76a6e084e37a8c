"""End to end: `python -m asyncconsole.cli` subprocesses against a written
migration_services.yaml pointing at FakeOpenSearchServer clusters and the fake Kubernetes API
server (through the real aiohttp and kubernetes_asyncio clients)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from asyncconsole.testing import FakeKubernetesApiServer, FakeOpenSearchServer
from tests.unit.test_cli_support import PASSWORD, LoopThread

pytestmark = pytest.mark.integration


@dataclass
class Deployment:
    config: Path
    env: dict[str, str]
    loop: LoopThread
    source: FakeOpenSearchServer
    target: FakeOpenSearchServer
    kube: FakeKubernetesApiServer

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "asyncconsole.cli", "--config-file", str(self.config), *args],
            capture_output=True,
            text=True,
            input=input,
            env=self.env,
            timeout=60,
            check=False,
        )


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    loop = LoopThread()
    source = loop.run(
        FakeOpenSearchServer(
            version="7.10.2", distribution="elasticsearch", snapshot_duration=0.2
        ).open()
    )
    target = loop.run(FakeOpenSearchServer(auth=("admin", PASSWORD)).open())
    kube = loop.run(FakeKubernetesApiServer(seed=1).open())
    try:
        loop.call(lambda: source.create_index("logs", [{"n": i} for i in range(5)]))
        loop.call(lambda: kube.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"}))
        loop.call(lambda: kube.add_deployment("ma", "replayer", replicas=0, labels={"app": "r"}))
        kubeconfig = loop.call(
            lambda: kube.write_kubeconfig(tmp_path / "kubeconfig", namespace="ma")
        )
        config = tmp_path / "migration_services.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "source_cluster": {
                        "endpoint": source.url,
                        "no_auth": None,
                        "version": "ES_7.10",
                    },
                    "target_cluster": {
                        "endpoint": target.url,
                        "basic_auth": {"username": "admin", "password": PASSWORD},
                    },
                    "snapshot": {"snapshot_name": "e2e", "fs": {"repo_path": "/snapshots"}},
                    "backfill": {
                        "reindex_from_snapshot": {
                            "k8s": {"namespace": "ma", "deployment_name": "rfs"}
                        }
                    },
                    "replay": {"k8s": {"namespace": "ma", "deployment_name": "replayer"}},
                }
            )
        )
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "SHARED_LOGS_DIR_PATH": str(tmp_path / "logs"),
        }
        env.pop("ASYNCCONSOLE_CONFIG", None)
        yield Deployment(config, env, loop, source, target, kube)
    finally:
        loop.run(kube.aclose())
        loop.run(source.aclose())
        loop.run(target.aclose())
        loop.close()


def test_every_group_with_and_without_json(deployment: Deployment) -> None:
    run = deployment.run
    assert run("clusters", "connection-check").returncode == 0
    indices = json.loads(run("--json", "clusters", "cat-indices").stdout)
    assert [row["index"] for row in indices["source_cluster"]] == ["logs"]
    count = run("--json", "clusters", "curl", "source", "logs/_count")
    assert json.loads(count.stdout)["body"]["count"] == 5

    created = run("snapshot", "create", "--wait", "--poll-interval", "0.05")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Snapshot e2e created successfully"
    assert (
        json.loads(run("--json", "snapshot", "status", "--deep-check").stdout)["status"]
        == "Completed"
    )

    assert run("backfill", "start").stdout.strip() == "Backfill started successfully."
    assert (
        deployment.loop.call(lambda: deployment.kube.deployment("ma", "rfs"))["spec"]["replicas"]
        == 5
    )
    status = json.loads(run("--json", "backfill", "status").stdout)
    assert status["workers"]["desired"] == 5
    assert status["deep"]["status"] == "Pending"
    stopped = run("--json", "backfill", "stop", "--timeout", "30")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["units"] == 0

    assert run("replay", "start").returncode == 0
    assert json.loads(run("--json", "replay", "status").stdout)["workers"]["desired"] == 1
    assert run("replay", "stop").returncode == 0

    check = run("--json", "check")
    assert check.returncode == 0, check.stdout
    components = json.loads(check.stdout)["components"]
    assert set(components) == {"source_cluster", "target_cluster", "snapshot", "backfill", "replay"}
    assert all(c["status"] == "ok" for c in components.values())

    for result in (check, count, created, stopped):
        assert PASSWORD not in result.stdout + result.stderr


def test_exit_codes_and_prompts(deployment: Deployment, tmp_path: Path) -> None:
    run = deployment.run
    assert run("snapshot", "status").returncode == 1  # not created yet
    unset = run("metrics", "list")
    assert unset.returncode == 2  # not configured
    assert "Metrics source is not set" in unset.stderr
    declined = run("clusters", "clear-indices", "--cluster", "source", input="n\n")
    assert declined.returncode == 1
    assert deployment.loop.call(lambda: deployment.source.index_names) == ["logs"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "target_cluster:\n  endpoint: http://x\n  no_auth:\n  basic_auth:\n    username: a\n"
    )
    invalid = subprocess.run(
        [sys.executable, "-m", "asyncconsole.cli", "--config-file", str(bad), "check"],
        capture_output=True,
        text=True,
        env=deployment.env,
        timeout=60,
        check=False,
    )
    assert invalid.returncode == 2
    assert "target_cluster" in invalid.stderr
    assert "Traceback" not in invalid.stderr


def test_pipe_to_head_exits_quietly(deployment: Deployment) -> None:
    deployment.loop.call(
        lambda: [deployment.source.create_index(f"index-{i:04d}") for i in range(1500)]
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "asyncconsole.cli",
            "--config-file",
            str(deployment.config),
            "--json",
            "clusters",
            "cat-indices",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=deployment.env,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=60)
    assert first.strip() == b"{"
    assert code in (0, -signal.SIGPIPE)
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
