"""``asyncconsole check``: every configured component's check at once, drawn live."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ._app import CliState, state_of
from ._output import console, emit, print_renderable
from ._params import Duration
from ._run import run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..orchestrator import Event, Report

__all__ = ["LiveChecks", "check"]

_COLOURS = {
    "ok": "green",
    "failed": "red",
    "timed_out": "yellow",
    "cancelled": "magenta",
    "running": "cyan",
    "pending": "bright_black",
}


@dataclass
class _Row:
    status: str = "pending"
    duration: float | None = None
    detail: str = ""


class LiveChecks:
    """The rows of a running check (pending → running → outcome), as a rich table."""

    def __init__(self, names: list[str]) -> None:
        self.rows = {name: _Row() for name in names}

    def on_event(self, event: Event) -> None:
        """Update the row of ``event``'s component (the orchestrator's ``on_event``)."""
        row = self.rows.setdefault(event.name, _Row())
        if event.outcome is not None:
            row.status = event.outcome.status.value
            row.duration = event.outcome.duration
            row.detail = event.outcome.detail
        elif event.kind == "started":
            row.status = "running"

    def finish(self, report: Report) -> None:
        """Take the report's final outcomes (their details are the checks' answers)."""
        for name, outcome in report.items():
            self.rows[name] = _Row(outcome.status.value, outcome.duration, outcome.detail)

    def __rich__(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        from ..orchestrator._render import format_duration

        table = Table(title="asyncconsole check", title_justify="left")
        table.add_column("Component", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        table.add_column("Duration", justify="right", no_wrap=True)
        table.add_column("Detail", overflow="fold")
        for name, row in self.rows.items():
            colour = _COLOURS.get(row.status, "")
            table.add_row(
                name,
                Text(row.status, style=f"bold {colour}".strip()),
                format_duration(row.duration) if row.duration is not None else "",
                Text(row.detail),
            )
        return table


@contextlib.contextmanager
def _live(state: CliState, rows: LiveChecks) -> Iterator[None]:
    if not state.progress:
        yield
        return
    from rich.live import Live

    with Live(rows, console=console(state), refresh_per_second=8, transient=False):
        yield


@click.command()
@click.option(
    "--component",
    "components",
    multiple=True,
    help="Only this component (repeatable): source_cluster, target_cluster, proxy, snapshot, "
    "backfill, replay, metrics, metadata, kafka.",
)
@click.option(
    "--timeout",
    type=Duration(),
    default=10.0,
    show_default=True,
    help="Seconds each component's check may take.",
)
@click.pass_context
def check(ctx: click.Context, components: tuple[str, ...], timeout: float) -> None:
    """Check every configured component concurrently (exit 1 when one is not ok).

    On a terminal the table's rows fill in as the checks finish.

    JSON: {"components": {name: {"status": "ok"|"failed"|"timed_out"|"cancelled",
    "detail": str, "duration": seconds}}}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> tuple[Report, LiveChecks]:
        names = list(components) or list(env.components)
        rows = LiveChecks([n for n in names if n in env.components])
        with _live(state, rows):
            try:
                report = await env.check(
                    timeout=timeout, components=components or None, on_event=rows.on_event
                )
            except ValueError as exc:
                raise click.UsageError(str(exc)) from None
            rows.finish(report)
        return report, rows

    report, rows = run_with_env(state, body)
    if state.progress:
        pass  # the live table stays on screen with the final rows
    elif state.json:
        emit(state, report.to_dict())
    elif not report:
        click.echo("Nothing is configured to check.")
    else:
        print_renderable(state, rows)
    if not report.ok:
        ctx.exit(report.exit_code)
