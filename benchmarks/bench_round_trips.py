"""Round trips of issue 13's operations, counted at a delay line, against their minimum.

Every peer sits behind a :class:`~asyncconsole.testing.DelayLine` adding ``DELAY`` of round
trip (to each connection's handshake and each request), as for a cluster in another region;
the lines share one counter, so a round trip is one sequential step in which the client waited
for answers, across all its peers. The peers (source and target ``FakeOpenSearchServer``, a
Prometheus-speaking server, moto for ECS) run in a child process (``benchmarks._peers``).

| operation | minimum |
|---|---|
| ``backfill status --deep-check``, fresh CLI process | 2: the connections, then one step |
| the same, warm library (``await env.backfill.status(deep=True)`` again) | 1 |
| ``snapshot status --deep-check``, warm library | 1 |
| full check (``await env.check()``), warm library | 1 |
| ``asyncconsole check``, fresh CLI process | 2 |

Budget: each equals its minimum (the median of ``_peers.RUNS`` runs). Wall times are printed too.
``--delay SECONDS`` changes the delay; ``--peers`` only starts the peers and prints their
addresses (``{"source": port, ...}``) until stdin closes, for measuring other clients.

Run: ``.venv/bin/python -m benchmarks.bench_round_trips``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from asyncconsole import Environment
from asyncconsole.environment import Infrastructure
from benchmarks._peers import (
    AWS_ENV,
    Count,
    PeersProcess,
    config_text,
    counted,
    delay_lines,
    fresh_cli,
)

DELAY = 0.1


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
    raise SystemExit(main(sys.argv[1:]))
