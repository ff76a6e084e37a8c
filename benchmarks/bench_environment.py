"""``env.check()`` when every component answers after 300 ms.

Every component of a full environment (source, target and proxy clusters and the snapshot on
``FakeOpenSearchServer``s over real HTTP, the backfill and replayer on ECS, metrics from a
Prometheus-speaking local server, the metadata and Kafka tools as commands) takes 300 ms to
answer its check. Budget: ``env.check()`` wall time <= 1.5 x 300 ms. Baseline: console_link's
way, the same checks awaited one after another (the sum of the latencies).

Run: ``.venv/bin/python -m benchmarks.bench_environment``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from asyncconsole import Environment, SystemClock
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.commands import FakeCommandExecutor, FakeReply
from asyncconsole.infra.ecs import FakeECSManager
from asyncconsole.infra.http import HttpRequest, HttpResponse
from asyncconsole.infra.http._server import HttpHandlerServer
from asyncconsole.testing import FakeOpenSearchServer

from ._util import report

LATENCY = 0.3
ROUNDS = 5


class SlowPrometheus:
    """Prometheus's HTTP API, empty, answering each request after ``latency`` seconds."""

    def __init__(self, latency: float) -> None:
        self.latency = latency

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(self.latency)
        if request.path.endswith("/status/buildinfo"):
            return HttpResponse.build(
                200, json={"status": "success", "data": {"version": "2.42.0"}}
            )
        return HttpResponse.build(200, json={"status": "success", "data": []})


@asynccontextmanager
async def slow_environment() -> AsyncIterator[Environment]:
    """A full environment whose every component check takes about ``LATENCY`` seconds."""
    clock = SystemClock()
    async with AsyncExitStack() as stack:
        source = await stack.enter_async_context(
            FakeOpenSearchServer(version="7.10.2", distribution="elasticsearch", latency=LATENCY)
        )
        target = await stack.enter_async_context(FakeOpenSearchServer(latency=LATENCY))
        proxy = await stack.enter_async_context(
            FakeOpenSearchServer(version="7.10.2", distribution="elasticsearch", latency=LATENCY)
        )
        # the metrics check pings then lists: two requests of half the latency each
        prometheus = await stack.enter_async_context(HttpHandlerServer(SlowPrometheus(LATENCY / 2)))
        ecs = FakeECSManager(clock=clock, latency=LATENCY)
        ecs.add_service("migration", "rfs")
        ecs.add_service("migration", "replayer")
        executor = FakeCommandExecutor(clock=clock, unmatched=FakeReply(delay=LATENCY))
        # the metadata check only looks for its tool: an executable file stands in for it
        tools = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        tool = tools / "MetadataMigration"
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
        config: dict[str, Any] = {
            "source_cluster": {
                "endpoint": source.url,
                "version": "ES_7.10",
                "no_auth": None,
                "proxy": {"endpoint": proxy.url},
            },
            "target_cluster": {"endpoint": target.url, "no_auth": None},
            "snapshot": {"snapshot_name": "snap", "fs": {"repo_path": "/snapshots"}},
            "backfill": {
                "reindex_from_snapshot": {
                    "ecs": {"cluster_name": "migration", "service_name": "rfs"}
                }
            },
            "replay": {"ecs": {"cluster_name": "migration", "service_name": "replayer"}},
            "metrics_source": {"prometheus": {"endpoint": prometheus.url}},
            "metadata_migration": {"from_snapshot": None},
            "kafka": {"broker_endpoints": "localhost:9092", "standard": None},
        }
        env = Environment.from_dict(
            config,
            infra=Infrastructure(ecs=ecs, executor=executor, clock=clock, metadata_tool=str(tool)),
        )
        async with env:
            yield env


async def sequential_checks(env: Environment) -> dict[str, float]:
    """console_link's way: one component after another. Returns each one's seconds."""
    took: dict[str, float] = {}
    for name, component in env.components.items():
        t0 = time.perf_counter()
        await component.check()
        took[name] = time.perf_counter() - t0
    return took


async def main() -> None:
    async with slow_environment() as env:
        warm = await env.check(timeout=30)  # connections opened, versions detected
        failed = {name: o.detail for name, o in warm.items() if not o.ok}
        assert not failed, failed
        ours: list[float] = []
        baseline: list[float] = []
        per_component: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            result = await env.check(timeout=30)
            ours.append(time.perf_counter() - t0)
            assert result.ok, result.to_dict()
            t0 = time.perf_counter()
            took = await sequential_checks(env)
            baseline.append(time.perf_counter() - t0)
            for name, seconds in took.items():
                per_component.setdefault(name, []).append(seconds)
        components = ", ".join(
            f"{name} {statistics.median(times) * 1000:.0f} ms"
            for name, times in per_component.items()
        )
        print(f"{len(per_component)} components, each check alone: {components}")
        ours_median = statistics.median(ours)
        report(
            f"env.check() of {len(per_component)} components answering after 300 ms",
            ours_median,
            statistics.median(baseline),
            unit="s",
            budget=f"<= {1.5 * LATENCY:.2f} s",
            ok=ours_median <= 1.5 * LATENCY,
        )


if __name__ == "__main__":
    asyncio.run(main())
