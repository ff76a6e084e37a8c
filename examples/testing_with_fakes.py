"""Test your own automation with asyncconsole's fakes: no cluster, no Kubernetes, no waiting.

``scale_for_backlog`` is "your code": it sizes the backfill to the work left. The test below
runs it against a ``FakeOpenSearchServer`` (a real HTTP server on 127.0.0.1 holding a seeded
working-state index) and a ``FakeK8sManager`` (an in-memory Kubernetes)::

    python examples/testing_with_fakes.py        # or collect it with pytest
"""

from __future__ import annotations

import asyncio
import math

from asyncconsole import Environment
from asyncconsole.environment import Infrastructure
from asyncconsole.services.backfill import Backfill
from asyncconsole.testing import FakeK8sManager, FakeOpenSearchServer


async def scale_for_backlog(
    backfill: Backfill, *, items_per_worker: int = 5, max_workers: int = 8
) -> int:
    """Scale the backfill to one worker per ``items_per_worker`` open work items."""
    status = await backfill.deep_status()
    if status.shard_total is None:
        return 0  # not set up yet: nothing to size
    remaining = status.shard_total - (status.shard_complete or 0)
    workers = min(max_workers, math.ceil(remaining / items_per_worker))
    await backfill.scale(workers)
    return workers


async def test_scale_for_backlog() -> None:
    k8s = FakeK8sManager()
    k8s.add_deployment("ma", "rfs", replicas=1, labels={"app": "rfs"})
    async with FakeOpenSearchServer() as target:
        config = {
            "target_cluster": {"endpoint": target.url, "no_auth": None},
            "backfill": {
                "reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}
            },
        }
        async with Environment.from_dict(config, infra=Infrastructure(k8s=k8s)) as env:
            assert env.backfill is not None
            target.seed_working_state(completed=10, in_progress=2, unclaimed=11)
            assert await scale_for_backlog(env.backfill) == 3  # 13 open items
            assert (await k8s.get_deployment_status("ma", "rfs")).desired == 3
            target.rfs_complete(13)
            assert await scale_for_backlog(env.backfill) == 0  # all done: no workers
            assert [call.args["replicas"] for call in k8s.calls_to("scale_deployment")] == [3, 0]


if __name__ == "__main__":
    asyncio.run(test_scale_for_backlog())
    print("scale_for_backlog: ok")
