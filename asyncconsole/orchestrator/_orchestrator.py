"""The orchestrator: many operations at once under one ``asyncio.TaskGroup``.

Each submitted operation waits for its dependencies, then for a concurrency slot; only then is
its child task created (so memory and the garbage collector's work stay proportional to the
operations running, not to those submitted). The task runs the attempts and records an
:class:`Outcome` however it ends. Operations' own timeouts and the orchestrator's deadline are
kept by one :class:`Timekeeper`, which cancels an operation's task when its time is up.
An operation that never runs (its dependency failed, it was cancelled while queued, the
deadline passed first) gets its outcome without a task. Children never raise into the group
unless ``fail_fast`` is set, so one failure does not disturb the others; leaving the block
early aborts the group, which cancels and awaits every child.

What each operation passes through on its way from submit to outcome (slots, starting,
running, finishing) stays here, inline, as it is paid per operation; the parts called rarely
live beside it: ``_handle`` (what submit returns), ``_dependencies`` (``after=``),
``_timekeeper`` (timeouts and the deadline), ``_attempts`` (retries and observation) and
``_context`` (the submitters' context variables), all on the records of ``_op``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import inspect
import logging
import types
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar

from .._clock import Clock, SystemClock
from .._errors import OperationCancelledError
from .._observe import tracing_enabled
from .._retry import RetryPolicy
from ._attempts import run_attempts
from ._context import SharedContexts
from ._dependencies import Dependencies
from ._events import Event, EventKind, EventStream
from ._handle import Handle
from ._op import (
    DONE,
    PENDING,
    RUNNING,
    Once,
    Op,
    OutcomesView,
)
from ._outcome import Outcome, OutcomeStatus, describe_error, new_outcome, set_detail
from ._report import Report
from ._timekeeper import Timekeeper, deadline_error, expiry_error, only_expiry_cancelled

__all__ = ["Orchestrator"]

T = TypeVar("T")

_LOGGER = logging.getLogger("asyncconsole.orchestrator")

_OK = OutcomeStatus.OK
_NO_KWARGS: dict[str, Any] = {}  # shared by operations without keyword arguments
_CANCELLED = OutcomeStatus.CANCELLED

_PACE = 32
"""Without a concurrency limit, operations beyond this many running start this many per turn
of the event loop: all start within a few turns, yet submitting 100,000 short operations
never holds 100,000 tasks at once. Each start makes about eight objects the garbage collector
tracks (the task, its coroutines and context, the loop's handles); 32 of them fit in its young
generation (700 objects by default), so a turn's starts are not promoted while alive, where they would bring on
full collections over every record the orchestrator keeps."""


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
        details: A function of each finished outcome returning its one-line ``detail``
            (``None`` keeps the outcome's own), as :meth:`Report.from_outcomes` takes it, but
            applied once as each operation finishes instead of copying every outcome after.
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
        details: Callable[[Outcome], str | None] | None = None,
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
        self._details = details
        self._ops: dict[str, Op] = {}
        self._queue: collections.deque[Op] = collections.deque()  # ready, waiting for a slot
        self._running = 0  # operations holding a slot
        self._feeder: asyncio.Task[None] | None = None  # paces starts without a limit
        self._context = SharedContexts().capture  # bound once: called on every submit
        # Made as the first operation with a time limit starts (orchestrators without any pay
        # nothing); _watch then becomes its watch, called directly on each such start.
        self._timekeeper: Timekeeper | None = None
        self._watch: Callable[[Op, float], None] = self._start_timekeeper
        self._dependencies = Dependencies(
            self, self._ops, ready=self._ready, failed=self._dependency_failed
        )
        self._halted = False  # closing, or fail_fast tripped: nothing more starts
        self._outcomes = OutcomesView(self._ops, lambda: self._unfinished)
        self._streams: list[EventStream] = []
        self._listening = on_event is not None
        self._unfinished = 0
        self._tg: asyncio.TaskGroup | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._deadline: float | None = None
        self._t0 = 0.0
        self._observed = False
        self._abort_reason: str | None = None
        self._closing = False
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
        # Operations that never got to run (queued, waiting, or whose task was cancelled
        # before its first step) are recorded here, each with the reason the block ended.
        self._closing = self._halted = True
        for op in self._ops.values():
            if op.outcome is None:
                reason = op.cancel_reason or self._abort_reason or "the orchestrator closed"
                self._finish(op, _CANCELLED, error=self._cancelled_error(op, reason))
        self._queue.clear()
        self._closed = True
        for stream in self._streams:
            stream._finish()
        self._streams.clear()

    # -- public API ------------------------------------------------------------------------

    @property
    def outcomes(self) -> Mapping[str, Outcome]:
        """Name → :class:`Outcome` of every finished operation (all of them after the block),
        in submission order: a live read-only mapping."""
        return self._outcomes

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
                Once(fn).close()
                raise TypeError(f"{name!r}: {problem}")
            call = Once(fn)
            policy = None  # awaited once, whatever the orchestrator's default policy
        else:
            raise TypeError(f"{name!r}: expected a coroutine function or awaitable, got {fn!r}")
        if policy is not None and policy.attempts == 1:
            policy = None  # one attempt needs no retry machinery
        # tenacity is imported only after a first retryable failure (RetryPolicy.run): a
        # command whose calls succeed never pays its import (about 10 ms, more with tornado).
        deps = tuple(self._dependencies.resolve(name, dep) for dep in after) if after else ()
        op = Op(name, call, args, kwargs or _NO_KWARGS, timeout, policy, deps, self._context())
        self._ops[name] = op
        self._unfinished += 1
        if deps:
            self._dependencies.wait(op)
        else:
            self._ready(op)
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

    # -- internals: slots ---------------------------------------------------------------------

    def _past_deadline(self) -> bool:
        deadline = self._deadline
        return deadline is not None and self._clock.monotonic() >= deadline

    def _stopping(self) -> bool:
        """Whether the group is ending early: nothing more may start."""
        # The group's flag covers the caller being cancelled while the block's end waited (a
        # private attribute: the group has no public way to say it is shutting down).
        return self._halted or bool(getattr(self._tg, "_aborting", True))

    def _ready(self, op: Op) -> None:
        """``op`` may run as soon as a slot is free."""
        op.state = PENDING
        if self._stopping():
            return  # recorded as cancelled when the block closes
        if self._deadline is not None and self._past_deadline():
            self._doomed(op)
            return
        limit = self.max_concurrency
        if limit is not None:
            if self._running < limit:
                self._start(op)
            else:
                self._queue.append(op)
        elif self._running < _PACE and not self._queue:
            self._start(op)
        else:
            self._queue.append(op)
            if self._feeder is None:
                self._feeder = self._spawn(self._feed(), "asyncconsole:feeder")

    def _dispatch(self) -> None:
        """Start queued operations while slots are free (with a limit; else see _feed)."""
        queue = self._queue
        limit = self.max_concurrency
        while queue and limit is not None and self._running < limit:
            if self._stopping():
                return
            self._start_queued(queue.popleft())

    async def _feed(self) -> None:
        """Without a limit: start what is queued, _PACE per turn of the loop."""
        queue = self._queue
        try:
            while queue and not self._stopping():
                for _ in range(_PACE):
                    if not queue:
                        break
                    self._start_queued(queue.popleft())
                await asyncio.sleep(0)
        finally:
            self._feeder = None

    def _start_queued(self, op: Op) -> None:
        if op.outcome is not None:
            return  # cancelled while queued
        if self._deadline is not None and self._past_deadline():
            self._doomed(op)
        else:
            self._start(op)

    def _start(self, op: Op) -> None:
        context = op.context
        op.task = self._spawn(
            self._run(op), f"asyncconsole:{op.name}", context.copy() if context else None
        )
        if op.task is not None:  # else the close records it as cancelled
            self._running += 1  # a task holds a slot until its operation is done

    def _spawn(
        self,
        coro: Coroutine[Any, Any, None],
        name: str,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[None] | None:
        tg = self._tg
        assert tg is not None
        try:
            return tg.create_task(coro, name=name, context=context)
        except RuntimeError:
            coro.close()  # the group began shutting down in between
            return None

    def _doomed(self, op: Op) -> None:
        """``op`` could start only after the deadline: it ends ``timed_out`` unstarted."""
        if self.fail_fast:
            self._start(op)  # its task raises the timeout into the group, which then aborts
        else:
            self._fail(op, deadline_error(op, self.timeout), OutcomeStatus.TIMED_OUT)

    # -- internals: cancelling ----------------------------------------------------------------

    def _dependency_failed(self, op: Op, dep: Op) -> None:
        if self._past_deadline():
            self._doomed(op)  # the deadline, not the dependency, decided first
            return
        assert dep.outcome is not None
        reason = f"its dependency {dep.name!r} ended {dep.outcome.status.value}"
        self._finish(op, _CANCELLED, error=self._cancelled_error(op, reason, dep.name))

    def _cancel(self, op: Op, reason: str) -> bool:
        if op.outcome is not None:
            return False
        op.cancel_reason = reason
        task = op.task
        if task is None:
            # Waiting or queued: nothing runs yet, so it ends now (and its dependents with it).
            self._finish(op, _CANCELLED, error=self._cancelled_error(op, reason))
        elif op.state == RUNNING:
            task.cancel()
        # else its task has not taken its first step: _run sees the reason there (cancelling
        # the task instead would skip _run entirely).
        return True

    def _cancelled_error(
        self, op: Op, reason: str, dependency: str | None = None
    ) -> OperationCancelledError:
        when = "before it started" if op.started is None else "while running"
        return OperationCancelledError(
            f"{op.name!r} was cancelled {when}: {reason}",
            operation=op.name,
            reason=reason,
            dependency=dependency,
        )

    # -- internals: running ------------------------------------------------------------------

    async def _run(self, op: Op) -> None:
        try:
            if op.cancel_reason is not None:
                raise asyncio.CancelledError
            deadline = self._deadline
            clock = self._clock
            if deadline is not None and clock.monotonic() >= deadline:
                raise deadline_error(op, self.timeout)
            op.state = RUNNING
            op.started = started = clock.monotonic()
            if self._listening:
                self._emit(Event(EventKind.STARTED, op.name, 1, started - self._t0))
            if op.timeout is not None or deadline is not None:
                self._watch(op, started)
            if op.retry is None and not self._observed:
                # The common path in this one coroutine: each extra layer of awaiting costs
                # on every resumption of a short operation.
                op.tried = 1
                fn = op.fn
                assert fn is not None
                value = await fn(*op.args, **op.kwargs)
            else:
                logger = self._logger if self._observed else None
                value = await run_attempts(op, clock, logger, self._retried)
        except TimeoutError as exc:
            self._fail(op, exc, OutcomeStatus.TIMED_OUT)  # raised inside (an HTTP timeout...)
        except asyncio.CancelledError:
            if op.expired and only_expiry_cancelled(op):
                self._fail(op, expiry_error(op, self.timeout), OutcomeStatus.TIMED_OUT)
                return
            # Nothing else can cancel a child without setting a reason: it is the caller.
            reason = op.cancel_reason or self._abort_reason or "the orchestrator was cancelled"
            self._finish(op, _CANCELLED, error=self._cancelled_error(op, reason))
            if op.cancel_reason is None:
                raise  # the group is aborting: let the cancellation complete
        except Exception as exc:
            self._fail(op, exc)
        else:
            self._finish(op, _OK, value=value)

    def _start_timekeeper(self, op: Op, started: float) -> None:
        """The first start with a time limit: make the timekeeper, which watches from now on."""
        timekeeper = self._timekeeper = Timekeeper(
            self._clock,
            self._deadline,
            self._ops,
            running=lambda: self._running,
            halted=lambda: self._halted,
            spawn=self._spawn,
        )
        self._watch = timekeeper.watch
        timekeeper.watch(op, started)

    # -- internals: outcomes and events -------------------------------------------------------

    def _fail(self, op: Op, error: Exception, status: OutcomeStatus = OutcomeStatus.FAILED) -> None:
        if self.fail_fast:
            # Set first, so that the slot this frees starts nothing more.
            self._halted = True
            if self._abort_reason is None:
                self._abort_reason = f"{op.name!r} ended {status.value} and fail_fast is set"
        self._finish(op, status, error=error)
        if self.fail_fast:
            raise error

    def _retried(self, op: Op, number: int, error: BaseException, wait: float) -> None:
        """Attempt ``number`` of ``op`` failed with ``error``; the next follows after ``wait``."""
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

    def _finish(
        self,
        op: Op,
        status: OutcomeStatus,
        *,
        value: Any = None,
        error: BaseException | None = None,
    ) -> None:
        if op.outcome is not None:
            return
        started = op.started
        now = self._clock.monotonic() if started is not None or self._listening else 0.0
        duration = now - started if started is not None else 0.0
        outcome = new_outcome(
            op.name,
            status,
            value,
            error,
            duration,
            op.tried,
            describe_error(error) if error is not None else "",
        )
        if self._details is not None:
            self._describe(outcome)
        op.outcome = outcome
        op.state = DONE
        held_slot = op.task is not None
        op.release()
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
        if held_slot:
            self._running -= 1
            timekeeper = self._timekeeper
            if timekeeper is not None:
                timekeeper.finished(op, self._running)
            if self._queue and self.max_concurrency is not None:
                self._dispatch()
        if op.dependents is not None and not self._closing:
            # When the block closes, every op left gets the block's reason instead.
            self._dependencies.release(op)

    def _describe(self, outcome: Outcome) -> None:
        assert self._details is not None
        try:
            detail = self._details(outcome)
        except Exception:
            self._logger.exception("details function failed for %s", outcome.name)
            return
        if detail is not None:
            set_detail(outcome, detail)  # not yet seen by anyone: set in place

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
