"""The CLI's root: global options, exit codes, config errors, `clusters` and `check`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from asyncconsole.cli import DEFAULT_CONFIG_PATH, CliState, cli
from asyncconsole.config import DEFAULT_CONFIG_PATH as CONFIG_DEFAULT
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from tests.unit.test_cli_support import PASSWORD, Fakes, Servers, invoke, servers

__all__ = ["servers"]  # the fixture, re-exported for pytest


def test_default_config_path_is_console_links() -> None:
    assert DEFAULT_CONFIG_PATH == CONFIG_DEFAULT == "/config/migration_services.yaml"


def test_version_and_help() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("asyncconsole ")
    result = invoke(["--help"])
    assert result.exit_code == 0
    for group in ("backfill", "check", "clusters", "completion", "demo", "kafka", "metadata"):
        assert group in result.stdout


def test_no_command_is_a_usage_error() -> None:
    result = invoke(["--json"])
    assert result.exit_code == 2
    assert "Missing command" in result.stderr
    assert invoke(["nonsense"]).exit_code == 2


def test_missing_config_file_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = invoke(["--config-file", str(missing), "clusters", "connection-check"])
    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr


def test_config_env_var_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "from-env.yaml"
    result = CliRunner(env={"ASYNCCONSOLE_CONFIG": str(missing)}).invoke(
        cli, ["snapshot", "status"], obj=CliState()
    )
    assert result.exit_code == 2
    assert str(missing) in result.stderr


def test_config_error_lists_each_issue_with_its_key_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "target_cluster": {"endpoint": "http://t:9200", "no_auth": None},
                "backfill": {"reindex_from_snapshot": {"ecs": {"service_name": "s"}}},
                "bogus": 1,
            }
        )
    )
    result = invoke(["--config-file", str(path), "backfill", "status"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: Invalid configuration")
    assert "  backfill.reindex_from_snapshot.ecs.cluster_name: field required" in lines
    assert any(line.strip().startswith("bogus:") for line in lines)

    as_json = invoke(["--json", "--config-file", str(path), "backfill", "status"])
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout)["error"]
    assert error["type"] == "ConfigError"
    assert error["exit_code"] == 2
    assert {
        "path": "backfill.reindex_from_snapshot.ecs.cluster_name",
        "message": "field required",
    } in error["issues"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["snapshot", "status"], "Snapshot is not set"),
        (["snapshot", "delete"], "Snapshot is not set"),
        (["backfill", "start"], "Backfill migration is not set"),
        (["replay", "status"], "Replay is not set"),
        (["metrics", "list"], "Metrics source is not set"),
        (["metadata", "evaluate"], "Metadata is not set"),
        (["kafka", "list-topics"], "Kafka is not set"),
        (["clusters", "curl", "proxy", "/"], "Capture proxy is not set"),
        (["clusters", "clear-indices", "--cluster", "source"], "Source cluster is not set"),
    ],
)
def test_missing_service_block_is_exit_2(args: list[str], message: str) -> None:
    config = {"target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None}}
    result = invoke(args, config=config, input="y\n")
    assert result.exit_code == 2
    assert f"Error: {message}" in result.stderr


def test_clusters_without_any_cluster_is_exit_2() -> None:
    result = invoke(["clusters", "connection-check"], config={})
    assert result.exit_code == 2
    assert "Neither source nor target cluster is set" in result.stderr


# -- clusters ----------------------------------------------------------------------------------


def test_connection_check_text_and_json(servers: Servers) -> None:
    config = servers.config()
    text = invoke(["clusters", "connection-check"], config=config)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith(
        "SOURCE CLUSTER\nSuccessfully connected!\nCluster version: 7.10.2"
    )
    assert "TARGET CLUSTER\nSuccessfully connected!\nCluster version: 2.15.0" in text.stdout

    data = json.loads(invoke(["--json", "clusters", "connection-check"], config=config).stdout)
    assert set(data) == {"source_cluster", "target_cluster"}
    assert data["target_cluster"]["connected"] is True
    assert data["target_cluster"]["distribution"] == "opensearch"
    assert set(data["source_cluster"]) == {
        "connected",
        "message",
        "version",
        "distribution",
        "serverless",
        "collection_type",
        "warning",
    }


def test_connection_check_failure_is_exit_1(servers: Servers) -> None:
    config = servers.config()
    config["target_cluster"]["basic_auth"]["password"] = "wrong"
    result = invoke(["--json", "clusters", "connection-check"], config=config)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["source_cluster"]["connected"] is True
    assert data["target_cluster"]["connected"] is False
    assert "Unable to connect" in data["target_cluster"]["message"]
    only_source = invoke(["clusters", "connection-check", "--cluster", "source"], config=config)
    assert only_source.exit_code == 0
    assert "TARGET" not in only_source.stdout


def test_cat_indices_json_refresh_and_selection(servers: Servers) -> None:
    servers.loop.call(lambda: servers.source.create_index("logs", [{"n": i} for i in range(3)]))
    config = servers.config()
    servers.loop.call(servers.source.clear_requests)
    result = invoke(["--json", "clusters", "cat-indices", "--refresh"], config=config)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [row["index"] for row in data["source_cluster"]] == ["logs"]
    assert data["source_cluster"][0]["docs.count"] == "3"
    assert data["target_cluster"] == []
    paths = [r.path for r in servers.loop.call(lambda: servers.source.requests)]
    assert paths.count("/_refresh") == 1
    assert "/_cat/indices/_all" in paths

    text = invoke(["clusters", "cat-indices", "--cluster", "source"], config=config)
    assert text.exit_code == 0
    assert text.stdout.startswith("SOURCE CLUSTER\nhealth status index")
    assert "TARGET CLUSTER" not in text.stdout
    stale = invoke(["clusters", "cat-indices"], config=config)
    assert "may be stale" in stale.stderr


def test_cat_indices_one_cluster_down_is_exit_1_with_the_other_shown(servers: Servers) -> None:
    config = servers.config()
    config["target_cluster"] = {"endpoint": "http://127.0.0.1:9", "no_auth": None}
    result = invoke(["--json", "clusters", "cat-indices"], config=config)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["source_cluster"] == []
    assert "target_cluster" in data["errors"]
    text = invoke(["clusters", "cat-indices"], config=config)
    assert text.exit_code == 1
    assert "TARGET CLUSTER\nError: " in text.stdout


def _deletes(server: Any) -> list[Any]:
    return [r for r in server.requests if r.method == "DELETE"]


def test_clear_indices_asks_and_no_means_no_call(servers: Servers) -> None:
    servers.loop.call(lambda: servers.target.create_index("docs", [{"a": 1}]))
    config = servers.config()
    servers.loop.call(servers.target.clear_requests)
    declined = invoke(["clusters", "clear-indices"], config=config, input="n\n")
    assert declined.exit_code == 1
    assert "Aborting command." in declined.stderr
    assert servers.loop.call(lambda: _deletes(servers.target)) == []
    assert servers.loop.call(lambda: servers.target.index_names)

    agreed = invoke(["--json", "clusters", "clear-indices"], config=config, input="y\n")
    assert agreed.exit_code == 0, agreed.stderr
    assert json.loads(agreed.stdout) == {
        "cluster": "target",
        "deleted": ["docs"],
        "method": "wildcard",
    }
    assert "Are you sure" in agreed.stderr  # the prompt never pollutes the JSON


def test_clear_indices_with_acknowledgement_does_not_ask(servers: Servers) -> None:
    servers.loop.call(lambda: servers.source.create_index("old", [{"a": 1}]))
    result = invoke(
        ["clusters", "clear-indices", "--cluster", "source", "--acknowledge-risk"],
        config=servers.config(),
    )
    assert result.exit_code == 0
    assert result.stdout.strip() == "Deleted 1 indices: old"
    assert "Are you sure" not in result.stderr


def test_clear_indices_refused_by_the_cluster_is_exit_1_one_line(servers: Servers) -> None:
    # console_link printed the error text and exited 0
    servers.loop.call(lambda: servers.target.create_index("docs", [{"a": 1}]))
    servers.loop.call(
        lambda: servers.target.fail_next(
            10, method="DELETE", status=400, reason="Wildcard expressions are not allowed"
        )
    )
    result = invoke(["clusters", "clear-indices", "--acknowledge-risk"], config=servers.config())
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    as_json = invoke(
        ["--json", "clusters", "clear-indices", "--acknowledge-risk"], config=servers.config()
    )
    assert json.loads(as_json.stdout)["error"]["exit_code"] == 1


class CurlRecorder:
    """An HTTP client factory whose clients record requests and answer with ``status``
    after ``latency`` seconds of fake time (the client's timeout applies to it)."""

    def __init__(self, status: int = 200, latency: float = 0.0) -> None:
        self.requests: list[HttpRequest] = []
        self.status = status
        self.latency = latency

    def __call__(self, config: Any, auth: Any) -> FakeHttpClient:
        client = FakeHttpClient(
            base_url=config.endpoint, auth=auth, retry=False, latency=self.latency
        )

        def handler(request: HttpRequest) -> HttpResponse:
            self.requests.append(request)
            return HttpResponse.build(self.status, json={"acknowledged": True})

        client.route("*", re.compile(".*"), handler)
        return client


def _curl_env(recorder: CurlRecorder) -> CliState:
    from asyncconsole import Environment
    from asyncconsole.environment import Infrastructure

    config = {"target_cluster": {"endpoint": "http://t:9200", "no_auth": None}}
    return CliState(
        interactive=False,
        env_factory=lambda _p: Environment.from_dict(config, infra=Infrastructure(http=recorder)),
    )


def test_curl_forwards_path_method_headers_and_json() -> None:
    recorder = CurlRecorder()
    result = CliRunner().invoke(
        cli,
        [
            "clusters",
            "curl",
            "target_cluster",
            "my-index/_doc/1",
            "-X",
            "put",
            "-H",
            "X-One: 1",
            "-H",
            "X-Two:two words",
            "--json",
            '{"a": 1}',
        ],
        obj=_curl_env(recorder),
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"acknowledged": True}
    (request,) = recorder.requests
    assert request.method == "PUT"
    assert request.url.endswith("/my-index/_doc/1")
    assert request.headers["X-One"] == "1"
    assert request.headers["X-Two"] == "two words"
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.body) == {"a": 1}


def test_curl_timeout_defaults_to_15_seconds() -> None:
    # 14 s of (fake) latency is within the default; 16 s is not.
    within = CliRunner().invoke(
        cli, ["clusters", "curl", "target", "/"], obj=_curl_env(CurlRecorder(latency=14))
    )
    assert within.exit_code == 0, within.stderr
    slow = CliRunner().invoke(
        cli, ["clusters", "curl", "target", "/"], obj=_curl_env(CurlRecorder(latency=16))
    )
    assert slow.exit_code == 1
    assert "timed out after 15s" in slow.stderr
    assert "--timeout" in slow.stderr
    longer = CliRunner().invoke(
        cli,
        ["clusters", "curl", "target", "/", "--timeout", "30"],
        obj=_curl_env(CurlRecorder(latency=16)),
    )
    assert longer.exit_code == 0


def test_curl_error_status_is_returned_not_raised_and_exits_1() -> None:
    recorder = CurlRecorder(status=500)
    result = CliRunner().invoke(
        cli,
        ["--json", "clusters", "curl", "target", "/x", "-d", "raw", "--timeout", "3"],
        obj=_curl_env(recorder),
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == 500
    assert data["body"] == {"acknowledged": True}
    assert recorder.requests[0].body == b"raw"


@pytest.mark.parametrize(
    "extra",
    [
        ["-H", "no-colon"],
        ["--json", "{not json"],
        ["-X", "BREW"],
        ["-d", "x", "--json", "{}"],
        ["--timeout", "0"],
    ],
)
def test_curl_bad_arguments_are_exit_2_without_a_request(extra: list[str]) -> None:
    recorder = CurlRecorder()
    result = CliRunner().invoke(
        cli, ["clusters", "curl", "target", "/", *extra], obj=_curl_env(recorder)
    )
    assert result.exit_code == 2
    assert recorder.requests == []


def test_curl_unknown_cluster_name_is_exit_2() -> None:
    result = CliRunner().invoke(
        cli, ["clusters", "curl", "elsewhere", "/"], obj=_curl_env(CurlRecorder())
    )
    assert result.exit_code == 2


def test_curl_connection_refused_is_exit_1_one_line() -> None:
    config = {"target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None}}
    result = invoke(["clusters", "curl", "target", "/"], config=config)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    verbose = invoke(["-vv", "clusters", "curl", "target", "/"], config=config)
    assert "Traceback" in verbose.stderr


# -- check -------------------------------------------------------------------------------------


def test_check_json_schema_and_exit_code(servers: Servers) -> None:
    config = servers.config()
    result = invoke(["--json", "check"], config=config)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["components"]
    assert list(data["components"]) == ["source_cluster", "target_cluster"]
    for entry in data["components"].values():
        assert set(entry) == {"status", "detail", "duration"}
        assert entry["status"] == "ok"
        assert isinstance(entry["duration"], float)
    assert data["components"]["target_cluster"]["detail"] == "connected, OpenSearch 2.15.0"

    config["target_cluster"]["basic_auth"]["password"] = "wrong"
    failed = invoke(["--json", "check"], config=config)
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["components"]["target_cluster"]["status"] == "failed"
    assert PASSWORD not in failed.stdout + failed.stderr


def test_check_text_table_and_component_selection(servers: Servers) -> None:
    config = servers.config()
    result = invoke(["check", "--component", "source_cluster"], config=config)
    assert result.exit_code == 0
    assert "source_cluster" in result.stdout
    assert "connected, Elasticsearch 7.10.2" in result.stdout
    assert "target_cluster" not in result.stdout
    assert "\x1b[" not in result.stdout  # no colours or cursor moves off a terminal
    unknown = invoke(["check", "--component", "nope"], config=config)
    assert unknown.exit_code == 2
    assert "unknown component" in unknown.stderr


def test_check_live_table_on_a_terminal(servers: Servers) -> None:
    result = invoke(["check"], config=servers.config(), interactive=True)
    assert result.exit_code == 0
    assert "\x1b[" in result.stdout  # drawn with rich on a terminal
    assert "connected, OpenSearch 2.15.0" in result.stdout


def test_check_nothing_configured() -> None:
    result = invoke(["check"], config={})
    assert result.exit_code == 0
    assert "Nothing is configured" in result.stdout
    assert json.loads(invoke(["--json", "check"], config={}).stdout) == {"components": {}}


def test_check_with_fakes_reports_k8s_backfill(servers: Servers) -> None:
    fakes = Fakes()
    fakes.k8s.add_deployment("ma", "rfs", replicas=0)
    config = servers.config(
        backfill={"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}
    )
    data = json.loads(invoke(["--json", "check"], config=config, fakes=fakes).stdout)
    assert data["components"]["backfill"]["status"] == "ok"
    assert data["components"]["backfill"]["detail"].startswith("STOPPED")


def test_completion_scripts() -> None:
    for shell in ("bash", "zsh", "fish"):
        result = invoke(["completion", shell])
        assert result.exit_code == 0
        assert "_ASYNCCONSOLE_COMPLETE" in result.stdout
        as_json = json.loads(invoke(["--json", "completion", shell]).stdout)
        assert as_json["shell"] == shell
        assert as_json["script"].rstrip() == result.stdout.rstrip()
    assert invoke(["completion", "tcsh"]).exit_code == 2


def test_completion_lists_groups_without_a_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.shell_completion import ShellComplete

    completions = ShellComplete(cli, {}, "asyncconsole", "_ASYNCCONSOLE_COMPLETE").get_completions(
        ["snapshot"], ""
    )
    assert {"create", "status", "wait", "list", "delete"} <= {c.value for c in completions}
