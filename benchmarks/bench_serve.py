"""The dashboard's peer request rate does not grow with the number of open pages.

``asyncconsole serve`` on the demo environment, every resource polled every 0.25 s. Requests
reaching the peers (the source and target clusters, from their request logs) are counted over the same window with 1 page open and with 20 pages open, each
page an event-stream client watching every resource (worst case: all pages at once).
Budget: 20 pages / 1 page <= 1.1. For scale, a reference without a budget: 20 pages that each
poll the SDK themselves at the same interval (what a page polling every component would
cause); on a small machine that saturates the process, so it also shows how few of the asked
rounds it manages.

Run: ``.venv/bin/python -m benchmarks.bench_serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp

from asyncconsole import Environment
from asyncconsole.demo import DemoEnvironment
from asyncconsole.serve import DashboardServer, DashboardSettings

from ._util import report

INTERVAL = 0.25
WINDOW = 5.0
WARMUP = 1.5
PAGES = 20
TOPICS = "overview,clusters,snapshot,backfill,replay,metrics"


def peer_requests(demo: DemoEnvironment) -> int:
    """Requests the source and target clusters have received since :func:`clear` (their
    request logs keep 10,000, more than any window here; the Kubernetes API server's keeps
    only its last 1,000, so it is left out)."""
    return len(demo.source.requests) + len(demo.target.requests)


def clear(demo: DemoEnvironment) -> None:
    demo.source.clear_requests()
    demo.target.clear_requests()


async def _page(http: aiohttp.ClientSession, url: str, received: list[int]) -> None:
    """One open page: an event stream watching every resource, read as it comes."""
    async with http.get(f"{url}/api/events", params={"topics": TOPICS}) as stream:
        async for line in stream.content:
            if line.startswith(b"data: "):
                received.append(1)


@contextlib.asynccontextmanager
async def open_pages(url: str, count: int) -> AsyncIterator[list[int]]:
    received: list[int] = []
    async with aiohttp.ClientSession() as http, asyncio.TaskGroup() as pages:
        tasks = [pages.create_task(_page(http, url, received)) for _ in range(count)]
        try:
            yield received
        finally:
            for task in tasks:
                task.cancel()


@contextlib.asynccontextmanager
async def polling_pages(env: Environment, count: int) -> AsyncIterator[list[int]]:
    """``count`` pages that each ask the SDK for every resource every interval."""
    rounds: list[int] = []

    async def one_page() -> None:
        assert env.source_cluster is not None
        assert env.target_cluster is not None
        assert env.snapshot is not None
        assert env.backfill is not None
        assert env.replay is not None
        assert env.metrics is not None
        while True:
            await asyncio.gather(
                env.check(),
                env.source_cluster.cat_indices(),
                env.target_cluster.cat_indices(),
                env.snapshot.deep_status(),
                env.backfill.status(deep=True),
                env.replay.status(),
                env.metrics.list(),
                return_exceptions=True,  # the snapshot is not taken: its error is an answer
            )
            rounds.append(1)
            await asyncio.sleep(INTERVAL)

    async with asyncio.TaskGroup() as pages:
        tasks = [pages.create_task(one_page()) for _ in range(count)]
        try:
            yield rounds
        finally:
            for task in tasks:
                task.cancel()


async def rate(
    demo: DemoEnvironment, opened: Callable[[], contextlib.AbstractAsyncContextManager[list[int]]]
) -> tuple[float, int]:
    """Peer requests per second while ``opened`` holds its pages open; and what they got."""
    async with opened() as received:
        await asyncio.sleep(WARMUP)
        clear(demo)
        before = len(received)
        await asyncio.sleep(WINDOW)
        count = peer_requests(demo)
        return count / WINDOW, len(received) - before


async def measure(label: str, run: Callable[[], Awaitable[tuple[float, int]]]) -> tuple[float, int]:
    found = await run()
    print(f"  {label}: {found[0]:.1f} peer requests/s ({found[1]} updates received)", flush=True)
    return found


async def main() -> None:
    intervals = dict.fromkeys(("overview", "clusters", "snapshot", "backfill", "replay"), INTERVAL)
    intervals["metrics"] = INTERVAL
    async with DemoEnvironment(speed=1.0) as demo, demo.environment() as env:
        settings = DashboardSettings(intervals=intervals)
        async with DashboardServer(env, settings) as server:
            url = server.base_url
            one, _ = await measure("1 page", lambda: rate(demo, lambda: open_pages(url, 1)))
            many, updates = await measure(
                f"{PAGES} pages", lambda: rate(demo, lambda: open_pages(url, PAGES))
            )
        naive, rounds = await measure(
            f"{PAGES} pages polling the SDK each",
            lambda: rate(demo, lambda: polling_pages(env, PAGES)),
        )
    assert updates > 0, "the pages received no update"
    report(
        f"bench_serve: peer requests/s with {PAGES} pages vs 1 page",
        many,
        one,
        unit="req/s",
        budget="<= 1.1",
        ok=many / one <= 1.1,
    )
    asked = PAGES * WINDOW / INTERVAL
    print(
        f"bench_serve: reference, {PAGES} pages each polling the SDK: {naive:.4g} req/s, "
        f"ratio ours/theirs {many / naive:.3f}; they managed {rounds} of {asked:.0f} asked "
        "rounds (the process saturates)",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
