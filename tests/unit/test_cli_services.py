"""`asyncconsole backfill|replay|metrics|metadata|kafka|demo` on fakes: text, JSON, exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from asyncconsole.testing import WorkItem  # noqa: F401  (the seeder's public item type)
from tests.unit.test_cli_support import PASSWORD, Fakes, Servers, invoke, servers

__all__ = ["servers"]

K8S_BACKFILL = {"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}
K8S_REPLAY = {"k8s": {"namespace": "ma", "deployment_name": "replayer"}, "scale": 2}


@pytest.fixture
def fakes() -> Fakes:
    made = Fakes()
    made.k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
    made.k8s.add_deployment("ma", "replayer", replicas=0, labels={"app": "replayer"})
    return made


def _replicas(fakes: Fakes, name: str) -> list[int]:
    return [
        c.args["replicas"] for c in fakes.k8s.calls_to("scale_deployment") if c.args["name"] == name
    ]


# -- backfill ----------------------------------------------------------------------------------


def test_backfill_start_pause_scale(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    started = invoke(["backfill", "start"], config=config, fakes=fakes)
    assert (started.exit_code, started.stdout) == (0, "Backfill started successfully.\n")
    paused = invoke(["--json", "backfill", "pause"], config=config, fakes=fakes)
    assert json.loads(paused.stdout) == {
        "action": "pause",
        "units": 0,
        "message": "Backfill paused successfully.",
    }
    scaled = invoke(["--json", "backfill", "scale", "3"], config=config, fakes=fakes)
    assert json.loads(scaled.stdout)["units"] == 3
    assert _replicas(fakes, "rfs") == [5, 0, 3]
    assert invoke(["backfill", "scale", "-1"], config=config, fakes=fakes).exit_code == 2
    assert invoke(["backfill", "scale", "many"], config=config, fakes=fakes).exit_code == 2


def test_backfill_status_text_and_json(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    text = invoke(["backfill", "status"], config=config, fakes=fakes)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith(
        "Backfill workers: STOPPED\nPods - Running: 0, Pending: 0, Desired: 0"
    )
    assert "Backfill status: Pending" in text.stdout  # k8s always checks the working state

    servers.loop.call(lambda: servers.target.seed_working_state(completed=3, in_progress=1))
    data = json.loads(
        invoke(["--json", "backfill", "status", "--deep-check"], config=config, fakes=fakes).stdout
    )
    assert set(data) == {"status", "message", "workers", "deep", "deep_error"}
    assert data["workers"] == {"running": 0, "pending": 0, "desired": 0, "terminating": 0}
    assert data["deep"]["shard_total"] == 4
    assert data["deep"]["shard_complete"] == 3
    assert data["deep"]["status"] == "Paused"


def test_backfill_status_watch_until_complete(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    servers.loop.call(lambda: servers.target.seed_working_state(completed=4))
    result = invoke(
        ["backfill", "status", "--watch", "--interval", "0.01"], config=config, fakes=fakes
    )
    assert result.exit_code == 0
    assert "Backfill status: Completed" in result.stdout
    drawn = invoke(
        ["backfill", "status", "--watch", "--interval", "0.01"],
        config=config,
        fakes=fakes,
        interactive=True,
    )
    assert "Backfill status: Completed" in drawn.stdout
    assert "\x1b[" in drawn.stdout  # the progress bar, drawn on a terminal
    assert "\x1b[" not in result.stdout


def test_json_on_a_terminal_draws_no_progress(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    servers.loop.call(lambda: servers.target.seed_working_state(completed=4))
    for args in (
        ["backfill", "status", "--watch", "--interval", "0.01"],
        ["backfill", "stop", "--no-archive", "--timeout", "5"],
        ["check"],
    ):
        result = invoke(["--json", *args], config=config, fakes=fakes, interactive=True)
        assert result.exit_code == 0, result.stderr
        assert "\x1b[" not in result.stdout + result.stderr
        json.loads(result.stdout)  # one JSON document, nothing else


def test_backfill_stop_archives_and_archive_refuses_running_workers(
    servers: Servers, fakes: Fakes, tmp_path: Path
) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    nothing = invoke(["--json", "backfill", "stop"], config=config, fakes=fakes)
    assert nothing.exit_code == 0, nothing.stderr
    assert json.loads(nothing.stdout)["archive"] is None

    index = servers.loop.call(lambda: servers.target.seed_working_state(completed=2))
    stopped = invoke(["backfill", "stop", "--path", str(tmp_path)], config=config, fakes=fakes)
    assert stopped.exit_code == 0, stopped.stderr
    (written,) = tmp_path.iterdir()
    assert f"archived to: {written}" in stopped.stdout
    assert index not in servers.loop.call(lambda: servers.target.index_names)

    invoke(["backfill", "start"], config=config, fakes=fakes)
    refused = invoke(["backfill", "archive"], config=config, fakes=fakes)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: RFS Workers are still in progress")


def test_backfill_describe_masks_nothing_secret(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    text = invoke(["backfill", "describe"], config=config, fakes=fakes)
    assert text.exit_code == 0
    assert yaml.safe_load(text.stdout)["working_state_index"] == ".migrations_working_state"
    data = json.loads(invoke(["--json", "backfill", "describe"], config=config, fakes=fakes).stdout)
    assert data["reindex_from_snapshot"]["k8s"]["deployment_name"] == "rfs"
    assert PASSWORD not in text.stdout + json.dumps(data)


def test_backfill_k8s_failure_is_exit_1_one_line(servers: Servers, fakes: Fakes) -> None:
    from asyncconsole import KubernetesError

    fakes.k8s.fail("scale_deployment", KubernetesError("forbidden: cannot patch", status=403))
    result = invoke(
        ["backfill", "start"], config=servers.config(backfill=K8S_BACKFILL), fakes=fakes
    )
    assert result.exit_code == 1
    assert result.stderr == "Error: forbidden: cannot patch\n"


# -- replay ------------------------------------------------------------------------------------


def test_replay_commands(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(replay=K8S_REPLAY)
    started = invoke(["replay", "start"], config=config, fakes=fakes)
    assert started.exit_code == 0
    assert started.stdout == (
        "Replayer started successfully.\nRunning=0 Pending=2 Desired=2 Terminating=0\n"
    )
    assert json.loads(
        invoke(["--json", "replay", "scale", "4"], config=config, fakes=fakes).stdout
    ) == {
        "action": "scale",
        "units": 4,
        "message": "Replayer scaled successfully.",
        "workers": {"running": 0, "pending": 4, "desired": 4, "terminating": 0},
    }
    status = json.loads(invoke(["--json", "replay", "status"], config=config, fakes=fakes).stdout)
    assert status["workers"]["desired"] == 4
    assert status["status"] in {"STARTING", "RUNNING"}
    stopped = invoke(["replay", "stop"], config=config, fakes=fakes)
    assert stopped.stdout.startswith("Replayer stopped successfully.")
    assert _replicas(fakes, "replayer") == [2, 4, 0]
    text = invoke(["replay", "status"], config=config, fakes=fakes)
    assert text.stdout.startswith("Replayer: ")
    described = json.loads(
        invoke(["--json", "replay", "describe"], config=config, fakes=fakes).stdout
    )
    assert described["scale"] == 2
    assert (
        yaml.safe_load(invoke(["replay", "describe"], config=config, fakes=fakes).stdout)["scale"]
        == 2
    )


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_list_and_get_data(fakes: Fakes) -> None:
    now = fakes.metrics.clock.now()
    fakes.metrics.add_points(
        "replayer", "kafkaCommitCount", [(now - timedelta(minutes=m), float(m)) for m in (1, 2, 3)]
    )
    config = {"metrics_source": {"prometheus": {"endpoint": "http://127.0.0.1:9"}}}
    listed = invoke(["--json", "metrics", "list"], config=config, fakes=fakes)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)["replayer"] == ["kafkaCommitCount"]
    shown = invoke(["metrics", "list"], config=config, fakes=fakes).stdout
    assert any(
        line.split() == ["│", "replayer", "│", "kafkaCommitCount", "│"]
        for line in shown.splitlines()
    )
    assert "{" not in shown  # a table, not a printed Python dict

    data = json.loads(
        invoke(
            [
                "--json",
                "metrics",
                "get-data",
                "REPLAYER",
                "kafkaCommitCount",
                "--statistic",
                "sum",
                "--lookback",
                "10",
            ],
            config=config,
            fakes=fakes,
        ).stdout
    )
    assert data["component"] == "replayer"
    assert data["statistic"] == "Sum"
    assert data["lookback_minutes"] == 10
    assert sum(len(s["points"]) for s in data["series"]) >= 1
    text = invoke(
        ["metrics", "get-data", "replayer", "kafkaCommitCount"], config=config, fakes=fakes
    )
    lines = text.stdout.splitlines()
    assert any(line.split() == ["│", "Metric", "│", "kafkaCommitCount", "│"] for line in lines)
    assert "[(" not in text.stdout  # a table, not a printed Python list of tuples
    assert invoke(["metrics", "get-data", "nobody", "x"], config=config, fakes=fakes).exit_code == 2


# -- metadata ----------------------------------------------------------------------------------


def _metadata_config(servers: Servers) -> dict[str, Any]:
    return servers.config(
        snapshot={"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}},
        metadata_migration={
            "from_snapshot": {"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}},
            "cluster_awareness_attributes": 0,
        },
    )


def test_metadata_streams_the_tool_and_passes_arguments_through(
    servers: Servers, fakes: Fakes
) -> None:
    fakes.executor.script(lambda argv: "evaluate" in argv, stdout="Would create index logs\nDone\n")
    config = _metadata_config(servers)
    # after `--`, --help is the tool's (before it, asyncconsole's own, needing no config)
    result = invoke(
        ["metadata", "evaluate", "--index-allowlist", "logs", "--", "--help"],
        config=config,
        fakes=fakes,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Would create index logs\nDone\nCommand executed successfully\n"
    (call,) = fakes.executor.calls
    assert "--help" in call.revealed
    assert call.revealed[call.revealed.index("--index-allowlist") + 1] == "logs"
    assert PASSWORD not in result.stdout

    as_json = json.loads(
        invoke(["--json", "metadata", "evaluate"], config=config, fakes=fakes).stdout
    )
    assert as_json["success"] is True
    assert as_json["command"] == "evaluate"
    assert "Would create index logs" in as_json["output"]
    assert PASSWORD not in json.dumps(as_json)


def test_metadata_failure_is_exit_1(servers: Servers, fakes: Fakes) -> None:
    fakes.executor.script(lambda argv: "migrate" in argv, exit_code=3, stdout="boom\n")
    result = invoke(["metadata", "migrate"], config=_metadata_config(servers), fakes=fakes)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: MetadataMigration migrate failed with exit code 3")


# -- kafka -------------------------------------------------------------------------------------

KAFKA = {"kafka": {"broker_endpoints": "k1:9092,k2:9092", "standard": None}}


def test_kafka_list_create_and_describe(fakes: Fakes) -> None:
    fakes.executor.script("kafka-topics.sh * --list", stdout="logging-traffic-topic\nother\n")
    fakes.executor.script("kafka-topics.sh * --create *", stdout="Created topic t1.\n")
    listed = invoke(["--json", "kafka", "list-topics"], config=KAFKA, fakes=fakes)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)["topics"] == ["logging-traffic-topic", "other"]
    created = invoke(["kafka", "create-topic", "t1"], config=KAFKA, fakes=fakes)
    assert created.stdout == "Created topic t1.\n"
    created_option = invoke(
        ["kafka", "create-topic", "--topic-name", "t1"], config=KAFKA, fakes=fakes
    )
    assert created_option.exit_code == 0
    calls = fakes.executor.calls_matching("kafka-topics.sh * --create *")
    assert [c.revealed[-1] for c in calls] == ["t1", "t1"]
    fakes.executor.script(
        "kafka-run-class.sh *", stdout="logging-traffic-topic:0:5\nlogging-traffic-topic:1:7\n"
    )
    records = json.loads(
        invoke(["--json", "kafka", "describe-topic-records"], config=KAFKA, fakes=fakes).stdout
    )
    assert records["total"] == 12


def test_kafka_delete_asks_and_failures_are_exit_1(fakes: Fakes) -> None:
    fakes.executor.script("kafka-topics.sh * --delete *", exit_code=1, stdout="no such topic\n")
    declined = invoke(["kafka", "delete-topic"], config=KAFKA, fakes=fakes, input="n\n")
    assert declined.exit_code == 1
    assert fakes.executor.calls == []
    failed = invoke(["kafka", "delete-topic", "--acknowledge-risk"], config=KAFKA, fakes=fakes)
    assert failed.exit_code == 1  # console_link exits 0 here
    assert failed.stderr.startswith("Error: ")


# -- demo --------------------------------------------------------------------------------------


def test_demo_forwards_every_option_to_run_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib

    module = importlib.import_module("asyncconsole.demo")
    seen: dict[str, Any] = {}

    async def run_demo(**kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(module, "run_demo", run_demo)
    args = ["--json", "demo", "--keep-running", "--no-docker", "--workdir", str(tmp_path)]
    result = invoke([*args, "--speed", "2", "--autoscale"])
    assert result.exit_code == 0, result.output
    assert seen["autoscale"] is True
    assert seen["keep_running"] is True
    assert seen["use_docker"] is False
    assert seen["workdir"] == tmp_path
    assert seen["speed"] == 2.0
    assert seen["json_output"] is True

    async def failing(**_: Any) -> int:
        return 3

    monkeypatch.setattr(module, "run_demo", failing)
    assert invoke(["demo"]).exit_code == 3


def test_demo_interrupt_exits_130_during_the_run_and_0_once_kept_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    module = importlib.import_module("asyncconsole.demo")

    async def interrupted(**_: Any) -> int:
        raise KeyboardInterrupt

    async def interrupted_while_kept(**kwargs: Any) -> int:
        kwargs["on_done"](None)  # the run ended; the environment stays up
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run_demo", interrupted)
    assert invoke(["demo"]).exit_code == 130
    assert invoke(["demo", "--keep-running"]).exit_code == 130
    as_json = invoke(["demo", "--json"])
    assert as_json.exit_code == 130
    assert json.loads(as_json.stdout)["error"]["exit_code"] == 130
    monkeypatch.setattr(module, "run_demo", interrupted_while_kept)
    assert invoke(["demo", "--keep-running"]).exit_code == 0
