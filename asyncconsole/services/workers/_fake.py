"""FakeWorkerDeployment: workers that start and stop over (fake) time, for tests."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..._clock import Clock, FakeClock
from ._types import WorkerCounts

__all__ = ["FakeWorkerDeployment"]


@dataclass
class _Worker:
    started: float  # clock time it was asked for
    stopping: float | None = None  # clock time it was told to stop


class FakeWorkerDeployment:
    """A :class:`WorkerDeployment` simulation: a worker asked for is pending for
    ``start_delay`` seconds, then running; one scaled away is terminating for ``stop_delay``
    seconds, then gone. Time is ``clock`` (a :class:`~asyncconsole.FakeClock` by default).

    Test hooks: :attr:`scale_calls` (every replica count asked for), :meth:`set_counts`
    (report fixed counts, e.g. the reference's status tables), :meth:`fail_next` (make the
    next calls of ``scale`` or ``counts`` raise), :attr:`counts_calls`.

    Args:
        kind: What :attr:`kind` reports (``docker``, ``ecs`` or ``k8s``).
        clock: Time source.
        start_delay: Seconds a new worker is pending.
        stop_delay: Seconds a removed worker is terminating.
        replicas: Workers running from the start.
    """

    def __init__(
        self,
        kind: str = "ecs",
        *,
        clock: Clock | None = None,
        start_delay: float = 0.0,
        stop_delay: float = 0.0,
        replicas: int = 0,
    ) -> None:
        if start_delay < 0 or stop_delay < 0 or replicas < 0:
            raise ValueError("start_delay, stop_delay and replicas must be >= 0")
        self._kind = kind
        self.clock: Clock = clock or FakeClock()
        self.start_delay = start_delay
        self.stop_delay = stop_delay
        past = self.clock.monotonic() - start_delay
        self._workers = [_Worker(past) for _ in range(replicas)]
        self._desired = replicas
        self._fixed: WorkerCounts | None = None
        self._faults: dict[str, deque[BaseException]] = {}
        self.scale_calls: list[int] = []
        self.counts_calls = 0

    def __repr__(self) -> str:
        return f"FakeWorkerDeployment(kind={self._kind!r}, desired={self._desired})"

    @property
    def kind(self) -> str:
        return self._kind

    def describe(self) -> dict[str, Any]:
        return {"kind": self._kind, "fake": True}

    def set_counts(
        self, running: int = 0, pending: int = 0, desired: int = 0, terminating: int = 0
    ) -> None:
        """Report these counts from now on, whatever is scaled (None of the simulation)."""
        self._fixed = WorkerCounts(running, pending, desired, terminating)

    def clear_counts(self) -> None:
        """Go back to simulated counts."""
        self._fixed = None

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``scale`` or ``counts`` raise ``error``."""
        if operation not in ("scale", "counts"):
            raise ValueError(f"unknown operation {operation!r}; 'scale' or 'counts'")
        self._faults.setdefault(operation, deque()).extend([error] * times)

    def _fault(self, operation: str) -> None:
        pending = self._faults.get(operation)
        if pending:
            raise pending.popleft()

    def _prune(self, now: float) -> None:
        self._workers = [
            w for w in self._workers if w.stopping is None or now < w.stopping + self.stop_delay
        ]

    async def scale(self, replicas: int) -> None:
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ValueError(f"replicas must be an int >= 0, not {replicas!r}")
        self.scale_calls.append(replicas)
        await asyncio.sleep(0)
        self._fault("scale")
        now = self.clock.monotonic()
        self._prune(now)
        alive = [w for w in self._workers if w.stopping is None]
        for worker in sorted(alive, key=lambda w: -w.started)[: max(0, len(alive) - replicas)]:
            worker.stopping = now
        self._workers.extend(_Worker(now) for _ in range(max(0, replicas - len(alive))))
        self._desired = replicas
        self._prune(now)

    async def counts(self) -> WorkerCounts:
        self.counts_calls += 1
        await asyncio.sleep(0)
        self._fault("counts")
        if self._fixed is not None:
            return self._fixed
        now = self.clock.monotonic()
        self._prune(now)
        running = pending = terminating = 0
        for w in self._workers:
            if w.stopping is not None:
                terminating += 1
            elif now >= w.started + self.start_delay:
                running += 1
            else:
                pending += 1
        return WorkerCounts(running, pending, self._desired, terminating)
