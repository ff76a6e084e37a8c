"""The CLI opens only what a command uses: a Kubernetes backfill that cannot open (no
kubeconfig) does not stop cluster commands, and `check` reports it as the one failure; config
errors list each issue once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from asyncconsole import ConfigError, ConfigIssue
from asyncconsole.cli import CliState, cli
from tests.unit.test_cli_support import Servers, invoke, servers

__all__ = ["servers"]  # the fixture, re-exported for pytest

K8S_BACKFILL = {"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}


@pytest.fixture
def no_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``KUBECONFIG`` names a missing file, ``HOME`` has no ``.kube``, not in a cluster."""
    missing = tmp_path / "no-such-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    return missing


def _run(config_file: Path, args: list[str]) -> Result:
    # The real path: the config file read by Environment.from_file, real clients (aiohttp to
    # the fake clusters, KubernetesManager from the environment).
    state = CliState(interactive=False)
    return CliRunner().invoke(
        cli, ["--config-file", str(config_file), *args], obj=state, catch_exceptions=False
    )


def _write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "migration_services.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_cluster_commands_work_with_an_unopenable_k8s_backfill(
    servers: Servers, no_kubeconfig: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path, servers.config(backfill=K8S_BACKFILL))
    curl = _run(path, ["clusters", "curl", "target", "/"])
    assert curl.exit_code == 0, curl.stderr
    assert json.loads(curl.stdout)["version"]["number"] == "2.15.0"
    checked = _run(path, ["--json", "clusters", "connection-check"])
    assert checked.exit_code == 0, checked.stderr
    assert {s["connected"] for s in json.loads(checked.stdout).values()} == {True}
    indices = _run(path, ["clusters", "cat-indices", "--cluster", "source"])
    assert indices.exit_code == 0, indices.stderr


def test_check_reports_the_backfill_failed_and_the_rest_ok(
    servers: Servers, no_kubeconfig: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path, servers.config(backfill=K8S_BACKFILL))
    result = _run(path, ["--json", "check"])
    assert result.exit_code == 1, result.stderr
    components = json.loads(result.stdout)["components"]
    assert list(components) == ["source_cluster", "target_cluster", "backfill"]
    assert components["source_cluster"]["status"] == "ok"
    assert components["target_cluster"]["status"] == "ok"
    backfill = components["backfill"]
    assert backfill["status"] == "failed"
    assert backfill["detail"].startswith("ConfigError: no Kubernetes configuration found")
    assert f"no kubeconfig file at {no_kubeconfig}" in backfill["detail"]
    text = _run(path, ["check"])
    assert text.exit_code == 1
    assert "no Kubernetes configuration found" in text.stdout
    # only the clusters asked for: nothing of Kubernetes is touched
    only = _run(path, ["check", "--component", "target_cluster"])
    assert only.exit_code == 0, only.stdout


def test_backfill_command_without_kubeconfig_is_a_config_error_said_once(
    servers: Servers, no_kubeconfig: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path, servers.config(backfill=K8S_BACKFILL))
    result = _run(path, ["backfill", "status"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: no Kubernetes configuration found"
    detail = f"  kubeconfig: no kubeconfig file at {no_kubeconfig}"
    assert [line for line in lines if line.startswith(detail)] == [lines[1]]
    assert len(lines) == 2
    # describing the configuration needs no connection at all
    assert _run(path, ["backfill", "describe"]).exit_code == 0


# -- each issue once ----------------------------------------------------------------------------


def test_config_error_keeps_each_distinct_issue_once_in_order() -> None:
    a = ConfigIssue("metadata_migration.from_snapshot", "field required")
    b = ConfigIssue("kubeconfig", "no kubeconfig file at /x")
    error = ConfigError("Invalid configuration", [a, b, ConfigIssue(a.path, a.message), b])
    assert error.issues == [a, b]
    assert error.summary == "Invalid configuration"
    assert str(error) == f"Invalid configuration:\n  {a}\n  {b}"


def test_cli_config_errors_list_each_issue_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None},
            "metadata_migration": {"min_replicas": 0},
        },
    )
    result = _run(path, ["check"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: Invalid configuration in {path}"
    assert len(lines) == len(set(lines))
    assert lines.count("  metadata_migration.from_snapshot: field required") == 1
    assert lines.count("  metadata_migration.min_replicas: unknown field") == 1
    as_json = _run(path, ["--json", "check"])
    error = json.loads(as_json.stdout)["error"]
    assert error["message"] == f"Invalid configuration in {path}"  # the issues are separate
    pairs = [(i["path"], i["message"]) for i in error["issues"]]
    assert len(pairs) == len(set(pairs)) == 3
    assert ("metadata_migration.from_snapshot", "field required") in pairs


def test_missing_service_is_still_a_usage_error_before_connecting() -> None:
    config = {"target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None}}
    result = invoke(["backfill", "status"], config=config)
    assert result.exit_code == 2
    assert "Backfill migration is not set" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["clusters", "curl", "source", "/"], {"source http"}, 0),
        (["clusters", "connection-check", "--cluster", "target"], {"target http"}, 0),
        (["clusters", "cat-indices"], {"source http", "target http"}, 0),
        (["snapshot", "status"], {"source http"}, 1),  # not taken yet
        (["backfill", "status"], {"target http", "k8s"}, 0),
        (["backfill", "describe"], set(), 0),
        (["check", "--component", "source_cluster"], {"source http"}, 0),
    ],
)
def test_each_command_opens_only_what_it_uses(
    servers: Servers, args: list[str], expected: set[str], code: int
) -> None:
    from asyncconsole import Environment
    from asyncconsole.environment import Infrastructure
    from asyncconsole.infra.kubernetes import FakeK8sManager

    k8s = FakeK8sManager()
    k8s.add_deployment("ma", "rfs", replicas=0)
    config = servers.config(
        backfill=K8S_BACKFILL,
        snapshot={"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}},
    )
    built: list[Environment] = []

    def factory(_path: str) -> Environment:
        env = Environment.from_dict(config, infra=Infrastructure(k8s=k8s))
        built.append(env)
        return env

    result = CliRunner().invoke(
        cli, args, obj=CliState(interactive=False, env_factory=factory), catch_exceptions=False
    )
    assert result.exit_code == code, result.stderr
    (env,) = built
    assert {name for name, _ in env.opened_resources} == expected
    assert env.closed
    assert k8s.closed  # the environment managed it
