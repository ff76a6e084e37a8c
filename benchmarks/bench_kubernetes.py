"""Deployment-status throughput: KubernetesManager vs raw kubernetes_asyncio, 400 reads at once.

The fake API server (``asyncconsole.testing.FakeKubernetesApiServer``) runs in another process
on 127.0.0.1 and is stopped by PID at the end. Each round fires 400 concurrent status reads
through one client; figures are medians of ROUNDS, the contenders alternating round by round.

- ``get_deployment_status`` reads the Deployment and lists the pods its selector matches (the
  running/pending/terminating counts console_link's status maths needs). The like-for-like
  baseline is raw kubernetes_asyncio doing those same two typed calls per read
  (``read_namespaced_deployment`` + ``list_namespaced_pod``). Budget: >= 0.8 of its throughput.
- For reference, raw ``read_namespaced_deployment`` alone (it cannot count pods, so it is half
  the work); reported, not budgeted.

Run: ``.venv/bin/python -m benchmarks.bench_kubernetes``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import yaml

from benchmarks._util import report

READS = 400
ROUNDS = 7
NAMESPACE, NAME, REPLICAS = "bench", "web", 3


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "asyncconsole.cli",
            "testing",
            "kubernetes",
            "--deployment",
            f"{NAMESPACE}/{NAME}={REPLICAS}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"fake API server did not start: {url!r}")
    return proc, url


def write_kubeconfig(url: str, directory: Path) -> Path:
    path = directory / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "bench", "cluster": {"server": url}}],
                "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": "bench"}}],
                "users": [{"name": "bench", "user": {}}],
                "current-context": "bench",
            }
        )
    )
    return path


async def burst(one: Callable[[], Coroutine[Any, Any, object]]) -> float:
    """Reads per second for READS concurrent calls of ``one``."""
    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(READS):
            tg.create_task(one())
    return READS / (time.perf_counter() - started)


async def main() -> int:
    from kubernetes_asyncio import client, config

    from asyncconsole.infra.kubernetes import KubernetesManager

    proc, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_kubeconfig(url, Path(tmp))
            raw_api = await config.new_client_from_config(config_file=str(path))
            async with raw_api, KubernetesManager(kubeconfig=path) as k8s:
                apps, core = client.AppsV1Api(raw_api), client.CoreV1Api(raw_api)

                async def ours() -> object:
                    st = await k8s.get_deployment_status(NAMESPACE, NAME)
                    assert st.running == REPLICAS
                    return st

                async def raw_status() -> object:
                    dep = await apps.read_namespaced_deployment(NAME, NAMESPACE)
                    selector = ",".join(
                        f"{k}={v}" for k, v in sorted(dep.spec.selector.match_labels.items())
                    )
                    pods = await core.list_namespaced_pod(NAMESPACE, label_selector=selector)
                    running = sum(
                        1
                        for p in pods.items
                        if p.metadata.deletion_timestamp is None and p.status.phase == "Running"
                    )
                    assert running == REPLICAS
                    return dep, running

                async def raw_read() -> object:
                    return await apps.read_namespaced_deployment(NAME, NAMESPACE)

                contenders = {"ours": ours, "raw_status": raw_status, "raw_read": raw_read}
                results: dict[str, list[float]] = {k: [] for k in contenders}
                for fn in contenders.values():  # warm-up: connections, caches
                    await burst(fn)
                for _ in range(ROUNDS):
                    for key, fn in contenders.items():
                        results[key].append(await burst(fn))
    finally:
        proc.terminate()  # our own child, by PID
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    ours_rate = statistics.median(results["ours"])
    like_for_like = statistics.median(results["raw_status"])
    single = statistics.median(results["raw_read"])
    ok = ours_rate >= 0.8 * like_for_like
    report(
        f"k8s: {READS} concurrent deployment-status reads vs raw kubernetes_asyncio (deployment + pods)",
        ours_rate,
        like_for_like,
        unit="reads/s",
        budget=">= 0.8",
        ok=ok,
    )
    report(
        f"k8s: {READS} concurrent deployment-status reads vs raw read_namespaced_deployment alone"
        " (reference: half the requests, no pod counts)",
        ours_rate,
        single,
        unit="reads/s",
        budget="none",
        ok=True,
    )
    print(f"(cpu count {os.cpu_count()}, {ROUNDS} rounds, medians)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
