"""The demo's optional step: an autoscaled backfill against a target with a write capacity.

The demo's target gets a :class:`~asyncconsole.testing.LoadModel` (it indexes
``capacity`` documents per second; bulk tasks beyond its write queue are rejected), a second
backfill session with plenty of work items, and simulated RFS workers that send ``_bulk``
requests to it over HTTP, as many as the backfill's deployment runs. The real
:class:`~asyncconsole.autoscale.Autoscaler` then scales that deployment (through the real
Kubernetes or Docker client) from the target's ``_nodes/stats`` and the working state, and
the step prints each decision as it is made.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from ..autoscale import ScalingDecision
    from ..environment import Environment
    from ..testing import LoadModel
    from ._environment import DemoEnvironment

__all__ = ["AutoscaleDemo", "autoscaled_backfill"]


@dataclass(frozen=True)
class AutoscaleDemo:
    """The autoscaled step's numbers, at ``speed`` 1 (a faster demo scales times down and
    rates up, so the same decisions come sooner).

    Attributes:
        speed: Time factor.
        period: Seconds between decisions.
        docs_per_worker: Documents a second one worker sends.
        capacity: Documents a second the target indexes.
        bulk_interval: Seconds between one worker's bulk requests.
        docs_per_item: Documents per work item.
        items: Work items of the autoscaled session.
        periods: Decisions the step makes.
        max_workers: The autoscaler's maximum.
    """

    speed: float = 1.0
    period: float = 2.0
    docs_per_worker: float = 8.0
    capacity: float = 52.0
    bulk_interval: float = 0.5
    docs_per_item: int = 8
    items: int = 5000
    periods: int = 28
    max_workers: int = 12

    @property
    def best(self) -> int:
        """Workers the target absorbs without its write queue growing."""
        return math.floor(self.capacity / self.docs_per_worker + 1e-9)

    def load(self) -> LoadModel:
        """The demo target's write capacity (busy at most 60 % CPU: its disks are the limit)."""
        from ..testing import LoadModel

        return LoadModel(
            capacity=self.capacity * self.speed,
            queue_size=8,
            busy_cpu=60.0,
            cpu_window=self.period / self.speed,
        )


async def autoscaled_backfill(
    demo: DemoEnvironment, env: Environment, console: Console, settings: AutoscaleDemo
) -> str:
    """Run the autoscaled backfill for ``settings.periods`` decisions; a one-line summary."""
    from rich.text import Text

    from ..autoscale import Autoscaler, TargetHealthPolicy
    from ..infra.http import AiohttpClient
    from ..services.backfill import Backfill
    from ..testing import SimulatedFleet

    main = env.backfill
    assert main is not None
    assert env.target_cluster is not None
    speed = settings.speed
    session = f"{demo.session}-autoscaled"
    rfs = main.config.rfs.model_copy(update={"backfill_session_name": session})
    config = main.config.model_copy(update={"reindex_from_snapshot": rfs})
    backfill = Backfill(config, env.target_cluster, main.workers, clock=env.clock)
    demo.target.seed_working_state(unclaimed=settings.items, session=session, started_ago=1.0)
    console.print(
        f"Target capacity {settings.capacity * speed:g} docs/s, each worker sends "
        f"{settings.docs_per_worker * speed:g} docs/s over HTTP: {settings.best} workers is the "
        f"most it absorbs. The autoscaler decides every {settings.period / speed:g} s."
    )
    await backfill.scale(main.rfs.scale)
    policy = TargetHealthPolicy(
        min_workers=1,
        max_workers=settings.max_workers,
        target_cpu=70,
        cooldown=3 * settings.period / speed,
    )
    autoscaler = Autoscaler.for_backfill(backfill, policy=policy, period=settings.period / speed)
    made: list[ScalingDecision] = []
    async with AiohttpClient(demo.target.url, retry=False, timeout=10) as http:
        fleet = SimulatedFleet(
            demo.target,
            main.workers,
            docs_per_second=settings.docs_per_worker * speed,
            bulk_interval=settings.bulk_interval / speed,
            docs_per_item=settings.docs_per_item,
            session=session,
            http=http,
            tick=settings.bulk_interval / speed / 2,
        )
        async with asyncio.TaskGroup() as tg:
            load = tg.create_task(fleet.run(), name="demo autoscaled workers")
            async for decision in autoscaler.decisions(periods=settings.periods):
                made.append(decision)
                style = {"up": "green", "down": "yellow"}.get(decision.action.value, "dim")
                # Text, not markup: a reason may hold brackets ("[failed: ...]").
                console.print(
                    Text(f"{decision.observation.elapsed:6.1f} s  {decision}", style=style)
                )
            load.cancel()
    first = made[0].current
    last = made[-1].target
    return (
        f"autoscaled {first} → {last} workers in {len(made)} decisions "
        f"(the target absorbs {settings.best}; {fleet.stats.rejected_bulks} bulk requests "
        f"were rejected on the way)"
    )
