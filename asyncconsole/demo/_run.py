"""The scripted migration ``asyncconsole demo`` runs live, through the real SDK clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import AsyncConsoleError, OperationTimeoutError
from ._environment import (
    BACKFILL_DEPLOYMENT,
    NAMESPACE,
    REPLAY_DEPLOYMENT,
    DemoEnvironment,
    docker_unavailable_reason,
)
from ._render import (
    CheckBoard,
    format_eta,
    index_comparison_table,
    indices_table,
    metrics_table,
)
from ._sample import SAMPLE_INDICES

if TYPE_CHECKING:
    from rich.console import Console

    from ..environment import Environment
    from ..orchestrator import Outcome, Report
    from ..serve import DashboardServer, DashboardSettings
    from ..services.backfill import BackfillStatusReport

__all__ = ["DemoScript", "cli_command", "run_demo"]

_log = logging.getLogger("asyncconsole.demo")

SCALE_UP_AT = 30.0
"""Percent done at which the demo scales the backfill from its configured 2 workers to 4."""
SCALED_WORKERS = 4
STEP_TIMEOUT = 180.0
"""Seconds any one step may take before the demo gives up (generous: loaded machines)."""


class StepFailed(Exception):
    """A demo step found something wrong (its message is the one-line reason)."""


class DemoScript:
    """The demo's steps against an open :class:`DemoEnvironment` and its ``Environment``.

    Each step prints what it does and returns a one-line detail; :meth:`run` records an
    :class:`~asyncconsole.Outcome` per step and stops at the first failure.
    """

    def __init__(
        self, demo: DemoEnvironment, env: Environment, console: Console, *, poll: float = 0.4
    ) -> None:
        self.demo = demo
        self.env = env
        self.console = console
        self.poll = poll
        self.outcomes: list[Outcome] = []
        self.final_backfill: BackfillStatusReport | None = None
        self.archive: Path | None = None

    @property
    def steps(self) -> list[tuple[str, str, Callable[[], Awaitable[str]]]]:
        """``(name, title, step)`` in order (``autoscale`` only when the environment has its
        settings)."""
        steps: list[tuple[str, str, Callable[[], Awaitable[str]]]] = [
            ("check", "Check every component at once", self.check),
            ("source", "Look at the source cluster", self.source),
            ("snapshot", "Snapshot the source", self.snapshot),
            ("metadata", "Create the indices on the target", self.metadata),
            ("backfill", "Backfill: start, scale, follow until complete", self.backfill),
            ("verify", "Compare documents on source and target", self.verify),
            ("metrics", "Read metrics", self.metrics),
            ("replay", "Replayer: start, status, stop", self.replay),
            ("stop", "Stop the backfill and archive its working state", self.stop),
        ]
        if self.demo.autoscale is not None:
            steps.insert(
                6,
                (
                    "autoscale",
                    "Autoscaled backfill: find the workers the target absorbs",
                    self.autoscale,
                ),
            )
        return steps

    async def run(self) -> Report:
        """Run every step; the report has one outcome per step that ran."""
        from ..orchestrator import Outcome, OutcomeStatus, Report, describe_error

        steps = self.steps
        for number, (name, title, step) in enumerate(steps, 1):
            self.console.rule(f"[b]{number}/{len(steps)}[/b] {title}", align="left")
            started = time.monotonic()
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    detail = await step()
            except (AsyncConsoleError, StepFailed, TimeoutError, OSError, ValueError) as exc:
                error: BaseException = exc
                if isinstance(exc, TimeoutError) and not isinstance(exc, AsyncConsoleError):
                    error = OperationTimeoutError(f"{name} took longer than {STEP_TIMEOUT:g}s")
                outcome = Outcome(
                    name,
                    OutcomeStatus.FAILED,
                    error=error,
                    duration=time.monotonic() - started,
                    attempts=1,
                    detail=describe_error(error),
                )
                self.outcomes.append(outcome)
                self.console.print(f"[bold red]✗ {name} failed:[/bold red] {outcome.detail}")
                break
            outcome = Outcome(
                name,
                OutcomeStatus.OK,
                value=detail,
                duration=time.monotonic() - started,
                attempts=1,
                detail=detail,
            )
            self.outcomes.append(outcome)
            self.console.print(f"[green]✓[/green] {detail}")
        return Report(self.outcomes, title="Demo steps")

    # -- steps ----------------------------------------------------------------------------------

    async def check(self) -> str:
        from rich.live import Live

        board = CheckBoard(self.env.components)
        if self.console.is_terminal:
            with Live(board, console=self.console, refresh_per_second=10):
                report = await self.env.check(on_event=board.on_event)
        else:
            report = await self.env.check(on_event=board.on_event)
            self.console.print(board)
        if not report.ok:
            raise StepFailed(f"components not healthy: {', '.join(report.failed)}")
        return f"{len(report)} components healthy, checked concurrently"

    async def source(self) -> str:
        assert self.env.source_cluster is not None
        indices = await self.env.source_cluster.cat_indices(refresh=True)
        self.console.print(indices_table("Source indices (_cat/indices)", indices))
        visible = [i for i in indices if not i.index.startswith(".")]
        docs = sum(i.docs_count or 0 for i in visible)
        return f"{len(visible)} indices, {docs:,} documents on the source"

    async def snapshot(self) -> str:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        snapshot = self.env.snapshot
        assert snapshot is not None
        progress = Progress(
            TextColumn("snapshot [b]{task.fields[name]}[/b]"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[state]} · {task.fields[shards]}"),
            console=self.console,
        )
        task = progress.add_task("snapshot", total=100, name=snapshot.name, state="", shards="")

        def show(status: Any) -> None:
            progress.update(
                task,
                completed=status.percentage_completed,
                state=status.state or "",
                shards=f"{status.shard_complete}/{status.shard_total} shards",
            )

        with progress:
            created = await snapshot.create(
                wait=True, poll_interval=self.poll, on_progress=show, replace=True
            )
        status = created.status
        assert status is not None
        seconds = (status.elapsed_ms or 0) / 1000
        return (
            f"snapshot {created.snapshot} in repository {created.repository}: {status.state}, "
            f"{status.shard_total} shards in {seconds:.1f} s"
        )

    async def metadata(self) -> str:
        source, target = self.env.source_cluster, self.env.target_cluster
        assert source is not None
        assert target is not None

        async def copy(name: str) -> None:
            found = (await source.call_api(f"/{name}")).json()[name]
            settings = found.get("settings", {}).get("index", {})
            body = {
                "settings": {"number_of_shards": int(settings.get("number_of_shards", 1))},
                "mappings": found.get("mappings", {}),
            }
            await target.call_api(f"/{name}", "PUT", json=body)

        async with asyncio.TaskGroup() as tg:
            for index in SAMPLE_INDICES:
                tg.create_task(copy(index.name))
        self.console.print(
            "The metadata-migration tool is not part of the demo: its step is shown with the "
            "SDK's own calls (settings and mappings read from the source, indices created on "
            "the target, concurrently)."
        )
        return f"{len(SAMPLE_INDICES)} indices created on the target with the source's mappings"

    async def backfill(self) -> str:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        backfill = self.env.backfill
        assert backfill is not None
        workers = {
            "simulated": f"simulated workers (ready pods of {NAMESPACE}/{BACKFILL_DEPLOYMENT} "
            "on the fake Kubernetes API server complete work items)",
            "docker": f"real Docker containers ({self.demo.docker_image}, host network, each "
            "a busybox loop leasing and completing work items)",
        }[self.demo.worker_mode]
        self.console.print(f"Workers: {workers}")
        started = time.monotonic()
        await backfill.start()
        self.console.print(
            f"Started the backfill with {backfill.rfs.scale} workers ({backfill.kind})."
        )
        progress = Progress(
            TextColumn("backfill"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[items]}"),
            TextColumn("workers {task.fields[workers]}"),
            TextColumn("ETA {task.fields[eta]}"),
            TextColumn("[dim]{task.fields[state]}"),
            console=self.console,
        )
        task = progress.add_task("backfill", total=100, items="", workers="", eta="-", state="")
        scaled = False
        with progress:
            while True:
                report = await backfill.status(deep=True)
                deep = report.deep
                counts = report.counts
                percent = deep.percentage_completed if deep is not None else 0.0
                items = (
                    f"{deep.shard_complete}/{deep.shard_total} items"
                    if deep is not None and deep.shard_total is not None
                    else "waiting for shard setup"
                )
                progress.update(
                    task,
                    completed=percent,
                    items=items,
                    workers=f"{counts.running}/{counts.desired}",
                    eta=format_eta(deep.eta_ms if deep is not None else None),
                    state=deep.status.value if deep is not None else report.deep_error or "",
                )
                if deep is not None and deep.status.value in ("Completed", "CompletedWithErrors"):
                    self.final_backfill = report
                    break
                if not scaled and percent >= SCALE_UP_AT:
                    await backfill.scale(SCALED_WORKERS)
                    scaled = True
                    progress.console.print(
                        f"{percent:.0f}% done: scaled the backfill to {SCALED_WORKERS} workers"
                    )
                await asyncio.sleep(self.poll)
        took = time.monotonic() - started
        deep = self.final_backfill.deep
        assert deep is not None
        return (
            f"{deep.shard_complete}/{deep.shard_total} work items completed "
            f"({deep.percentage_completed:.0f}%) by {self.demo.worker_mode} workers in {took:.1f} s"
        )

    async def autoscale(self) -> str:
        from ._autoscale import autoscaled_backfill

        assert self.demo.autoscale is not None
        return await autoscaled_backfill(self.demo, self.env, self.console, self.demo.autoscale)

    async def verify(self) -> str:
        source, target = self.env.source_cluster, self.env.target_cluster
        assert source is not None
        assert target is not None
        # The demo copies an item's documents shortly after a worker completes it; catch up
        # with the last items first (a real RFS worker writes them before completing).
        self.demo.mirror.step()
        async with asyncio.TaskGroup() as tg:
            theirs = tg.create_task(source.cat_indices(refresh=True))
            ours = tg.create_task(target.cat_indices(refresh=True))
        wanted = {index.name for index in SAMPLE_INDICES}
        source_docs = {i.index: i.docs_count or 0 for i in theirs.result() if i.index in wanted}
        target_docs = {i.index: i.docs_count or 0 for i in ours.result() if i.index in wanted}
        self.console.print(index_comparison_table(source_docs, target_docs))
        missing = {name for name, count in source_docs.items() if target_docs.get(name) != count}
        if missing:
            raise StepFailed(f"document counts differ for {', '.join(sorted(missing))}")
        return f"all {sum(target_docs.values()):,} documents are on the target"

    async def metrics(self) -> str:
        metrics = self.env.metrics
        assert metrics is not None
        names = await metrics.list()
        wanted = [
            ("captureProxy", "kafkaSendCount"),
            ("replayer", "kafkaCommitCount"),
            ("replayer", "bytesWrittenToTarget"),
        ]
        async with asyncio.TaskGroup() as tg:
            fetches = [
                tg.create_task(metrics.get_data(component, name, "Average", 10, 60))
                for component, name in wanted
            ]
        series = [s for fetch in fetches for s in fetch.result()]
        self.console.print(metrics_table(series))
        listed = ", ".join(f"{component}: {len(found)}" for component, found in names.items())
        return f"{names.total} metrics listed ({listed}); 3 series read concurrently"

    async def _wait_replay(self, state: str) -> Any:
        replay = self.env.replay
        assert replay is not None
        while True:
            status = await replay.status()
            if status.status.value == state:
                return status
            await asyncio.sleep(self.poll / 2)

    async def replay(self) -> str:
        replay = self.env.replay
        assert replay is not None
        await replay.start()
        running = await self._wait_replay("RUNNING")
        self.console.print(f"[b]{running.status}[/b]  {running.message}")
        await replay.stop()
        stopped = await self._wait_replay("STOPPED")
        self.console.print(f"[b]{stopped.status}[/b]  {stopped.message}")
        return (
            f"replayer {NAMESPACE}/{REPLAY_DEPLOYMENT} ran "
            f"{running.counts.running} pod and stopped again"
        )

    async def stop(self) -> str:
        backfill = self.env.backfill
        assert backfill is not None
        archive = await backfill.stop(
            poll_interval=self.poll, timeout=STEP_TIMEOUT / 2, path=self.demo.archive_dir
        )
        counts = await backfill.workers.counts()
        if not counts.idle:
            raise StepFailed(f"backfill workers remain after stop: {counts.to_dict()}")
        self.archive = archive
        where = (
            f"archived to {archive.relative_to(self.demo.workdir)} in the workdir"
            if archive is not None
            else "was not there to archive"
        )
        return f"backfill workers gone; working state {where}"


def _console(json_output: bool, interactive: bool | None) -> Console:
    from rich.console import Console

    if json_output:
        return Console(stderr=True, quiet=True)
    if interactive is None:
        return Console()
    return Console(force_terminal=interactive, force_interactive=interactive)


async def run_demo(
    *,
    keep_running: bool = False,
    use_docker: bool | None = None,
    workdir: Path | str | None = None,
    console: Console | None = None,
    speed: float = 1.0,
    json_output: bool = False,
    interactive: bool | None = None,
    verbose: int = 0,
    on_done: Callable[[Report], None] | None = None,
    autoscale: bool = False,
    serve: DashboardSettings | None = None,
    script: bool = True,
    on_serving: Callable[[DashboardServer], None] | None = None,
) -> int:
    """Start the demo environment on 127.0.0.1 and run a short migration on it, live.

    Args:
        keep_running: After the run, keep the environment up until cancelled (Ctrl-C), so
            other commands can use the printed config file.
        use_docker: Run the backfill on real Docker containers (``True``: fail if no daemon),
            simulated workers (``False``), or Docker when a daemon is reachable (``None``).
        workdir: Where to write the config file, kubeconfig and archive (kept); default a
            temporary directory removed at the end.
        console: Where to draw (default: a new rich console on stdout).
        speed: Time factor for the simulated parts (2.0 is twice as fast).
        json_output: Print only a JSON summary of the steps on stdout.
        interactive: Force live drawing on or off (default: when stdout is a terminal).
        verbose: ``>= 2`` logs the SDK's operations.
        on_done: Called with the steps' report when the run has ended (before waiting, with
            ``keep_running``).
        autoscale: Add the autoscaled backfill step: a target with a write capacity, simulated
            workers loading it through ``_bulk``, and the autoscaler finding how many it absorbs.
        serve: Serve the dashboard (``asyncconsole serve``) on the demo's environment with
            these settings, from before the run until cancelled (implies ``keep_running``).
        script: Run the scripted migration; ``False`` (with ``serve``) leaves the migration
            to be driven from the dashboard.
        on_serving: Called with the dashboard's server once it listens.

    Returns:
        The exit code: 0 when every step succeeded, 1 otherwise.
    """
    console = console if console is not None else _console(json_output, interactive)
    if verbose >= 2:
        logging.basicConfig(level=logging.INFO)
    if use_docker is False:
        docker, why = False, "--no-docker given"
    else:
        reason = await docker_unavailable_reason()
        if reason is not None and use_docker:
            message = f"demo: Docker workers were asked for but cannot run: {reason}"
            console.print(f"[bold red]{message}[/bold red]")
            if json_output:
                print(json.dumps({"ok": False, "error": message}, indent=2))
            return 1
        docker, why = reason is None, reason or ""
    report: Report | None = None
    try:
        async with DemoEnvironment(
            workdir=workdir, use_docker=docker, speed=speed, autoscale=autoscale
        ) as demo:
            _print_header(console, demo, why, kept=workdir is not None)
            async with demo.environment() as env, contextlib.AsyncExitStack() as stack:
                dashboard: DashboardServer | None = None
                if serve is not None:
                    from ..serve import DashboardServer

                    dashboard = await stack.enter_async_context(DashboardServer(env, serve))
                    _print_dashboard(console, dashboard, scripted=script)
                    if on_serving is not None:
                        on_serving(dashboard)
                if script:
                    steps = DemoScript(demo, env, console, poll=max(0.05, 0.4 / max(speed, 1.0)))
                    report = await steps.run()
                    console.print()
                    console.print(report)
                else:
                    from ..orchestrator import Report

                    report = Report((), title="Demo steps")
                if report.ok and script:
                    console.print(
                        f"[bold green]Demo complete[/bold green]: migrated {len(SAMPLE_INDICES)} "
                        f"indices with {demo.worker_mode} workers; stopping everything."
                        if not (keep_running or dashboard)
                        else "[bold green]Demo complete.[/bold green]"
                    )
                if json_output:
                    print(json.dumps(_summary(demo, report, dashboard), indent=2), flush=True)
                if on_done is not None:
                    on_done(report)
                if (keep_running or dashboard is not None) and report.ok:
                    _print_keep_running(console, demo)
                    await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    except AsyncConsoleError as exc:
        console.print(f"[bold red]demo failed:[/bold red] {exc}")
        if json_output:
            print(json.dumps({"ok": False, "error": str(exc)}, indent=2))
        return 1
    if report is None:
        return 1
    if not json_output and report.ok:
        console.print("Everything stopped: servers closed, workers and containers removed.")
    return report.exit_code


def _print_dashboard(console: Console, server: DashboardServer, *, scripted: bool) -> None:
    console.print()
    console.print("[b]Dashboard[/b] (this address carries the run's token; actions need it):")
    console.print(f"  {server.url}", soft_wrap=True, highlight=False, markup=False)
    if not scripted:
        console.print(
            "No scripted run: drive the migration from the page (Backfill: Start, Scale...)."
        )
    console.print()


def _summary(
    demo: DemoEnvironment, report: Report, dashboard: DashboardServer | None = None
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if dashboard is not None:
        extra["dashboard"] = {"url": dashboard.url, "token": dashboard.settings.token}
    return {
        **extra,
        "ok": report.ok,
        "worker_mode": demo.worker_mode,
        "config_file": str(demo.config_path),
        "steps": report.to_dict()["components"],
    }


def _print_header(
    console: Console, demo: DemoEnvironment, why_not_docker: str, *, kept: bool
) -> None:
    from rich.table import Table

    docs = sum(index.docs for index in SAMPLE_INDICES)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row(
        "source",
        f"{demo.source.url}  fake Elasticsearch 7.10 with {len(SAMPLE_INDICES)} indices, {docs:,} documents",
    )
    table.add_row("target", f"{demo.target.url}  fake OpenSearch 2.15")
    table.add_row(
        "kubernetes",
        f"{demo.kube.url}  fake API server: {NAMESPACE}/{BACKFILL_DEPLOYMENT}, {NAMESPACE}/{REPLAY_DEPLOYMENT}",
    )
    table.add_row("metrics", f"{demo.prometheus.url}  in-process Prometheus HTTP API")
    if demo.worker_mode == "docker":
        workers = f"real Docker containers ({demo.docker_image})"
    else:
        workers = "simulated (completed in proportion to ready pods)"
        if why_not_docker:
            workers += f"; Docker not used: {why_not_docker}"
    table.add_row("backfill workers", workers)
    table.add_row(
        "config file",
        f"{demo.config_path}" + ("" if kept else "  (removed at exit; --workdir keeps it)"),
    )
    console.rule("[b]asyncconsole demo[/b]: a live migration on 127.0.0.1", align="left")
    console.print(table)


def cli_command() -> str:
    """How to run this installation's ``asyncconsole`` from any shell: the script next to
    the running interpreter (a virtualenv's ``bin``, which a fresh shell has not activated),
    else ``python -m asyncconsole.cli`` with this interpreter; shell-quoted."""
    here = Path(sys.executable).parent
    for name in ("asyncconsole", "asyncconsole.exe"):
        script = here / name
        if script.is_file():
            return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m asyncconsole.cli"


def _print_keep_running(console: Console, demo: DemoEnvironment) -> None:
    prefix = (
        f"{cli_command()} --config-file {shlex.quote(str(demo.config_path))} "
        f"--kubeconfig {shlex.quote(str(demo.kubeconfig_path))}"
    )
    console.print()
    console.print("[b]The environment stays up[/b] (Ctrl-C stops it). In another shell try:")
    for command in (
        "check",
        "clusters cat-indices",
        "backfill start",
        "backfill status --deep-check",
        "metrics list",
    ):
        console.print(f"  {prefix} {command}", soft_wrap=True, highlight=False, markup=False)
