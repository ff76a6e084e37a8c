"""What the real and the fake executor share: the public calls, their checks, one event per
command, the adapter core's backstop deadline and a fake's fault plan.

A subclass only runs a validated :class:`CommandSpec`: the real one as a process group, the
fake one as a simulated process on its clock.
"""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ..._clock import Clock
from ..._errors import CommandError, CommandTimeoutError
from ..._observe import observe
from ..._secret import Secret
from .._core import AdapterCore, ErrorTypes, FaultPlan, Operation
from ._argv import PreparedCommand, check_limits, check_stdin, line_sink, prepare
from ._protocol import CommandStream
from ._result import CommandResult
from ._types import Argv, EnvMapping, LineSink, OutputLine, OutputMode

__all__ = ["ERRORS", "BaseCommandExecutor", "CommandSpec", "ProcessStream", "RunningProcess"]

_logger = logging.getLogger("asyncconsole.infra.commands")

_RUN: Final = Operation("command.run", idempotent=False)
_STREAM: Final = Operation("command.stream", idempotent=False)
_START: Final = Operation("command.start", idempotent=False)


def _command_error(cls: type[CommandError], message: str, **context: Any) -> CommandError:
    # The core's own errors (its backstop deadline, an injected fault) for a command.
    argv = (str(context.get("action", "")),)
    if issubclass(cls, CommandTimeoutError):
        return CommandTimeoutError(message, argv=argv, timeout=context.get("timeout"))
    return cls(message, argv=argv)


ERRORS: Final = ErrorTypes(
    "command", base=CommandError, timeout=CommandTimeoutError, build=_command_error
)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command, validated: what a subclass is asked to run.

    Attributes:
        cmd: The argv to execute and to show, and the secrets to mask.
        check: Raise for a non-zero exit.
        timeout: Seconds the whole command may take.
        idle_timeout: Seconds it may stay silent.
        cwd: Its working directory.
        env: The ``env`` argument as given (the fake records it).
        shell: Whether it runs through ``/bin/sh -c``.
        stdin: Bytes for its standard input (None: ``/dev/null``).
        output: How :meth:`~BaseCommandExecutor.run` handles output (None for a stream).
        sink: Where each line goes as it arrives.
        collect: Keep the output for the result.
    """

    cmd: PreparedCommand
    check: bool
    timeout: float | None
    idle_timeout: float | None
    cwd: str | None
    env: EnvMapping | None
    shell: bool
    stdin: bytes | None
    output: OutputMode | None
    sink: LineSink | None
    collect: bool


class RunningProcess(Protocol):
    """What :class:`ProcessStream` needs of a process, real or simulated."""

    cmd: PreparedCommand

    @property
    def pid(self) -> int | None:
        """Its process id (None when simulated)."""
        ...

    @property
    def finished(self) -> bool:
        """Whether it has ended and its outcome is known."""
        ...

    def result(self) -> CommandResult:
        """Its result (once finished)."""
        ...

    async def next_line(self) -> OutputLine | None:
        """The next output line, waiting for one; None once it has ended."""
        ...

    async def drain(self) -> None:
        """Wait for its end, skipping lines not read yet."""
        ...

    def raise_failure(self, check: bool) -> CommandResult:
        """Its result, or the error it stands for (timeout, ``check``)."""
        ...


class ProcessStream:
    """The :class:`~asyncconsole.infra.commands.CommandStream` of a running process."""

    def __init__(self, proc: RunningProcess, check: bool) -> None:
        self._proc = proc
        self._check = check
        self.reported = False

    @property
    def argv(self) -> tuple[str, ...]:
        return self._proc.cmd.shown

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    @property
    def result(self) -> CommandResult:
        if not self._proc.finished:
            raise RuntimeError(f"command {self._proc.cmd.quoted} is still running")
        return self._proc.result()

    def __aiter__(self) -> ProcessStream:
        return self

    async def __anext__(self) -> OutputLine:
        line = await self._proc.next_line()
        if line is not None:
            return line
        if not self.reported:
            self.reported = True
            self._proc.raise_failure(self._check)
        raise StopAsyncIteration

    async def wait(self) -> CommandResult:
        await self._proc.drain()
        self.reported = True
        return self._proc.raise_failure(self._check)


class BaseCommandExecutor(abc.ABC):
    """The :class:`~asyncconsole.infra.commands.CommandExecutor` calls, for every executor.

    Subclasses set :attr:`_core` (an :class:`~asyncconsole.infra._core.AdapterCore`) and
    :attr:`grace_period`, and implement :meth:`_run` and :meth:`_stream`.
    """

    _core: AdapterCore
    grace_period: float = 0.0

    @property
    def faults(self) -> FaultPlan | None:
        """The fault plan the core applies to each command (fakes have one)."""
        return self._core.faults

    @property
    def clock(self) -> Clock:
        """Time for the backstop deadline (and, for a fake, for its simulated processes)."""
        return self._core.clock

    async def ping(self) -> None:
        await self.run(["true"], check=True, timeout=10)

    async def run(
        self,
        argv: Argv,
        *,
        check: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 (public call shape)
        cwd: str | os.PathLike[str] | None = None,
        env: EnvMapping | None = None,
        inherit_env: bool = True,
        stdin: bytes | None = None,
        output: OutputMode = OutputMode.CAPTURE,
        sensitive: Iterable[str | Secret] = (),
        shell: bool = False,
        idle_timeout: float | None = None,
        on_line: LineSink | None = None,
    ) -> CommandResult:
        cmd = prepare(argv, shell=shell, sensitive=sensitive, env=env, inherit_env=inherit_env)
        check_limits(timeout, idle_timeout)
        spec = CommandSpec(
            cmd,
            check,
            timeout,
            idle_timeout,
            None if cwd is None else os.fspath(cwd),
            env,
            shell,
            check_stdin(stdin),
            output,
            line_sink(cmd, output, on_line),
            output is not OutputMode.QUIET,
        )

        async def attempt(left: float | None) -> CommandResult:
            return await self._run(spec)

        # The command's own timers stop it at `timeout` (SIGTERM, then SIGKILL after the grace
        # period); the core's deadline is only the backstop behind them.
        return await self._core.call(
            _RUN,
            cmd.program,
            attempt,
            timeout=self._backstop(timeout),
            describe=_exit_code,
            argv=cmd.display,
        )

    def stream(
        self,
        argv: Argv,
        *,
        check: bool = False,
        timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: EnvMapping | None = None,
        inherit_env: bool = True,
        stdin: bytes | None = None,
        sensitive: Iterable[str | Secret] = (),
        shell: bool = False,
        idle_timeout: float | None = None,
        collect: bool = True,
    ) -> AbstractAsyncContextManager[CommandStream]:
        cmd = prepare(argv, shell=shell, sensitive=sensitive, env=env, inherit_env=inherit_env)
        check_limits(timeout, idle_timeout)
        spec = CommandSpec(
            cmd,
            check,
            timeout,
            idle_timeout,
            None if cwd is None else os.fspath(cwd),
            env,
            shell,
            check_stdin(stdin),
            None,
            None,
            collect,
        )
        return self._observed_stream(spec)

    @asynccontextmanager
    async def _observed_stream(self, spec: CommandSpec) -> AsyncIterator[CommandStream]:
        cmd = spec.cmd
        async with observe(_logger, _STREAM.name, cmd.program, argv=cmd.display) as info:
            # The start goes through the core (a fake's faults, the backstop deadline); the
            # running stream is bounded by its own timers.
            await self._core.call(
                _START, cmd.program, _started, timeout=self._backstop(spec.timeout)
            )
            proc: CommandStream | None = None
            try:
                async with self._stream(spec) as proc:
                    yield proc
            finally:
                if proc is not None:
                    info["exit_code"] = _exit_code_of(proc)

    def _backstop(self, timeout: float | None) -> float | None:
        return None if timeout is None else timeout + self.grace_period + 1.0

    @abc.abstractmethod
    async def _run(self, spec: CommandSpec) -> CommandResult:
        """Run the command to its end (its timeouts included) and return or raise as
        :meth:`run` documents."""

    @abc.abstractmethod
    def _stream(self, spec: CommandSpec) -> AbstractAsyncContextManager[CommandStream]:
        """Start the command; the block's exit stops it if it still runs."""


async def _started(left: float | None) -> None:
    return None


def _exit_code(result: CommandResult) -> dict[str, int]:
    return {"exit_code": result.exit_code}


def _exit_code_of(proc: CommandStream) -> int | None:
    try:
        return proc.result.exit_code
    except RuntimeError:
        return None  # still running when the block was left
