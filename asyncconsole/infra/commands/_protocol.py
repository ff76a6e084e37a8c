"""The command-execution protocol: what services use to run programs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from ..._secret import Secret
from ._result import CommandResult
from ._types import Argv, EnvMapping, LineSink, OutputLine, OutputMode

__all__ = ["CommandExecutor", "CommandStream"]


@runtime_checkable
class CommandStream(Protocol):
    """A running command whose output lines arrive as an async iterator.

    Obtained from ``async with executor.stream(argv) as proc:``. Iterate it (``async for line
    in proc``) to receive :class:`OutputLine` objects while the command runs; the loop ends
    when the command exits, raising :class:`~asyncconsole.CommandTimeoutError` if it was
    stopped by a timeout, or :class:`~asyncconsole.CommandError` for a non-zero exit with
    ``check=True``. Leaving the ``async with`` block while the command still runs terminates
    its whole process group.
    """

    @property
    def argv(self) -> tuple[str, ...]:
        """The command as run, secrets masked."""
        ...

    @property
    def pid(self) -> int | None:
        """The process id (``None`` for a simulated process)."""
        ...

    @property
    def result(self) -> CommandResult:
        """The finished command. Raises ``RuntimeError`` while it still runs."""
        ...

    def __aiter__(self) -> AsyncIterator[OutputLine]:
        """Iterate the output lines as they arrive."""
        ...

    async def wait(self) -> CommandResult:
        """Wait for the command to exit (lines not yet iterated are skipped) and return it.

        Raises the same errors as iterating to the end.
        """
        ...


@runtime_checkable
class CommandExecutor(Protocol):
    """Runs programs: argv lists (no shell unless asked), with timeouts, output modes and masking.

    Every implementation raises the same errors:

    * :class:`~asyncconsole.CommandError` with ``exit_code=None`` when the program cannot be
      started (not found, permission denied, missing working directory), naming the program;
    * :class:`~asyncconsole.CommandError` with the exit code and the tail of stderr when
      ``check=True`` and the command exits non-zero;
    * :class:`~asyncconsole.CommandTimeoutError` (also a ``TimeoutError``) carrying the output
      captured so far when ``timeout`` or ``idle_timeout`` stops the command;
    * ``TypeError``/``ValueError`` for a malformed argv or environment.

    Cancelling the awaiting task terminates the command's whole process group (SIGTERM, then
    SIGKILL after a grace period), reaps it, and re-raises ``CancelledError``.
    """

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
        """Run a command to completion.

        Args:
            argv: The program and its arguments. Items may be :class:`~asyncconsole.Secret`
                (revealed only to the child, shown as ``********`` everywhere else) or paths.
                With ``shell=True``, one command-line string run by ``/bin/sh -c``.
            check: Raise :class:`~asyncconsole.CommandError` when the exit code is not 0.
            timeout: Seconds the whole command may take; ``None`` waits indefinitely.
            cwd: Working directory of the child.
            env: Variables set for the child on top of the inherited environment (``None``
                values remove a variable); :class:`~asyncconsole.Secret` values are masked.
            inherit_env: ``False`` starts from an empty environment instead of ours.
            stdin: Bytes written to the child's standard input; ``None`` gives it
                ``/dev/null`` (a child never reads the caller's terminal).
            output: :class:`OutputMode`: collect (``CAPTURE``), collect and hand each line to
                ``on_line`` or the logger (``STREAM``), or discard (``QUIET``).
            sensitive: Further values to mask in the result, errors and logs.
            shell: Run ``argv`` (one string) through ``/bin/sh -c``. Off unless asked for.
            idle_timeout: Seconds the command may stay silent; any output re-arms it.
            on_line: Receives each output line as it arrives (any mode except ``QUIET``).

        Returns:
            The :class:`CommandResult`: masked argv, exit code (negative: killed by that
            signal), decoded stdout and stderr with secrets masked, and the duration.
        """
        ...

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
        """Start a command and iterate its output lines while it runs.

        ``async with executor.stream(argv) as proc: async for line in proc: ...``; then
        ``proc.result``. Arguments are those of :meth:`run`; ``collect=False`` keeps the
        result's ``stdout``/``stderr`` empty for long-running, chatty commands. A slow
        consumer slows the command down (its pipes fill) rather than buffering without bound.
        """
        ...

    async def ping(self) -> None:
        """Check that commands can be started; raises :class:`~asyncconsole.CommandError`."""
        ...
