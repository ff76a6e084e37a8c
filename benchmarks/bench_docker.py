"""Starting 20 containers: DockerEngineManager vs raw aiodocker, and vs the docker CLI in a loop.

Budgets: DockerEngineManager (20 concurrent ``run_container``) <= 1.15 x raw aiodocker doing the
same concurrently (``containers.run`` with the same config on one client), and <= 0.6 x the same
20 started one after another with ``docker run -d`` (console_link's era of tooling).

Needs a running dockerd; the busybox image is made locally if missing. Every container carries a
benchmark label and is removed after each round (and at the end, whatever happens). Rounds
interleave the three ways (rotating who goes first) so drift on a shared machine hits
them alike.
Run: ``.venv/bin/python -m benchmarks.bench_docker``.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asyncconsole.infra.docker import DockerEngineManager
from asyncconsole.infra.docker._busybox import ensure_busybox_image

CONTAINERS = 20
ROUNDS = 5
COMMAND = ["sleep", "600"]
LABEL = "asyncconsole.bench"


async def main() -> int:
    cli = shutil.which("docker")
    run_id = uuid.uuid4().hex[:12]
    labels = {LABEL: run_id}
    async with DockerEngineManager() as docker:
        try:
            await docker.ping()
        except Exception as exc:
            print(f"bench_docker: skipped, no Docker daemon ({exc})", flush=True)
            return 0
        image = await ensure_busybox_image(docker)
        import aiodocker

        async with aiodocker.Docker(url=docker.url) as raw:
            await raw.version()  # negotiate the API version outside the timings

            async def ours() -> None:
                async with asyncio.TaskGroup() as tg:
                    for _ in range(CONTAINERS):
                        tg.create_task(docker.run_container(image, COMMAND, labels=labels))

            async def raw_aiodocker() -> None:
                config: dict[str, Any] = {"Image": image, "Cmd": COMMAND, "Labels": labels}
                async with asyncio.TaskGroup() as tg:
                    for _ in range(CONTAINERS):
                        tg.create_task(raw.containers.run(config))

            async def docker_cli() -> None:
                assert cli is not None
                for _ in range(CONTAINERS):
                    subprocess.run(  # noqa: ASYNC221 (the blocking baseline, on purpose)
                        [cli, "run", "-d", "--label", f"{LABEL}={run_id}", image, *COMMAND],
                        check=True,
                        stdout=subprocess.DEVNULL,
                    )

            async def clean() -> None:
                found = await docker.list_containers(labels=labels, all=True)
                async with asyncio.TaskGroup() as tg:
                    for info in found:
                        tg.create_task(docker.remove_container(info.id, force=True))

            ways: dict[str, Callable[[], Awaitable[None]]] = {
                "asyncconsole": ours,
                "aiodocker": raw_aiodocker,
            }
            if cli is not None:
                ways["cli"] = docker_cli
            times: dict[str, list[float]] = {name: [] for name in ways}
            try:
                await ours()  # warm up: image layers, daemon caches, connection pool
                await clean()
                names = list(ways)
                for round_no in range(ROUNDS):
                    # Rotate who goes first: the daemon may still be tidying the last round.
                    shift = round_no % len(names)
                    for name in names[shift:] + names[:shift]:
                        way = ways[name]
                        t0 = time.perf_counter()
                        await way()
                        times[name].append(time.perf_counter() - t0)
                        await clean()
            finally:
                await clean()

    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, ts in times.items():
        print(f"  {name}: rounds {', '.join(f'{t:.2f}s' for t in ts)}", flush=True)
    ours_s = medians["asyncconsole"]
    # Verdicts use the median of per-round ratios: within a round the ways run back to back,
    # so the daemon's drift over the run (vfs storage, its own housekeeping) hits them alike.
    baselines = [("aiodocker", "raw aiodocker", 1.15)]
    if "cli" in times:
        baselines.append(("cli", "`docker run -d` one after another", 0.6))
    else:
        print("  docker CLI not on PATH: CLI baseline skipped", flush=True)
    for key, label, budget in baselines:
        paired = statistics.median(
            o / b for o, b in zip(times["asyncconsole"], times[key], strict=True)
        )
        print(
            f"start {CONTAINERS} containers concurrently vs {label}: medians asyncconsole "
            f"{ours_s:.3f} s | baseline {medians[key]:.3f} s (ratio {ours_s / medians[key]:.3f}); "
            f"median per-round ratio {paired:.3f} (budget <= {budget}) "
            f"{'PASS' if paired <= budget else 'MISS'}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
