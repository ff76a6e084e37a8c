"""``asyncconsole backfill autoscale`` and ``asyncconsole replay autoscale``: the control loop at a
terminal (a live view of its decisions) or as JSON Lines (one object per line).

Ctrl-C or SIGTERM stop the loop between two periods (or cut the one in progress short); the
command then prints its summary and exits 0, leaving the workers as they are. A second
Ctrl-C stops at once.
"""

from __future__ import annotations

import contextlib
import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import click

from ._app import CliState, state_of
from ._output import console
from ._params import Duration
from ._run import require, run_with_env

if TYPE_CHECKING:
    from ..autoscale import Autoscaler, PressureSource, ScalingDecision
    from ..environment import Environment

__all__ = ["autoscale_command", "json_line"]

Role = Literal["backfill", "replay"]
_SHOWN = 12  # decisions the live view keeps on screen


def json_line(data: Any) -> str:
    """``data`` as one line of JSON (JSON Lines)."""
    from ._output import _default

    return json.dumps(data, default=_default, separators=(",", ":"))


def _pressure(env: Environment, kind: str, component: str, period: int) -> PressureSource | None:
    """The pressure source ``--pressure`` names (None: the target's ``_nodes/stats``)."""
    if kind == "nodes-stats":
        return None
    from ..autoscale import MetricsPressure

    metrics = require(env, "metrics")
    collector = metrics.collector
    if metrics.source_type == "CloudWatchMetricsCollector":
        return MetricsPressure.cloudwatch(collector, component=component, period=period)
    return MetricsPressure.prometheus(collector, component=component, period=period)


def _build(env: Environment, role: Role, options: dict[str, Any]) -> Autoscaler:
    from ..autoscale import Autoscaler, TargetHealthPolicy

    policy = TargetHealthPolicy(
        min_workers=options["min_workers"],
        max_workers=options["max_workers"],
        target_cpu=options["target_cpu"],
        cooldown=options["cooldown"],
    )
    period = options["period"]
    pressure = _pressure(env, options["pressure"], options["component"], max(1, round(period)))
    if role == "backfill":
        return Autoscaler.for_backfill(
            require(env, "backfill"),
            policy=policy,
            pressure=pressure,
            period=period,
            dry_run=options["dry_run"],
        )
    return Autoscaler.for_replay(
        require(env, "replay"),
        require(env, "target_cluster"),
        policy=policy,
        pressure=pressure,
        period=period,
        dry_run=options["dry_run"],
    )


def _figures(decision: ScalingDecision) -> str:
    seen = decision.observation
    parts = []
    if seen.workers is not None:
        parts.append(f"{seen.workers.running}/{seen.workers.desired} workers")
    if seen.progress is not None and seen.progress.per_minute is not None:
        parts.append(f"{seen.progress.per_minute:.0f} {seen.progress.unit}/min")
    if seen.pressure is not None:
        if seen.pressure.cpu_percent is not None:
            parts.append(f"CPU {seen.pressure.cpu_percent:.0f}%")
        if seen.pressure.write_rejected is not None:
            parts.append(f"{seen.pressure.write_rejected} rejected")
        if seen.pressure.write_queue is not None:
            parts.append(f"queue {seen.pressure.write_queue}")
    return ", ".join(parts)


def text_line(decision: ScalingDecision) -> str:
    """One decision as a line of text: time, then the reason."""
    return f"{decision.observation.time:%H:%M:%S}  {decision}"


class _LiveView:
    """The terminal view: the latest figures and the last decisions, redrawn in place."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.decisions: deque[ScalingDecision] = deque(maxlen=_SHOWN)

    def add(self, decision: ScalingDecision) -> None:
        self.decisions.append(decision)

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title, title_justify="left", expand=True, show_lines=False)
        table.add_column("time", no_wrap=True)
        table.add_column("figures", no_wrap=True)
        table.add_column("decision")
        styles = {"up": "green", "down": "yellow", "hold": ""}
        for decision in self.decisions:
            style = styles[decision.action.value]
            if decision.error:
                style = "red"
            table.add_row(
                f"{decision.observation.time:%H:%M:%S}",
                _figures(decision),
                Text(str(decision), style=style),
            )
        hint = Text("Ctrl-C stops the autoscaler (the workers stay as they are).", style="dim")
        return Group(table, hint)


@contextlib.contextmanager
def _view(state: CliState, title: str) -> Iterator[Callable[[ScalingDecision], None]]:
    if state.json:
        yield lambda d: click.echo(json_line(d.to_dict()))
        return
    if not state.progress:
        yield lambda d: click.echo(text_line(d))
        return
    from rich.live import Live

    view = _LiveView(title)
    with Live(view, console=console(state), refresh_per_second=4, transient=False) as live:

        def show(decision: ScalingDecision) -> None:
            view.add(decision)
            live.refresh()

        yield show


async def _loop(
    autoscaler: Autoscaler, show: Callable[[ScalingDecision], None], periods: int | None
) -> tuple[str, list[ScalingDecision]]:
    """Run the loop until it ends; ``("interrupted", ...)`` when Ctrl-C or SIGTERM stopped it."""
    import asyncio  # here, not at import: a command's --help needs no event loop

    made: list[ScalingDecision] = []
    try:
        async with contextlib.aclosing(autoscaler.decisions(periods=periods)) as stream:
            async for decision in stream:
                made.append(decision)
                show(decision)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is None or task.uncancel() > 0:
            raise  # cancelled by something else as well: let it through
        return "interrupted", made
    if made and made[-1].rule == "complete":
        return "complete", made
    return "periods", made


def autoscale_command(role: Role) -> click.Command:
    """The ``autoscale`` command of the ``backfill`` or ``replay`` group."""
    noun = "backfill workers" if role == "backfill" else "replayers"
    needs: tuple[str, ...] = ("backfill",) if role == "backfill" else ("replay", "target_cluster")

    @click.command("autoscale")
    @click.option(
        "--min",
        "min_workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Fewest workers.",
    )
    @click.option(
        "--max",
        "max_workers",
        type=click.IntRange(min=1),
        default=20,
        show_default=True,
        help="Most workers.",
    )
    @click.option(
        "--target-cpu",
        type=click.FloatRange(min=0, max=100, min_open=True),
        default=70.0,
        show_default=True,
        help="CPU percent of the busiest target node that steps up must not exceed.",
    )
    @click.option("--dry-run", is_flag=True, help="Decide and report, never scale.")
    @click.option(
        "--period",
        type=Duration(),
        default=60.0,
        show_default=True,
        help="Seconds between decisions.",
    )
    @click.option(
        "--cooldown",
        type=Duration(allow_zero=True),
        default=180.0,
        show_default=True,
        help="Seconds a count is measured without pressure before a step up.",
    )
    @click.option(
        "--pressure",
        type=click.Choice(["nodes-stats", "metrics"]),
        default="nodes-stats",
        show_default=True,
        help="Read the target's load from its _nodes/stats, or from the configured metrics "
        "source (Prometheus or CloudWatch names of OpenSearch's metrics).",
    )
    @click.option(
        "--metrics-component",
        "component",
        default="target",
        show_default=True,
        help="With --pressure metrics: the component/job the target's metrics belong to.",
    )
    @click.option(
        "--periods",
        type=click.IntRange(min=1),
        default=None,
        help="Stop after this many decisions (default: until stopped, or the backfill is done).",
    )
    @click.pass_context
    def autoscale(ctx: click.Context, /, periods: int | None, **options: Any) -> None:
        state = state_of(ctx)
        if options["max_workers"] < options["min_workers"]:
            raise click.BadParameter(
                f"--max ({options['max_workers']}) is below --min ({options['min_workers']})",
                param_hint="--max",
            )

        async def body(env: Environment) -> dict[str, Any]:
            autoscaler = _build(env, role, options)
            settings = autoscaler.describe()
            if state.json:
                click.echo(json_line({"event": "started", **settings}))
            elif not state.progress:
                click.echo(_started_text(settings))
            title = f"Autoscaling the {noun}" + (" (dry run)" if options["dry_run"] else "")
            with _view(state, title) as show:
                ended, made = await _loop(autoscaler, show, periods)
            last = made[-1] if made else None
            return {
                "event": "stopped",
                "role": role,
                "reason": ended,
                "decisions": len(made),
                "scaled": sum(1 for d in made if d.applied),
                "workers": last.target if last is not None else None,
            }

        summary = run_with_env(state, body, needs=needs)
        if state.json:
            click.echo(json_line(summary))
        else:
            click.echo(_stopped_text(summary))

    work = (
        "work items per minute from the working-state index"
        if role == "backfill"
        else "documents indexed per minute on the target"
    )
    autoscale.help = f"""Scale the {noun} from the target cluster's health.

    Every --period the autoscaler reads the work done ({work}), the target's pressure (CPU,
    write queue, write rejections) and the worker counts, and scales within [--min, --max]:
    up while throughput rises and the target has headroom, down on rejections, a growing
    write queue or CPU above --target-cpu (plus 10 points of hysteresis). Each decision is
    printed with its reason; --dry-run only reports. Ctrl-C or SIGTERM stop it cleanly
    (exit 0); the workers stay as they are.

    JSON (JSON Lines, one object per line): {{"event": "started", ...settings}}, then one
    {{"event": "decision", "action": "up"|"down"|"hold", "from", "to", "rule", "reason",
    "applied", "dry_run", "workers", "progress", "pressure", "facts", ...}} per period, then
    {{"event": "stopped", "reason": "interrupted"|"complete"|"periods", "decisions",
    "scaled", "workers"}}.
    """
    return autoscale


def _started_text(settings: dict[str, Any]) -> str:
    policy = settings["policy"]
    mode = "dry run, " if settings["dry_run"] else ""
    return (
        f"Autoscaling {settings['role']} workers ({settings['workers']}): {mode}"
        f"{policy['min_workers']}-{policy['max_workers']} workers, target CPU "
        f"{policy['target_cpu']:g}%, every {settings['period']:g}s; pressure from "
        f"{settings['pressure']}, progress from {settings['progress']}."
    )


def _stopped_text(summary: dict[str, Any]) -> str:
    why = {
        "interrupted": "stopped",
        "complete": "the backfill is complete",
        "periods": "done",
    }[summary["reason"]]
    return (
        f"Autoscaler {why} after {summary['decisions']} decisions "
        f"({summary['scaled']} scalings); {summary['workers']} workers desired."
    )
