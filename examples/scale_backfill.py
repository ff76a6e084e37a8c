"""Start a backfill, scale it up, and wait until every work item is done.

Runs against the demo environment (started in-process, simulated workers on the fake
Kubernetes API server)::

    python examples/scale_backfill.py
"""

from __future__ import annotations

import asyncio

from asyncconsole.demo import DemoEnvironment
from asyncconsole.services.backfill import Backfill, StepState


async def wait_until_complete(backfill: Backfill, *, poll: float = 0.2) -> None:
    """Print progress until the working state says Completed."""
    while True:
        status = await backfill.deep_status()
        counts = await backfill.workers.counts()
        done = f"{status.shard_complete}/{status.shard_total}" if status.shard_total else "-"
        print(
            f"{status.status.value:<10} {status.percentage_completed:5.1f}%  items {done:>6}  "
            f"workers {counts.running}/{counts.desired}"
        )
        if status.status in (StepState.COMPLETED, StepState.COMPLETED_WITH_ERRORS):
            return
        await asyncio.sleep(poll)


async def main() -> int:
    async with DemoEnvironment(speed=5.0) as demo, demo.environment() as env:
        backfill = env.backfill
        assert backfill is not None
        await backfill.start()  # the configured scale (2)
        await asyncio.sleep(0.5)
        await backfill.scale(6)  # more workers, more items per second
        async with asyncio.timeout(60):
            await wait_until_complete(backfill)
        archive = await backfill.stop(poll_interval=0.1, path=demo.archive_dir)
        print(f"stopped; working state archived to {archive}")
        assert (await backfill.workers.counts()).idle
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
