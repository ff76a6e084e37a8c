"""What runs in a fake container: its main program, and the commands exec runs beside it.

A :class:`FakeProgram` is a script over time (lines written at given seconds, an exit after
``runtime``); :func:`emulate_program` derives one from a busybox-like command line. The exec
emulation plays such a script on the fake daemon's clock, so a slow command meets its timeout
in fake time as a real one would in real time.
"""

from __future__ import annotations

import shlex
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from ..._clock import Clock
from ..commands._result import CommandResult
from ._types import ContainerInfo

__all__ = [
    "STDERR",
    "STDOUT",
    "ExecHandler",
    "FakeExecSession",
    "FakeProgram",
    "emulate_exec",
    "emulate_program",
]

STDOUT, STDERR = 1, 2
_SIMPLE = {"sleep", "echo", "true", "false", "exit"}


@dataclass(frozen=True)
class FakeProgram:
    """What a fake container's main process does.

    Attributes:
        output: ``(seconds after start, stream, line)`` entries, stream 1 stdout or 2 stderr.
        runtime: Seconds until it exits by itself; None runs until stopped.
        exit_code: Its exit status when it exits by itself.
        handles_sigterm: Whether SIGTERM ends it. Like a real PID 1 without ``init=True``,
            a program that does not handle SIGTERM is killed only after the stop timeout.
    """

    output: tuple[tuple[float, int, str], ...] = ()
    runtime: float | None = None
    exit_code: int = 0
    handles_sigterm: bool = False


ExecHandler = Callable[
    [ContainerInfo, tuple[str, ...], Mapping[str, str], str | None],
    "CommandResult | Awaitable[CommandResult | None] | None",
]
"""(container, argv, exec environment, workdir) -> a result, or None for the default emulation."""


def emulate_program(argv: Sequence[str] | None) -> FakeProgram:
    """The default behaviour of a fake container's command, after busybox.

    ``sleep N``, ``echo ...``, ``true``, ``false`` and ``sh -c`` scripts of ``echo`` (with
    ``>&2``), ``sleep``, ``true``, ``false`` and ``exit N`` statements joined by ``;``/``&&``.
    Anything else (and no command: the image's shell) runs until stopped.
    """
    if not argv:
        return FakeProgram()
    if argv[0] in ("sh", "/bin/sh") and len(argv) >= 3 and argv[1] == "-c":
        return _emulate_script(argv[2])
    script = shlex.join(argv)
    return _emulate_script(script) if argv[0].rsplit("/", 1)[-1] in _SIMPLE else FakeProgram()


def _emulate_script(script: str) -> FakeProgram:
    clock = 0.0
    output: list[tuple[float, int, str]] = []
    code = 0
    for statement in script.replace("&&", ";").replace("\n", ";").split(";"):
        try:
            words = shlex.split(statement)
        except ValueError:
            return FakeProgram(output=tuple(output))
        if not words:
            continue
        cmd = words[0].rsplit("/", 1)[-1]
        if cmd == "echo":
            stream = STDOUT
            if words[-1] in (">&2", "1>&2"):
                stream, words = STDERR, words[:-1]
            output.append((clock, stream, " ".join(words[1:])))
            code = 0
        elif cmd == "sleep" and len(words) == 2:
            try:
                clock += float(words[1])
            except ValueError:
                return FakeProgram(output=tuple(output))
            code = 0
        elif cmd in ("true", "false"):
            code = 0 if cmd == "true" else 1
        elif cmd == "exit":
            return FakeProgram(
                output=tuple(output),
                runtime=clock,
                exit_code=int(words[1]) if len(words) > 1 else code,
            )
        else:
            return FakeProgram(output=tuple(output))  # something we cannot emulate: runs on
    return FakeProgram(output=tuple(output), runtime=clock, exit_code=code)


def emulate_exec(
    args: tuple[str, ...],
    container_env: Sequence[str],
    exec_env: Mapping[str, str],
    workdir: str,
) -> FakeProgram:
    """What ``docker exec`` of ``args`` does in a busybox container: ``env``, ``pwd``, the
    commands :func:`emulate_program` knows, or "executable file not found" (exit 126)."""
    cmd = args[0].rsplit("/", 1)[-1]
    if cmd == "env":
        merged = dict(item.split("=", 1) for item in container_env)
        merged.update(exec_env)
        return FakeProgram(tuple((0.0, STDOUT, f"{k}={v}") for k, v in merged.items()), 0.0)
    if cmd == "pwd":
        return FakeProgram(((0.0, STDOUT, workdir),), 0.0)
    if cmd in _SIMPLE or (cmd == "sh" and len(args) >= 3 and args[1] == "-c"):
        return emulate_program(args)
    return FakeProgram(
        (
            (
                0.0,
                STDOUT,
                "OCI runtime exec failed: exec failed: unable to start container process: exec: "
                f'"{args[0]}": executable file not found in $PATH: unknown\r',
            ),
        ),
        0.0,
        126,
    )


class FakeExecSession:
    """An exec's output played on the fake daemon's clock: each chunk at its time, then the
    end at ``runtime`` (never, when it is None: the caller's timeout ends the wait)."""

    def __init__(
        self,
        clock: Clock,
        chunks: Sequence[tuple[float, int, bytes]],
        runtime: float | None,
        exit_code: int,
    ) -> None:
        self._clock = clock
        self._started = clock.monotonic()
        self._chunks = deque(chunks)
        self._runtime = runtime
        self._exit_code = exit_code

    @classmethod
    def of_program(cls, clock: Clock, program: FakeProgram) -> FakeExecSession:
        """The session of an emulated command."""
        chunks = [(at, stream, f"{line}\n".encode()) for at, stream, line in program.output]
        return cls(clock, chunks, program.runtime, program.exit_code)

    @classmethod
    def of_result(cls, clock: Clock, result: CommandResult) -> FakeExecSession:
        """The session of a result an exec handler gave."""
        chunks = [(0.0, STDOUT, result.stdout.encode()), (0.0, STDERR, result.stderr.encode())]
        return cls(clock, [c for c in chunks if c[2]], 0.0, result.exit_code)

    async def _until(self, at: float) -> None:
        wait = self._started + at - self._clock.monotonic()
        if wait > 0:
            await self._clock.sleep(wait)

    async def read(self) -> tuple[int, bytes] | None:
        if self._chunks:
            at, stream, data = self._chunks.popleft()
            await self._until(at)
            return stream, data
        if self._runtime is None:
            await self._clock.sleep(float("inf"))
        else:
            await self._until(self._runtime)
        return None

    async def exit_code(self) -> int:
        return self._exit_code

    async def aclose(self) -> None:
        self._chunks.clear()
