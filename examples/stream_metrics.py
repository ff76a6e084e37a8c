"""Follow a metric live: each new one-second bucket as it completes.

Reads the demo environment's in-process Prometheus API through the real collector::

    python examples/stream_metrics.py
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from asyncconsole.demo import DemoEnvironment


async def main() -> int:
    batches_seen = 0
    async with DemoEnvironment() as demo, demo.environment() as env:
        metrics = env.metrics
        assert metrics is not None
        print(await metrics.list())
        # The last 20 seconds first, then each new one-second bucket as it completes.
        stream = metrics.watch(
            "replayer", "kafkaCommitCount", "Average", lookback_minutes=1 / 3, period=1, every=0.5
        )
        async with asyncio.timeout(20), aclosing(stream) as batches:
            async for batch in batches:
                batches_seen += 1
                print(f"batch {batches_seen}:")
                for moment, value in batch.points:
                    print(f"  {moment:%H:%M:%S}  {batch.name} = {value:.1f}")
                if batches_seen == 4:
                    break
    assert batches_seen == 4
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
