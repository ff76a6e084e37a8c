"""The real executor: asyncio subprocesses, each in its own process group.

Output, timeouts and termination are driven by loop callbacks on one protocol object per child
(no reader tasks, no timer tasks), so a command costs little more than the raw
``asyncio.create_subprocess_exec``. The timeout and idle timeout run on the event loop's clock:
they bound real processes, which an injected fake clock cannot make go faster.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import signal
import subprocess
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ..._clock import Clock
from ..._resource import AsyncResource
from .._core import AdapterCore, finish
from ._argv import PreparedCommand
from ._base import ERRORS, BaseCommandExecutor, CommandSpec, ProcessStream
from ._protocol import CommandStream
from ._result import CommandResult
from ._types import LineSink, OutputLine, OutputMode, StreamName

__all__ = ["DEFAULT_GRACE_PERIOD", "SubprocessExecutor"]

DEFAULT_GRACE_PERIOD = 1.0
"""Seconds between SIGTERM and SIGKILL when a command is stopped: a timed-out command ends
within its timeout + 1 s even when it ignores SIGTERM."""

_logger = logging.getLogger("asyncconsole.infra.commands")

_STREAMS: dict[int, StreamName] = {1: "stdout", 2: "stderr"}
# A stream consumer that falls this many lines behind pauses the child's pipes.
_PAUSE_AT = 1024
_RESUME_AT = 256
# asyncio may run a timer up to its clock resolution early.
_EARLY = 1e-3


class _Child(asyncio.SubprocessProtocol):
    """One child process: its output, its timers and its termination, all from loop callbacks."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        cmd: PreparedCommand,
        *,
        collect: bool,
        sink: LineSink | None,
        queue: bool,
        timeout: float | None,
        idle_timeout: float | None,
        grace: float,
    ) -> None:
        self.loop = loop
        self.cmd = cmd
        self.collect = collect
        self.sink = sink
        self.lines: deque[OutputLine] | None = deque() if queue else None
        self.out = bytearray()
        self.err = bytearray()
        self.transport: asyncio.SubprocessTransport | None = None
        self.pid: int | None = None
        self.returncode: int | None = None
        self.started = loop.time()
        self.ended: float | None = None
        self.done: asyncio.Future[None] = loop.create_future()
        self.settled: asyncio.Future[None] = loop.create_future()
        self.exited: asyncio.Future[None] = loop.create_future()
        self.expired: tuple[float, bool] | None = None
        self.sink_error: BaseException | None = None
        self.terminating = False
        self.killed = False
        self.paused = False
        self._timeout = timeout
        self._idle = idle_timeout
        self._deadline = None if timeout is None else self.started + timeout
        self._last_output = self.started
        self._grace = grace
        self._timer: asyncio.TimerHandle | None = None
        self._kill_timer: asyncio.TimerHandle | None = None
        self._line_waiter: asyncio.Future[None] | None = None
        self._splitters: dict[int, _LineSplitter] = {}

    # -- asyncio.SubprocessProtocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self.transport = transport
        self.pid = transport.get_pid()
        if self.terminating:
            # Stopped (executor closed) while it was being started: signal it now.
            self._signal(signal.SIGKILL if self.killed else signal.SIGTERM)
            self._signal(signal.SIGCONT)

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        assert isinstance(data, bytes)
        if self.collect:
            (self.out if fd == 1 else self.err).extend(data)
        if self._idle is not None:
            self._last_output = self.loop.time()
        if self.sink is not None or self.lines is not None:
            splitter = self._splitters.get(fd)
            if splitter is None:
                splitter = self._splitters[fd] = _LineSplitter(_STREAMS[fd])
            for line in splitter.feed(data):
                self._emit(line)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        splitter = self._splitters.get(fd)
        if splitter is not None:
            for line in splitter.flush():
                self._emit(line)

    def process_exited(self) -> None:
        assert self.transport is not None
        self.returncode = self.transport.get_returncode()
        self.ended = self.loop.time()
        _resolve(self.exited)
        if self.killed:
            # Whatever still holds our pipes escaped the process group; stop waiting for it.
            self._finish()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.terminating and not self.killed:
            self.kill()  # sweep group members that closed their pipes but still run
        self._finish()

    # -- output --------------------------------------------------------------------------------

    def _emit(self, line: OutputLine) -> None:
        if self.cmd.secrets:
            line = OutputLine(line.stream, self.cmd.mask(line.text))
        if self.sink is not None and self.sink_error is None:
            try:
                self.sink(line)
            except Exception as exc:
                self.sink_error = exc
                self.terminate()
        if self.lines is not None:
            self.lines.append(line)
            if len(self.lines) >= _PAUSE_AT and not self.paused:
                self._pause(True)
            self._wake()

    def _wake(self) -> None:
        waiter, self._line_waiter = self._line_waiter, None
        if waiter is not None:
            _resolve(waiter)

    @property
    def finished(self) -> bool:
        """Whether it has ended and been reaped."""
        return self.settled.done()

    async def drain(self) -> None:
        """Wait until it has ended and been reaped, dropping lines not read yet."""
        self.stop_queueing()
        await asyncio.shield(self.settled)

    async def next_line(self) -> OutputLine | None:
        """The next queued line, waiting for one; ``None`` once the child has finished (or
        lines are no longer queued)."""
        if self.lines is None:
            return None
        while not self.lines:
            if self.done.done():
                return None
            self._line_waiter = self.loop.create_future()
            await self._line_waiter
        line = self.lines.popleft()
        if self.paused and len(self.lines) <= _RESUME_AT:
            self._pause(False)
        return line

    def stop_queueing(self) -> None:
        """Drop queued lines and stop queueing new ones (the consumer only wants the end)."""
        self.lines = None
        if self.paused:
            self._pause(False)

    def _pause(self, pause: bool) -> None:
        self.paused = pause
        if self.transport is None:
            return
        for fd in (1, 2):
            pipe = self.transport.get_pipe_transport(fd)
            if isinstance(pipe, asyncio.ReadTransport) and not pipe.is_closing():
                if pause:
                    pipe.pause_reading()
                else:
                    pipe.resume_reading()
        if not pause:
            self._last_output = self.loop.time()  # a paused child was not idle

    # -- timers and termination ----------------------------------------------------------------

    def start_timers(self) -> None:
        """Arm the timeout and idle timeout; called once the child exists."""
        self._arm()

    def _arm(self) -> None:
        due = self._deadline
        if self._idle is not None:
            idle_due = self._last_output + self._idle
            due = idle_due if due is None else min(due, idle_due)
        if due is not None:
            self._timer = self.loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.done.done() or self.terminating:
            return
        now = self.loop.time() + _EARLY
        if self._deadline is not None and now >= self._deadline:
            assert self._timeout is not None
            self.expired = (self._timeout, False)
        elif self._idle is not None and now >= self._last_output + self._idle:
            if self.paused:
                self._last_output = now
                self._arm()
                return
            self.expired = (self._idle, True)
        else:
            self._arm()
            return
        self.terminate()

    def terminate(self) -> None:
        """SIGTERM the process group now and SIGKILL it after the grace period."""
        if self.terminating or self.settled.done():
            return
        self.terminating = True
        self._signal(signal.SIGTERM)
        self._signal(signal.SIGCONT)  # a stopped process handles SIGTERM only once continued
        self._kill_timer = self.loop.call_later(self._grace, self.kill)

    def kill(self) -> None:
        """SIGKILL the process group now."""
        if self.killed:
            return
        self.killed = True
        self.terminating = True
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        self._signal(signal.SIGKILL)
        if self.exited.done():
            self._finish()

    def _signal(self, sig: int) -> None:
        if self.pid is None:
            return
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _finish(self) -> None:
        if self.settled.done():
            return
        for timer in (self._timer, self._kill_timer):
            if timer is not None:
                timer.cancel()
        _resolve(self.done)
        _resolve(self.settled)
        self._wake()

    async def stop(self) -> None:
        """Terminate the group (if still running) and wait until it is gone and reaped.

        A further cancellation while waiting escalates to SIGKILL at once; it is re-raised
        once the child is reaped.
        """
        self.terminate()
        cancelled: asyncio.CancelledError | None = None
        while not self.settled.done():
            try:
                await asyncio.shield(self.settled)
            except asyncio.CancelledError as exc:
                cancelled = exc
                self.kill()
        if cancelled is not None:
            raise cancelled

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.transport is not None:
            self.transport.close()

    def abandon(self) -> None:
        """After a start that failed or was cancelled: release it and let waiters go."""
        self.close()
        if self.transport is None:
            self._finish()

    # -- outcome -------------------------------------------------------------------------------

    def result(self) -> CommandResult:
        assert self.returncode is not None
        ended = self.ended if self.ended is not None else self.loop.time()
        return self.cmd.result(
            self.returncode, _decode(self.out), _decode(self.err), ended - self.started
        )

    def raise_failure(self, check: bool) -> CommandResult:
        """The result, or the error it stands for (timeout, sink failure, ``check``)."""
        if self.sink_error is not None:
            raise self.sink_error
        if self.expired is not None:
            limit, idle = self.expired
            raise self.cmd.timeout_error(
                limit, idle=idle, stdout=_decode(self.out), stderr=_decode(self.err)
            )
        result = self.result()
        return result.check() if check else result


class _LineSplitter:
    """Turns a byte stream into lines, decoding UTF-8 across chunk boundaries."""

    __slots__ = ("_decoder", "_pending", "_stream")

    def __init__(self, stream: StreamName) -> None:
        self._stream: StreamName = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def feed(self, data: bytes) -> list[OutputLine]:
        parts = (self._pending + self._decoder.decode(data)).split("\n")
        self._pending = parts.pop()
        return [OutputLine(self._stream, p.removesuffix("\r")) for p in parts]

    def flush(self) -> list[OutputLine]:
        tail = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return [OutputLine(self._stream, tail.removesuffix("\r"))] if tail else []


class SubprocessExecutor(BaseCommandExecutor, AsyncResource):
    """Runs commands as real subprocesses with asyncio (see :class:`CommandExecutor`).

    Usable directly (``await SubprocessExecutor().run([...])``) or as ``async with``; closing
    it terminates every command it still runs. Each child leads its own process group so that
    a timeout or cancellation can stop it together with all of its descendants.

    Args:
        grace_period: Seconds between SIGTERM and SIGKILL when a command is stopped.
        new_session: Also start each child in a new session (``setsid``), detached from the
            caller's controlling terminal, so a program cannot open ``/dev/tty`` to prompt.
            Off by default: it halves the spawn rate of concurrent commands on Linux.
        clock: Time for the backstop deadline behind each command's own timers (the timers
            themselves run on the event loop: they bound real processes).
    """

    def __init__(
        self,
        *,
        grace_period: float = DEFAULT_GRACE_PERIOD,
        new_session: bool = False,
        clock: Clock | None = None,
    ) -> None:
        if grace_period < 0:
            raise ValueError("grace_period must be >= 0")
        self.grace_period = grace_period
        self.new_session = new_session
        # Either way the child leads its own process group, so its pid is the group id.
        # setsid() halves the spawn rate under concurrency, so it is opt-in.
        self._group: dict[str, Any] = (
            {"start_new_session": True} if new_session else {"process_group": 0}
        )
        self._children: set[_Child] = set()
        # Only the backstop deadline and the events: a process group is not retried.
        self._core = AdapterCore(
            ERRORS, endpoint="local processes", logger=_logger, clock=clock, retry=None
        )

    async def _close(self) -> None:
        children = list(self._children)
        for child in children:
            child.terminate()
        for child in children:
            await asyncio.shield(child.settled)

    async def _run(self, spec: CommandSpec) -> CommandResult:
        child = await self._spawn(
            spec,
            pipes=spec.output is not OutputMode.QUIET,
            sink=spec.sink,
            queue=False,
        )
        try:
            await child.done
        except asyncio.CancelledError:
            await child.stop()
            raise
        finally:
            child.close()
            self._children.discard(child)
        return child.raise_failure(spec.check)

    @asynccontextmanager
    async def _stream(self, spec: CommandSpec) -> AsyncIterator[CommandStream]:
        child = await self._spawn(spec, pipes=True, sink=None, queue=True)
        proc = ProcessStream(child, spec.check)
        left_early = False
        try:
            yield proc
        finally:
            try:
                if not child.settled.done():
                    left_early = True
                    await child.stop()
            finally:
                child.close()
                self._children.discard(child)
        if not left_early and not proc.reported:
            proc.reported = True
            child.raise_failure(spec.check)

    async def _spawn(
        self, spec: CommandSpec, *, pipes: bool, sink: LineSink | None, queue: bool
    ) -> _Child:
        if self.closed:
            raise RuntimeError("SubprocessExecutor is closed")
        loop = asyncio.get_running_loop()
        cmd, stdin, workdir = spec.cmd, spec.stdin, spec.cwd
        child = _Child(
            loop,
            cmd,
            collect=spec.collect and pipes,
            sink=sink,
            queue=queue,
            timeout=spec.timeout,
            idle_timeout=spec.idle_timeout,
            grace=self.grace_period,
        )
        out = subprocess.PIPE if pipes else subprocess.DEVNULL
        # Known to the executor from now on, so closing it stops this child even while it is
        # still being started.
        self._children.add(child)
        try:
            # Shielded: a cancellation while the process is being started waits for the start
            # (milliseconds), so the whole group can then be stopped; never left running.
            transport, _ = await finish(
                loop.subprocess_exec(
                    lambda: child,
                    *cmd.plain,
                    stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                    stdout=out,
                    stderr=out,
                    cwd=workdir,
                    env=cmd.env,
                    **self._group,
                )
            )
        except asyncio.CancelledError:
            try:
                if child.transport is not None:
                    await child.stop()
            finally:
                child.abandon()
                self._children.discard(child)
            raise
        except BaseException as exc:
            child.abandon()
            self._children.discard(child)
            if isinstance(exc, OSError):
                raise cmd.start_error(exc, workdir) from None
            raise
        child.start_timers()
        if stdin is not None:
            pipe = transport.get_pipe_transport(0)
            assert isinstance(pipe, asyncio.WriteTransport)
            if stdin:
                pipe.write(stdin)
            pipe.close()
        return child


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _decode(data: bytearray) -> str:
    return data.decode("utf-8", "replace") if data else ""
