"""A metrics dashboard refresh against a real Prometheus: list, then 20 series of 60 buckets.

asyncconsole: one PrometheusMetricsCollector, the 20 queries concurrently. Baseline: what
console_link does, one ``requests.get`` after another with a new connection per call (one
instant query per component to list, one ``query_range`` per metric). Both read the same
data, written beforehand by remote write.

Two network conditions: loopback, where Prometheus' own CPU (sharing two cores with the
client) is the limit, so concurrency cannot help and the figure only guards against
pathological overhead (budget <= 1.5 x; very noisy on a loaded machine), and a 5 ms round trip
added by a delaying TCP proxy, as when Prometheus is across an AZ or behind a port-forward
(budget: <= 0.5 x the baseline's wall time).

Needs Debian's ``prometheus`` binary; started on 127.0.0.1 with a temporary config and
storage, stopped by PID. Run: ``.venv/bin/python -m benchmarks.bench_metrics``.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks._util import median_seconds, report

METRICS = 20
BUCKETS = 60
ROUNDS = 7


RTT = 0.005


class _DelayProxy:
    """A TCP proxy to 127.0.0.1:upstream_port that delays every chunk by half of RTT."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                await asyncio.sleep(RTT / 2)
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers |= {client_w, up_w}
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._pump(client_r, up_w))
            tg.create_task(self._pump(up_r, client_w))

    async def serve(self) -> tuple[asyncio.Server, str]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    async def close_connections(self) -> None:
        """Close every proxied connection so each handler ends on its own before shutdown."""
        for writer in self.writers:
            writer.close()
        for _ in range(100):
            await asyncio.sleep(0.01)
            if all(w.transport.is_closing() for w in self.writers):
                break
        await asyncio.sleep(RTT)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-remote-write-receiver",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("prometheus did not become ready")


async def _feed(url: str, start: datetime) -> None:
    from asyncconsole.testing import PrometheusRemoteWriter

    async with PrometheusRemoteWriter(url) as writer:
        for i in range(METRICS):
            points = [(start + timedelta(seconds=5 * k), float(k + i)) for k in range(BUCKETS)]
            await writer.feed("replayer", f"bench_metric_{i}", {"instance": "a"}, points)


async def _ours(url: str, start: datetime, end: datetime) -> int:
    from asyncconsole.infra.metrics import MetricQuery, PrometheusMetricsCollector

    async with PrometheusMetricsCollector(endpoint=url) as prom:
        names = (await prom.list_metrics())["replayer"]
        queries = [
            MetricQuery(name=n, component="replayer", start=start, end=end, period=5) for n in names
        ]
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(prom.get_metric_data(q)) for q in queries]
    return sum(len(t.result()[0].points) for t in tasks)


def _console_link_way(url: str, start: datetime, end: datetime) -> int:
    import requests

    names: set[str] = set()
    for job in ("capture", "replay"):
        r = requests.get(f"{url}/api/v1/query", params={"query": f'{{exported_job="{job}"}}'})
        r.raise_for_status()
        if job == "replay":
            names |= {m["metric"]["__name__"] for m in r.json()["data"]["result"]}
    points = 0
    params: dict[str, str | float]
    for name in sorted(names):
        params = {
            "query": f'{name}{{exported_job="replay"}}',
            "start": start.timestamp(),
            "end": end.timestamp(),
            "step": 5,
        }
        r = requests.get(f"{url}/api/v1/query_range", params=params)
        r.raise_for_status()
        points += len(r.json()["data"]["result"][0]["values"])
    return points


async def _compare(url: str, start: datetime, end: datetime) -> tuple[float, float]:
    ours_points = await _ours(url, start, end)
    base_points = await asyncio.to_thread(_console_link_way, url, start, end)
    assert ours_points == METRICS * BUCKETS, ours_points
    assert base_points >= METRICS * BUCKETS, base_points

    async def baseline() -> object:
        return await asyncio.to_thread(_console_link_way, url, start, end)

    async def ours() -> object:
        return await _ours(url, start, end)

    base_times, ours_times = [], []
    for _ in range(ROUNDS):  # interleaved so load changes hit both alike
        base_times.append(await median_seconds(baseline, repeat=1))
        ours_times.append(await median_seconds(ours, repeat=1))
    return sorted(ours_times)[ROUNDS // 2], sorted(base_times)[ROUNDS // 2]


async def _measure(url: str) -> dict[str, tuple[float, float]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=6)
    await _feed(url, start)
    end = start + timedelta(seconds=5 * BUCKETS)
    results = {"loopback": await _compare(url, start, end)}
    proxy = _DelayProxy(int(url.rsplit(":", 1)[1]))
    server, proxied = await proxy.serve()
    async with server:
        results[f"{RTT * 1000:.0f} ms RTT"] = await _compare(proxied, start, end)
        server.close()
        await proxy.close_connections()
    return results


def main() -> int:
    binary = shutil.which("prometheus")
    if binary is None:
        print("bench_metrics: prometheus binary not found (apt-get install prometheus); skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-prometheus-") as tmp:
        proc, url = _start(binary, Path(tmp))
        try:
            results = asyncio.run(_measure(url))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    budgets = {"loopback": 1.5}
    for condition, (ours, baseline) in results.items():
        budget = budgets.get(condition, 0.5)
        report(
            f"metrics refresh, {condition} (list + {METRICS} series x {BUCKETS} buckets, "
            f"median of {ROUNDS})",
            ours * 1000,
            baseline * 1000,
            unit="ms",
            budget=f"<= {budget}",
            ok=ours <= budget * baseline,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
