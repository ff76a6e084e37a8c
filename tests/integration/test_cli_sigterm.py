"""SIGTERM to the CLI while it runs an external tool stops the tool's whole process tree."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

# A stand-in opensearch-benchmark: records its pid and a background child's, then waits.
TOOL = """#!/bin/sh
echo $$ >> "$PIDFILE"
sleep 300 &
echo $! >> "$PIDFILE"
wait
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended (only its parent has not reaped it yet)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
async def test_sigterm_stops_the_tool_tree_and_exits_143(tmp_path: Path, as_json: bool) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "opensearch-benchmark"
    tool.write_text(TOOL)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    config = tmp_path / "services.yaml"
    config.write_text("source_cluster:\n  endpoint: http://127.0.0.1:9\n  no_auth:\n")
    pidfile = tmp_path / "pids"
    env = dict(os.environ, PIDFILE=str(pidfile), PATH=f"{bin_dir}:{os.environ['PATH']}")
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asyncconsole.cli",
        "--config-file",
        str(config),
        "clusters",
        "run-test-benchmarks",
        "--cluster",
        "source",
        *(["--json"] if as_json else []),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        while not pidfile.exists() or len(pidfile.read_text().split()) < 2:
            await asyncio.sleep(0.05)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert all(_running(p) for p in pids)

    cli.send_signal(signal.SIGTERM)
    async with asyncio.timeout(10):
        stdout, stderr = await cli.communicate()
    assert cli.returncode == 128 + signal.SIGTERM
    assert b"Terminated" in stderr
    if as_json:
        # one JSON document, as for every other way a run ends
        assert json.loads(stdout)["error"]["type"] == "Terminated"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while any(_running(p) for p in pids) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    assert [p for p in pids if _running(p)] == []
