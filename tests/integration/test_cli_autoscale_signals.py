"""`asyncconsole backfill autoscale` as a real process: Ctrl-C (SIGINT) and SIGTERM stop it
cleanly, with its summary as the last JSON line and exit code 0, and the workers as they were.

The process talks to a FakeOpenSearchServer target and the fake Kubernetes API server (through
the real aiohttp and kubernetes_asyncio clients)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from asyncconsole.testing import FakeKubernetesApiServer, FakeOpenSearchServer

pytestmark = pytest.mark.integration


@dataclass
class Setup:
    config: Path
    env: dict[str, str]
    kube: FakeKubernetesApiServer


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async with FakeOpenSearchServer() as target, FakeKubernetesApiServer(seed=1) as kube:
        target.seed_working_state(unclaimed=100)
        kube.add_deployment("ma", "rfs", replicas=3, labels={"app": "rfs"})
        kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig", namespace="ma")
        config = tmp_path / "migration_services.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "target_cluster": {"endpoint": target.url, "no_auth": None},
                    "backfill": {
                        "reindex_from_snapshot": {
                            "k8s": {"namespace": "ma", "deployment_name": "rfs"}
                        }
                    },
                }
            )
        )
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        env.pop("ASYNCCONSOLE_CONFIG", None)
        yield Setup(config, env, kube)


async def _read_line(stream: asyncio.StreamReader) -> dict[str, Any]:
    line = await stream.readline()
    assert line, "the process ended early"
    parsed: dict[str, Any] = json.loads(line)
    return parsed


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_a_signal_stops_the_loop_cleanly(setup: Setup, sig: signal.Signals) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asyncconsole.cli",
        "--config-file",
        str(setup.config),
        "--json",
        "backfill",
        "autoscale",
        "--min",
        "2",
        "--max",
        "6",
        "--period",
        "0.2",
        env=setup.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    async with asyncio.timeout(60):
        started = await _read_line(process.stdout)
        first = await _read_line(process.stdout)
        second = await _read_line(process.stdout)
    assert started["event"] == "started"
    assert (first["event"], second["event"]) == ("decision", "decision")
    assert first["workers"]["desired"] == 3

    process.send_signal(sig)
    async with asyncio.timeout(30):
        rest, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    lines = [json.loads(line) for line in rest.decode().splitlines()]
    assert lines, "no summary"
    assert all(line["event"] == "decision" for line in lines[:-1])
    summary = lines[-1]
    assert summary["event"] == "stopped"
    assert summary["reason"] == "interrupted"
    assert summary["decisions"] == 2 + len(lines) - 1
    assert b"Traceback" not in stderr
    # Stopping leaves the workers as they are: nothing was scaled down on the way out.
    assert setup.kube.deployment("ma", "rfs")["spec"]["replicas"] == 3
