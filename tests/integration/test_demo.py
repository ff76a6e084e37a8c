"""The demo with real peers: Docker workers, the CLI against a kept-running demo, and Ctrl-C."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from asyncconsole.demo import run_demo
from asyncconsole.infra.docker import DockerEngineManager
from asyncconsole.services.workers import ROLE_LABEL, SESSION_LABEL
from tests.fixtures.docker import DockerPeer
from tests.fixtures.peers import missing_peer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def docker_ready(docker_peer: DockerPeer) -> None:
    if docker_peer.reason is not None:
        missing_peer("dockerd", docker_peer.reason)


async def _demo_containers(session: str) -> int:
    async with DockerEngineManager() as docker:
        found = await docker.list_containers(
            labels={ROLE_LABEL: "backfill", SESSION_LABEL: session}, all=True
        )
    return len(found)


def _session(workdir: Path) -> str:
    config = yaml.safe_load((workdir / "migration_services.yaml").read_text())
    return str(config["backfill"]["reindex_from_snapshot"]["backfill_session_name"])


@pytest.mark.usefixtures("docker_ready")
async def test_run_demo_on_real_docker_containers(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=140, force_terminal=False, color_system=None)
    code = await run_demo(use_docker=True, workdir=tmp_path, console=console, speed=4.0)
    text = out.getvalue()
    assert code == 0, text
    assert "real Docker containers" in text
    assert "27/27 work items completed (100%) by docker workers" in text
    assert "all 5,000 documents are on the target" in text
    config = yaml.safe_load((tmp_path / "migration_services.yaml").read_text())
    assert config["backfill"]["reindex_from_snapshot"]["docker"]["image"]
    assert await _demo_containers(_session(tmp_path)) == 0


async def _spawn(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
async def kept_demo(tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, Path]]:
    """``asyncconsole demo --keep-running --no-docker`` until it says it stays up."""
    proc = await _spawn(
        "-m", "asyncconsole.cli", "demo", "--keep-running", "--no-docker", "--speed", "6",
        "--workdir", str(tmp_path),
    )  # fmt: skip
    assert proc.stdout is not None
    seen = b""
    try:
        async with asyncio.timeout(90):
            while b"stays up" not in seen:
                line = await proc.stdout.readline()
                assert line, seen.decode()
                seen += line
        yield proc, tmp_path
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _printed_commands(proc: asyncio.subprocess.Process) -> list[str]:
    """The commands a kept-running demo prints after "stays up" (one per line)."""
    assert proc.stdout is not None
    found: list[str] = []
    async with asyncio.timeout(30):
        while len(found) < 5:
            line = (await proc.stdout.readline()).decode()
            assert line, found
            if line.strip():
                found.append(line.strip())
    return found


async def test_the_printed_commands_work_as_printed_in_a_fresh_shell(
    kept_demo: tuple[asyncio.subprocess.Process, Path],
) -> None:
    proc, workdir = kept_demo
    printed = await _printed_commands(proc)
    (check,) = [line for line in printed if line.endswith(" check")]
    # a fresh login shell: no virtualenv on PATH, no KUBECONFIG
    shell = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", check.removesuffix(" check") + " --json check",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "HOME": str(workdir)}, cwd="/",
    )  # fmt: skip
    output, errors = await shell.communicate()
    assert shell.returncode == 0, (check, errors.decode())
    components = json.loads(output)["components"]
    assert {c["status"] for c in components.values()} == {"ok"}, components
    proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(30):
        assert await proc.wait() == 0


async def test_cli_commands_work_against_a_kept_running_demo(
    kept_demo: tuple[asyncio.subprocess.Process, Path],
) -> None:
    proc, workdir = kept_demo
    env = {"KUBECONFIG": str(workdir / "kubeconfig")}
    config = str(workdir / "migration_services.yaml")
    check = await _spawn(
        "-m", "asyncconsole.cli", "--config-file", config, "--json", "check", env=env
    )
    output, _ = await check.communicate()
    assert check.returncode == 0, output.decode()
    components = json.loads(output)["components"]
    assert {c["status"] for c in components.values()} == {"ok"}
    assert set(components) >= {"source_cluster", "target_cluster", "backfill", "replay", "metrics"}
    # a second backfill on the kept environment: workers start, RFS's setup seeds the items
    start = await _spawn(
        "-m", "asyncconsole.cli", "--config-file", config, "backfill", "start", env=env
    )
    output, _ = await start.communicate()
    assert start.returncode == 0, output.decode()
    async with asyncio.timeout(60):
        while True:
            status = await _spawn(
                "-m", "asyncconsole.cli", "--config-file", config, "--json",
                "backfill", "status", "--deep-check", env=env,
            )  # fmt: skip
            output, _ = await status.communicate()
            assert status.returncode == 0, output.decode()
            deep = json.loads(output).get("deep") or {}
            if deep.get("status") == "Completed":
                break
            await asyncio.sleep(0.3)
    # Ctrl-C ends a kept-running demo cleanly
    proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(30):
        assert await proc.wait() == 0


@pytest.mark.usefixtures("docker_ready")
async def test_ctrl_c_during_the_backfill_removes_every_container(tmp_path: Path) -> None:
    proc = await _spawn("-m", "asyncconsole.cli", "demo", "--docker", "--workdir", str(tmp_path))
    assert proc.stdout is not None
    seen = b""
    try:
        async with asyncio.timeout(90):
            while b"Started the backfill" not in seen:
                line = await proc.stdout.readline()
                assert line, seen.decode()
                seen += line
        session = _session(tmp_path)
        async with asyncio.timeout(30):
            while await _demo_containers(session) == 0:
                await asyncio.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            rest, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 130, (seen + rest).decode()
    assert b"interrupted" in rest
    assert await _demo_containers(session) == 0
