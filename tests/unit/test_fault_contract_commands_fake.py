"""The fault contract for the fake command executor, through its fault plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncconsole import FakeClock
from asyncconsole.infra.commands import CommandResult, FakeCommandExecutor
from asyncconsole.testing import FaultCall, FaultPlan, PlanInjector, check_fault_contract

TIMEOUT = 5.0


async def _streamed(ex: FakeCommandExecutor) -> CommandResult:
    async with ex.stream(["tool"], timeout=TIMEOUT) as proc:
        return await proc.wait()


async def test_fake_command_executor_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan()
    executor = FakeCommandExecutor(clock=clock, faults=plan, unmatched="ok")
    executor.script(["tool"], stdout="done\n", steps=(1.0,))

    @asynccontextmanager
    async def open_executor() -> AsyncIterator[FakeCommandExecutor]:
        yield executor

    async def leftovers() -> list[str]:
        return [f"{executor.running} simulated processes"] if executor.running else []

    calls: list[FaultCall[FakeCommandExecutor]] = [
        FaultCall(
            "run",
            lambda ex: ex.run(["tool"], timeout=TIMEOUT),
            False,
            CommandResult,
            operation="command.run",
        ),
        FaultCall("stream", _streamed, False, CommandResult, operation="command.start"),
    ]
    await check_fault_contract(
        open_executor, calls, PlanInjector(plan), timeout=TIMEOUT, clock=clock, leftovers=leftovers
    )
