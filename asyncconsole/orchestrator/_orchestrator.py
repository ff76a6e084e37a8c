"""The orchestrator: many operations at once under one ``asyncio.TaskGroup``.

Each submitted operation becomes one child task that waits for its dependencies, takes a
concurrency slot, runs its attempts under its own timeout (and the orchestrator's deadline),
both taken on the orchestrator's :class:`~asyncconsole.Clock` (so a ``FakeClock`` drives them
as it drives every other wait), and records an :class:`Outcome` however it ends. Children
never raise into the group unless ``fail_fast`` is set, so one failure does not disturb the
others; leaving the block early aborts the group, which cancels and awaits every child.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import types
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from typing import Any, Generic, TypeVar

from .._clock import Clock, SystemClock, TimeoutScope
from .._errors import OperationCancelledError, OperationTimeoutError
from .._observe import observe, tracing_enabled
from .._retry import RetryPolicy
from ._events import Event, EventKind, EventStream
from ._outcome import Outcome, OutcomeStatus, describe_error
from ._report import Report

__all__ = ["Handle", "Orchestrator"]

T = TypeVar("T")

_LOGGER = logging.getLogger("asyncconsole.orchestrator")

_PENDING, _WAITING, _RUNNING, _DONE = range(4)


class _DependencyNotOk(Exception):
    def __init__(self, dependency: _Op) -> None:
        self.dependency = dependency


class _Once:
    """Adapts an already-made awaitable (a coroutine object) to the callable that submit wants."""

    __slots__ = ("_awaitable", "used")

    def __init__(self, awaitable: Awaitable[Any]) -> None:
        self._awaitable = awaitable
        self.used = False

    def __call__(self) -> Awaitable[Any]:
        if self.used:
            raise RuntimeError(
                "an awaitable (not a function) can be awaited only once; retry needs a function"
            )
        self.used = True
        return self._awaitable

    def close(self) -> None:
        # A coroutine object that never ran must be closed, or Python warns it was never awaited.
        if not self.used and inspect.iscoroutine(self._awaitable):
            self._awaitable.close()


class _Op:
    __slots__ = (
        "after",
        "args",
        "cancel_reason",
        "fn",
        "kwargs",
        "name",
        "outcome",
        "own_timeout",
        "retry",
        "started",
        "state",
        "task",
        "timeout",
        "tried",
        "waiters",
    )

    def __init__(
        self,
        name: str,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float | None,
        retry: RetryPolicy | None,
        after: tuple[_Op, ...],
    ) -> None:
        self.name = name
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.timeout = timeout
        self.retry = retry
        self.after = after
        self.state = _PENDING
        self.started: float | None = None
        self.tried = 0
        self.outcome: Outcome | None = None
        self.cancel_reason: str | None = None
        self.own_timeout: TimeoutScope | None = None
        self.task: asyncio.Task[None] | None = None
        self.waiters: list[asyncio.Future[None]] | None = None

    async def wait(self) -> Outcome:
        if self.outcome is None:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self.waiters is None:
                self.waiters = []
            self.waiters.append(fut)
            await fut
        assert self.outcome is not None
        return self.outcome


class Handle(Generic[T]):
    """One submitted operation. ``await handle`` gives its value or raises its error.

    Awaiting raises the recorded error: what the operation raised, an
    :class:`~asyncconsole.OperationTimeoutError`, or an
    :class:`~asyncconsole.OperationCancelledError` (never a bare ``CancelledError``, which would
    be mistaken for the awaiting task's own cancellation).
    """

    __slots__ = ("_op", "_orchestrator")

    def __init__(self, orchestrator: Orchestrator, op: _Op) -> None:
        self._orchestrator = orchestrator
        self._op = op

    @property
    def name(self) -> str:
        """The name the operation was submitted under."""
        return self._op.name

    @property
    def outcome(self) -> Outcome | None:
        """The outcome once the operation has finished, else ``None``."""
        return self._op.outcome

    def done(self) -> bool:
        """Whether the operation has finished (in any way)."""
        return self._op.outcome is not None

    async def wait(self) -> Outcome:
        """Wait for the operation to finish and return its outcome (never raises its error)."""
        return await self._op.wait()

    def cancel(self, reason: str = "its handle was cancelled") -> bool:
        """Cancel the operation; it finishes as ``cancelled``. False if it had already finished."""
        return self._orchestrator._cancel(self._op, reason)

    async def _result(self) -> T:
        outcome = await self._op.wait()
        value: T = outcome.unwrap()
        return value

    def __await__(self) -> Generator[Any, None, T]:
        return self._result().__await__()

    def __repr__(self) -> str:
        state = self._op.outcome.status.value if self._op.outcome else "pending"
        return f"<Handle {self._op.name!r} {state}>"


class Orchestrator:
    """Run many async operations concurrently and record how each one ended.

    Use it as ``async with Orchestrator(max_concurrency=10, timeout=30) as orch:`` and
    :meth:`submit` operations inside the block; the block's end waits for all of them, and
    :attr:`outcomes` maps every name to its :class:`Outcome`. Guarantees (see
    ``docs/orchestrator.md``):

    * No task outlives the block: leaving it early (an exception, or the caller being cancelled)
      cancels every operation and waits for each to finish its cleanup.
    * A failure is recorded, not raised, unless ``fail_fast``: then the first failure (or
      timeout) cancels all the others and the block raises an ``ExceptionGroup`` of it.
    * At most ``max_concurrency`` operations run at any instant (waiting for a dependency does
      not take a slot; the waits between retries do).

    Args:
        max_concurrency: Most operations running at once; ``None`` = no limit.
        timeout: Deadline in seconds for all operations, from entering the block; whatever has
            not finished by then ends ``timed_out``. The block's own code is not interrupted.
        fail_fast: Cancel everything and raise as soon as one operation fails or times out.
        retry: Default retry policy for operations submitted without ``retry=`` (default:
            one attempt).
        clock: Time source for durations, event times, waits between retries, timeouts and
            the deadline (a ``FakeClock`` runs them all on fake time).
        on_event: Called synchronously with every :class:`Event`; errors it raises are logged
            and ignored so a display bug cannot break the operations.
        event_buffer: Most unread events each :meth:`events` stream holds before dropping the
            oldest.
        logger: Where each operation's log event goes (default ``asyncconsole.orchestrator``).
    """

    def __init__(
        self,
        *,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        fail_fast: bool = False,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        on_event: Callable[[Event], object] | None = None,
        event_buffer: int = 1000,
        logger: logging.Logger | None = None,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1 or None, not {max_concurrency!r}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds or None, not {timeout!r}")
        if event_buffer < 1:
            raise ValueError(f"event_buffer must be >= 1, not {event_buffer!r}")
        self.max_concurrency = max_concurrency
        self.timeout = timeout
        self.fail_fast = fail_fast
        self.retry = retry
        self._clock: Clock = clock or SystemClock()
        self._on_event = on_event
        self._event_buffer = event_buffer
        self._logger = logger or _LOGGER
        self._semaphore = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self._ops: dict[str, _Op] = {}
        self._outcomes: dict[str, Outcome] = {}
        self._streams: list[EventStream] = []
        self._listening = on_event is not None
        self._unfinished = 0
        self._tg: asyncio.TaskGroup | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._deadline: float | None = None
        self._t0 = 0.0
        self._observed = False
        self._abort_reason: str | None = None
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Orchestrator:
        if self._tg is not None:
            raise RuntimeError("an Orchestrator can be entered only once; make a new one")
        tg = asyncio.TaskGroup()
        await tg.__aenter__()
        self._tg = tg
        self._owner = asyncio.current_task()
        self._t0 = self._clock.monotonic()
        if self.timeout is not None:
            self._deadline = self._clock.monotonic() + self.timeout
        self._observed = tracing_enabled() or self._logger.isEnabledFor(logging.INFO)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> bool:
        assert self._tg is not None, "__aexit__ without __aenter__"
        if exc is not None and self._abort_reason is None:
            self._abort_reason = (
                "the orchestrator was cancelled"
                if isinstance(exc, asyncio.CancelledError)
                else f"the orchestrator block raised {describe_error(exc)}"
            )
        try:
            await self._tg.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # A group of only the block's own exception (children raise only with fail_fast):
            # returning False lets that propagate as itself.
            if exc is None or list(group.exceptions) != [exc]:
                raise
        finally:
            self._close()
        return False

    def _close(self) -> None:
        # Tasks cancelled before their first step never ran _run: record them here.
        for op in self._ops.values():
            if op.outcome is None:
                reason = op.cancel_reason or self._abort_reason or "the orchestrator closed"
                self._finish(op, OutcomeStatus.CANCELLED, error=self._cancelled_error(op, reason))
            if isinstance(op.fn, _Once):
                op.fn.close()
        self._outcomes = {name: op.outcome for name, op in self._ops.items() if op.outcome}
        self._closed = True
        for stream in self._streams:
            stream._finish()
        self._streams.clear()

    # -- public API ------------------------------------------------------------------------

    @property
    def outcomes(self) -> Mapping[str, Outcome]:
        """Name → :class:`Outcome` of every finished operation (all of them after the block),
        in submission order once the block has ended."""
        return types.MappingProxyType(self._outcomes)

    @property
    def closed(self) -> bool:
        """Whether the block has ended (no operation runs any more)."""
        return self._closed

    def report(
        self, *, details: Mapping[str, str] | Callable[[Outcome], str | None] | None = None
    ) -> Report:
        """The outcomes so far as a :class:`Report`; see :meth:`Report.from_outcomes`."""
        return Report.from_outcomes(self._outcomes, details=details)

    def submit(
        self,
        name: str,
        fn: Callable[..., Awaitable[T]] | Awaitable[T],
        /,
        *args: Any,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        after: Iterable[str | Handle[Any]] = (),
        **kwargs: Any,
    ) -> Handle[T]:
        """Start ``fn(*args, **kwargs)`` as the operation ``name``; returns its :class:`Handle`.

        Args:
            name: Unique name of the operation (the key in :attr:`outcomes`).
            fn: A coroutine function (called once per attempt), or an awaitable such as a
                coroutine object (awaited once: no retries).
            *args: Positional arguments for ``fn``.
            timeout: Seconds the operation may run (all attempts and the waits between them),
                counted from when it takes a concurrency slot.
            retry: Retry policy (default: the orchestrator's ``retry``, else one attempt).
                Only for idempotent operations.
            after: Operations (names or handles, already submitted) that must succeed first;
                if one does not, this one ends ``cancelled`` without running.
            **kwargs: Keyword arguments for ``fn`` (``functools.partial`` passes ones named
                ``timeout``, ``retry`` or ``after``).

        Raises:
            ValueError: ``name`` is taken, a dependency is unknown, or ``timeout`` <= 0.
            TypeError: ``fn`` is neither callable nor awaitable, or an awaitable is combined
                with arguments or retries.
            RuntimeError: Outside the ``async with`` block.
        """
        tg = self._tg
        if tg is None or self._closed:
            raise RuntimeError(
                "submit() needs a running orchestrator: use it inside `async with Orchestrator()`"
            )
        if name in self._ops:
            raise ValueError(f"an operation named {name!r} was already submitted")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout of {name!r} must be > 0 seconds, not {timeout!r}")
        policy = retry if retry is not None else self.retry
        call: Callable[..., Awaitable[Any]]
        if callable(fn):
            call = fn
        elif inspect.isawaitable(fn):
            problem = (
                "arguments need a function, not an awaitable"
                if args or kwargs
                else "an awaitable cannot be retried; submit a function"
                if retry is not None and retry.attempts > 1
                else None
            )
            if problem is not None:
                _Once(fn).close()
                raise TypeError(f"{name!r}: {problem}")
            call = _Once(fn)
            policy = None  # awaited once, whatever the orchestrator's default policy
        else:
            raise TypeError(f"{name!r}: expected a coroutine function or awaitable, got {fn!r}")
        if policy is not None and policy.attempts == 1:
            policy = None  # one attempt needs no retry machinery
        if policy is not None:
            import tenacity  # noqa: F401  (loaded now, not inside the operation's timeout)
        deps = tuple(self._dependency(name, dep) for dep in after)
        op = _Op(name, call, args, kwargs, timeout, policy, deps)
        self._ops[name] = op
        self._unfinished += 1
        op.task = tg.create_task(self._run(op), name=f"asyncconsole:{name}")
        return Handle(self, op)

    def events(self) -> EventStream:
        """Subscribe to progress events from now on: ``async for event in orch.events():``.

        Iterating in the task that runs the ``async with`` block ends as soon as every
        operation submitted so far has finished (waiting for the block's end there would
        deadlock); iterating in any other task ends when the orchestrator closes. Each stream
        buffers at most ``event_buffer`` unread events and drops the oldest beyond that.
        """
        stream = EventStream(
            self._event_buffer, is_done=self._stream_done, on_close=self._unsubscribe
        )
        if self._closed:
            stream._finish()
        else:
            self._streams.append(stream)
            self._listening = True
        return stream

    # -- internals -------------------------------------------------------------------------

    def _dependency(self, name: str, dep: str | Handle[Any]) -> _Op:
        if isinstance(dep, Handle):
            if dep._orchestrator is not self:
                raise ValueError(
                    f"{name!r} is after {dep.name!r}, submitted to another orchestrator"
                )
            return dep._op
        op = self._ops.get(dep)
        if op is None:
            # Dependencies must exist already, which also makes cycles impossible.
            raise ValueError(
                f"{name!r} is after {dep!r}, which has not been submitted; submit it first"
            )
        return op

    def _stream_done(self) -> bool:
        if self._closed:
            return True
        return (
            self._unfinished == 0 and self._tg is not None and asyncio.current_task() is self._owner
        )

    def _unsubscribe(self, stream: EventStream) -> None:
        if stream in self._streams:
            self._streams.remove(stream)
        self._listening = self._on_event is not None or bool(self._streams)

    def _cancel(self, op: _Op, reason: str) -> bool:
        if op.outcome is not None:
            return False
        op.cancel_reason = reason
        if op.state == _PENDING:
            # Its task has not begun; _run sees the reason on its first step. Cancelling the
            # task instead would skip _run entirely.
            return True
        assert op.task is not None
        op.task.cancel()
        return True

    def _cancelled_error(
        self, op: _Op, reason: str, dependency: str | None = None
    ) -> OperationCancelledError:
        when = "before it started" if op.started is None else "while running"
        return OperationCancelledError(
            f"{op.name!r} was cancelled {when}: {reason}",
            operation=op.name,
            reason=reason,
            dependency=dependency,
        )

    async def _run(self, op: _Op) -> None:
        op.state = _WAITING
        deadline = self._deadline
        overall = self._clock.timeout_at(deadline) if deadline is not None else None
        try:
            if op.cancel_reason is not None:
                raise asyncio.CancelledError
            if overall is None:
                value = await self._execute(op)
            else:
                async with overall:
                    value = await self._execute(op)
        except _DependencyNotOk as exc:
            dep = exc.dependency
            assert dep.outcome is not None
            reason = f"its dependency {dep.name!r} ended {dep.outcome.status.value}"
            self._finish(
                op, OutcomeStatus.CANCELLED, error=self._cancelled_error(op, reason, dep.name)
            )
        except TimeoutError as exc:
            own = op.own_timeout
            error: Exception = exc  # a timeout inside the operation (an HTTP timeout...)
            if own is not None and own.expired():
                error = OperationTimeoutError(
                    f"{op.name!r} did not finish within its timeout of {op.timeout:g}s",
                    timeout=op.timeout,
                    operation=op.name,
                )
            elif overall is not None and overall.expired():
                error = OperationTimeoutError(
                    f"{op.name!r} had not finished by the deadline of {self.timeout:g}s",
                    timeout=self.timeout,
                    operation=op.name,
                )
            if error is not exc:
                error.__cause__ = exc
            self._fail(op, error, OutcomeStatus.TIMED_OUT)
        except asyncio.CancelledError:
            # Nothing else can cancel a child without setting a reason: it is the caller.
            reason = op.cancel_reason or self._abort_reason or "the orchestrator was cancelled"
            self._finish(op, OutcomeStatus.CANCELLED, error=self._cancelled_error(op, reason))
            if op.cancel_reason is None:
                raise  # the group is aborting: let the cancellation complete
        except Exception as exc:
            self._fail(op, exc)
        else:
            self._finish(op, OutcomeStatus.OK, value=value)

    def _fail(
        self, op: _Op, error: Exception, status: OutcomeStatus = OutcomeStatus.FAILED
    ) -> None:
        self._finish(op, status, error=error)
        if self.fail_fast:
            if self._abort_reason is None:
                self._abort_reason = f"{op.name!r} ended {status.value} and fail_fast is set"
            raise error

    async def _execute(self, op: _Op) -> Any:
        # One coroutine for the common path (no dependency, timeout, retry or observation):
        # every extra layer of awaiting costs on each resumption of a short operation.
        for dep in op.after:
            outcome = dep.outcome or await dep.wait()
            if outcome.status is not OutcomeStatus.OK:
                raise _DependencyNotOk(dep)
        sem = self._semaphore
        if sem is not None:
            await sem.acquire()
        try:
            op.state = _RUNNING
            op.started = self._clock.monotonic()
            if self._listening:
                self._emit(Event(EventKind.STARTED, op.name, 1, op.started - self._t0))
            if op.timeout is not None:
                op.own_timeout = self._clock.timeout(op.timeout)
                async with op.own_timeout:
                    return await self._attempts(op)
            if op.retry is not None or self._observed:
                return await self._attempts(op)
            op.tried = 1
            return await op.fn(*op.args, **op.kwargs)
        finally:
            if sem is not None:
                sem.release()

    async def _attempts(self, op: _Op) -> Any:
        if not self._observed:
            return await self._call(op)
        async with observe(self._logger, "orchestrator.operation", op.name) as info:
            try:
                return await self._call(op)
            finally:
                info["attempts"] = op.tried

    async def _call(self, op: _Op) -> Any:
        policy = op.retry
        if policy is None:
            op.tried = 1
            return await op.fn(*op.args, **op.kwargs)

        def attempt() -> Awaitable[Any]:
            op.tried += 1
            return op.fn(*op.args, **op.kwargs)

        def on_retry(number: int, error: BaseException, wait: float) -> None:
            if self._listening:
                now = self._clock.monotonic()
                started = op.started if op.started is not None else now
                self._emit(
                    Event(
                        EventKind.RETRIED,
                        op.name,
                        number,
                        now - self._t0,
                        elapsed=now - started,
                        error=error,
                        wait=wait,
                    )
                )

        return await policy.run(attempt, clock=self._clock, on_retry=on_retry)

    def _finish(
        self,
        op: _Op,
        status: OutcomeStatus,
        *,
        value: Any = None,
        error: BaseException | None = None,
    ) -> None:
        if op.outcome is not None:
            return
        now = self._clock.monotonic() if op.started is not None or self._listening else 0.0
        duration = now - op.started if op.started is not None else 0.0
        outcome = Outcome(
            op.name,
            status,
            value,
            error,
            duration,
            op.tried,
            describe_error(error) if error is not None else "",
        )
        op.outcome = outcome
        op.state = _DONE
        self._outcomes[op.name] = outcome
        if op.waiters:
            for fut in op.waiters:
                if not fut.done():
                    fut.set_result(None)
            op.waiters = None
        self._unfinished -= 1
        if self._listening:
            self._emit(
                Event(
                    EventKind.FINISHED,
                    op.name,
                    op.tried,
                    now - self._t0,
                    elapsed=duration,
                    error=error,
                    outcome=outcome,
                )
            )
            if self._unfinished == 0:
                for stream in self._streams:
                    stream._wake()

    def _emit(self, event: Event) -> None:
        for stream in self._streams:
            stream._put(event)
        callback = self._on_event
        if callback is not None:
            try:
                callback(event)
            except Exception:
                self._logger.exception("on_event callback failed for %s %s", event.kind, event.name)

    def __rich__(self) -> Any:
        from ._render import live_table

        return live_table(self)

    def _repr_html_(self) -> str:
        return self.report()._repr_html_()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._tg else "new"
        return f"<Orchestrator {state} operations={len(self._ops)} finished={len(self._outcomes)}>"
