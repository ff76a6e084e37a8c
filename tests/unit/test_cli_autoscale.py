"""`asyncconsole backfill autoscale` and `replay autoscale` in-process: JSON Lines, text lines,
the live view, dry runs and bad options."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.test_cli_support import Fakes, Servers, invoke, servers

__all__ = ["servers"]

K8S_BACKFILL = {"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}
K8S_REPLAY = {"k8s": {"namespace": "ma", "deployment_name": "replayer"}}
FAST = ["--period", "0.01", "--periods", "3"]


@pytest.fixture
def fakes() -> Fakes:
    made = Fakes()
    made.k8s.add_deployment("ma", "rfs", replicas=1, labels={"app": "rfs"})
    made.k8s.add_deployment("ma", "replayer", replicas=1, labels={"app": "replayer"})
    return made


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _scaled(fakes: Fakes, name: str) -> list[int]:
    return [
        c.args["replicas"] for c in fakes.k8s.calls_to("scale_deployment") if c.args["name"] == name
    ]


def test_json_streams_one_object_per_line(servers: Servers, fakes: Fakes) -> None:
    servers.loop.call(lambda: servers.target.seed_working_state(unclaimed=50))
    config = servers.config(backfill=K8S_BACKFILL)
    result = invoke(
        ["--json", "backfill", "autoscale", "--min", "2", "--max", "20", *FAST],
        config=config,
        fakes=fakes,
    )
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert [line["event"] for line in lines] == [
        "started",
        "decision",
        "decision",
        "decision",
        "stopped",
    ]
    started = lines[0]
    assert (started["role"], started["workers"], started["dry_run"]) == ("backfill", "k8s", False)
    assert started["policy"]["min_workers"] == 2
    assert started["pressure"] == "_nodes/stats"
    first = lines[1]
    assert (first["action"], first["from"], first["to"], first["applied"]) == ("up", 1, 2, True)
    assert first["reason"] == "1 → 2: below the minimum of 2"
    assert first["pressure"]["source"] == "_nodes/stats"
    assert first["progress"]["remaining"] == 50
    assert lines[-1] == {
        "event": "stopped",
        "role": "backfill",
        "reason": "periods",
        "decisions": 3,
        "scaled": 1,
        "workers": 2,
    }
    assert _scaled(fakes, "rfs") == [2]


def test_a_dry_run_scales_nothing(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    result = invoke(
        ["--json", "backfill", "autoscale", "--min", "3", "--dry-run", *FAST],
        config=config,
        fakes=fakes,
    )
    assert result.exit_code == 0, result.stderr
    decisions = [line for line in _lines(result.stdout) if line["event"] == "decision"]
    assert [(d["action"], d["applied"], d["dry_run"]) for d in decisions] == [
        ("up", False, True)
    ] * 3
    assert _scaled(fakes, "rfs") == []


def test_text_prints_a_line_per_decision(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    result = invoke(["backfill", "autoscale", "--max", "4", *FAST], config=config, fakes=fakes)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Autoscaling backfill workers (k8s): 1-4 workers, target CPU 70%, every 0.01s; "
        "pressure from _nodes/stats, progress from working state."
    )
    assert lines[1].endswith("first reading: 1 workers, judged from the next period on")
    assert lines[1][2] == ":"  # HH:MM:SS first
    assert len(lines) == 5
    assert lines[-1] == "Autoscaler done after 3 decisions (0 scalings); 1 workers desired."


def test_the_live_view_draws_on_a_terminal(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    result = invoke(
        ["backfill", "autoscale", "--dry-run", *FAST], config=config, fakes=fakes, interactive=True
    )
    assert result.exit_code == 0, result.stderr
    assert "Autoscaling the backfill workers (dry run)" in result.stdout
    assert "1/1 workers" in result.stdout
    assert "\x1b[" in result.stdout
    assert "Ctrl-C stops the autoscaler" in result.stdout


def test_the_replayer_is_autoscaled_from_the_target(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(replay=K8S_REPLAY)
    result = invoke(
        ["--json", "replay", "autoscale", "--min", "2", *FAST], config=config, fakes=fakes
    )
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert lines[0]["role"] == "replay"
    assert lines[0]["progress"] == "_nodes/stats indexing"
    assert lines[1]["role"] == "replay"
    assert lines[1]["to"] == 2
    assert _scaled(fakes, "replayer") == [2]


def test_bad_bounds_are_a_usage_error(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    result = invoke(
        ["backfill", "autoscale", "--min", "5", "--max", "2"], config=config, fakes=fakes
    )
    assert result.exit_code == 2
    assert "--max (2) is below --min (5)" in result.stderr
    missing = invoke(["backfill", "autoscale"], config=servers.config(), fakes=fakes)
    assert missing.exit_code == 2
    assert "Backfill migration is not set" in missing.stderr


def test_metrics_pressure_needs_a_metrics_source(servers: Servers, fakes: Fakes) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    result = invoke(
        ["backfill", "autoscale", "--pressure", "metrics", *FAST], config=config, fakes=fakes
    )
    assert result.exit_code == 2
    assert "Metrics source is not set" in result.stderr


def test_pressure_from_the_configured_metrics_source(servers: Servers, fakes: Fakes) -> None:
    from datetime import UTC, datetime, timedelta

    since = datetime.now(UTC) - timedelta(minutes=10)
    fakes.metrics.add_generated(
        "target", "opensearch_os_cpu_percent", lambda _t: 35.0, every=1, since=since
    )
    config = servers.config(
        backfill=K8S_BACKFILL, metrics_source={"prometheus": {"endpoint": "http://prom:9090"}}
    )
    result = invoke(
        ["--json", "backfill", "autoscale", "--pressure", "metrics", *FAST],
        config=config,
        fakes=fakes,
    )
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert lines[0]["pressure"] == "prometheus"
    decisions = [line for line in lines if line["event"] == "decision"]
    assert {d["pressure"]["source"] for d in decisions} == {"prometheus"}
    assert decisions[-1]["pressure"]["cpu_percent"] == 35.0
    nothing = invoke(
        [
            "--json",
            "backfill",
            "autoscale",
            "--pressure",
            "metrics",
            "--metrics-component",
            "elsewhere",
            *FAST,
        ],
        config=config,
        fakes=fakes,
    )
    held = [line for line in _lines(nothing.stdout) if line["event"] == "decision"][1:]
    assert {d["rule"] for d in held} == {"no_data"}
