"""A scripted, in-memory command executor: simulated processes on an injected clock.

Scripts match argv and say what the simulated process does: which lines it writes and when,
how long it runs, its exit code, or which error it raises. Time runs on a
:class:`~asyncconsole.FakeClock` by default, so a simulated ``sleep 60`` takes no real time,
and timeouts, idle timeouts, cancellation, ``check`` and masking behave as in
:class:`SubprocessExecutor`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import logging
import math
import os
import re
import shlex
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import EllipsisType
from typing import Literal, Self, TypeAlias

from ..._clock import Clock, FakeClock
from ..._errors import CommandError
from ..._secret import Secret
from .._core import AdapterCore, FaultPlan
from ._argv import PreparedCommand, env_view
from ._base import ERRORS, BaseCommandExecutor, CommandSpec, ProcessStream
from ._protocol import CommandStream
from ._result import CommandResult
from ._types import OutputLine, OutputMode

__all__ = ["FakeCall", "FakeCommandExecutor", "FakeReply"]

_logger = logging.getLogger("asyncconsole.infra.commands")


@dataclass(frozen=True, slots=True)
class FakeReply:
    """What a simulated process does.

    It writes ``stdout`` and ``stderr`` at once, then plays ``steps`` in order (an
    :class:`OutputLine` writes that line, a number waits that many seconds), then runs for
    ``delay`` more seconds (``math.inf``: until stopped) and exits with ``exit_code``. With
    ``raises`` set it does not start at all: that exception is raised instead.
    """

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    steps: tuple[OutputLine | float, ...] = ()
    delay: float = 0.0
    raises: BaseException | None = None

    @classmethod
    def of(cls, result: CommandResult) -> FakeReply:
        """The reply that reproduces ``result``'s exit code and output."""
        return cls(exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@dataclass(slots=True)
class FakeCall:
    """One call recorded by :class:`FakeCommandExecutor` (in ``.calls``).

    Attributes:
        argv: The command as the result shows it, secrets masked.
        revealed: The command as executed, secrets revealed (match scripts against this).
        env: The ``env`` argument as given (``Secret`` values stay wrapped).
        environ: The full environment the simulated child sees.
        cwd: The working directory, or ``None``.
        stdin: The bytes given as standard input, or ``None``.
        shell: Whether ``shell=True`` was used (``argv`` is then ``/bin/sh -c ...``).
        timeout: The timeout given.
        idle_timeout: The idle timeout given.
        output: The output mode (``None`` for :meth:`FakeCommandExecutor.stream`).
        started: The clock's ``monotonic()`` when the call started.
        outcome: ``"running"``, ``"exited"``, ``"timed_out"``, ``"terminated"`` (a stream
            left early), ``"cancelled"`` or ``"not_started"`` (the script raised).
        result: The result once the simulated process ended (also when terminated).
    """

    argv: tuple[str, ...]
    revealed: tuple[str, ...]
    env: dict[str, str | Secret | None] | None
    environ: Mapping[str, str]
    cwd: str | None
    stdin: bytes | None
    shell: bool
    timeout: float | None
    idle_timeout: float | None
    output: OutputMode | None
    started: float
    outcome: str = "running"
    result: CommandResult | None = None


ArgvPattern: TypeAlias = (
    Sequence[str | Secret | EllipsisType]
    | str
    | re.Pattern[str]
    | Callable[[tuple[str, ...]], bool]
)
"""How a script picks its calls: an exact argv list (a trailing ``...`` matches any further
arguments), a glob over the shell-quoted command line, a regex searched in it, or a predicate
on the revealed argv tuple."""

ReplyFn: TypeAlias = Callable[
    [FakeCall], "FakeReply | CommandResult | Awaitable[FakeReply | CommandResult]"
]
"""Computes the reply for a call; may raise to simulate a failure to start."""

Reply: TypeAlias = FakeReply | CommandResult | BaseException | ReplyFn


@dataclass(slots=True)
class _Script:
    pattern: ArgvPattern
    reply: Reply
    times: int | None

    def matches(self, argv: tuple[str, ...]) -> bool:
        pattern = self.pattern
        if isinstance(pattern, str):
            return fnmatch.fnmatchcase(shlex.join(argv), pattern)
        if isinstance(pattern, re.Pattern):
            return pattern.search(shlex.join(argv)) is not None
        if callable(pattern):
            return bool(pattern(argv))
        items = list(pattern)
        if items and items[-1] is Ellipsis:
            items.pop()
            if len(argv) < len(items):
                return False
            argv = argv[: len(items)]
        elif len(argv) != len(items):
            return False
        return all(
            (p.get() if isinstance(p, Secret) else p) == a for p, a in zip(items, argv, strict=True)
        )


class _SimulatedProcess:
    """Plays a :class:`FakeReply` on the clock, honouring timeout and idle timeout."""

    def __init__(
        self,
        owner: FakeCommandExecutor,
        call: FakeCall,
        cmd: PreparedCommand,
        reply: FakeReply,
        *,
        collect: bool,
    ) -> None:
        self.owner = owner
        self.call = call
        self.cmd = cmd
        self.collect = collect
        self.clock = owner.clock
        self.start = self.clock.monotonic()
        self.last_output = self.start
        self.out: list[str] = [reply.stdout] if collect else []
        self.err: list[str] = [reply.stderr] if collect else []
        self.exit_code = reply.exit_code
        self.expired: tuple[float, bool] | None = None
        self.finished = False
        self.ended: float | None = None
        # (offset in seconds, line or None for the exit, whether the line is already collected)
        self.events: list[tuple[float, OutputLine | None, bool]] = []
        t = 0.0
        for line in _lines(reply.stdout):
            self.events.append((t, OutputLine("stdout", line), True))
        for line in _lines(reply.stderr):
            self.events.append((t, OutputLine("stderr", line), True))
        for step in reply.steps:
            if isinstance(step, OutputLine):
                self.events.append((t, step, False))
            else:
                t += max(0.0, float(step))
        self.events.append((t + max(0.0, reply.delay), None, True))
        self.index = 0
        owner.running += 1

    pid = None
    """A simulated process has no process id."""

    async def drain(self) -> None:
        """Play it to its end."""
        while await self.next_line() is not None:
            pass

    async def next_line(self) -> OutputLine | None:
        """Advance to the next line (returned) or the end (``None``)."""
        if self.finished:
            return None
        offset, line, collected = self.events[self.index]
        due = self.start + offset
        limit = self._limit()
        if limit is not None and limit[0] < due:
            await self._sleep_until(limit[0])
            self.expired = limit[1]
            self._end("timed_out")
            return None
        await self._sleep_until(due)
        self.index += 1
        if line is None:
            self._end("exited")
            return None
        self.last_output = self.clock.monotonic()
        if self.collect and not collected:
            (self.out if line.stream == "stdout" else self.err).append(line.text + "\n")
        if self.cmd.secrets:
            line = OutputLine(line.stream, self.cmd.mask(line.text))
        return line

    def _limit(self) -> tuple[float, tuple[float, bool]] | None:
        limits: list[tuple[float, tuple[float, bool]]] = []
        if self.call.timeout is not None:
            limits.append((self.start + self.call.timeout, (self.call.timeout, False)))
        if self.call.idle_timeout is not None:
            idle = self.call.idle_timeout
            limits.append((self.last_output + idle, (idle, True)))
        return min(limits, key=lambda x: x[0]) if limits else None

    async def _sleep_until(self, when: float) -> None:
        if math.isinf(when):
            await asyncio.get_running_loop().create_future()  # runs until stopped
        delay = when - self.clock.monotonic()
        if delay > 0:
            await self.clock.sleep(delay)

    def _end(self, outcome: str, exit_code: int | None = None) -> None:
        if self.finished:
            return
        self.finished = True
        self.ended = self.clock.monotonic()
        if exit_code is not None:
            self.exit_code = exit_code
        self.call.outcome = outcome
        if outcome != "timed_out":
            self.call.result = self.result()
        self.owner.running -= 1

    def stop(self, outcome: str) -> None:
        """The process is stopped from outside (stream left early, cancellation)."""
        self._end(outcome, -signal.SIGTERM)

    def result(self) -> CommandResult:
        ended = self.ended if self.ended is not None else self.clock.monotonic()
        return self.cmd.result(
            self.exit_code, "".join(self.out), "".join(self.err), ended - self.start
        )

    def raise_failure(self, check: bool) -> CommandResult:
        if self.expired is not None:
            limit, idle = self.expired
            raise self.cmd.timeout_error(
                limit, idle=idle, stdout="".join(self.out), stderr="".join(self.err)
            )
        result = self.result()
        return result.check() if check else result


class FakeCommandExecutor(BaseCommandExecutor):
    """A :class:`CommandExecutor` that plays scripted replies instead of running programs.

    ``ex.script(pattern, reply)`` decides what matching calls do; later scripts take
    precedence over earlier ones, and a script with ``times=n`` is used n times only. Calls
    nothing matches get ``unmatched``: ``"error"`` (the default) raises
    :class:`~asyncconsole.CommandError` as for a missing program, ``"ok"`` exits 0 silently,
    or give a reply. Every call is recorded in :attr:`calls`.

    Args:
        clock: Time for simulated runs, delays and timeouts (a :class:`FakeClock` by default,
            so nothing waits for real).
        unmatched: What calls that match no script do.
        faults: The adapter core's fault plan (a new one by default): ``"hang"`` makes a
            command never start and run into its deadline, ``"refuse"`` fails its start.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        unmatched: Literal["error", "ok"] | Reply = "error",
        faults: FaultPlan | None = None,
    ) -> None:
        self._core = AdapterCore(
            ERRORS,
            endpoint="simulated processes",
            logger=_logger,
            clock=clock if clock is not None else FakeClock(),
            faults=faults if faults is not None else FaultPlan(),
        )
        self.unmatched = unmatched
        self.calls: list[FakeCall] = []
        self.running = 0
        """How many simulated processes are running now."""
        self.pings = 0
        self.ping_error: BaseException | None = None
        """Raised by :meth:`ping` when set (fault injection)."""
        self._scripts: list[_Script] = []

    @classmethod
    def posix_basics(cls, *, clock: Clock | None = None) -> Self:
        """An executor that emulates a few POSIX commands as a real system would run them.

        ``echo``, ``true``, ``false``, ``cat`` (copies stdin), ``printenv NAME``, ``pwd``,
        ``sleep N``, and ``sh -c SCRIPT`` where the script is ``;``/``&&``/``||``-separated
        uses of those plus ``exit N`` and ``>&2``. Other programs are "not found". Add your
        own scripts on top.
        """
        executor = cls(clock=clock)
        executor.script(lambda argv: os.path.basename(argv[0]) in _POSIX, _posix_reply)
        return executor

    def script(
        self,
        pattern: ArgvPattern,
        reply: Reply | None = None,
        *,
        exit_code: int = 0,
        stdout: str = "",
        stderr: str = "",
        steps: Iterable[OutputLine | float] = (),
        delay: float = 0.0,
        raises: BaseException | None = None,
        times: int | None = None,
    ) -> Self:
        """Decide what calls matching ``pattern`` do; returns the executor for chaining.

        Args:
            pattern: An exact argv list (``Secret`` items compare by value; a trailing
                ``...`` matches any further arguments), a glob over the shell-quoted command
                line (``"kubectl get *"``), a compiled regex searched in it, or a predicate
                on the revealed argv tuple.
            reply: A :class:`FakeReply`, a :class:`CommandResult`, an exception to raise
                (the process fails to start), or a function of the :class:`FakeCall` that
                returns (or awaits) a reply or raises. Without it, the keyword arguments
                describe the reply.
            exit_code, stdout, stderr, steps, delay, raises: The fields of a
                :class:`FakeReply`.
            times: Use this script for that many calls only.
        """
        if reply is None:
            reply = FakeReply(
                exit_code=exit_code,
                stdout=stdout,
                stderr=stderr,
                steps=tuple(steps),
                delay=delay,
                raises=raises,
            )
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for unlimited)")
        self._scripts.append(_Script(pattern, reply, times))
        return self

    def calls_matching(self, pattern: ArgvPattern) -> list[FakeCall]:
        """The recorded calls whose revealed argv matches ``pattern``."""
        probe = _Script(pattern, FakeReply(), None)
        return [c for c in self.calls if probe.matches(c.revealed)]

    async def ping(self) -> None:
        self.pings += 1
        if self.ping_error is not None:
            raise self.ping_error
        await super().ping()

    async def _run(self, spec: CommandSpec) -> CommandResult:
        call = self._record(spec)
        proc = await self._start(call, spec.cmd, collect=spec.collect)
        try:
            while (line := await proc.next_line()) is not None:
                if spec.sink is not None:
                    spec.sink(line)
        except asyncio.CancelledError:
            proc.stop("cancelled")
            raise
        except BaseException:
            proc.stop("terminated")
            raise
        return proc.raise_failure(spec.check)

    @asynccontextmanager
    async def _stream(self, spec: CommandSpec) -> AsyncIterator[CommandStream]:
        call = self._record(spec)
        proc = await self._start(call, spec.cmd, collect=spec.collect)
        handle = ProcessStream(proc, spec.check)
        left_early = False
        try:
            yield handle
        except asyncio.CancelledError:
            proc.stop("cancelled")
            raise
        finally:
            if not proc.finished:
                left_early = True
                proc.stop("terminated")
        if not left_early and not handle.reported:
            handle.reported = True
            proc.raise_failure(spec.check)

    def _record(self, spec: CommandSpec) -> FakeCall:
        cmd = spec.cmd
        call = FakeCall(
            argv=cmd.shown,
            revealed=cmd.plain,
            env=None if spec.env is None else dict(spec.env),
            environ=env_view(cmd.env),
            cwd=spec.cwd,
            stdin=spec.stdin,
            shell=spec.shell,
            timeout=spec.timeout,
            idle_timeout=spec.idle_timeout,
            output=spec.output,
            started=self.clock.monotonic(),
        )
        self.calls.append(call)
        return call

    async def _start(
        self, call: FakeCall, cmd: PreparedCommand, *, collect: bool
    ) -> _SimulatedProcess:
        try:
            reply = await self._reply_for(call, cmd)
            if reply.raises is not None:
                raise reply.raises
        except BaseException:
            call.outcome = "not_started"
            raise
        return _SimulatedProcess(self, call, cmd, reply, collect=collect)

    async def _reply_for(self, call: FakeCall, cmd: PreparedCommand) -> FakeReply:
        chosen: Reply | Literal["error", "ok"] = self.unmatched
        for script in reversed(self._scripts):
            if script.times != 0 and script.matches(call.revealed):
                if script.times is not None:
                    script.times -= 1
                chosen = script.reply
                break
        if chosen == "error":
            raise CommandError(
                f"cannot run {cmd.program!r}: program not found "
                f"(FakeCommandExecutor has no script matching {cmd.quoted})",
                argv=cmd.shown,
            )
        if chosen == "ok":
            return FakeReply()
        if isinstance(chosen, BaseException):
            raise chosen
        if isinstance(chosen, FakeReply):
            return chosen
        if isinstance(chosen, CommandResult):
            return FakeReply.of(chosen)
        assert callable(chosen)
        produced = chosen(call)
        if inspect.isawaitable(produced):
            produced = await produced
        if isinstance(produced, CommandResult):
            return FakeReply.of(produced)
        if not isinstance(produced, FakeReply):
            raise TypeError(
                f"a FakeCommandExecutor reply function returned {type(produced).__name__}; "
                "return a FakeReply or a CommandResult"
            )
        return produced


def _lines(text: str) -> list[str]:
    if not text:
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p.removesuffix("\r") for p in parts]


# -- POSIX emulation for FakeCommandExecutor.posix_basics() -------------------------------------

_POSIX = frozenset({"echo", "true", "false", "cat", "printenv", "pwd", "sleep", "sh"})
_SEPARATORS = frozenset({";", "&&", "||"})


def _posix_reply(call: FakeCall) -> FakeReply:
    argv = call.revealed
    name = os.path.basename(argv[0])
    if name == "sh":
        if len(argv) < 3 or argv[1] != "-c":
            return FakeReply(exit_code=2, stderr="sh: only 'sh -c SCRIPT' is emulated\n")
        return _sh(argv[2], call)
    if name == "cat" and len(argv) == 1:
        return FakeReply(stdout=(call.stdin or b"").decode("utf-8", "replace"))
    steps: list[OutputLine | float] = []
    status = _simple(name, list(argv[1:]), call, steps, "stdout")
    if status is None:
        return FakeReply(exit_code=2, stderr=f"{name}: usage not emulated\n")
    return FakeReply(exit_code=status, steps=tuple(steps))


def _simple(
    name: str,
    args: list[str],
    call: FakeCall,
    steps: list[OutputLine | float],
    stream: Literal["stdout", "stderr"],
) -> int | None:
    """Emulate one simple command, appending its output and waits; its exit status."""
    if name == "echo":
        steps.append(OutputLine(stream, " ".join(args)))
        return 0
    if name == "true" and not args:
        return 0
    if name == "false" and not args:
        return 1
    if name == "pwd" and not args:
        steps.append(OutputLine(stream, call.cwd or os.getcwd()))
        return 0
    if name == "printenv" and len(args) == 1:
        value = call.environ.get(args[0])
        if value is None:
            return 1
        steps.append(OutputLine(stream, value))
        return 0
    if name == "sleep" and len(args) == 1:
        try:
            seconds = float(args[0])
        except ValueError:
            return None
        steps.append(seconds)
        return 0
    return None


def _sh(script: str, call: FakeCall) -> FakeReply:
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|>")
    lexer.whitespace_split = True
    commands: list[tuple[str, list[str]]] = [(";", [])]
    for token in lexer:
        if token in _SEPARATORS:
            commands.append((token, []))
        else:
            commands[-1][1].append(token)
    steps: list[OutputLine | float] = []
    status = 0
    for separator, words in commands:
        if not words or (separator == "&&" and status != 0) or (separator == "||" and status == 0):
            continue
        stream: Literal["stdout", "stderr"] = "stdout"
        if words[-2:] == [">&", "2"]:
            words, stream = words[:-2], "stderr"
        if words[0] == "exit":
            return FakeReply(
                exit_code=int(words[1]) if len(words) > 1 else status, steps=tuple(steps)
            )
        result = _simple(words[0], words[1:], call, steps, stream)
        if result is None:
            steps.append(OutputLine("stderr", f"sh: 1: {words[0]}: not found"))
            result = 127
        status = result
    return FakeReply(exit_code=status, steps=tuple(steps))
