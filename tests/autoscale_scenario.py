"""A whole autoscaled backfill on fake time: a fake target with a write capacity, simulated RFS
workers that load it through ``_bulk``, and the real ``Autoscaler`` between them.

The target indexes ``capacity`` documents per second; each worker offers ``docs_per_second``.
So ``floor(capacity / docs_per_second)`` workers is the most that never overflows the write
queue: the count the autoscaler should find. Shared by the convergence tests, the integration
tests (which swap in real metric backends) and the script that draws the guide's plot.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asyncconsole import FakeClock
from asyncconsole.autoscale import (
    Autoscaler,
    IndexingProgress,
    NodeStatsPressure,
    PressureSource,
    ScalingDecision,
    TargetHealthPolicy,
    WorkingStateProgress,
)
from asyncconsole.config import ClusterConfig
from asyncconsole.services.clusters import Cluster
from asyncconsole.testing import FakeOpenSearch, FakeWorkerDeployment, LoadModel, SimulatedFleet

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class HoldingClock(FakeClock):
    """A :class:`FakeClock` whose ``hold()`` the simulation uses around real I/O (kept as a
    name for the scenario's clock)."""


@dataclass
class Scenario:
    """The knobs of one simulated run (defaults: a target limited by its disks, CPU stays low).

    Attributes:
        capacity: Documents per second the target indexes.
        docs_per_second: Documents per second one worker offers.
        start_workers: Workers running at the start.
        busy_cpu: Target CPU percent when indexing all the time.
        queue_size: The target's write queue (tasks).
        policy: Keyword arguments of :class:`TargetHealthPolicy`.
        period: Seconds between decisions.
        periods: Decisions to make.
        start_delay: Seconds a new worker takes to start.
        items: Work items seeded.
        docs_per_item: Documents per work item.
        bulk_interval: Seconds between one worker's bulk requests.
        replay: Simulate replayers: no work items, throughput is the target's indexing rate.
        start: Wall-clock start of the fake clock.
    """

    capacity: float = 5.0
    docs_per_second: float = 0.6
    start_workers: int = 2
    busy_cpu: float = 55.0
    queue_size: int = 10
    policy: dict[str, Any] = field(default_factory=dict)
    period: float = 60.0
    periods: int = 30
    start_delay: float = 20.0
    items: int = 6_000
    docs_per_item: int = 6
    bulk_interval: float = 20.0
    replay: bool = False
    start: datetime = START

    @property
    def best(self) -> int:
        """The most workers whose offered load the target absorbs without queueing up."""
        return math.floor(self.capacity / self.docs_per_second + 1e-9)


@dataclass(frozen=True)
class Period:
    """One row of a run's trace."""

    elapsed: float
    desired: int | None
    running: int | None
    per_minute: float | None
    cpu: float | None
    rejected: int | None
    queue: int | None
    decision: ScalingDecision


@dataclass
class Run:
    """What a simulated run produced."""

    scenario: Scenario
    trace: list[Period]
    target: FakeOpenSearch
    fleet: SimulatedFleet
    workers: FakeWorkerDeployment
    policy: TargetHealthPolicy

    @property
    def counts(self) -> list[int]:
        """The desired worker count after each decision."""
        return [p.decision.target for p in self.trace if p.decision.target is not None]

    def first_period_at(self, workers: int) -> int | None:
        """The 1-based period from which the count stays at ``workers`` to the end."""
        counts = self.counts
        for index in range(len(counts)):
            if all(c == workers for c in counts[index:]):
                return index + 1
        return None

    def crossings(self, workers: int) -> int:
        """How many times the count moved from one side of ``workers`` to the other."""
        sides = [(c > workers) - (c < workers) for c in self.counts]
        nonzero = [s for s in sides if s != 0]
        return sum(1 for a, b in itertools.pairwise(nonzero) if a != b)


def target_cluster(target: FakeOpenSearch, clock: FakeClock) -> Cluster:
    """A :class:`Cluster` service talking to ``target`` in process."""
    config = ClusterConfig.model_validate({"endpoint": "http://target:9200", "no_auth": None})
    return Cluster(config, target.client(retry=False), name="target", clock=clock)


async def simulate(
    scenario: Scenario,
    *,
    pressure: Callable[[Cluster], PressureSource] | None = None,
    on_period: Callable[[Period], Any] | None = None,
    extra: Callable[[FakeOpenSearch, FakeClock], Any] | None = None,
    dry_run: bool = False,
    clock: FakeClock | None = None,
) -> Run:
    """Run ``scenario`` on a fresh fake clock and return its trace.

    Args:
        scenario: The knobs.
        pressure: Builds the pressure source (default: the target's ``_nodes/stats``).
        on_period: Called with every row as it is made.
        extra: An extra coroutine function ``(target, clock)`` run beside the loop until the
            end (e.g. an exporter feeding a real metrics backend).
        dry_run: The autoscaler only reports.
        clock: The clock to run on (default a new ``FakeClock`` at ``scenario.start``).
    """
    clock = clock if clock is not None else FakeClock(scenario.start)
    load = LoadModel(
        capacity=scenario.capacity,
        queue_size=scenario.queue_size,
        busy_cpu=scenario.busy_cpu,
        cpu_window=scenario.period,
    )
    target = FakeOpenSearch(clock=clock, load=load)
    target.seed_working_state(unclaimed=scenario.items, started_ago=60)
    workers = FakeWorkerDeployment(
        "k8s", clock=clock, start_delay=scenario.start_delay, replicas=scenario.start_workers
    )
    fleet = SimulatedFleet(
        target,
        workers,
        docs_per_second=scenario.docs_per_second,
        docs_per_item=None if scenario.replay else scenario.docs_per_item,
        bulk_interval=scenario.bulk_interval,
        tick=scenario.bulk_interval / 10,
    )
    cluster = target_cluster(target, clock)
    policy = TargetHealthPolicy(**{"min_workers": 1, "max_workers": 40, **scenario.policy})
    autoscaler = Autoscaler(
        workers,
        pressure=pressure(cluster) if pressure is not None else NodeStatsPressure(cluster),
        progress=(
            IndexingProgress(cluster)
            if scenario.replay
            else WorkingStateProgress(cluster, ".migrations_working_state")
        ),
        policy=policy,
        period=scenario.period,
        clock=clock,
        dry_run=dry_run,
        role="replay" if scenario.replay else "backfill",
        stop_when_complete=not scenario.replay,
    )
    trace: list[Period] = []

    def record(decision: ScalingDecision) -> None:
        seen = decision.observation
        row = Period(
            elapsed=seen.elapsed,
            desired=seen.workers.desired if seen.workers else None,
            running=seen.workers.running if seen.workers else None,
            per_minute=seen.progress.per_minute if seen.progress else None,
            cpu=seen.pressure.cpu_percent if seen.pressure else None,
            rejected=seen.pressure.write_rejected if seen.pressure else None,
            queue=seen.pressure.write_queue if seen.pressure else None,
            decision=decision,
        )
        trace.append(row)
        if on_period is not None:
            on_period(row)

    async with asyncio.TaskGroup() as tg:
        helpers = [tg.create_task(fleet.run())]
        if extra is not None:
            helpers.append(tg.create_task(extra(target, clock)))
        await autoscaler.run(periods=scenario.periods, on_decision=record)
        for helper in helpers:
            helper.cancel()
    await cluster.http.aclose()
    return Run(scenario, trace, target, fleet, workers, policy)


def describe(run: Run) -> str:
    """The trace as a table, for failure messages and for reading."""
    lines = ["period  elapsed  want  run  items/min   cpu  rej  queue  decision"]
    for number, p in enumerate(run.trace, 1):
        rate = f"{p.per_minute:9.1f}" if p.per_minute is not None else "        -"
        cpu = f"{p.cpu:5.0f}" if p.cpu is not None else "    -"
        lines.append(
            f"{number:6d} {p.elapsed:8.0f} {p.desired!s:>5} {p.running!s:>4} {rate} {cpu} "
            f"{p.rejected!s:>4} {p.queue!s:>6}  {p.decision}"
        )
    return "\n".join(lines)
