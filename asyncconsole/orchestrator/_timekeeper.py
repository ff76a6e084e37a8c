"""The timekeeper: one task keeps every running operation's timeout and the deadline.

It waits, on the orchestrator's :class:`~asyncconsole.Clock`, for the earliest of them (so a
``FakeClock`` drives them as it drives every other wait, and a thousand operations with a
timeout arm one timer, not a thousand); when one passes it cancels that operation's task, which
then ends ``timed_out``. No operation with neither arms anything.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from .._clock import Clock
from .._errors import OperationTimeoutError
from ._op import DEADLINE_PASSED, OWN_TIMEOUT_PASSED, RUNNING, Op

__all__ = ["Timekeeper", "deadline_error", "expiry_error", "only_expiry_cancelled"]


class Timekeeper:
    """Cancels running operations whose timeout, or the orchestrator's deadline, has passed.

    The orchestrator calls :meth:`watch` as an operation with a time limit starts and
    :meth:`finished` as an operation that held a slot ends; the rest happens in its own task,
    which runs only while anything holds a slot.
    """

    __slots__ = (
        "_clock",
        "_deadline",
        "_deadline_passed",
        "_halted",
        "_ops",
        "_running",
        "_spawn",
        "_task",
        "_timed",
        "_until",
        "_wake",
        "_watched",
    )

    def __init__(
        self,
        clock: Clock,
        deadline: float | None,
        ops: Mapping[str, Op],
        *,
        running: Callable[[], int],
        halted: Callable[[], bool],
        spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None] | None],
    ) -> None:
        self._clock = clock
        self._deadline = deadline
        self._ops = ops  # every operation: at the deadline, the running ones among them expire
        self._running = running  # how many operations hold a slot
        self._halted = halted  # whether nothing more may start
        self._spawn = spawn  # its task is a child of the orchestrator's group
        # Running operations with a timeout, by timeout (each line is in expiry order, as
        # they started in order).
        self._timed: dict[float, collections.deque[tuple[float, Op]]] = {}
        self._watched = 0
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._until = float("inf")  # when the task will next look, unless woken
        self._deadline_passed = False

    def watch(self, op: Op, started: float) -> None:
        """Expire ``op`` at its timeout (and at the deadline)."""
        timeout = op.timeout
        expiry = float("inf")
        if timeout is not None:
            expiry = started + timeout
            line = self._timed.get(timeout)
            if line is None:
                line = self._timed[timeout] = collections.deque()
            while line and line[0][1].outcome is not None:
                line.popleft()  # finished ones leave as newer ones arrive
            line.append((expiry, op))
            self._watched += 1
        if self._task is None:
            self._task = self._spawn(self._keep_time(), "asyncconsole:timekeeper")
        elif expiry < self._until:
            self._wake_up()  # it waits for a later time: make it look again

    def finished(self, op: Op, running: int) -> None:
        """``op``, which held a slot, has ended; ``running`` operations still hold one."""
        if op.started is not None and op.timeout is not None:
            self._watched -= 1
        if self._task is not None and not (self._watched or running):
            self._wake_up()  # nothing runs any more: it ends

    def _needed(self) -> bool:
        # While anything holds a slot, a task about to start may bring a time limit: keeping
        # the task (idle, at no cost) avoids a new timer each time the running ones turn over.
        return bool(self._watched or self._running())

    def _wake_up(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _next_expiry(self) -> float | None:
        """The earliest time to act at (None: no time limit to keep)."""
        best: float | None = None
        if self._deadline is not None and not self._deadline_passed and self._running():
            best = self._deadline
        for line in self._timed.values():
            while line and line[0][1].outcome is not None:
                line.popleft()
            if line and (best is None or line[0][0] < best):
                best = line[0][0]
        return best

    async def _keep_time(self) -> None:
        """Wait for the earliest timeout (or the deadline), expire what is due, repeat while
        any running operation has a time limit."""
        loop = asyncio.get_running_loop()
        clock = self._clock
        try:
            while self._needed() and not self._halted():
                when = self._next_expiry()
                self._until = float("inf") if when is None else when
                self._wake = wake = loop.create_future()
                try:
                    async with clock.timeout_at(when):
                        await wake  # woken early for an earlier time, or nothing left to keep
                except TimeoutError:
                    self._expire(clock.monotonic())
                finally:
                    self._wake = None
        finally:
            self._task = None
            self._until = float("inf")

    def _expire(self, now: float) -> None:
        """Cancel the tasks of running operations whose time is up (their own timeout first,
        as it is the more specific reason; then, at the deadline, every running one)."""
        for line in self._timed.values():
            while line and line[0][0] <= now:
                _, op = line.popleft()
                _cancel_expired(op, OWN_TIMEOUT_PASSED)
        deadline = self._deadline
        if deadline is not None and not self._deadline_passed and now >= deadline:
            self._deadline_passed = True
            for op in list(self._ops.values()):  # once: the running ones among all
                if op.state == RUNNING:
                    _cancel_expired(op, DEADLINE_PASSED)


def _cancel_expired(op: Op, why: int) -> None:
    task = op.task
    if op.outcome is None and not op.expired and task is not None:
        op.expired = why
        task.cancel()


def only_expiry_cancelled(op: Op) -> bool:
    """Whether the timekeeper's cancellation of ``op`` is the only one (not also the group's)."""
    task = op.task
    return task is not None and task.uncancel() == 0


def expiry_error(op: Op, deadline_timeout: float | None) -> OperationTimeoutError:
    """The error of ``op``, whose task the timekeeper cancelled."""
    if op.expired == OWN_TIMEOUT_PASSED:
        return OperationTimeoutError(
            f"{op.name!r} did not finish within its timeout of {op.timeout:g}s",
            timeout=op.timeout,
            operation=op.name,
        )
    return deadline_error(op, deadline_timeout)


def deadline_error(op: Op, timeout: float | None) -> OperationTimeoutError:
    """The error of ``op``, unfinished at the deadline ``timeout`` seconds after the start."""
    return OperationTimeoutError(
        f"{op.name!r} had not finished by the deadline of {timeout:g}s",
        timeout=timeout,
        operation=op.name,
    )
