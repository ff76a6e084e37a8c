"""Whole-process CLI start: each command run as a new ``asyncconsole`` process, side by side
with ``python -c pass`` (the interpreter's own start), runs interleaved so drift hits all alike.

| command | budget (whole process, median) |
|---|---|
| ``asyncconsole --version``, ``asyncconsole --help`` | <= 150 ms |
| ``check``, ``clusters cat-indices``, ``clusters connection-check`` on a two-cluster config | <= 300 ms |
| ``check`` on the full config (clusters, Prometheus, snapshot, ECS backfill and replay) | printed |

The peers (two ``FakeOpenSearchServer``, a Prometheus-speaking server, moto) run in a child
process (``benchmarks._peers``), without delay: what is measured is the client's
start, imports and its own work. The ratio printed is the command's median over
``python -c pass``'s. A second reference, ``the stack alone``, is a process that only imports
what a command needs underneath asyncconsole (asyncio, aiohttp, pydantic, rich, yaml, click):
the floor no command that talks HTTP can go below with these libraries; each command's time
above it is asyncconsole's own (its imports, the config, the calls, the output). Two parts of
that floor are printed alone: ``import aiohttp`` and ``from pydantic import BaseModel``. Like
the script while a command starts, these references run with the garbage collector held off.

Run: ``.venv/bin/python -m benchmarks.bench_cli_start``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._peers import PeersProcess, asyncconsole_cli, config_text, peer_env

RUNS = 15
HELP_BUDGET = 0.150
COMMAND_BUDGET = 0.300

# The collector held off, as the script holds it while a command starts (cli/_collector.py).
HELD = "import gc\ngc.disable()\n"
STACK = (
    f"{HELD}import asyncio, aiohttp, click, pydantic, rich.console, rich.table, yaml\n"
    "from pydantic import BaseModel"
)
REFERENCES = ("python -c pass", "the stack alone", "aiohttp alone", "pydantic alone")
SMALL_CONFIG = """\
source_cluster:
  endpoint: {source}
  version: ES_7.10
  no_auth:
target_cluster:
  endpoint: {target}
  no_auth:
"""


def _seconds(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-400:]!r}")
    return elapsed


def main() -> int:
    peers = PeersProcess()
    try:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in peers.ports.items()}
        env = peer_env(urls)  # bytecode written, as an installed package has it
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "small.yaml"
            small.write_text(SMALL_CONFIG.format(**urls))
            full = Path(tmp) / "full.yaml"
            full.write_text(config_text(urls, tmp))
            cli = asyncconsole_cli()
            cases: dict[str, tuple[list[str], float | None]] = {
                "python -c pass": ([sys.executable, "-c", "pass"], None),
                "the stack alone": ([sys.executable, "-c", STACK], None),
                "aiohttp alone": ([sys.executable, "-c", f"{HELD}import aiohttp"], None),
                "pydantic alone": (
                    [sys.executable, "-c", f"{HELD}from pydantic import BaseModel"],
                    None,
                ),
                "--version": ([*cli, "--version"], HELP_BUDGET),
                "--help": ([*cli, "--help"], HELP_BUDGET),
                "check (two clusters)": (
                    [*cli, "--config-file", str(small), "check"],
                    COMMAND_BUDGET,
                ),
                "clusters cat-indices (two clusters)": (
                    [*cli, "--config-file", str(small), "clusters", "cat-indices"],
                    COMMAND_BUDGET,
                ),
                "clusters connection-check (two clusters)": (
                    [*cli, "--config-file", str(small), "clusters", "connection-check"],
                    COMMAND_BUDGET,
                ),
                "check (full config)": ([*cli, "--config-file", str(full), "check"], None),
            }
            for argv, _ in cases.values():  # warm the page cache and .pyc files
                _seconds(argv, env)
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(RUNS):
                for name, (argv, _) in cases.items():
                    times[name].append(_seconds(argv, env))
    finally:
        peers.close()
    base = statistics.median(times["python -c pass"])
    stack = statistics.median(times["the stack alone"])
    print(
        f"whole-process start, median of {RUNS} interleaved runs; python -c pass "
        f"{base * 1000:.0f} ms; the stack alone {stack * 1000:.0f} ms (aiohttp alone "
        f"{statistics.median(times['aiohttp alone']) * 1000:.0f} ms, pydantic alone "
        f"{statistics.median(times['pydantic alone']) * 1000:.0f} ms)"
    )
    ok = True
    for name, (argv, budget) in cases.items():
        if name in REFERENCES:
            continue
        median = statistics.median(times[name])
        verdict = "printed"
        if budget is not None:
            passed = median <= budget
            ok &= passed
            verdict = f"budget <= {budget * 1000:.0f} ms {'PASS' if passed else 'MISS'}"
        # --help and --version need none of the stack: their reference is the interpreter
        floor = base if "--" in argv[-1] else stack
        print(
            f"{name}: asyncconsole {median * 1000:.0f} ms | baseline "
            f"{'python -c pass' if floor is base else 'the stack alone'} {floor * 1000:.0f} ms "
            f"| ratio {median / floor:.2f} | above the floor {(median - floor) * 1000:.0f} ms "
            f"({verdict})",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
