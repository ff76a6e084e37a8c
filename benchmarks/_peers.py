"""The peers of the round-trip benchmarks, their config, the delay lines and the counting.

Shared by ``bench_round_trips``, ``bench_cli_start`` and ``bench_console_link``: source and
target ``FakeOpenSearchServer``, a Prometheus-speaking server and moto for ECS run in a child
process (``python -m benchmarks._peers --serve``); a :class:`~asyncconsole.testing.DelayLine`
in front of each peer adds a round-trip delay, all of them counting on one ``RoundTrips``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from asyncconsole.testing import DelayLine, RoundTrips

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
            [sys.executable, "-m", "benchmarks._peers", "--serve"],
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


async def counted(
    counter: RoundTrips, run: Callable[[], Awaitable[object]], runs: int = RUNS
) -> Count:
    found = Count([], [], [], [])
    for _ in range(runs):
        counter.reset()
        t0 = time.perf_counter()
        await run()
        found.seconds.append(time.perf_counter() - t0)
        found.round_trips.append(counter.round_trips)
        found.connections.append(counter.connections)
        found.requests.append(counter.requests)
    return found


class ProcessFailed(RuntimeError):
    """A measured CLI process exited with a status other than 0."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(f"{' '.join(self.argv)} exited {returncode}: {stdout!r} {stderr!r}")


async def run_process(argv: Sequence[str], env: dict[str, str]) -> None:
    """Run one whole process, its output captured; :class:`ProcessFailed` unless it exits 0."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise ProcessFailed(argv, proc.returncode or 0, out, err)


def peer_env(urls: dict[str, str]) -> dict[str, str]:
    """This process's environment, with moto's credentials and the AWS endpoint of ``urls``.

    ``PYTHONDONTWRITEBYTECODE`` is dropped: a CLI process would compile every module on each
    start, which an installed package never does (pip writes the bytecode at install).
    """
    env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": urls["aws"]}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def asyncconsole_cli() -> list[str]:
    """The installed console script next to this interpreter (what a user runs)."""
    script = Path(sys.executable).parent / "asyncconsole"
    return [str(script)] if script.exists() else [sys.executable, "-m", "asyncconsole.cli"]


def fresh_cli(config: Path, urls: dict[str, str], *args: str) -> Callable[[], Awaitable[object]]:
    """A whole ``asyncconsole`` process per run (its connections are new each time)."""
    env = peer_env(urls)
    argv = [sys.executable, "-m", "asyncconsole.cli", "--config-file", str(config), "--json", *args]

    async def run() -> None:
        try:
            await run_process(argv, env)
        except ProcessFailed as failed:
            raise RuntimeError(
                f"asyncconsole {' '.join(args)} failed: {failed.stdout!r} {failed.stderr!r}"
            ) from None

    return run


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        raise SystemExit("usage: python -m benchmarks._peers --serve")
    asyncio.run(serve_peers())
