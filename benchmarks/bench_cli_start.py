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
``python -c pass``'s.

Run: ``.venv/bin/python -m benchmarks.bench_cli_start``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._peers import AWS_ENV, PeersProcess, asyncconsole_cli, config_text

RUNS = 15
HELP_BUDGET = 0.150
COMMAND_BUDGET = 0.300

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
        env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": urls["aws"]}
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "small.yaml"
            small.write_text(SMALL_CONFIG.format(**urls))
            full = Path(tmp) / "full.yaml"
            full.write_text(config_text(urls, tmp))
            cli = asyncconsole_cli()
            cases: dict[str, tuple[list[str], float | None]] = {
                "python -c pass": ([sys.executable, "-c", "pass"], None),
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
    print(
        f"whole-process start, median of {RUNS} interleaved runs; python -c pass {base * 1000:.0f} ms"
    )
    ok = True
    for name, (_, budget) in cases.items():
        if budget is None and name == "python -c pass":
            continue
        median = statistics.median(times[name])
        verdict = "printed"
        if budget is not None:
            passed = median <= budget
            ok &= passed
            verdict = f"budget <= {budget * 1000:.0f} ms {'PASS' if passed else 'MISS'}"
        print(
            f"{name}: asyncconsole {median * 1000:.0f} ms | baseline python -c pass "
            f"{base * 1000:.0f} ms | ratio {median / base:.2f} ({verdict})",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
