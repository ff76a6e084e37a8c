"""``Autoscaler``: the control loop. Every period it reads the workers, the work done and the
target's pressure concurrently, asks its policy for a worker count, and scales (unless it
only reports), turning each period into a :class:`ScalingDecision`."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from .._clock import Clock, SystemClock
from .._concurrency import first_failure
from .._errors import AsyncConsoleError
from ..services.workers import WorkerCounts, WorkerDeployment
from ._decision import ScaleAction, ScalingDecision
from ._observation import Observation, Progress
from ._policy import ScalingPolicy
from ._pressure import NodeStatsPressure, PressureSource
from ._progress import IndexingProgress, ProgressSource, WorkingStateProgress
from ._target_health import TargetHealthPolicy

if TYPE_CHECKING:
    from ..services.backfill import Backfill
    from ..services.clusters import Cluster
    from ..services.replay import Replay

__all__ = ["Autoscaler"]

logger = logging.getLogger("asyncconsole.autoscale")
T = TypeVar("T")


async def _guarded(call: Awaitable[T], what: str) -> tuple[T | None, str | None]:
    # One unreadable source makes the decision a hold; it never stops the loop.
    try:
        return await call, None
    except (AsyncConsoleError, OSError) as exc:
        return None, f"{what}: {exc}"


class Autoscaler:
    """Scales a backfill's (or a replayer's) workers from the target cluster's pressure and
    the throughput they achieve.

    Build one with :meth:`for_backfill` or :meth:`for_replay`, or from parts. Then
    ``async for decision in autoscaler.decisions(): ...`` runs the loop (one decision per
    ``period``), :meth:`run` does the same with a callback, and :meth:`step` makes a single
    decision now. :meth:`stop` ends the loop at its next pause. Time is ``clock`` only, so a
    :class:`~asyncconsole.FakeClock` runs hours of control in moments.

    Args:
        workers: The workers to scale (any :class:`~asyncconsole.services.workers.WorkerDeployment`:
            Docker, ECS, Kubernetes, or a fake).
        pressure: The target's load each period.
        progress: The work done each period (None: throughput unknown; the policy then
            scales on pressure alone).
        policy: Decides the count (default :class:`TargetHealthPolicy`).
        period: Seconds between decisions.
        clock: Time source.
        dry_run: Decide and report, never scale.
        role: ``backfill`` or ``replay`` (reported in decisions).
        scale: How to scale (default ``workers.scale``; a service's ``scale`` also logs it).
        stop_when_complete: End the loop once the progress source reports no work left.
        history: How many decisions :attr:`history` keeps.
    """

    def __init__(
        self,
        workers: WorkerDeployment,
        *,
        pressure: PressureSource,
        progress: ProgressSource | None = None,
        policy: ScalingPolicy | None = None,
        period: float = 60.0,
        clock: Clock | None = None,
        dry_run: bool = False,
        role: str = "backfill",
        scale: Callable[[int], Awaitable[None]] | None = None,
        stop_when_complete: bool = True,
        history: int = 1000,
    ) -> None:
        if period <= 0:
            raise ValueError(f"period must be positive, not {period!r}")
        if history < 1:
            raise ValueError("history must keep at least one decision")
        self.workers = workers
        self.pressure = pressure
        self.progress = progress
        self.policy: ScalingPolicy = policy if policy is not None else TargetHealthPolicy()
        self.period = float(period)
        self.clock: Clock = clock or SystemClock()
        self.dry_run = dry_run
        self.role = role
        self.stop_when_complete = stop_when_complete
        self.history: collections.deque[ScalingDecision] = collections.deque(maxlen=history)
        """The latest decisions, oldest first."""
        self._scale = scale if scale is not None else workers.scale
        self._started: float | None = None
        self._last: tuple[float, Any] | None = None  # (monotonic, wall time) of the last reading
        self._last_counts: WorkerCounts | None = None
        self._number = 0
        self._stopping = False
        self._sleeper: asyncio.Task[Any] | None = None
        self._woken = False

    def __repr__(self) -> str:
        return (
            f"Autoscaler(role={self.role!r}, workers={self.workers.kind!r}, "
            f"period={self.period:g}, dry_run={self.dry_run})"
        )

    # -- construction from services ------------------------------------------------------------

    @classmethod
    def for_backfill(
        cls,
        backfill: Backfill,
        *,
        policy: ScalingPolicy | None = None,
        pressure: PressureSource | None = None,
        progress: ProgressSource | None = None,
        period: float = 60.0,
        dry_run: bool = False,
        clock: Clock | None = None,
    ) -> Autoscaler:
        """An autoscaler for a :class:`~asyncconsole.services.backfill.Backfill`.

        Pressure defaults to the target's ``_nodes/stats``, progress to work items completed
        per minute in the backfill's working-state index; the loop ends when every work item
        is done.
        """
        return cls(
            backfill.workers,
            pressure=pressure if pressure is not None else NodeStatsPressure(backfill.target),
            progress=(
                progress
                if progress is not None
                else WorkingStateProgress(backfill.target, backfill.index)
            ),
            policy=policy,
            period=period,
            clock=clock or backfill.clock,
            dry_run=dry_run,
            role="backfill",
            scale=backfill.scale,
        )

    @classmethod
    def for_replay(
        cls,
        replay: Replay,
        target: Cluster,
        *,
        policy: ScalingPolicy | None = None,
        pressure: PressureSource | None = None,
        progress: ProgressSource | None = None,
        period: float = 60.0,
        dry_run: bool = False,
        clock: Clock | None = None,
    ) -> Autoscaler:
        """An autoscaler for the traffic replayer (:class:`~asyncconsole.services.replay.Replay`).

        Pressure defaults to ``target``'s ``_nodes/stats``; progress to the documents indexed
        per minute on ``target`` (give a :class:`MetricProgress` over the replayer's own
        metrics when something else writes there too).
        """
        return cls(
            replay.workers,
            pressure=pressure if pressure is not None else NodeStatsPressure(target),
            progress=progress if progress is not None else IndexingProgress(target),
            policy=policy,
            period=period,
            clock=clock or replay.clock,
            dry_run=dry_run,
            role="replay",
            scale=replay.scale,
            stop_when_complete=False,
        )

    def describe(self) -> dict[str, Any]:
        """The loop's settings as JSON-ready data."""
        return {
            "role": self.role,
            "workers": self.workers.kind,
            "period": self.period,
            "dry_run": self.dry_run,
            "pressure": self.pressure.source,
            "progress": self.progress.source if self.progress is not None else None,
            "policy": self.policy.describe(),
        }

    # -- one period ----------------------------------------------------------------------------

    async def observe(self) -> Observation:
        """Read the workers, the work done and the target's pressure (concurrently) now."""
        now = self.clock.monotonic()
        wall = self.clock.now()
        if self._started is None:
            self._started = now
        since = self._last[1] if self._last is not None else wall - timedelta(seconds=self.period)
        try:
            async with asyncio.TaskGroup() as tg:
                counts_task = tg.create_task(_guarded(self.workers.counts(), "worker counts"))
                progress_task = tg.create_task(
                    _guarded(
                        self._read_progress(since, wall), f"progress ({self._progress_source})"
                    )
                )
                pressure_task = tg.create_task(
                    _guarded(self.pressure.read(since, wall), f"pressure ({self.pressure.source})")
                )
        except BaseExceptionGroup as group:
            raise first_failure(group) from None
        counts, counts_error = counts_task.result()
        progress, progress_error = progress_task.result()
        pressure, pressure_error = pressure_task.result()
        previous = self._last_counts
        settled = (
            counts is not None
            and _steady(counts)
            and previous is not None
            and _steady(previous)
            and (previous.desired, previous.running) == (counts.desired, counts.running)
        )
        observation = Observation(
            time=wall,
            elapsed=now - self._started,
            interval=now - self._last[0] if self._last is not None else None,
            workers=counts,
            settled=settled,
            progress=progress,
            pressure=pressure,
            errors=tuple(e for e in (counts_error, progress_error, pressure_error) if e),
        )
        self._last = (now, wall)
        self._last_counts = counts
        return observation

    @property
    def _progress_source(self) -> str:
        return self.progress.source if self.progress is not None else "none"

    async def _read_progress(self, since: Any, until: Any) -> Progress | None:
        if self.progress is None:
            return None
        return await self.progress.read(since, until)

    async def step(self) -> ScalingDecision:
        """Observe, decide and (unless ``dry_run``) scale, once, now."""
        observation = await self.observe()
        proposal = self.policy.decide(observation)
        counts = observation.workers
        current = counts.desired if counts is not None else None
        target = proposal.workers if proposal.workers is not None else current
        if target is not None and current is not None and target != current:
            target = max(self.policy.min_workers, min(self.policy.max_workers, target))
        if target is None or current is None or target == current:
            action = ScaleAction.HOLD
        else:
            action = ScaleAction.UP if target > current else ScaleAction.DOWN
        applied = False
        error: str | None = None
        if action is not ScaleAction.HOLD and not self.dry_run:
            assert target is not None
            try:
                await self._scale(target)
                applied = True
            except (AsyncConsoleError, OSError) as exc:
                error = str(exc)
        self._number += 1
        decision = ScalingDecision(
            role=self.role,
            action=action,
            current=current,
            target=target,
            rule=proposal.rule,
            reason=proposal.reason,
            applied=applied,
            dry_run=self.dry_run,
            observation=observation,
            error=error,
            facts=proposal.facts,
            number=self._number,
        )
        self.history.append(decision)
        if decision.changes or error:
            logger.info("%s autoscaler: %s", self.role, decision)
        else:
            logger.debug("%s autoscaler: %s", self.role, decision)
        return decision

    # -- the loop ------------------------------------------------------------------------------

    async def decisions(
        self, *, periods: int | None = None
    ) -> AsyncGenerator[ScalingDecision, None]:
        """Run the loop, yielding each decision as it is made.

        Ends after ``periods`` decisions, when :meth:`stop` is called, or (with
        ``stop_when_complete``) once the work is done; cancelling the consumer cancels it.
        """
        if periods is not None and periods < 1:
            raise ValueError("periods must be at least 1")
        self._stopping = False
        taken = 0
        while True:
            decision = await self.step()
            taken += 1
            yield decision
            if self._stopping or (periods is not None and taken >= periods):
                return
            if self.stop_when_complete and decision.rule == "complete":
                return
            if not await self._pause():
                return

    async def run(
        self,
        *,
        periods: int | None = None,
        on_decision: Callable[[ScalingDecision], Any] | None = None,
    ) -> list[ScalingDecision]:
        """Run the loop (see :meth:`decisions`), calling ``on_decision`` with each decision.

        Returns:
            The decisions made, in order.
        """
        made: list[ScalingDecision] = []
        async with contextlib.aclosing(self.decisions(periods=periods)) as stream:
            async for decision in stream:
                made.append(decision)
                if on_decision is not None:
                    on_decision(decision)
        return made

    def stop(self) -> None:
        """End the loop: at once if it is pausing between periods, else after this period."""
        self._stopping = True
        sleeper = self._sleeper
        if sleeper is not None and not self._woken:
            self._woken = True
            sleeper.cancel()

    async def _pause(self) -> bool:
        """Wait until the next period starts; False when :meth:`stop` cut the wait short.

        Periods start at fixed times (``period`` apart from the first), so readings cover
        equal intervals however long each step takes.
        """
        if self._stopping:
            return False
        now = self.clock.monotonic()
        start = self._started if self._started is not None else now
        due = start + (math.floor((now - start) / self.period + 1e-9) + 1) * self.period
        task = asyncio.current_task()
        self._sleeper, self._woken = task, False
        try:
            await self.clock.sleep(due - now)
        except asyncio.CancelledError:
            # stop() cancels the pause itself; any other cancellation goes on.
            if self._woken and task is not None and task.uncancel() == 0:
                return False
            raise
        finally:
            self._sleeper = None
        return not self._stopping


def _steady(counts: WorkerCounts) -> bool:
    return counts.running == counts.desired and counts.pending == 0 and counts.terminating == 0
