"""Run many checks at once: the environment's own check, then your own checks with deadlines.

Starts the demo environment in-process (servers on 127.0.0.1), so it needs nothing else::

    python examples/concurrent_checks.py
"""

from __future__ import annotations

import asyncio

from rich.console import Console

from asyncconsole import Environment, Orchestrator, Report
from asyncconsole.demo import DemoEnvironment


async def index_count(env: Environment, which: str) -> str:
    cluster = env.source_cluster if which == "source" else env.target_cluster
    assert cluster is not None
    indices = await cluster.cat_indices()
    return f"{len(indices)} indices"


async def metric_count(env: Environment) -> str:
    assert env.metrics is not None
    names = await env.metrics.list()
    return f"{names.total} metrics from {len(names)} components"


async def slow_check() -> str:
    await asyncio.sleep(5)  # stands for a check that hangs: its deadline reports it
    return "never"


async def main() -> int:
    console = Console()
    async with DemoEnvironment() as demo, demo.environment() as env:
        report = await env.check(timeout=5)  # every component concurrently
        console.print(report)

        async with Orchestrator(max_concurrency=4, timeout=10) as orch:
            orch.submit("source indices", index_count, env, "source")
            orch.submit("target indices", index_count, env, "target")
            orch.submit("metrics", metric_count, env)
            orch.submit("slow check", slow_check, timeout=0.5)
        # A check's value is its detail; failures and timeouts keep the error's one-liner.
        mine = Report.from_outcomes(
            orch.outcomes, details=lambda o: str(o.value) if o.ok else None, title="My checks"
        )
        console.print(mine)
    assert report.ok, report.failed
    assert mine["source indices"].ok
    assert mine["slow check"].status == "timed_out"
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
