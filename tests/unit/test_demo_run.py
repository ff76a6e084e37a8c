"""run_demo end to end in-process with simulated workers, and the demo's failure paths."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from rich.console import Console

from asyncconsole.demo import DemoEnvironment, DemoScript, run_demo

STEPS = [
    "check",
    "source",
    "snapshot",
    "metadata",
    "backfill",
    "verify",
    "metrics",
    "replay",
    "stop",
]
SPEED = 10.0


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=140, force_terminal=False, color_system=None), out


async def _refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        _, writer = await asyncio.open_connection(parts.hostname, parts.port)
    except OSError:
        return True
    writer.close()
    await writer.wait_closed()
    return False


def _endpoints(config: dict[str, object]) -> list[str]:
    source = config["source_cluster"]
    target = config["target_cluster"]
    metrics = config["metrics_source"]
    assert isinstance(source, dict)
    assert isinstance(target, dict)
    assert isinstance(metrics, dict)
    return [source["endpoint"], target["endpoint"], metrics["prometheus"]["endpoint"]]


async def test_run_demo_migrates_everything_and_leaves_nothing_running(tmp_path: Path) -> None:
    console, out = _console()
    code = await run_demo(use_docker=False, workdir=tmp_path, console=console, speed=SPEED)
    text = out.getvalue()
    assert code == 0, text
    for number in range(1, len(STEPS) + 1):
        assert f"{number}/{len(STEPS)}" in text
    assert "27/27 work items completed (100%) by simulated workers" in text
    assert "scaled the backfill to 4 workers" in text
    assert "all 5,000 documents are on the target" in text
    assert "Backfill: start, scale, follow until complete" in text
    assert "Docker not used: --no-docker given" in text
    assert "Demo complete" in text
    # the workdir is kept (given), with the config, kubeconfig and the archived working state
    config = yaml.safe_load((tmp_path / "migration_services.yaml").read_text())
    assert (
        config["backfill"]["reindex_from_snapshot"]["k8s"]["deployment_name"]
        == "bulk-document-loader"
    )
    assert (tmp_path / "kubeconfig").exists()
    (archive,) = (tmp_path / "backfill_working_state").glob("working_state_backup_*.json")
    batches = json.loads(archive.read_text())
    items = {key for batch in batches for key in batch if key != "shard_setup"}
    assert len(items) == 27
    assert all(source["completedAt"] for batch in batches for source in batch.values())
    # nothing left: no task, no server listening
    assert asyncio.all_tasks() == {asyncio.current_task()}
    for url in _endpoints(config):
        assert await _refused(url), url


async def test_run_demo_json_summary_and_temporary_workdir(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await run_demo(use_docker=False, speed=SPEED, json_output=True)
    printed = capsys.readouterr().out
    summary = json.loads(printed)
    assert printed.startswith('{\n  "ok": true,')  # indented like every other command
    assert code == 0
    assert summary["ok"] is True
    assert summary["worker_mode"] == "simulated"
    assert list(summary["steps"]) == STEPS
    assert {step["status"] for step in summary["steps"].values()} == {"ok"}
    assert not Path(summary["config_file"]).parent.exists()  # the temporary workdir is gone


async def test_the_autoscaled_step_scales_the_deployment_from_the_targets_pressure(
    tmp_path: Path,
) -> None:
    console, out = _console()
    code = await run_demo(
        use_docker=False, workdir=tmp_path, console=console, speed=4.0, autoscale=True
    )
    text = out.getvalue()
    assert code == 0, text
    steps = [*STEPS[:6], "autoscale", *STEPS[6:]]
    for number in range(1, len(steps) + 1):
        assert f"{number}/{len(steps)}" in text
    assert "Autoscaled backfill: find the workers the target absorbs" in text
    assert "6 workers is the most it absorbs" in text
    # Real time (faster), so the exact path varies; the loop starts from the configured 2
    # workers and steps up from the target's figures, each decision with its reason.
    assert "first reading: 2 workers" in text
    assert "2 → 3: CPU " in text
    assert "autoscaled 2 → " in text
    assert "all 5,000 documents are on the target" in text
    # the autoscaled session's working state was the one loaded; the main one was archived
    assert list((tmp_path / "backfill_working_state").glob("working_state_backup_*.json"))


async def test_keep_running_serves_until_cancelled(tmp_path: Path) -> None:
    console, out = _console()
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(
            run_demo(
                use_docker=False, workdir=tmp_path, console=console, speed=SPEED, keep_running=True
            )
        )
        async with asyncio.timeout(90):
            while "The environment stays up" not in out.getvalue():
                assert not task.done(), out.getvalue()
                await asyncio.sleep(0.1)
        shown = out.getvalue()
        assert "backfill status --deep-check" in shown
        # the commands to try name the written config file and its kubeconfig
        assert f"--config-file {tmp_path / 'migration_services.yaml'}" in shown
        assert f"--kubeconfig {tmp_path / 'kubeconfig'}" in shown
        # this installation's own script, runnable from a shell that has no virtualenv
        assert f"{Path(sys.executable).parent / 'asyncconsole'} --config-file" in shown
        config = yaml.safe_load((tmp_path / "migration_services.yaml").read_text())
        for url in _endpoints(config):
            assert not await _refused(url), url
        task.cancel()
    assert task.cancelled()
    for url in _endpoints(config):
        assert await _refused(url), url


async def test_docker_asked_for_but_unreachable_fails_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    console, out = _console()
    assert await run_demo(use_docker=True, console=console) == 1
    assert "Docker workers were asked for but cannot run" in out.getvalue()


async def test_a_failing_step_stops_the_script_with_its_reason() -> None:
    console, out = _console()
    async with DemoEnvironment(speed=SPEED) as demo, demo.environment() as env:
        demo.source.fail_next(5, path="_cat/indices", status=503, reason="source is overloaded")
        report = await DemoScript(demo, env, console).run()
    assert list(report) == ["check", "source"]
    assert report["check"].ok
    assert report["source"].status == "failed"
    assert "503" in report["source"].detail
    assert report.exit_code == 1
    assert "✗ source failed" in out.getvalue()


async def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        DemoEnvironment(speed=0)
