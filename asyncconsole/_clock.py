"""Injected time, so tests of waits, retries and ETAs never sleep for real."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of time and of sleeping."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for durations and deadlines."""
        ...

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``datetime.now(UTC)`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to, or when every sleeper is waiting (auto-advance).

    ``await clock.advance(5)`` wakes every sleeper due within 5 s, in order. With
    ``auto_advance=True`` (the default), a ``sleep`` jumps time forward straight away once the
    loop has run everything else that was ready, so code that waits minutes runs in microseconds.
    """

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
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        from datetime import timedelta

        return self._wall0 + timedelta(seconds=self._t)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        if self.auto_advance:
            # Let every other ready task run first so concurrent sleepers interleave in time order.
            for _ in range(3):
                await asyncio.sleep(0)
            self._t += seconds
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._t + seconds, next(self._seq), fut))
        await fut

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking sleepers that fall due, in order."""
        target = self._t + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            due, _, fut = heapq.heappop(self._sleepers)
            self._t = max(self._t, due)
            if not fut.done():
                fut.set_result(None)
            await asyncio.sleep(0)
        self._t = target
        await asyncio.sleep(0)
