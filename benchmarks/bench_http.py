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

from benchmarks._util import report

CONCURRENCY = 64
REQUESTS = 1920
SEQUENTIAL_REQUESTS = 1000
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


async def compare(base: str) -> tuple[float, float, float, float]:
    import aiohttp

    from asyncconsole.infra.http import AiohttpClient

    url = base + PATH
    raw_rates: list[float] = []
    ours_rates: list[float] = []
    raw_cpu: list[float] = []
    ours_cpu: list[float] = []
    async with aiohttp.ClientSession() as session, AiohttpClient(base, timeout=30) as http:

        async def raw_get() -> object:
            async with session.get(url) as resp:
                resp.raise_for_status()
                return await resp.read()

        async def ours_get() -> object:
            return await http.request("GET", PATH)

        await throughput(raw_get, 640)  # warm up both pools
        await throughput(ours_get, 640)
        for i in range(ROUNDS):  # interleaved (alternating first) so load changes hit both
            for name in ("raw", "ours") if i % 2 == 0 else ("ours", "raw"):
                rate, cpu = await throughput(raw_get if name == "raw" else ours_get, REQUESTS)
                (raw_rates if name == "raw" else ours_rates).append(rate)
                (raw_cpu if name == "raw" else ours_cpu).append(cpu)
    paired = statistics.median(o / r for o, r in zip(ours_rates, raw_rates, strict=True))
    print(f"http paired median ratio over {ROUNDS} rounds: {paired:.3f}", flush=True)
    return (
        statistics.median(ours_rates),
        statistics.median(raw_rates),
        statistics.median(ours_cpu),
        statistics.median(raw_cpu),
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


def sequential_requests(base: str) -> float:
    import requests

    url = base + PATH
    rates = []
    with requests.Session() as session:
        session.get(url).raise_for_status()
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(SEQUENTIAL_REQUESTS):
                session.get(url, timeout=30).raise_for_status()
            rates.append(SEQUENTIAL_REQUESTS / (time.perf_counter() - t0))
    return statistics.median(rates)


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
        ours, raw, ours_cpu, raw_cpu = asyncio.run(compare(base))
        report(
            f"http GET c={CONCURRENCY} vs raw aiohttp",
            ours,
            raw,
            unit="req/s",
            budget=">= 0.85",
            ok=ours / raw >= 0.85,
        )
        report(
            "http client CPU per GET (info: lower is better)",
            ours_cpu * 1e6,
            raw_cpu * 1e6,
            unit="us",
            budget="info",
            ok=True,
        )
        print(
            f"http request pipeline through FakeHttpClient, no I/O (upper bound of overhead): "
            f"{asyncio.run(pipeline_overhead()) * 1e6:.2f} us/request",
            flush=True,
        )
        seq = sequential_requests(base)
        report(
            f"http GET c={CONCURRENCY} vs sequential requests.Session",
            ours,
            seq,
            unit="req/s",
            budget=">= 5",
            ok=ours / seq >= 5,
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
