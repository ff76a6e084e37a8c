"""FakeCommandExecutor: the contract, scripting, the call log, faults and simulated time."""

from __future__ import annotations

import asyncio
import math
import re

import pytest

from asyncconsole import CommandError, CommandTimeoutError, FakeClock, Secret
from asyncconsole.infra.commands import (
    CommandExecutor,
    CommandResult,
    FakeCall,
    FakeCommandExecutor,
    FakeReply,
    OutputLine,
    OutputMode,
)
from asyncconsole.testing import check_command_executor


async def test_contract_with_posix_emulation() -> None:
    ran = await check_command_executor(FakeCommandExecutor.posix_basics)
    assert len(ran) == 10


async def test_is_a_command_executor(fake_commands: FakeCommandExecutor) -> None:
    assert isinstance(fake_commands, CommandExecutor)


async def test_patterns_exact_prefix_glob_regex_predicate() -> None:
    ex = FakeCommandExecutor()
    ex.script(["kubectl", "get", "pods"], stdout="exact\n")
    ex.script(["kafka-topics.sh", ...], stdout="prefix\n")
    ex.script("aws ecs * --cluster c1", stdout="glob\n")
    ex.script(re.compile(r"^curl .*-XDELETE"), stdout="regex\n")
    ex.script(lambda argv: len(argv) == 4 and argv[0] == "four", stdout="predicate\n")
    assert (await ex.run(["kubectl", "get", "pods"])).stdout == "exact\n"
    assert (await ex.run(["kafka-topics.sh", "--list"])).stdout == "prefix\n"
    assert (await ex.run(["kafka-topics.sh"])).stdout == "prefix\n"
    assert (await ex.run(["aws", "ecs", "describe-services", "--cluster", "c1"])).stdout == "glob\n"
    assert (await ex.run(["curl", "-s", "-XDELETE", "http://x"])).stdout == "regex\n"
    assert (await ex.run(["four", "a", "b", "c"])).stdout == "predicate\n"
    with pytest.raises(CommandError, match="no script matching") as info:
        await ex.run(["kubectl", "get", "pods", "-A"])
    assert info.value.exit_code is None
    assert "program not found" in str(info.value)


async def test_later_scripts_win_and_times_limits_use() -> None:
    ex = FakeCommandExecutor()
    ex.script(["deploy"], stdout="ok\n")
    ex.script(["deploy"], exit_code=1, stderr="busy\n", times=2)
    results = [await ex.run(["deploy"]) for _ in range(3)]
    assert [r.exit_code for r in results] == [1, 1, 0]
    assert results[2].stdout == "ok\n"
    with pytest.raises(ValueError, match="times"):
        ex.script(["x"], times=0)


async def test_unmatched_behaviours() -> None:
    assert (await FakeCommandExecutor(unmatched="ok").run(["anything"])).exit_code == 0
    ex = FakeCommandExecutor(unmatched=FakeReply(exit_code=127, stderr="nope\n"))
    res = await ex.run(["anything"])
    assert (res.exit_code, res.stderr) == (127, "nope\n")
    err = PermissionError("denied")
    with pytest.raises(PermissionError):
        await FakeCommandExecutor(unmatched=err).run(["anything"])


async def test_reply_functions_sync_async_and_results() -> None:
    ex = FakeCommandExecutor()

    def echo_args(call: FakeCall) -> FakeReply:
        return FakeReply(stdout=" ".join(call.revealed[1:]) + "\n")

    async def from_result(call: FakeCall) -> CommandResult:
        await asyncio.sleep(0)
        return CommandResult(call.argv, 3, "r\n", "e\n")

    ex.script(["say", ...], echo_args)
    ex.script(["res"], from_result)
    ex.script(["bad"], lambda call: "not a reply")  # type: ignore[arg-type,return-value]
    ex.script(["static"], CommandResult(("static",), 4, "s\n"))
    assert (await ex.run(["say", "a", Secret("b")])).stdout == "a ********\n"
    res = await ex.run(["res"])
    assert (res.exit_code, res.stdout, res.stderr) == (3, "r\n", "e\n")
    assert (await ex.run(["static"])).exit_code == 4
    with pytest.raises(TypeError, match="FakeReply"):
        await ex.run(["bad"])


async def test_call_log_records_everything_with_secrets_masked_in_argv() -> None:
    ex = FakeCommandExecutor(unmatched="ok")
    password = Secret("pw-1")
    await ex.run(
        ["login", "--password", password],
        env={"A": "1", "TOKEN": Secret("t-2")},
        cwd="/srv",
        stdin=b"in",
        timeout=5,
    )
    (call,) = ex.calls
    assert call.argv == ("login", "--password", "********")
    assert call.revealed == ("login", "--password", "pw-1")
    assert call.env == {"A": "1", "TOKEN": Secret("t-2")}
    assert call.environ["TOKEN"] == "t-2"
    assert (call.cwd, call.stdin, call.timeout, call.output) == (
        "/srv",
        b"in",
        5,
        OutputMode.CAPTURE,
    )
    assert call.outcome == "exited"
    assert call.result is not None
    assert call.result.argv == call.argv
    assert ex.calls_matching(["login", ...]) == [call]
    assert ex.calls_matching(["login", "--password", password]) == [call]
    assert ex.calls_matching(["logout"]) == []


async def test_injected_failures() -> None:
    ex = FakeCommandExecutor()
    ex.script(["kubectl", ...], raises=CommandError("cannot run 'kubectl': permission denied"))
    with pytest.raises(CommandError, match="permission denied"):
        await ex.run(["kubectl", "version"])
    assert ex.calls[0].outcome == "not_started"
    ex.ping_error = CommandError("no fork")
    with pytest.raises(CommandError, match="no fork"):
        await ex.ping()
    assert ex.pings == 1


async def test_delays_run_on_the_fake_clock() -> None:
    clock = FakeClock()
    ex = FakeCommandExecutor(clock=clock)
    ex.script(["snapshot", "create"], stdout="done\n", delay=600)
    res = await ex.run(["snapshot", "create"])
    assert res.duration == 600
    assert clock.monotonic() == 600
    with pytest.raises(CommandTimeoutError) as info:
        await ex.run(["snapshot", "create"], timeout=60)
    assert clock.monotonic() == 660
    assert info.value.stdout == "done\n"
    assert ex.calls[-1].outcome == "timed_out"


async def test_steps_and_idle_timeout() -> None:
    ex = FakeCommandExecutor()
    chatty = (OutputLine("stdout", "a"), 20.0, OutputLine("stderr", "b"), 20.0)
    ex.script(["chatty"], steps=(*chatty, OutputLine("stdout", "c")))
    ex.script(["stalls"], steps=(OutputLine("stdout", "a"), 100.0, OutputLine("stdout", "b")))
    lines: list[OutputLine] = []
    res = await ex.run(["chatty"], idle_timeout=30, on_line=lines.append)
    assert (res.stdout, res.stderr, res.duration) == ("a\nc\n", "b\n", 40)
    assert lines == [
        OutputLine("stdout", "a"),
        OutputLine("stderr", "b"),
        OutputLine("stdout", "c"),
    ]
    with pytest.raises(CommandTimeoutError) as info:
        await ex.run(["stalls"], idle_timeout=30)
    assert (info.value.timeout, info.value.stdout) == (30, "a\n")


async def test_manual_clock_controls_a_running_command() -> None:
    clock = FakeClock(auto_advance=False)
    ex = FakeCommandExecutor(clock=clock)
    ex.script(["job"], stdout="started\n", delay=10)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(ex.run(["job"]))
        await asyncio.sleep(0)
        await clock.advance(5)
        assert not task.done()
        assert ex.running == 1
        await clock.advance(5)
    assert task.result().duration == 10
    assert ex.running == 0


async def test_hang_forever_until_cancelled() -> None:
    ex = FakeCommandExecutor()
    ex.script(["tail", "-f", ...], stdout="line\n", delay=math.inf)
    seen = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(ex.run(["tail", "-f", "log"], on_line=lambda _: seen.set()))
        await seen.wait()
        await asyncio.sleep(0)
        task.cancel()
    assert task.cancelled()
    assert ex.calls[0].outcome == "cancelled"
    assert ex.calls[0].result is not None
    assert ex.calls[0].result.exit_code == -15
    assert ex.running == 0
    with pytest.raises(CommandTimeoutError):
        await ex.run(["tail", "-f", "log"], timeout=3600)


async def test_stream_left_early_is_terminated() -> None:
    ex = FakeCommandExecutor()
    ex.script(
        ["watch"], steps=tuple(x for i in range(5) for x in (OutputLine("stdout", f"{i}"), 1.0))
    )
    async with ex.stream(["watch"]) as proc:
        assert proc.pid is None
        async for line in proc:
            if line.text == "2":
                break
    assert proc.result.exit_code == -15
    assert proc.result.stdout == "0\n1\n2\n"
    assert ex.calls[0].outcome == "terminated"
    assert ex.running == 0


async def test_stream_without_collecting_and_failing_sink() -> None:
    ex = FakeCommandExecutor()
    ex.script(["logs"], stdout="a\nb\n")
    async with ex.stream(["logs"], collect=False) as proc:
        assert [line.text async for line in proc] == ["a", "b"]
    assert proc.result.stdout == ""

    def explode(line: OutputLine) -> None:
        raise RuntimeError("sink broke")

    with pytest.raises(RuntimeError, match="sink broke"):
        await ex.run(["logs"], on_line=explode)
    assert ex.calls[-1].outcome == "terminated"


async def test_stream_error_reported_on_exit_when_not_iterated() -> None:
    ex = FakeCommandExecutor()
    ex.script(["fails"], exit_code=3, stderr="bad\n")
    with pytest.raises(CommandError, match="bad"):
        async with ex.stream(["fails"], check=True) as proc:
            await proc.wait()
    # Not iterating at all: the simulated process is still "running" when the block ends.
    async with ex.stream(["fails"], check=True) as proc:
        pass
    assert proc.result.exit_code == -15


async def test_posix_sh_emulation(fake_commands: FakeCommandExecutor) -> None:
    res = await fake_commands.run(["sh", "-c", "false && echo no || echo yes; nosuch"])
    assert (res.exit_code, res.stdout) == (127, "yes\n")
    assert res.stderr == "sh: 1: nosuch: not found\n"
    res = await fake_commands.run(["/bin/echo", "a", "b"])
    assert res.stdout == "a b\n"
    res = await fake_commands.run(["sleep", "soon"])
    assert res.exit_code == 2
    res = await fake_commands.run(["sh", "script.sh"])
    assert res.exit_code == 2
    fake_commands.script(["echo", "special"], stdout="overridden\n")
    assert (await fake_commands.run(["echo", "special"])).stdout == "overridden\n"
