"""Backfill against console_link's way, with FakeOpenSearchServer in a child process.

1. Archive 200,000 working-state documents: asyncconsole streams scroll pages of 1,000 to
   the file (memory growth measured with ``tracemalloc`` peak in this process; the server's
   memory is in the child, not counted). Budget: < 50 MB. The wall time is compared with
   console_link's archive (``requests``, sequential scroll pages of 100, a new connection per
   call, each batch dumped as it comes), for information.
2. Deep backfill status with 100 ms of server-side latency per request: asyncconsole sends
   the existence check, the ``shard_setup`` search, then the five counts and the finish-time
   aggregation together. Budget: <= 3 round trips (plus 100 ms of slack). Baseline:
   console_link's nine sequential calls (index check, shard_setup search, five counts with
   the painless aggregation, shard_setup GET, max aggregation).

Run: ``.venv/bin/python -m benchmarks.bench_backfill``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import requests

from asyncconsole.config import BackfillConfig, ClusterConfig
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.services.backfill import Backfill, count_queries
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.workers import FakeWorkerDeployment

from ._util import median_seconds, report

DOCS = 200_000
LATENCY = 0.1
INDEX = ".migrations_working_state"
MEMORY_BUDGET_MB = 50.0
ROUNDS = 3


# -- the server process -----------------------------------------------------------------------


async def serve() -> None:
    """Child mode: a FakeOpenSearchServer driven by commands on stdin (one per line)."""
    from asyncconsole.testing import FakeOpenSearchServer

    seeded: dict[int, Any] = {}  # a deleted index is only unlisted: reuse it to reseed fast
    async with FakeOpenSearchServer(request_log_limit=10) as server:
        print(f"url {server.url}", flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, _, arg = line.strip().partition(" ")
            if command == "seed":
                store = server.api.store
                if INDEX in server.index_names:
                    store.delete_indices([server.index(INDEX)])
                if int(arg) not in seeded:
                    server.seed_working_state(completed=int(arg))
                    seeded[int(arg)] = server.index(INDEX)
                store.indices[INDEX] = seeded[int(arg)]
            elif command == "table":
                server.seed_working_state(completed=10, in_progress=6, unclaimed=4, split=1)
            elif command == "latency":
                server.latency = float(arg)
            print("ok", flush=True)


class ServerProcess:
    """The child process running the fake cluster; stopped by closing its stdin."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_backfill", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self._read().removeprefix("url ")

    def _stdin(self) -> IO[str]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    def _read(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def command(self, text: str) -> None:
        self._stdin().write(text + "\n")
        self._stdin().flush()
        assert self._read() == "ok"

    def close(self) -> None:
        self._stdin().close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- console_link's way (the baseline) ------------------------------------------------------


def console_link_archive(url: str, path: Path) -> None:
    """backup_working_state_index + the DELETE, as console_link does them (batch size 100)."""
    with path.open("w") as out:
        out.write("[\n")
        response = requests.post(
            f"{url}/{INDEX}/_search",
            params={"scroll": "1m"},
            json={"size": 100, "query": {"match_all": {}}},
            timeout=30,
        )
        first = True
        while True:
            body = response.json()
            hits = body["hits"]["hits"]
            if not hits:
                break
            if not first:
                out.write(",\n")
            first = False
            out.write(json.dumps({h["_id"]: h["_source"] for h in hits}, indent=4))
            response = requests.post(
                f"{url}/_search/scroll",
                json={"scroll": "1m", "scroll_id": body["_scroll_id"]},
                timeout=30,
            )
        out.write("\n]")
    requests.delete(f"{url}/{INDEX}", params={"ignore_unavailable": "true"}, timeout=30)


_PAINLESS = {
    "unique_pair_count": {
        "cardinality": {
            "script": {
                "lang": "painless",
                "source": "def id = doc['_id'].value; int i = id.indexOf('__'); "
                "int j = id.indexOf('__', i + 2); return j < 0 ? id : id.substring(0, j);",
            }
        }
    }
}


def console_link_deep_status(url: str) -> dict[str, int]:
    """get_detailed_status_obj's nine sequential calls, each on a new connection."""
    headers = {"Content-Type": "application/json"}
    requests.get(f"{url}/{INDEX}", timeout=30).raise_for_status()
    requests.post(
        f"{url}/{INDEX}/_search",
        data=json.dumps({"query": {"match": {"_id": "shard_setup"}}}),
        headers=headers,
        timeout=30,
    )
    values = {}
    now = int(datetime.now(UTC).timestamp())
    for key, query in count_queries(now).items():
        body = {"size": 0, "query": query, "aggs": _PAINLESS}
        reply = requests.post(
            f"{url}/{INDEX}/_search", data=json.dumps(body), headers=headers, timeout=30
        )
        values[key] = int(reply.json()["hits"]["total"]["value"])
    requests.get(f"{url}/{INDEX}/_doc/shard_setup", timeout=30)
    requests.request(
        "GET",
        f"{url}/{INDEX}/_search",
        data=json.dumps(
            {
                "size": 0,
                "aggs": {"max_completed": {"max": {"field": "completedAt"}}},
                "query": {"exists": {"field": "completedAt"}},
            }
        ),
        headers=headers,
        timeout=30,
    )
    return values


# -- measurements -----------------------------------------------------------------------------


def make_backfill(http: AiohttpClient, url: str, archive_dir: Path) -> Backfill:
    config = BackfillConfig.model_validate(
        {"reindex_from_snapshot": {"ecs": {"cluster_name": "c", "service_name": "rfs"}}}
    )
    target = Cluster(ClusterConfig(endpoint=url, no_auth=None), http, name="target")
    return Backfill(config, target, FakeWorkerDeployment(), archive_dir=archive_dir)


async def bench_archive(server: ServerProcess, tmp: Path) -> None:
    async with AiohttpClient(base_url=server.url, timeout=60) as http:
        backfill = make_backfill(http, server.url, tmp)

        async def ours() -> None:
            await asyncio.to_thread(server.command, f"seed {DOCS}")
            started = time.perf_counter()
            await backfill.archive(tmp / "ours.json")
            ours_times.append(time.perf_counter() - started)

        def baseline() -> None:
            server.command(f"seed {DOCS}")
            started = time.perf_counter()
            console_link_archive(server.url, tmp / "baseline.json")
            base_times.append(time.perf_counter() - started)

        ours_times: list[float] = []
        base_times: list[float] = []
        for _ in range(ROUNDS):
            await ours()
            await asyncio.to_thread(baseline)

        # tracemalloc traces every thread of this process; the server is in the child.
        await asyncio.to_thread(server.command, f"seed {DOCS}")
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await backfill.archive(tmp / "ours.json")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        ours_mb = (peak - before) / 2**20
        docs = sum(len(batch) for batch in json.loads((tmp / "ours.json").read_text()))
        assert docs == DOCS + 1, docs  # the items and shard_setup

    ours_s, base_s = statistics.median(ours_times), statistics.median(base_times)
    verdict = "PASS" if ours_mb < MEMORY_BUDGET_MB else "MISS"
    print(
        f"archive {DOCS:,} docs memory growth (tracemalloc peak, client process): "
        f"asyncconsole {ours_mb:.1f} MB (budget < {MEMORY_BUDGET_MB:g} MB) {verdict}",
        flush=True,
    )
    report(
        f"archive {DOCS:,} docs wall time",
        ours_s,
        base_s,
        unit="s",
        budget="informational",
        ok=True,
    )
    if ours_mb >= MEMORY_BUDGET_MB:
        raise SystemExit(1)


async def bench_deep_status(server: ServerProcess, tmp: Path) -> None:
    await asyncio.to_thread(server.command, "table")
    await asyncio.to_thread(server.command, f"latency {LATENCY}")
    async with AiohttpClient(base_url=server.url, timeout=60) as http:
        backfill = make_backfill(http, server.url, tmp)
        result = await backfill.deep_status()  # also warms the connection pool
        assert (result.shard_total, result.shard_complete) == (21, 10), result
        ours = await median_seconds(backfill.deep_status, repeat=5)

    async def sequential() -> None:
        values = await asyncio.to_thread(console_link_deep_status, server.url)
        assert values["total"] == 21, values

    baseline = await median_seconds(sequential, repeat=3)
    budget = 3 * LATENCY + 0.1
    report(
        f"deep status at {LATENCY * 1000:.0f} ms/request",
        ours,
        baseline,
        unit="s",
        budget=f"<= 3 round trips ({budget:.2f} s)",
        ok=ours <= budget,
    )


async def main() -> None:
    server = ServerProcess()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await bench_archive(server, Path(tmp))
            await bench_deep_status(server, Path(tmp))
    finally:
        server.close()


if __name__ == "__main__":
    if "--serve" in sys.argv:
        asyncio.run(serve())
    else:
        asyncio.run(main())
