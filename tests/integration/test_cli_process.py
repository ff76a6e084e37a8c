"""The CLI as a user runs it, in real processes: global options anywhere on the line and from
``ASYNCCONSOLE_*`` variables, log files, exactly one JSON document however a run ends (usage
error, declined prompt, Ctrl-C), usage errors for values that cannot work, the first-run
experience (no config, ``init``), kubeconfig paths, and the standalone fake servers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from asyncconsole import Environment
from tests.integration.test_cli_e2e import Deployment, deployment
from tests.unit.test_cli_support import PASSWORD

__all__ = ["deployment"]  # the fixture, re-exported for pytest

pytestmark = pytest.mark.integration

# A log line starts with its local time: 2026-01-31 12:34:56,789
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) ")


def cli(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m asyncconsole.cli ARGS`` (nothing added to the arguments)."""
    return subprocess.run(
        [sys.executable, "-m", "asyncconsole.cli", *args],
        capture_output=True,
        text=True,
        input=input,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def one_document(stdout: str) -> Any:
    """The JSON document stdout holds; fails unless it is exactly one."""
    return json.loads(stdout)  # "Extra data" for a second document, an error for none


def clean_env(deployment: Deployment, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in deployment.env.items() if not k.startswith("ASYNCCONSOLE_")}
    return {**env, **extra}


# -- global options anywhere (issue 12, items 2 and 13) ---------------------------------------


def test_global_options_work_after_the_command(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    for args in (
        ("check", "--json", "--config-file", config),
        ("snapshot", "list", "--config-file", config, "--json"),
        ("clusters", "--json", "cat-indices", "--config-file", config),
        ("backfill", "status", "--deep-check", "--json", "--config-file", config),
        ("--config-file", config, "replay", "status", "--json"),
    ):
        done = cli(*args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert isinstance(one_document(done.stdout), dict), args

    verbose = cli("check", "--config-file", config, "-v", "-v", env=env)
    assert verbose.returncode == 0, verbose.stderr
    logged = [line for line in verbose.stderr.splitlines() if line.strip()]
    assert logged
    assert all(TIMESTAMPED.match(line) for line in logged), logged
    assert any(" DEBUG " in line for line in logged)


def test_curl_body_and_json_output_do_not_collide(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    body = '{"settings": {"number_of_shards": 1}}'
    # console_link's spelling of the body, then the global flag at the end of the line
    made = cli(
        "--config-file", config, "clusters", "curl", "source", "made", "-X", "PUT",
        "--json", body, "--json", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert one_document(made.stdout)["body"]["acknowledged"] is True
    renamed = cli(
        "--config-file", config, "clusters", "curl", "source", "/renamed", "-X", "PUT",
        "--json-body", body, env=env,
    )  # fmt: skip
    assert renamed.returncode == 0, renamed.stderr
    assert json.loads(renamed.stdout)["index"] == "renamed"  # the body, not our JSON
    assert {"made", "renamed"} <= set(deployment.loop.call(lambda: deployment.source.index_names))
    before = cli("--config-file", config, "clusters", "curl", "--json", "source", "/", env=env)
    assert before.returncode == 0, before.stderr
    assert one_document(before.stdout)["status"] == 200
    malformed = cli(
        "--config-file", config, "clusters", "curl", "source", "/x", "--json", '{"broken', env=env
    )
    assert malformed.returncode == 2
    assert "invalid JSON" in malformed.stderr


def test_every_global_option_reads_its_environment_variable(
    deployment: Deployment, tmp_path: Path
) -> None:
    log = tmp_path / "cli.log"
    env = clean_env(
        deployment,
        ASYNCCONSOLE_CONFIG_FILE=str(deployment.config),
        ASYNCCONSOLE_JSON="1",
        ASYNCCONSOLE_VERBOSE="2",
        ASYNCCONSOLE_LOG_FILE=str(log),
    )
    done = cli("clusters", "connection-check", env=env)
    assert done.returncode == 0, done.stderr
    assert set(one_document(done.stdout)) == {"source_cluster", "target_cluster"}
    assert done.stderr == ""  # the log lines went to the file
    lines = log.read_text().splitlines()
    assert lines
    assert all(TIMESTAMPED.match(line) for line in lines), lines
    assert any(" DEBUG " in line for line in lines)
    assert PASSWORD not in log.read_text()

    # ASYNCCONSOLE_CONFIG (the older name) still works, and the command line wins
    older = clean_env(deployment, ASYNCCONSOLE_CONFIG=str(tmp_path / "missing.yaml"))
    assert cli("check", env=older).returncode == 2
    assert cli("check", "--config-file", str(deployment.config), env=older).returncode == 0
    assert cli("--config-file", str(deployment.config), "check", env=older).returncode == 0

    kube = clean_env(deployment, ASYNCCONSOLE_KUBECONFIG=deployment.env["KUBECONFIG"])
    kube.pop("KUBECONFIG")
    status = cli("--config-file", str(deployment.config), "--json", "backfill", "status", env=kube)
    assert status.returncode == 0, status.stderr


def test_log_file_option(deployment: Deployment, tmp_path: Path) -> None:
    log = tmp_path / "logs.txt"
    env = clean_env(deployment)
    done = cli(
        "--config-file", str(deployment.config), "check", "-vv", "--log-file", str(log), env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = log.read_text().splitlines()
    assert lines
    assert all(TIMESTAMPED.match(line) for line in lines), lines
    assert any("source_cluster" in line for line in lines)


# -- human output: tables and console_link's status lines (items 5 and 10) ----------------------

COUNTS_LINE = re.compile(r"^Running=\d+ Pending=\d+ Desired=\d+ Terminating=\d+$")


def test_status_commands_print_console_links_lines(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    backfill = cli("--config-file", config, "backfill", "status", env=env)
    assert backfill.returncode == 0, backfill.stderr
    lines = backfill.stdout.splitlines()
    assert lines[:2] == ["Backfill workers: STOPPED", "Pods - Running: 0, Pending: 0, Desired: 0"]
    assert "Backfill status: Pending" in lines  # console_link's deep block (Kubernetes: always)

    scaled = cli("--config-file", config, "replay", "scale", "2", env=env)
    assert scaled.returncode == 0, scaled.stderr
    assert scaled.stdout.splitlines()[0] == "Replayer scaled successfully."
    assert COUNTS_LINE.match(scaled.stdout.splitlines()[1]), scaled.stdout
    status = cli("--config-file", config, "replay", "status", env=env).stdout.splitlines()
    assert len(status) == 2
    assert re.match(r"^Replayer: (STARTING|RUNNING)$", status[0]), status
    assert COUNTS_LINE.match(status[1]), status  # one line, also on Kubernetes
    assert status[1].endswith("Desired=2 Terminating=0")
    for text in (backfill.stdout, scaled.stdout, "\n".join(status)):
        assert "BackfillStatus." not in text
        assert "ReplayStatus." not in text

    as_json = cli("--config-file", config, "--json", "replay", "scale", "3", env=env)
    assert one_document(as_json.stdout)["workers"]["desired"] == 3  # the counts the text shows
    stopped = one_document(cli("--config-file", config, "--json", "replay", "stop", env=env).stdout)
    assert stopped["units"] == 0
    assert set(stopped["workers"]) == {"running", "pending", "desired", "terminating"}


def test_deep_snapshot_status_counts_the_documents(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    assert cli("--config-file", config, "snapshot", "create", "--wait", env=env).returncode == 0
    deep = one_document(
        cli("--config-file", config, "--json", "snapshot", "status", "--deep-check", env=env).stdout
    )
    assert [(i["name"], i["document_count"]) for i in deep["indexes"]] == [("logs", 5)]


def test_archive_into_a_directory_named_with_a_slash(
    deployment: Deployment, tmp_path: Path
) -> None:
    deployment.loop.call(lambda: deployment.target.seed_working_state(completed=2))
    wanted = tmp_path / "archives"  # does not exist yet
    done = cli(
        "--config-file", str(deployment.config), "--json", "backfill", "archive",
        "--path", f"{wanted}/", env=clean_env(deployment),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = Path(one_document(done.stdout)["path"])
    assert written.parent == wanted
    assert re.fullmatch(r"working_state_backup_\d{14}\.json", written.name)
    assert isinstance(json.loads(written.read_text()), list)


def _on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with stdout on a pseudo-terminal (what it draws there), stderr captured."""
    import pty

    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "asyncconsole.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**env, "COLUMNS": "160", "TERM": "xterm"},
    ) as process:
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        code = process.wait(timeout=60)
    os.close(leader)
    return code, drawn.decode(errors="replace")


def test_generate_data_shows_its_count_and_rate(deployment: Deployment) -> None:
    code, drawn = _on_a_terminal(
        "--config-file", str(deployment.config), "clusters", "generate-data", "--cluster",
        "source", "--index-name", "generated", "--num-docs", "300", "--batch-size", "50",
        env=clean_env(deployment),
    )  # fmt: skip
    assert code == 0, drawn
    assert "/300 docs" in drawn  # the live count
    assert "docs/s" in drawn  # and rate
    assert "Inserted 300 of 300 documents into generated" in drawn


def test_metrics_are_tables(deployment: Deployment, tmp_path: Path) -> None:
    from asyncconsole.demo import DemoPrometheusServer, MetricsFeed

    prometheus = deployment.loop.run(DemoPrometheusServer().open())
    try:
        deployment.loop.call(lambda: MetricsFeed(prometheus).backfill_history(minutes=5))
        config = tmp_path / "with-metrics.yaml"
        loaded = yaml.safe_load(deployment.config.read_text())
        loaded["metrics_source"] = {"prometheus": {"endpoint": prometheus.url}}
        config.write_text(yaml.safe_dump(loaded))
        env = clean_env(deployment)
        listed = cli("--config-file", str(config), "metrics", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        rows = [line.split() for line in listed.stdout.splitlines()]
        assert any(r[1:4] == ["Component", "┃", "Metric"] for r in rows), listed.stdout
        assert ["│", "replayer", "│", "kafkaCommitCount", "│"] in rows
        assert "{" not in listed.stdout  # not a printed dict

        data = cli(
            "--config-file", str(config), "metrics", "get-data", "replayer", "kafkaCommitCount",
            "--lookback", "5", env=env,
        )  # fmt: skip
        assert data.returncode == 0, data.stderr
        rows = [line.split() for line in data.stdout.splitlines()]
        assert ["│", "Metric", "│", "kafkaCommitCount", "│"] in rows
        assert "timestamp" in data.stdout
        assert "[(" not in data.stdout  # not a printed list of tuples
    finally:
        deployment.loop.run(prometheus.aclose())


# -- exactly one JSON document, however the run ends (item 7) ----------------------------------


def test_json_errors_are_one_document(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    cases: list[tuple[Sequence[str], int, str | None]] = [
        (("--json",), 2, None),  # no command
        (("--json", "no-such-group"), 2, None),
        (("check", "--no-such-option", "--json"), 2, None),
        (("--config-file", config, "clusters", "curl", "elsewhere", "/", "--json"), 2, None),
        (("--config-file", config, "metrics", "list", "--json"), 2, None),  # not configured
        # a declined confirmation
        (("--config-file", config, "clusters", "clear-indices", "--cluster", "source", "--json"),
         1, "n\n"),
        (("--config-file", config, "snapshot", "delete", "--json"), 1, "n\n"),
    ]  # fmt: skip
    for args, code, answer in cases:
        done = cli(*args, env=env, input=answer)
        assert done.returncode == code, (args, done.stderr)
        error = one_document(done.stdout)["error"]
        assert error["exit_code"] == code, args
        assert error["message"], args
        assert "Traceback" not in done.stderr
    assert deployment.loop.call(lambda: deployment.source.index_names) == ["logs"]  # declined


@pytest.fixture
def mute_cluster(tmp_path: Path) -> Iterator[tuple[socket.socket, Path]]:
    """A config whose target accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(30)
    config = tmp_path / "mute.yaml"
    port = server.getsockname()[1]
    config.write_text(
        yaml.safe_dump(
            {"target_cluster": {"endpoint": f"http://127.0.0.1:{port}", "no_auth": None}}
        )
    )
    try:
        yield server, config
    finally:
        server.close()


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_ctrl_c_exits_130(mute_cluster: tuple[socket.socket, Path], as_json: bool) -> None:
    server, config = mute_cluster
    args = ["--config-file", str(config), "clusters", "curl", "target", "/", "--timeout", "60"]
    process = subprocess.Popen(
        [sys.executable, "-m", "asyncconsole.cli", *args, *(["--json"] if as_json else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        connection, _ = server.accept()  # the request is out: the CLI is waiting
        with connection:
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Interrupted" in stderr
    if as_json:
        assert one_document(stdout)["error"] == {
            "type": "Interrupted",
            "message": "Interrupted (Ctrl-C)",
            "exit_code": 130,
            "issues": [],
            "hints": [],
        }
    else:
        assert stdout == ""


# -- values that cannot work are usage errors (issue 10, item 9) --------------------------------


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "Infinity"])
def test_timeouts_must_be_finite(deployment: Deployment, value: str) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    for args in (
        ("check", "--timeout", value),
        ("clusters", "curl", "source", "/", "--timeout", value),
        ("snapshot", "wait", "--timeout", value),
        ("snapshot", "create", "--poll-interval", value),
        ("backfill", "stop", "--timeout", value),
        ("backfill", "status", "--watch", "--interval", value),
        ("metrics", "get-data", "replayer", "x", "--lookback", value),
    ):
        done = cli("--config-file", config, "--json", *args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        error = one_document(done.stdout)["error"]
        assert "finite" in error["message"] or "range" in error["message"], error
        assert "OverflowError" not in done.stderr
        assert "Traceback" not in done.stderr


def test_an_empty_name_is_a_usage_error_naming_the_option(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    for args in (
        ("snapshot", "create", "--name", ""),
        ("snapshot", "create", "--name", "  "),
        ("snapshot", "status", "--name", ""),
        ("snapshot", "delete", "--name", "", "--acknowledge-risk"),
    ):
        done = cli("--config-file", config, *args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        assert "'--name'" in done.stderr, done.stderr
    # nothing was created under the configured name
    listed = cli("--config-file", config, "--json", "snapshot", "list", env=env)
    assert one_document(listed.stdout)["snapshots"] == []


def test_errors_name_the_options_not_python_calls(deployment: Deployment) -> None:
    env = clean_env(deployment)
    config = str(deployment.config)
    first = cli("--config-file", config, "snapshot", "create", "--wait", env=env)
    assert first.returncode == 0, first.stderr
    again = cli("--config-file", config, "snapshot", "create", env=env)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "--name e2e-2" in again.stderr
    assert "--replace" in again.stderr
    assert "create(" not in again.stderr
    assert "replace=True" not in again.stderr
    error = one_document(
        cli("--config-file", config, "--json", "snapshot", "create", env=env).stdout
    )
    assert error["error"]["type"] == "SnapshotExistsError"
    assert "(--replace)" in error["error"]["message"]


# -- first run: no config, `init` (item 4) ------------------------------------------------------


def test_no_config_says_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCCONSOLE_")}
    missing = tmp_path / "nowhere.yaml"
    done = cli("--config-file", str(missing), "check", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: Cannot read configuration file {missing}")
    for hint in ("--config-file", "ASYNCCONSOLE_CONFIG", "asyncconsole init", "asyncconsole demo"):
        assert hint in done.stderr, done.stderr
    as_json = one_document(cli("--config-file", str(missing), "--json", "check", env=env).stdout)
    assert as_json["error"]["type"] == "ConfigError"
    assert any("asyncconsole init" in hint for hint in as_json["error"]["hints"])


def test_an_endpoint_without_a_scheme_is_named_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "services.yaml"
    config.write_text(
        "target_cluster:\n  endpoint: admin:s3cret@localhost:9200\n  no_auth:\n"
        "metrics_source:\n  prometheus:\n    endpoint: localhost:9090\n"
    )
    done = cli("--config-file", str(config), "check")
    assert done.returncode == 2
    assert "  target_cluster.endpoint: must start with http:// or https://" in done.stderr
    assert "  metrics_source.prometheus.endpoint: must start with http://" in done.stderr
    assert "s3cret" not in done.stderr
    assert "localhost" not in done.stderr


def test_init_writes_a_starter_and_never_overwrites(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCCONSOLE_")}
    written = cli("init", env=env, cwd=tmp_path)
    starter = tmp_path / "migration_services.yaml"
    assert written.returncode == 0, written.stderr
    assert str(starter) in written.stdout
    text = starter.read_text()
    assert text.startswith("# migration_services.yaml")
    for block in ("snapshot:", "backfill:", "replay:", "metrics_source:", "kafka:"):
        assert f"# {block}" in text  # every other block is there, commented out
    env_config = Environment.from_file(starter).config
    assert env_config.source_cluster is not None
    assert env_config.target_cluster is not None

    starter.write_text("mine\n")
    again = cli("--json", "init", env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in one_document(again.stdout)["error"]["message"]
    assert starter.read_text() == "mine\n"

    elsewhere = tmp_path / "deep" / "dir" / "services.yaml"
    named = cli("--config-file", str(elsewhere), "--json", "init", env=env, cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert one_document(named.stdout) == {"path": str(elsewhere)}
    assert elsewhere.read_text() == text


# -- a kubeconfig path with a ':' (issue 10, item 9) ----------------------------------------------


def test_a_kubeconfig_path_with_a_colon(deployment: Deployment, tmp_path: Path) -> None:
    odd = tmp_path / "cluster:prod" / "kube:config"
    odd.parent.mkdir()
    odd.write_text(Path(deployment.env["KUBECONFIG"]).read_text())
    env = clean_env(deployment)
    env.pop("KUBECONFIG")
    done = cli(
        "--config-file", str(deployment.config), "--kubeconfig", str(odd), "--json",
        "backfill", "status", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert one_document(done.stdout)["workers"]["desired"] == 0
    # KUBECONFIG stays a list, as for kubectl: a missing entry is skipped
    listed = {
        **env,
        "KUBECONFIG": f"{tmp_path / 'absent'}{os.pathsep}{deployment.env['KUBECONFIG']}",
    }
    assert (
        cli("--config-file", str(deployment.config), "replay", "status", env=listed).returncode == 0
    )


# -- `asyncconsole testing ...` (item 12) --------------------------------------------------------


@contextlib.contextmanager
def serving(*args: str, stop: signal.Signals = signal.SIGTERM) -> Iterator[tuple[str, Any]]:
    """``asyncconsole testing ARGS`` as a process: (first stdout line, the rest of a JSON
    document when --json); stopped with ``stop`` afterwards, which must exit 0."""
    with subprocess.Popen(
        [sys.executable, "-m", "asyncconsole.cli", "testing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        try:
            first = process.stdout.readline().strip()
            document = None
            if first == "{":  # an indented JSON document ends with a lone "}"
                lines = [first]
                while lines[-1] != "}":
                    lines.append(process.stdout.readline().rstrip("\n"))
                document = json.loads("\n".join(lines))
            yield first, document
        finally:
            process.send_signal(stop)
            code = process.wait(timeout=30)
        assert code == 0


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.loads(reply.read())


def test_fake_kubernetes_and_prometheus_run_standalone(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kube:config"
    config = tmp_path / "services.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None},
                "replay": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}},
            }
        )
    )
    with serving(
        "kubernetes", "--deployment", "ma/rfs=2", "--write-kubeconfig", str(kubeconfig)
    ) as (url, _):
        assert url.startswith("http")
        assert yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        status = cli(
            "--config-file", str(config), "--kubeconfig", str(kubeconfig), "--json",
            "replay", "status",
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert one_document(status.stdout)["workers"]["desired"] == 2

    # Ctrl-C is how a server is stopped: exit 0
    with serving("--json", "prometheus", stop=signal.SIGINT) as (_, started):
        assert "kafkaCommitCount" in started["metrics"]["replayer"]
        answer = _get(f"{started['url']}/api/v1/query?query=kafkaCommitCount")
        assert answer["status"] == "success"
        assert answer["data"]["result"]
