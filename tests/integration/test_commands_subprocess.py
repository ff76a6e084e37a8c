"""SubprocessExecutor with real processes: the contract, and nothing left behind when stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import pytest

from asyncconsole import CommandError, CommandTimeoutError, Secret
from asyncconsole.infra.commands import OutputLine, OutputMode, SubprocessExecutor
from asyncconsole.testing import check_command_executor
from tests.fixtures.commands import ProcessTree

pytestmark = pytest.mark.integration

# Prints its own pid, then two background sleeps' pids, then waits for them.
TREE = "echo $$; sleep 60 & echo $!; sleep 60 & echo $!; wait"
# The same, but the shell and (by inheritance) its children ignore SIGTERM.
STUBBORN_TREE = "trap '' TERM; echo $$; sleep 60 & echo $!; sleep 60 & echo $!; wait"


def _pids(lines: list[OutputLine]) -> list[int]:
    return [int(line.text) for line in lines if line.text.isdigit()]


async def test_contract_with_real_processes() -> None:
    ran = await check_command_executor(lambda: SubprocessExecutor(grace_period=0.5))
    assert "check_cancellation" in ran
    assert "check_timeouts" in ran


async def test_timeout_kills_the_whole_group(
    subprocess_executor: SubprocessExecutor, process_tree: ProcessTree
) -> None:
    lines: list[OutputLine] = []
    with pytest.raises(CommandTimeoutError) as info:
        await subprocess_executor.run(["sh", "-c", TREE], timeout=1.0, on_line=lines.append)
    leader, *grandchildren = _pids(lines)
    assert len(grandchildren) == 2
    assert info.value.stdout.split() == [str(p) for p in [leader, *grandchildren]]
    process_tree.assert_reaped(leader)
    process_tree.assert_gone(grandchildren)
    assert process_tree.group_members(leader) == []


async def test_cancellation_kills_the_whole_group_and_propagates(
    subprocess_executor: SubprocessExecutor, process_tree: ProcessTree
) -> None:
    lines: list[OutputLine] = []
    started = asyncio.Event()

    def collect(line: OutputLine) -> None:
        lines.append(line)
        if len(_pids(lines)) == 3:
            started.set()

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(subprocess_executor.run(["sh", "-c", TREE], on_line=collect))
        await started.wait()
        task.cancel()
    assert task.cancelled()
    leader, *grandchildren = _pids(lines)
    process_tree.assert_reaped(leader)
    process_tree.assert_gone(grandchildren)
    assert process_tree.group_members(leader) == []


async def test_cancelling_a_stream_consumer_kills_the_whole_group(
    subprocess_executor: SubprocessExecutor, process_tree: ProcessTree
) -> None:
    lines: list[OutputLine] = []
    ready = asyncio.Event()

    async def consume() -> None:
        async with subprocess_executor.stream(["sh", "-c", TREE]) as proc:
            async for line in proc:
                lines.append(line)
                if len(_pids(lines)) == 3:
                    ready.set()

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(consume())
        await ready.wait()
        task.cancel()
    assert task.cancelled()
    leader, *grandchildren = _pids(lines)
    process_tree.assert_reaped(leader)
    process_tree.assert_gone(grandchildren)
    assert process_tree.group_members(leader) == []


async def test_sigterm_ignoring_tree_is_killed_after_the_grace_period(
    process_tree: ProcessTree,
) -> None:
    async with SubprocessExecutor(grace_period=0.3) as executor:
        async with executor.stream(["sh", "-c", STUBBORN_TREE]) as proc:
            lines = []
            async for line in proc:
                lines.append(line)
                if len(lines) == 3:
                    break
        assert proc.result.exit_code == -9  # SIGTERM was ignored; SIGKILL ended it
        leader, *grandchildren = _pids(lines)
        assert leader == proc.pid
        process_tree.assert_reaped(leader)
        process_tree.assert_gone(grandchildren)

        # A cooperative tree stops on SIGTERM, without waiting for the grace period.
        async with executor.stream(["sh", "-c", TREE]) as proc:
            async for _ in proc:
                break
        assert proc.result.exit_code == -15


async def test_cancelled_again_during_the_grace_period_kills_at_once(
    process_tree: ProcessTree,
) -> None:
    lines: list[OutputLine] = []
    ready = asyncio.Event()

    def collect(line: OutputLine) -> None:
        lines.append(line)
        if len(_pids(lines)) == 3:
            ready.set()

    executor = SubprocessExecutor(grace_period=60)
    # A guard, not a measurement: without the escalation this would wait out the 60 s grace.
    async with asyncio.timeout(30), asyncio.TaskGroup() as tg:
        task = tg.create_task(executor.run(["sh", "-c", STUBBORN_TREE], on_line=collect))
        await ready.wait()
        task.cancel()
        await asyncio.sleep(0.2)  # now inside the 60 s grace period
        task.cancel()
    assert task.cancelled()
    leader, *grandchildren = _pids(lines)
    process_tree.assert_reaped(leader)
    process_tree.assert_gone(grandchildren)


async def test_leader_exits_but_a_grandchild_holds_the_pipe(
    subprocess_executor: SubprocessExecutor, process_tree: ProcessTree
) -> None:
    # The shell exits at once; its background sleep keeps stdout open, so run() waits for it
    # (like subprocess.run) until the timeout stops the group.
    with pytest.raises(CommandTimeoutError) as info:
        await subprocess_executor.run(["sh", "-c", "sleep 60 & echo $!"], timeout=0.5)
    (orphan,) = [int(x) for x in info.value.stdout.split()]
    process_tree.assert_gone([orphan])


async def test_aclose_terminates_running_commands(process_tree: ProcessTree) -> None:
    executor = SubprocessExecutor(grace_period=0.5)
    ready = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(
            executor.run(["sh", "-c", "echo $$; sleep 60"], on_line=lambda _: ready.set())
        )
        await ready.wait()
        await executor.aclose()
    result = task.result()
    assert result.exit_code == -15
    process_tree.assert_reaped(int(result.stdout))
    with pytest.raises(RuntimeError, match="closed"):
        await executor.run(["true"])


async def test_process_group_and_optional_new_session() -> None:
    async with SubprocessExecutor() as executor, executor.stream(["sleep", "5"]) as proc:
        assert proc.pid is not None
        assert os.getpgid(proc.pid) == proc.pid
        assert os.getsid(proc.pid) == os.getsid(0)
    async with (
        SubprocessExecutor(new_session=True) as executor,
        executor.stream(["sleep", "5"]) as proc,
    ):
        assert proc.pid is not None
        assert os.getsid(proc.pid) == proc.pid
        assert os.getpgid(proc.pid) == proc.pid


async def test_big_stdin_and_output_do_not_deadlock(
    subprocess_executor: SubprocessExecutor,
) -> None:
    data = b"".join(b"%07d\n" % i for i in range(200_000))  # 1.6 MB, far above a pipe buffer
    res = await subprocess_executor.run(["cat"], stdin=data, timeout=30)
    assert res.stdout.encode() == data


async def test_slow_stream_consumer_loses_no_line(
    subprocess_executor: SubprocessExecutor,
) -> None:
    # seq writes far faster than this consumer reads: the queue fills, the pipes pause (the
    # child blocks on a full pipe), and reading resumes as the consumer catches up.
    seen = []
    async with subprocess_executor.stream(["seq", "1", "30000"], idle_timeout=10) as proc:
        async for line in proc:
            seen.append(line.text)
            if len(seen) in (1, 15000):
                await asyncio.sleep(0.3)
    assert seen == [str(i) for i in range(1, 30001)]
    assert proc.result.stdout.count("\n") == 30000


async def test_decoding_across_chunks_and_invalid_bytes(
    subprocess_executor: SubprocessExecutor,
) -> None:
    lines: list[OutputLine] = []
    script = r"printf 'caf\303'; sleep 0.1; printf '\251\nbad \377 byte\r\nno newline'"
    res = await subprocess_executor.run(["sh", "-c", script], on_line=lines.append)
    assert [x.text for x in lines] == ["café", "bad \ufffd byte", "no newline"]
    assert res.stdout == "café\nbad \ufffd byte\r\nno newline"


async def test_start_failures_name_the_problem(
    subprocess_executor: SubprocessExecutor, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CommandError, match="working directory") as info:
        await subprocess_executor.run(["true"], cwd=missing)
    assert info.value.exit_code is None
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    with pytest.raises(CommandError, match="permission denied") as info:
        await subprocess_executor.run([script])
    assert str(script) in str(info.value)
    script.chmod(stat.S_IRWXU)
    assert (await subprocess_executor.run([script], cwd=tmp_path)).stdout == "hi\n"


async def test_secret_env_and_stream_logging_are_masked(
    subprocess_executor: SubprocessExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncconsole.infra.commands")
    res = await subprocess_executor.run(
        ["sh", "-c", 'echo "token is $TOKEN"; echo hunter2 >&2', Secret("arg-secret")],
        env={"TOKEN": Secret("tok-123")},
        sensitive=["hunter2"],
        output=OutputMode.STREAM,
    )
    assert res.stdout == "token is ********\n"
    assert res.stderr == "********\n"
    assert res.argv[-1] == "********"
    text = caplog.text
    for secret in ("tok-123", "hunter2", "arg-secret"):
        assert secret not in text
    streamed = [r for r in caplog.records if r.name == "asyncconsole.infra.commands.output"]
    assert [r.getMessage() for r in streamed] == [
        "sh stdout: token is ********",
        "sh stderr: ********",
    ]
    events = [r for r in caplog.records if r.name == "asyncconsole.infra.commands"]
    assert len(events) == 1
    assert "command.run sh -> ok" in events[0].getMessage()


async def test_failing_on_line_stops_the_command(
    subprocess_executor: SubprocessExecutor, process_tree: ProcessTree
) -> None:
    def explode(line: OutputLine) -> None:
        raise ValueError(f"cannot handle {line.text}")

    with pytest.raises(ValueError, match="cannot handle") as info:
        await subprocess_executor.run(["sh", "-c", "echo $$; sleep 60"], on_line=explode)
    leader = int(str(info.value).split()[-1])
    process_tree.assert_reaped(leader)


async def test_ping_and_quiet_mode(subprocess_executor: SubprocessExecutor) -> None:
    await subprocess_executor.ping()
    res = await subprocess_executor.run(["sh", "-c", "echo x; exit 7"], output=OutputMode.QUIET)
    assert (res.exit_code, res.stdout) == (7, "")
