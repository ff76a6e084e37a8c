"""Round trips of issue 13's operations, counted at a delay line, against their minimum.

Every peer sits behind a :class:`~asyncconsole.testing.DelayLine` adding ``DELAY`` of round
trip (to each connection's handshake and each request), as for a cluster in another region;
the lines share one counter, so a round trip is one sequential step in which the client waited
for answers, across all its peers. The peers (source and target ``FakeOpenSearchServer``, a
Prometheus-speaking server, moto for ECS) run in a child process.

| operation | minimum |
|---|---|
| ``backfill status --deep-check``, fresh CLI process | 2: the connections, then one step |
| the same, warm library (``await env.backfill.status(deep=True)`` again) | 1 |
| ``snapshot status --deep-check``, warm library | 1 |
| full check (``await env.check()``), warm library | 1 |
| ``asyncconsole check``, fresh CLI process | 2 |

Budget: each equals its minimum (the median of ``RUNS`` runs). Wall times are printed too.
``--delay SECONDS`` changes the delay; ``--peers`` only starts the peers and prints their
addresses (``{"source": port, ...}``) until stdin closes, for measuring other clients.

Run: ``.venv/bin/python -m benchmarks.bench_round_trips``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from asyncconsole import Environment
from asyncconsole.environment import Infrastructure
from asyncconsole.testing import DelayLine, RoundTrips

DELAY = 0.1
RUNS = 3
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
PEERS = ("source", "target", "prometheus", "aws")


# -- the peers' process -----------------------------------------------------------------------


async def serve_peers() -> None:
    """Child mode: the peers, seeded, their ports printed as one JSON line; until stdin ends."""
    import botocore.session
    from moto.server import ThreadedMotoServer

    from asyncconsole.demo._prometheus import DemoPrometheusServer
    from asyncconsole.testing import FakeOpenSearchServer, FaultProxy

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        aws_port = moto._server.server_port  # type: ignore[union-attr]
        ecs: Any = botocore.session.get_session().create_client(
            "ecs",
            region_name=AWS_ENV["AWS_DEFAULT_REGION"],
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        )
        ecs.create_cluster(clusterName="migration")
        for service in ("rfs", "replayer"):
            ecs.create_service(cluster="migration", serviceName=service, desiredCount=0)
        async with (
            FakeOpenSearchServer(snapshot_duration=0) as source,
            FakeOpenSearchServer() as target,
            DemoPrometheusServer() as prometheus,
            # AWS endpoints keep connections open, moto's server closes each one: an HTTP
            # proxy in front keeps the client's connections open, as AWS would.
            FaultProxy(f"http://127.0.0.1:{aws_port}") as aws,
        ):
            await _seed(source, target, prometheus)
            ports = {
                "source": source.port,
                "target": target.port,
                "prometheus": int(prometheus.url.rsplit(":", 1)[1]),
                "aws": aws.port,
            }
            print("ports " + json.dumps(ports), flush=True)
            await asyncio.to_thread(sys.stdin.read)
    finally:
        moto.stop()


async def _seed(source: Any, target: Any, prometheus: Any) -> None:
    from asyncconsole.infra.http import AiohttpClient

    target.seed_working_state(completed=10, in_progress=6, unclaimed=4, split=1)
    for job in ("capture", "replay"):
        for metric in ("kafkaCommitCount", "captureConnectionDuration"):
            prometheus.record(metric, 1.0, job=job)
    async with AiohttpClient(source.url, timeout=30) as http:
        for n in range(3):
            await http.request("PUT", f"/logs/_doc/{n}", json={"n": n}, params={"refresh": "true"})
        repo = {"type": "fs", "settings": {"location": "/snapshots"}}
        await http.request("PUT", "/_snapshot/migration_assistant_repo", json=repo)
        await http.request(
            "PUT",
            "/_snapshot/migration_assistant_repo/snap1",
            json={"indices": "_all", "include_global_state": True},
            params={"wait_for_completion": "true"},
        )


class PeersProcess:
    """The child process running the peers; stopped by closing its stdin."""

    def __init__(self) -> None:
        here = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_round_trips", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # moto's access log
            text=True,
            cwd=here,
            env={**os.environ, **AWS_ENV},
        )
        assert self.proc.stdout is not None
        line = ""
        while not line.startswith("ports "):  # moto may print first
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the peers' process ended before starting its peers")
        self.ports: dict[str, int] = json.loads(line.removeprefix("ports "))

    def close(self) -> None:
        stdin: IO[str] | None = self.proc.stdin
        if stdin is not None:
            stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by PID
            self.proc.wait()


def config_text(urls: dict[str, str], repo_path: str) -> str:
    """A migration_services.yaml for the peers at ``urls`` (console_link reads it too)."""
    return f"""\
source_cluster:
  endpoint: {urls["source"]}
  version: ES_7.10
  no_auth:
target_cluster:
  endpoint: {urls["target"]}
  no_auth:
metrics_source:
  prometheus:
    endpoint: {urls["prometheus"]}
snapshot:
  snapshot_name: snap1
  fs:
    repo_path: {repo_path}
backfill:
  reindex_from_snapshot:
    ecs:
      cluster_name: migration
      service_name: rfs
      aws_region: {AWS_ENV["AWS_DEFAULT_REGION"]}
replay:
  ecs:
    cluster_name: migration
    service_name: replayer
    aws_region: {AWS_ENV["AWS_DEFAULT_REGION"]}
"""


@contextlib.asynccontextmanager
async def delay_lines(
    ports: dict[str, int], delay: float
) -> AsyncIterator[tuple[RoundTrips, dict[str, str]]]:
    """A delay line in front of each peer, all counting on one counter."""
    counter = RoundTrips()
    async with contextlib.AsyncExitStack() as stack:
        urls = {}
        for name in PEERS:
            line = DelayLine("127.0.0.1", ports[name], delay=delay, counter=counter)
            await stack.enter_async_context(line)
            urls[name] = line.url
        yield counter, urls


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Count:
    """One operation's runs: round trips, connections and requests, wall seconds."""

    round_trips: list[int]
    connections: list[int]
    requests: list[int]
    seconds: list[float]


async def counted(counter: RoundTrips, run: Callable[[], Awaitable[object]]) -> Count:
    found = Count([], [], [], [])
    for _ in range(RUNS):
        counter.reset()
        t0 = time.perf_counter()
        await run()
        found.seconds.append(time.perf_counter() - t0)
        found.round_trips.append(counter.round_trips)
        found.connections.append(counter.connections)
        found.requests.append(counter.requests)
    return found


def fresh_cli(config: Path, urls: dict[str, str], *args: str) -> Callable[[], Awaitable[object]]:
    """A whole ``asyncconsole`` process per run (its connections are new each time)."""
    env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": urls["aws"]}

    async def run() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "asyncconsole.cli",
            "--config-file",
            str(config),
            "--json",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"asyncconsole {' '.join(args)} failed: {out!r} {err!r}")

    return run


def report(name: str, count: Count, minimum: int) -> bool:
    trips = statistics.median(count.round_trips)
    ok = trips == minimum
    print(
        f"{name}: asyncconsole {trips:g} round trips | minimum {minimum} | ratio "
        f"{trips / minimum:.2f} (budget = minimum) {'PASS' if ok else 'MISS'} | "
        f"{statistics.median(count.connections):g} connections, "
        f"{statistics.median(count.requests):g} requests, "
        f"{statistics.median(count.seconds):.3f} s",
        flush=True,
    )
    return ok


async def measure(ports: dict[str, int], delay: float, workdir: Path) -> bool:
    async with delay_lines(ports, delay) as (counter, urls):
        config = workdir / "migration_services.yaml"
        config.write_text(config_text(urls, "/snapshots"))
        ok = report(
            "backfill status --deep-check, fresh CLI",
            await counted(counter, fresh_cli(config, urls, "backfill", "status", "--deep-check")),
            2,
        )
        infra = Infrastructure(aws_endpoint_url=urls["aws"])
        async with Environment.from_file(config, infra=infra) as env:
            assert env.backfill is not None
            assert env.snapshot is not None
            backfill, snapshot = env.backfill, env.snapshot
            await env.check()  # warm: every client open, every pool holding connections
            await backfill.status(deep=True)
            await snapshot.deep_status()
            ok &= report(
                "backfill status --deep-check, warm library",
                await counted(counter, lambda: backfill.status(deep=True)),
                1,
            )
            ok &= report(
                "snapshot status --deep-check, warm library",
                await counted(counter, snapshot.deep_status),
                1,
            )
            ok &= report(
                "full check (env.check()), warm library", await counted(counter, env.check), 1
            )
        ok &= report(
            "check, fresh CLI", await counted(counter, fresh_cli(config, urls, "check")), 2
        )
    return ok


def main(argv: list[str]) -> int:
    delay = float(argv[argv.index("--delay") + 1]) if "--delay" in argv else DELAY
    for key, value in AWS_ENV.items():
        os.environ.setdefault(key, value)
    peers = PeersProcess()
    try:
        if "--peers" in argv:
            print(json.dumps(peers.ports), flush=True)
            sys.stdin.read()
            return 0
        print(f"round trips through delay lines of {delay * 1000:g} ms per round trip", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            ok = asyncio.run(measure(peers.ports, delay, Path(tmp)))
    finally:
        peers.close()
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        asyncio.run(serve_peers())
    else:
        raise SystemExit(main(sys.argv[1:]))
