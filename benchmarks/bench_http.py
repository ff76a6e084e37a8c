"""GET throughput: AiohttpClient vs raw aiohttp at concurrency 64, and vs sequential requests.

Budgets: AiohttpClient >= 0.85 x raw aiohttp (one ClientSession) and >= 5 x a sequential
``requests.Session`` (console_link's way, and it even opened a new session per call).

The server is an aiohttp app in another process on 127.0.0.1, stopped by PID at the end.
Run: ``.venv/bin/python -m benchmarks.bench_http``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from benchmarks._util import report

CONCURRENCY = 64
REQUESTS = 1920
SEQUENTIAL_REQUESTS = 300
ROUNDS = 16
PATH = "/_cluster/health"


def serve() -> None:
    """The server process: one small JSON answer, printed port on stdout."""
    from aiohttp import web

    body = b'{"cluster_name":"bench","status":"green","number_of_nodes":3,"active_shards":42}'

    async def health(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get(PATH, health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        print(server.sockets[0].getsockname()[1], flush=True)  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(main())


async def throughput(
    one_request: Callable[[], Awaitable[object]], total: int
) -> tuple[float, float]:
    """Requests per second with CONCURRENCY workers sharing ``total`` requests, and this
    process's CPU seconds per request (the client's own cost, unaffected by the server)."""
    per_worker = total // CONCURRENCY

    async def worker() -> None:
        for _ in range(per_worker):
            await one_request()

    t0, c0 = time.perf_counter(), time.process_time()
    async with asyncio.TaskGroup() as tg:
        for _ in range(CONCURRENCY):
            tg.create_task(worker())
    done = per_worker * CONCURRENCY
    return done / (time.perf_counter() - t0), (time.process_time() - c0) / done


@dataclass
class Figures:
    """Medians over the interleaved rounds."""

    ours: float
    raw: float
    sequential: float
    ours_cpu: float
    raw_cpu: float
    paired_raw: float
    paired_sequential: float


async def compare(base: str) -> Figures:
    """Rounds of raw aiohttp, AiohttpClient and sequential requests, interleaved (the order
    alternating) so that changes in machine load hit all three alike."""
    import aiohttp
    import requests

    from asyncconsole.infra.http import AiohttpClient

    url = base + PATH
    rates: dict[str, list[float]] = {"raw": [], "ours": [], "seq": []}
    cpu: dict[str, list[float]] = {"raw": [], "ours": []}
    async with aiohttp.ClientSession() as session, AiohttpClient(base, timeout=30) as http:

        async def raw_get() -> object:
            async with session.get(url) as resp:
                resp.raise_for_status()
                return await resp.read()

        async def ours_get() -> object:
            return await http.request("GET", PATH)

        with requests.Session() as sync:

            def sequential() -> float:
                t0 = time.perf_counter()
                for _ in range(SEQUENTIAL_REQUESTS):
                    sync.get(url, timeout=30).raise_for_status()
                return SEQUENTIAL_REQUESTS / (time.perf_counter() - t0)

            await throughput(raw_get, 640)  # warm up every pool
            await throughput(ours_get, 640)
            sync.get(url).raise_for_status()
            for i in range(ROUNDS):
                order = ["raw", "ours", "seq"]
                for name in order if i % 2 == 0 else order[::-1]:
                    if name == "seq":
                        rates["seq"].append(sequential())  # blocks the loop: nothing else runs
                        continue
                    rate, used = await throughput(raw_get if name == "raw" else ours_get, REQUESTS)
                    rates[name].append(rate)
                    cpu[name].append(used)
    med = statistics.median
    return Figures(
        ours=med(rates["ours"]),
        raw=med(rates["raw"]),
        sequential=med(rates["seq"]),
        ours_cpu=med(cpu["ours"]),
        raw_cpu=med(cpu["raw"]),
        paired_raw=med(o / r for o, r in zip(rates["ours"], rates["raw"], strict=True)),
        paired_sequential=med(o / q for o, q in zip(rates["ours"], rates["seq"], strict=True)),
    )


async def pipeline_overhead() -> float:
    """Seconds per request the shared pipeline adds (URL, headers, retries, errors), no I/O."""
    from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse

    answer = HttpResponse.build(200, json={"status": "green"})

    def handler(request: HttpRequest) -> HttpResponse:
        return answer

    loops = 20000
    async with FakeHttpClient(handler, base_url="http://127.0.0.1:9200") as http:
        samples = []
        for _ in range(5):
            http.requests.clear()
            t0 = time.perf_counter()
            for _ in range(loops):
                await http.request("GET", PATH)
            samples.append((time.perf_counter() - t0) / loops)
    return statistics.median(samples)


def main() -> int:
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_http", "--serve"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        f = asyncio.run(compare(base))
        # Verdicts use the median of per-round ratios: each round measures both sides back to
        # back, so load from other processes on this 2-core machine hits them alike; the ratio
        # of two medians mixes moments of different load (both are printed).
        print(
            f"http GET c={CONCURRENCY} medians: asyncconsole {f.ours:.0f} req/s | raw aiohttp "
            f"{f.raw:.0f} req/s (ratio {f.ours / f.raw:.3f}) | sequential requests.Session "
            f"{f.sequential:.0f} req/s (ratio {f.ours / f.sequential:.2f})",
            flush=True,
        )
        for name, ratio, budget, ok in (
            ("vs raw aiohttp", f.paired_raw, ">= 0.85", f.paired_raw >= 0.85),
            (
                "vs sequential requests.Session",
                f.paired_sequential,
                ">= 5",
                f.paired_sequential >= 5,
            ),
        ):
            print(
                f"http GET c={CONCURRENCY} {name}: median per-round ratio {ratio:.3f} over "
                f"{ROUNDS} rounds (budget {budget}) {'PASS' if ok else 'MISS'}",
                flush=True,
            )
        report(
            "http client CPU per GET (info: lower is better)",
            f.ours_cpu * 1e6,
            f.raw_cpu * 1e6,
            unit="us",
            budget="info",
            ok=True,
        )
        print(
            f"http request pipeline through FakeHttpClient, no I/O (upper bound of overhead): "
            f"{asyncio.run(pipeline_overhead()) * 1e6:.2f} us/request",
            flush=True,
        )
    finally:
        server.terminate()  # our own child, by PID
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        raise SystemExit(main())
