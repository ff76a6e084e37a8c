"""The one time model: injected time, so tests of waits, retries, timeouts and ETAs never sleep.

Every deadline in asyncconsole is taken on a :class:`Clock`: adapters' per-call deadlines, the
orchestrator's timeouts and the services' waits. :meth:`Clock.timeout` returns a
:class:`TimeoutScope` (the system clock's *is* an ``asyncio.Timeout``), so a :class:`FakeClock` drives them all
alike: when fake time passes a deadline, the block is cancelled and raises ``TimeoutError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "TimeoutScope"]


class TimeoutScope(Protocol):
    """What :meth:`Clock.timeout` returns (``asyncio.Timeout`` is one): an ``async with`` block
    that raises ``TimeoutError`` when its deadline passes inside it."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None: ...

    def expired(self) -> bool:
        """Whether the deadline passed inside the block."""
        ...


@runtime_checkable
class Clock(Protocol):
    """A source of time, of sleeping and of deadlines."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for durations and deadlines."""
        ...

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...

    def timeout_at(self, when: float | None) -> TimeoutScope:
        """An ``async with`` block cancelled at ``when`` (on :meth:`monotonic`'s scale), which
        then raises ``TimeoutError``; ``None`` never expires."""
        ...

    def timeout(self, seconds: float | None) -> TimeoutScope:
        """:meth:`timeout_at` ``seconds`` from now (``None``: never)."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``datetime.now(UTC)``, ``asyncio.sleep`` and
    ``asyncio.timeout``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def timeout_at(self, when: float | None) -> TimeoutScope:
        if when is None:
            return asyncio.Timeout(None)
        loop = asyncio.get_running_loop()
        # The loop's clock may not be time.monotonic (another loop implementation): convert.
        return asyncio.Timeout(loop.time() + (when - time.monotonic()))

    def timeout(self, seconds: float | None) -> TimeoutScope:
        if seconds is None:
            return asyncio.Timeout(None)
        return asyncio.Timeout(asyncio.get_running_loop().time() + seconds)


class _FakeTimeout:
    """A deadline on a :class:`FakeClock`: an ``asyncio.Timeout`` that arms no loop timer until
    fake time reaches the deadline, then expires on the next loop iteration."""

    __slots__ = ("_clock", "_entry", "_inner", "_when")

    def __init__(self, clock: FakeClock, when: float | None) -> None:
        self._clock = clock
        self._when = when
        self._inner = asyncio.Timeout(None)
        self._entry: list[object] | None = None

    def when(self) -> float | None:
        """The deadline on the fake clock."""
        return self._when

    def expired(self) -> bool:
        return self._inner.expired()

    async def __aenter__(self) -> _FakeTimeout:
        await self._inner.__aenter__()
        if self._when is not None:
            if self._when <= self._clock.monotonic():
                self._fire()
            else:
                self._entry = self._clock._schedule(self._when, self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._clock._forget(self._entry)
        self._entry = None
        await self._inner.__aexit__(exc_type, exc_val, exc_tb)

    def _fire(self) -> None:
        self._entry = None
        if not self._inner.expired():
            try:
                self._inner.reschedule(asyncio.get_running_loop().time())
            except RuntimeError:
                pass  # already left: nothing to cancel


class FakeClock:
    """A clock that only moves when told to, or when a task sleeps (auto-advance).

    ``await clock.advance(5)`` wakes, in time order, every sleeper and fires every
    :meth:`timeout` due within 5 s. With ``auto_advance=True`` (the default), once a task
    sleeps and the loop has run what else was ready, time jumps to the next thing due (a
    sleeper's wake-up or a deadline), so code that waits minutes runs in microseconds and
    concurrent sleepers wake in the order real time would wake them.

    Deadlines alone never make time jump: a task awaiting real I/O under a fake deadline is
    not timed out unless some task sleeps (or the test advances the clock).
    """

    _SETTLE_TURNS = 3
    """Loop turns to let ready work run before jumping to the next due time."""

    def __init__(
        self,
        start: datetime | None = None,
        *,
        auto_advance: bool = True,
    ) -> None:
        self._wall0 = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._wall0.tzinfo is None:
            raise ValueError("FakeClock start must be timezone-aware")
        self._t = 0.0
        self.auto_advance = auto_advance
        # [due, seq, target]: target is a sleeper's future or a _FakeTimeout; None once dropped.
        self._due: list[list[object]] = []
        self._seq = itertools.count()
        self._sleepers = 0
        self._driving = False
        self._holds = 0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=self._t)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = self._schedule(self._t + seconds, fut)
        self._sleepers += 1
        if self.auto_advance:
            self._drive()
        try:
            await fut
        finally:
            self._sleepers -= 1
            self._forget(entry)

    def timeout_at(self, when: float | None) -> TimeoutScope:
        return _FakeTimeout(self, when)

    def timeout(self, seconds: float | None) -> TimeoutScope:
        return _FakeTimeout(self, None if seconds is None else self._t + seconds)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep fake time where it is inside the block, however idle the loop gets.

        For a task doing real I/O among fake sleepers (a query to a real server in a simulated
        run): without it, the other tasks' sleeps would make time jump while it waits.
        """
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if self._holds == 0 and self._sleepers > 0 and self.auto_advance:
                self._drive()

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking sleepers and firing deadlines that fall
        due, in order (each gets a loop turn before the next)."""
        target = self._t + seconds
        while self._due and self._next_due() <= target:
            self._fire_next()
            for _ in range(self._SETTLE_TURNS):  # woken tasks run at their own time
                await asyncio.sleep(0)
        self._t = max(self._t, target)
        await asyncio.sleep(0)

    # -- the schedule -------------------------------------------------------------------------

    def _schedule(self, when: float, target: object) -> list[object]:
        entry: list[object] = [when, next(self._seq), target]
        heapq.heappush(self._due, entry)
        return entry

    def _forget(self, entry: list[object] | None) -> None:
        if entry is not None:
            entry[2] = None  # dropped lazily when it reaches the top of the heap

    def _next_due(self) -> float:
        while self._due and self._due[0][2] is None:
            heapq.heappop(self._due)
        return float(self._due[0][0]) if self._due else float("inf")  # type: ignore[arg-type]

    def _fire_next(self) -> None:
        """Move to the earliest due time and wake everything due then."""
        due = self._next_due()
        if due == float("inf"):
            return
        self._t = max(self._t, due)
        while self._due and (self._due[0][2] is None or self._due[0][0] == due):
            _, _, target = heapq.heappop(self._due)
            if isinstance(target, _FakeTimeout):
                target._fire()
            elif isinstance(target, asyncio.Future) and not target.done():
                target.set_result(None)

    def _drive(self, turns: int = _SETTLE_TURNS) -> None:
        """Auto-advance: after a few loop turns, jump to the next due time while anyone sleeps."""
        if self._holds:
            self._driving = False  # resumed when the hold ends
            return
        if self._driving and turns == self._SETTLE_TURNS:
            return
        self._driving = True
        loop = asyncio.get_running_loop()
        if turns > 0:
            loop.call_soon(self._drive, turns - 1)
            return
        self._driving = False
        if self._sleepers > 0 and self.auto_advance:
            self._fire_next()
            if self._sleepers > 0:
                self._drive()
