"""The behaviour every :class:`CommandExecutor` must show, as a pytest-agnostic check.

The checks only use a handful of POSIX commands (``echo``, ``true``, ``false``, ``cat``,
``printenv``, ``pwd``, ``sleep`` and ``sh -c`` scripts made of those), so the same suite runs
against :class:`SubprocessExecutor` on a real system and against
:meth:`FakeCommandExecutor.posix_basics`, which emulates exactly those.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ..._errors import CommandError, CommandTimeoutError
from ..._secret import MASK, Secret
from ._protocol import CommandExecutor
from ._result import CommandResult
from ._types import OutputLine, OutputMode

__all__ = ["check_command_executor"]

ExecutorFactory = Callable[[], CommandExecutor | Awaitable[CommandExecutor]]
E = TypeVar("E", bound=BaseException)


async def check_command_executor(make_executor: ExecutorFactory) -> list[str]:
    """Run every contract check against fresh executors from ``make_executor``.

    Raises ``AssertionError`` (naming the check) at the first violation and returns the names
    of the checks that ran. Executors with an ``aclose()`` are closed after each check. Against
    real processes the suite takes a few seconds (it exercises real timeouts).
    """
    ran: list[str] = []
    for check in _CHECKS:
        made = make_executor()
        executor = await made if inspect.isawaitable(made) else made
        try:
            await check(executor)
        except AssertionError as exc:
            raise AssertionError(f"{check.__name__}: {exc}") from exc
        finally:
            aclose = getattr(executor, "aclose", None)
            if aclose is not None:
                await aclose()
        ran.append(check.__name__)
    return ran


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


async def _raises(kind: type[E], awaitable: Awaitable[Any]) -> E:
    try:
        await awaitable
    except kind as exc:
        return exc
    raise AssertionError(f"expected {kind.__name__}")


async def check_run_captures_output(ex: CommandExecutor) -> None:
    res = await ex.run(["echo", "hi"], check=False, timeout=None)
    _expect(isinstance(res, CommandResult), f"run returned {type(res).__name__}")
    _expect(res.argv == ("echo", "hi"), f"argv {res.argv!r}")
    _expect((res.exit_code, res.stdout, res.stderr) == (0, "hi\n", ""), repr(res))
    _expect(res.ok and isinstance(res.duration, float) and res.duration >= 0, repr(res))
    both = await ex.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    _expect((both.exit_code, both.stdout, both.stderr) == (3, "out\n", "err\n"), repr(both))
    _expect(not both.ok, "a non-zero exit is not ok")


async def check_exit_codes_and_check(ex: CommandExecutor) -> None:
    res = await ex.run(["false"])
    _expect(res.exit_code == 1 and not res.ok, f"false exited {res.exit_code}")
    _expect((await ex.run(["true"], check=True)).exit_code == 0, "true with check=True")
    err = await _raises(CommandError, ex.run(["sh", "-c", "echo oops >&2; exit 3"], check=True))
    _expect(not isinstance(err, CommandTimeoutError), "a failed check is not a timeout")
    _expect(err.exit_code == 3, f"exit_code {err.exit_code}")
    _expect("oops" in str(err) and "3" in str(err), f"message lacks stderr tail: {err}")
    _expect(err.stderr == "oops\n", f"stderr {err.stderr!r}")


async def check_stdin_cwd_env(ex: CommandExecutor) -> None:
    res = await ex.run(["cat"], stdin=b"line1\nline2\n")
    _expect(res.stdout == "line1\nline2\n", f"cat echoed {res.stdout!r}")
    res = await ex.run(["cat"])
    _expect((res.exit_code, res.stdout) == (0, ""), "without stdin a child reads /dev/null")
    folder = _real_tempdir()
    res = await ex.run(["pwd"], cwd=folder)
    _expect(res.stdout == folder + "\n", f"pwd in {folder!r} printed {res.stdout!r}")
    env = {"ASYNCCONSOLE_CONTRACT_VAR": "value 1"}
    res = await ex.run(["printenv", "ASYNCCONSOLE_CONTRACT_VAR"], env=env)
    _expect(res.stdout == "value 1\n", f"env not passed: {res.stdout!r}")
    res = await ex.run(["printenv", "PATH"], env={"PATH": None})
    _expect(res.exit_code == 1, "env value None removes the variable")
    res = await ex.run(["printenv", "HOME"], env={"X": "1"}, inherit_env=False)
    _expect(res.exit_code == 1, "inherit_env=False starts from an empty environment")


def _real_tempdir() -> str:
    return os.path.realpath(tempfile.gettempdir())


async def check_secrets_are_masked(ex: CommandExecutor) -> None:
    secret = "s3cr3t-Value"
    res = await ex.run(["echo", "user", Secret(secret)])
    _expect(res.argv == ("echo", "user", MASK), f"argv {res.argv!r}")
    _expect(secret not in repr(res), "a Secret leaked into the result")
    _expect(res.stdout == f"user {MASK}\n", f"stdout {res.stdout!r}")
    err = await _raises(
        CommandError,
        ex.run(["sh", "-c", f"echo token={secret} >&2; exit 5"], sensitive=[secret], check=True),
    )
    text = f"{err} {err.argv} {err.stderr} {err.stdout} {err.context}"
    _expect(secret not in text, f"a sensitive value leaked into the error: {text}")
    _expect(MASK in str(err), "the masked value is shown as ********")
    terr = await _raises(
        CommandTimeoutError,
        ex.run(["sh", "-c", f"echo {secret}; sleep 30"], sensitive=[secret], timeout=0.5),
    )
    _expect(secret not in f"{terr} {terr.stdout}", "a sensitive value leaked into a timeout")


async def check_start_failures_and_bad_argv(ex: CommandExecutor) -> None:
    program = "asyncconsole-contract-no-such-program"
    err = await _raises(CommandError, ex.run([program, "x"]))
    _expect(err.exit_code is None, f"exit_code {err.exit_code} for a missing program")
    _expect(program in str(err), f"message does not name the program: {err}")
    await _raises(TypeError, ex.run("echo hi"))
    await _raises(ValueError, ex.run([]))
    await _raises(TypeError, ex.run(["echo", 3]))  # type: ignore[list-item]
    await _raises(ValueError, ex.run(["echo"], timeout=0))
    await _raises(TypeError, ex.run(["cat"], stdin="text"))  # type: ignore[arg-type]
    res = await ex.run("echo via shell", shell=True)
    _expect(res.stdout == "via shell\n", f"shell=True stdout {res.stdout!r}")
    _expect(res.argv == ("/bin/sh", "-c", "echo via shell"), f"shell argv {res.argv!r}")


async def check_timeouts(ex: CommandExecutor) -> None:
    err = await _raises(
        CommandTimeoutError, ex.run(["sh", "-c", "echo started; sleep 30"], timeout=0.5)
    )
    _expect(isinstance(err, TimeoutError), "CommandTimeoutError is a TimeoutError")
    _expect(err.timeout == 0.5, f"timeout attribute {err.timeout}")
    _expect(err.stdout == "started\n", f"output so far: {err.stdout!r}")
    script = "echo a; sleep 0.35; echo b; sleep 0.35; echo c; sleep 0.35; echo d"
    res = await ex.run(["sh", "-c", script], idle_timeout=0.75)
    _expect(res.stdout == "a\nb\nc\nd\n", "idle timeout re-arms on each line")
    err = await _raises(
        CommandTimeoutError, ex.run(["sh", "-c", "echo a; sleep 30"], idle_timeout=0.4)
    )
    _expect((err.timeout, err.stdout) == (0.4, "a\n"), f"idle timeout {err.timeout}")


async def check_output_modes(ex: CommandExecutor) -> None:
    lines: list[OutputLine] = []
    script = "echo one; echo two >&2; echo three"
    res = await ex.run(["sh", "-c", script], output=OutputMode.STREAM, on_line=lines.append)
    _expect(res.stdout == "one\nthree\n" and res.stderr == "two\n", "STREAM also collects")
    out = [line.text for line in lines if line.stream == "stdout"]
    err = [line.text for line in lines if line.stream == "stderr"]
    _expect((out, err) == (["one", "three"], ["two"]), f"lines {lines!r}")
    quiet = await ex.run(["sh", "-c", "echo x; exit 4"], output=OutputMode.QUIET)
    _expect((quiet.exit_code, quiet.stdout, quiet.stderr) == (4, "", ""), repr(quiet))
    await _raises(ValueError, ex.run(["true"], output=OutputMode.QUIET, on_line=print))


async def check_stream(ex: CommandExecutor) -> None:
    seen: list[OutputLine] = []
    async with ex.stream(["sh", "-c", "echo one; echo two >&2; echo three"]) as proc:
        _expect(proc.argv == ("sh", "-c", "echo one; echo two >&2; echo three"), "argv")
        async for line in proc:
            seen.append(line)
    _expect([x.text for x in seen if x.stream == "stdout"] == ["one", "three"], repr(seen))
    _expect([x.text for x in seen if x.stream == "stderr"] == ["two"], repr(seen))
    _expect((proc.result.exit_code, proc.result.stdout) == (0, "one\nthree\n"), "result")

    async with ex.stream(["sh", "-c", "echo ready; sleep 30"]) as proc:
        async for line in proc:
            _expect(line == OutputLine("stdout", "ready"), repr(line))
            await _raises(RuntimeError, _result_of(proc))
            break
    _expect(proc.result.exit_code < 0, "leaving the block early terminates the command")

    with_check = ex.stream(["sh", "-c", "echo x; exit 2"], check=True)
    err = await _raises(CommandError, _drain(with_check))
    _expect(err.exit_code == 2, f"stream check exit code {err.exit_code}")
    idle = ex.stream(["sh", "-c", "echo a; sleep 30"], idle_timeout=0.4)
    terr = await _raises(CommandTimeoutError, _drain(idle))
    _expect(terr.stdout == "a\n", f"stream timeout output {terr.stdout!r}")
    async with ex.stream(["sh", "-c", "echo a; echo b"]) as proc:
        res = await proc.wait()
    _expect(res.stdout == "a\nb\n" and res == proc.result, "wait() returns the result")


async def _result_of(proc: Any) -> CommandResult:
    result: CommandResult = proc.result
    return result


async def _drain(cm: Any) -> None:
    async with cm as proc:
        async for _ in proc:
            pass


async def check_cancellation(ex: CommandExecutor) -> None:
    holder: list[asyncio.Task[CommandResult]] = []

    def cancel_on_ready(line: OutputLine) -> None:
        if line.text == "ready":
            holder[0].cancel()

    run = ex.run(["sh", "-c", "echo ready; sleep 30"], on_line=cancel_on_ready)
    task = await _cancelled_task(run, holder)
    _expect(task.cancelled(), "cancelling the awaiting task cancels run()")

    async def stream_then_cancel() -> CommandResult:
        async with ex.stream(["sh", "-c", "echo ready; sleep 30"]) as proc:
            async for _ in proc:
                current = asyncio.current_task()
                assert current is not None
                current.cancel()
                await proc.wait()
        raise AssertionError("cancellation did not propagate out of stream()")

    task = await _cancelled_task(stream_then_cancel(), [])
    _expect(task.cancelled(), "cancellation propagates out of stream()")
    res = await ex.run(["echo", "after"])
    _expect(res.stdout == "after\n", "the executor works after a cancellation")


async def _cancelled_task(
    coro: Coroutine[Any, Any, CommandResult], holder: list[asyncio.Task[CommandResult]]
) -> asyncio.Task[CommandResult]:
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(coro)
        holder.append(task)
    return task


async def check_concurrency_and_ping(ex: CommandExecutor) -> None:
    await ex.ping()
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(ex.run(["echo", f"n{i}"])) for i in range(8)]
    _expect([t.result().stdout for t in tasks] == [f"n{i}\n" for i in range(8)], "concurrent")


_CHECKS: tuple[Callable[[CommandExecutor], Awaitable[None]], ...] = (
    check_run_captures_output,
    check_exit_codes_and_check,
    check_stdin_cwd_env,
    check_secrets_are_masked,
    check_start_failures_and_bad_argv,
    check_timeouts,
    check_output_modes,
    check_stream,
    check_cancellation,
    check_concurrency_and_ping,
)
