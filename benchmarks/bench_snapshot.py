"""Snapshot service against console_link's sequential way, on a cluster answering in 50 ms.

1. ``delete_all`` of 8 snapshots: asyncconsole deletes concurrently (GET _all, then DELETE +
   GET 404 per snapshot at once) vs one after another with ``requests`` and a new session per
   call, as console_link does (1 + 2 x 8 round trips). Budget: <= 4 round trips of wall time.
2. Index sizing (``_resolve`` then ``_stats`` and ``_settings``): asyncconsole issues the last
   two concurrently. Budget: <= 2.5 round trips (console_link: 3).

Run: ``.venv/bin/python -m benchmarks.bench_snapshot``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import requests

from asyncconsole.config import ClusterConfig, SnapshotConfig
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.snapshot import Snapshot
from asyncconsole.testing import FakeOpenSearchServer

from ._util import median_seconds, report

LATENCY = 0.05
SNAPSHOTS = 8
REPO = "migration_assistant_repo"


def sequential_delete_all(url: str) -> None:
    """console_link's delete-all: list, then delete and poll each snapshot in turn."""
    listing = requests.get(f"{url}/_snapshot/{REPO}/_all", timeout=10)
    listing.raise_for_status()
    for entry in listing.json()["snapshots"]:
        path = f"{url}/_snapshot/{REPO}/{entry['snapshot']}"
        requests.delete(path, timeout=10)
        while requests.get(path, timeout=10).status_code != 404:
            pass


def sequential_sizing(url: str) -> None:
    """console_link's get_snapshot_indexes: resolve, then _stats, then _settings."""
    resolved = requests.get(
        f"{url}/_resolve/index/logs*", params={"expand_wildcards": "all"}, timeout=10
    ).json()
    targets = ",".join(i["name"] for i in resolved["indices"])
    requests.get(f"{url}/{targets}/_stats", params={"level": "indices"}, timeout=10).json()
    requests.get(f"{url}/{targets}/_settings", timeout=10).json()


async def main() -> None:
    async with FakeOpenSearchServer(snapshot_duration=0.0) as server:
        for i in range(4):
            server.create_index(f"logs-{i}", [{"n": n} for n in range(50)])
        config = ClusterConfig(endpoint=server.url, no_auth=None)
        async with AiohttpClient(base_url=server.url, timeout=10) as http:
            source = Cluster(config, http, name="source")
            snapshot = Snapshot(
                SnapshotConfig.model_validate(
                    {"snapshot_name": "bench", "fs": {"repo_path": "/snapshots"}}
                ),
                source,
                max_concurrency=SNAPSHOTS,
            )

            async def fill() -> None:
                server.latency = 0.0
                for i in range(SNAPSHOTS):
                    await snapshot.create(name=f"s{i}")
                server.latency = LATENCY

            async def ours_delete() -> None:
                result = await snapshot.delete_all()
                assert result.ok
                assert len(result.results) == SNAPSHOTS

            async def baseline_delete() -> None:
                await asyncio.to_thread(sequential_delete_all, server.url)

            ours = await median_after(fill, ours_delete)
            baseline = await median_after(fill, baseline_delete)
            report(
                f"delete_all of {SNAPSHOTS} snapshots at {LATENCY * 1000:.0f} ms/request",
                ours,
                baseline,
                unit="s",
                budget=f"<= {4 * LATENCY:.2f} s (4 round trips)",
                ok=ours <= 4 * LATENCY,
            )

            server.latency = LATENCY

            async def ours_sizing() -> None:
                found = await snapshot.indexes(["logs*"])
                assert len(found) == 4

            async def baseline_sizing() -> None:
                await asyncio.to_thread(sequential_sizing, server.url)

            ours = await median_seconds(ours_sizing)
            baseline = await median_seconds(baseline_sizing)
            report(
                "index sizing (resolve, _stats, _settings)",
                ours,
                baseline,
                unit="s",
                budget=f"<= {2.5 * LATENCY:.3f} s (2.5 round trips)",
                ok=ours <= 2.5 * LATENCY,
            )


async def median_after(
    setup: Callable[[], Awaitable[None]], run: Callable[[], Awaitable[None]], *, repeat: int = 5
) -> float:
    """Median wall time of ``run``, each time after an untimed ``setup``."""
    times = []
    for _ in range(repeat):
        await setup()
        t0 = time.perf_counter()
        await run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


if __name__ == "__main__":
    asyncio.run(main())
