"""Side by side with console_link's CLI (issue 13): whole CLI processes, same config, same peers.

Each row runs whole processes of ``asyncconsole`` and of console_link's ``console`` against the
same migration_services.yaml and the same peers (``benchmarks._peers``: source and target
``FakeOpenSearchServer``, a Prometheus-speaking server, moto for ECS), every peer behind a
:class:`~asyncconsole.testing.DelayLine` adding ``DELAY`` of round trip, as for a cluster in
another region. Round trips (the sequential steps the client waited for, across all peers),
connections and requests are counted at the delay lines; the wall time is the whole process,
start included.

| row | asyncconsole | console_link |
|---|---|---|
| backfill status | ``backfill status --deep-check`` | the same |
| snapshot status | ``snapshot status --deep-check`` | the same |
| full check | ``check`` | ``clusters connection-check``, ``snapshot status``, ``backfill status``, ``replay status``, ``metrics list``, one process after another, as a user would |
| cat-indices | ``clusters cat-indices`` | the same |
| CLI start | ``--help``, no peers, no delay | the same |

Both print their text output (no ``--json``), as a user reads it. Before measuring, every
command runs once unmeasured, with bytecode written to a temporary ``PYTHONPYCACHEPREFIX``
(this process's ``PYTHONDONTWRITEBYTECODE`` is dropped for both), so both start from compiled
modules as an installed package does. The runs of the two sides alternate, so drift on the
machine hits both alike; figures are medians of ``RUNS`` runs (``HELP_RUNS`` for ``--help``).
The ratio is asyncconsole / console_link, for the time and for the round trips. A console_link
command that fails is reported in its row with the end of its stderr. No budget: the figures
are printed, and the exit status is 1 only if an asyncconsole command fails.

console_link is not on PyPI: install it from the opensearch-migrations repository
(``TrafficCapture/dockerSolution/src/main/docker/migrationConsole/lib/console_link``) in a venv
of its own, and name its ``console`` script in ``ASYNCCONSOLE_BENCH_CONSOLE_LINK``; without it
this benchmark prints one line and does nothing. ``--delay SECONDS`` measures one delay instead
of ``DELAYS``; ``--runs N`` changes ``RUNS``.

Run: ``ASYNCCONSOLE_BENCH_CONSOLE_LINK=/path/to/venv/bin/console
.venv/bin/python -m benchmarks.bench_console_link --delay 0.1``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asyncconsole.testing import RoundTrips
from benchmarks._peers import (
    AWS_ENV,
    Count,
    PeersProcess,
    ProcessFailed,
    asyncconsole_cli,
    config_text,
    counted,
    delay_lines,
    peer_env,
    run_process,
)

ENV_VAR = "ASYNCCONSOLE_BENCH_CONSOLE_LINK"
DELAYS = (0.02, 0.1)
RUNS = 3
HELP_RUNS = 5
STDERR_TAIL = 300

Commands = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Row:
    """One comparison: the commands each CLI runs, one process after another, per run."""

    name: str
    ours: Commands
    theirs: Commands
    config: bool = True  # pass --config-file


ROWS = (
    Row(
        "backfill status --deep-check",
        (("backfill", "status", "--deep-check"),),
        (("backfill", "status", "--deep-check"),),
    ),
    Row(
        "snapshot status --deep-check",
        (("snapshot", "status", "--deep-check"),),
        (("snapshot", "status", "--deep-check"),),
    ),
    Row(
        "full check (check | 5 commands)",
        (("check",),),
        (
            ("clusters", "connection-check"),
            ("snapshot", "status"),
            ("backfill", "status"),
            ("replay", "status"),
            ("metrics", "list"),
        ),
    ),
    Row("clusters cat-indices", (("clusters", "cat-indices"),), (("clusters", "cat-indices"),)),
)
HELP_ROW = Row("CLI start (--help, no delay)", (("--help",),), (("--help",),), config=False)


@dataclass(frozen=True)
class Cli:
    """One CLI: the program to run and its environment."""

    name: str
    program: list[str]
    env: dict[str, str]

    def run(self, config: Path | None, commands: Commands) -> Callable[[], Awaitable[None]]:
        """Run ``commands`` as whole processes, one after another."""
        options = ["--config-file", str(config)] if config is not None else []

        async def run() -> None:
            for args in commands:
                await run_process([*self.program, *options, *args], self.env)

        return run


def clis(console_link: Path, urls: dict[str, str], cache: Path) -> tuple[Cli, Cli]:
    """asyncconsole and console_link, for the peers at ``urls``, compiled modules kept in ``cache``."""
    env = peer_env(urls)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    theirs = dict(env)
    theirs.pop("PYTHONPATH", None)  # ours may point at a source tree; console_link has its venv
    return (
        Cli("asyncconsole", asyncconsole_cli(), env),
        Cli("console_link", [str(console_link)], theirs),
    )


@dataclass
class Outcome:
    """One CLI's runs of one row, or the run that failed."""

    count: Count = field(default_factory=lambda: Count([], [], [], []))
    failure: ProcessFailed | None = None


async def measure_row(
    row: Row, sides: Sequence[Cli], config: Path, counter: RoundTrips, runs: int
) -> list[Outcome]:
    """``runs`` rounds, each running both sides once (alternating which goes first)."""
    outcomes = [Outcome() for _ in sides]
    order = list(zip(sides, (row.ours, row.theirs), outcomes, strict=True))
    for n in range(runs):
        for cli, commands, outcome in order if n % 2 == 0 else reversed(order):
            if outcome.failure is not None:
                continue
            try:
                one = await counted(counter, cli.run(config if row.config else None, commands), 1)
            except ProcessFailed as failed:
                outcome.failure = failed
                continue
            outcome.count.round_trips += one.round_trips
            outcome.count.connections += one.connections
            outcome.count.requests += one.requests
            outcome.count.seconds += one.seconds
    return outcomes


def _figures(outcome: Outcome) -> str:
    failed = outcome.failure
    if failed is not None:
        tail = failed.stderr.decode(errors="replace").strip()[-STDERR_TAIL:]
        tail = "; ".join(line.strip() for line in tail.splitlines() if line.strip())
        command = " ".join(
            Path(failed.argv[0]).name if i == 0 else a for i, a in enumerate(failed.argv)
        )
        return f"FAILED: {command} exited {failed.returncode}, stderr: {tail or '(empty)'}"
    count = outcome.count
    return (
        f"{statistics.median(count.seconds):.3f} s, "
        f"{statistics.median(count.round_trips):g} round trips "
        f"({statistics.median(count.connections):g} connections, "
        f"{statistics.median(count.requests):g} requests)"
    )


def _ratio(
    ours: Outcome, theirs: Outcome, figure: Callable[[Count], list[float] | list[int]]
) -> str:
    if ours.failure is not None or theirs.failure is not None:
        return "-"
    base = statistics.median(figure(theirs.count))
    return f"{statistics.median(figure(ours.count)) / base:.2f}" if base else "-"


def report(name: str, ours: Outcome, theirs: Outcome) -> None:
    print(
        f"{name}: asyncconsole {_figures(ours)} | console_link {_figures(theirs)} | ratio "
        f"time {_ratio(ours, theirs, lambda c: c.seconds)}, "
        f"round trips {_ratio(ours, theirs, lambda c: c.round_trips)}",
        flush=True,
    )


async def warm_up(console_link: Path, ports: dict[str, int], workdir: Path) -> None:
    """Run every command of both sides once, unmeasured, straight to the peers."""
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    config = workdir / "warm_up.yaml"
    config.write_text(config_text(urls, "/snapshots"))
    ours, theirs = clis(console_link, urls, workdir / "pycache")
    for row in (HELP_ROW, *ROWS):
        for cli, commands in ((ours, row.ours), (theirs, row.theirs)):
            for args in commands:
                try:
                    await cli.run(config if row.config else None, (args,))()
                except ProcessFailed:
                    pass  # reported when measured


async def measure(
    console_link: Path, ports: dict[str, int], delays: Sequence[float], runs: int, workdir: Path
) -> bool:
    await warm_up(console_link, ports, workdir)
    cache = workdir / "pycache"
    ok = True
    print(f"asyncconsole vs console_link ({console_link}), whole CLI processes", flush=True)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    sides = clis(console_link, urls, cache)
    ours, theirs = await measure_row(HELP_ROW, sides, workdir, RoundTrips(), HELP_RUNS)
    print(f"-- no delay, median of {HELP_RUNS} runs", flush=True)
    report(HELP_ROW.name, ours, theirs)
    ok &= ours.failure is None
    for delay in delays:
        async with delay_lines(ports, delay) as (counter, urls):
            config = workdir / "migration_services.yaml"
            config.write_text(config_text(urls, "/snapshots"))
            sides = clis(console_link, urls, cache)
            print(
                f"-- delay lines of {delay * 1000:g} ms per round trip, median of {runs} runs",
                flush=True,
            )
            for row in ROWS:
                ours, theirs = await measure_row(row, sides, config, counter, runs)
                report(row.name, ours, theirs)
                ok &= ours.failure is None
    return ok


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def main(argv: list[str]) -> int:
    console = os.environ.get(ENV_VAR, "")
    if not console or not os.access(console, os.X_OK) or not Path(console).is_file():
        why = "not set" if not console else f"{console!r}, not an executable file"
        print(
            f"bench_console_link: skipped, {ENV_VAR} is {why}; set it to console_link's "
            f"`console` script ({ENV_VAR}=/path/to/venv/bin/console) to compare the CLIs",
            flush=True,
        )
        return 0
    delay = _option(argv, "--delay")
    delays = (float(delay),) if delay is not None else DELAYS
    runs = int(_option(argv, "--runs") or RUNS)
    for key, value in AWS_ENV.items():
        os.environ.setdefault(key, value)
    peers = PeersProcess()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ok = asyncio.run(measure(Path(console), peers.ports, delays, runs, Path(tmp)))
    finally:
        peers.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
