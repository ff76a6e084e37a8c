"""The fault contract for the real command executor: its peer is a process (a script the
injector rewrites), so a mute peer is a process that never ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from asyncconsole.infra.commands import CommandResult, SubprocessExecutor
from asyncconsole.testing import FaultCall, ScriptInjector, check_fault_contract

pytestmark = pytest.mark.integration

TIMEOUT = 1.0


def _calls(script: Path) -> list[FaultCall[SubprocessExecutor]]:
    async def streamed(ex: SubprocessExecutor) -> CommandResult:
        async with ex.stream([script], timeout=TIMEOUT) as proc:
            return await proc.wait()

    return [
        FaultCall("run", lambda ex: ex.run([script], timeout=TIMEOUT), False, CommandResult),
        FaultCall(
            "run check=True",
            lambda ex: ex.run([script], timeout=TIMEOUT, check=True),
            False,
            CommandResult,
        ),
        FaultCall("stream", streamed, False, CommandResult),
    ]


def _running(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(f"pid {entry.name}: {cmdline!r}")
    return found


async def test_subprocess_executor_keeps_the_fault_contract(tmp_path: Path) -> None:
    injector = ScriptInjector(tmp_path)

    @asynccontextmanager
    async def open_executor() -> AsyncIterator[SubprocessExecutor]:
        async with SubprocessExecutor(grace_period=0.5) as executor:
            yield executor

    async def leftovers() -> list[str]:
        return _running(str(injector.script))

    await check_fault_contract(
        open_executor,
        _calls(injector.script),
        injector,
        timeout=TIMEOUT,
        leftovers=leftovers,
    )
