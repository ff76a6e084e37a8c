"""Rich renderables for the demo: the live check table, index and metric tables, progress."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..infra.metrics import MetricSeries
    from ..orchestrator import Event
    from ..services.clusters import IndexInfo

__all__ = [
    "CheckBoard",
    "format_eta",
    "index_comparison_table",
    "indices_table",
    "metrics_table",
]

_STATUS_STYLE = {
    "ok": "bold green",
    "failed": "bold red",
    "timed_out": "bold yellow",
    "cancelled": "bold magenta",
    "running": "cyan",
    "waiting": "bright_black",
}


def format_eta(eta_ms: float | None) -> str:
    """``83000`` → ``"1m 23s"``; ``None`` → ``"-"``."""
    if eta_ms is None:
        return "-"
    seconds = max(0, round(eta_ms / 1000))
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


class CheckBoard:
    """The environment check as it happens: one row per component, filled in as checks end.

    Pass :meth:`on_event` to ``env.check(on_event=...)`` and show the board in a
    ``rich.live.Live``.
    """

    def __init__(self, components: Iterable[str]) -> None:
        self.rows: dict[str, tuple[str, str, str]] = dict.fromkeys(components, ("waiting", "", ""))

    def on_event(self, event: Event) -> None:
        """Record a started or finished check."""
        if event.kind == "started":
            self.rows[event.name] = ("running", "", "")
        elif event.kind == "finished" and event.outcome is not None:
            outcome = event.outcome
            detail = (
                str(outcome.value) if outcome.ok and outcome.value is not None else outcome.detail
            )
            self.rows[event.name] = (
                outcome.status.value,
                f"{outcome.duration * 1000:.0f} ms",
                detail,
            )

    def __rich__(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(title="Environment check (all components at once)", title_justify="left")
        table.add_column("Component", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        table.add_column("Time", justify="right", no_wrap=True)
        table.add_column("Detail", overflow="fold")
        for name, (status, took, detail) in self.rows.items():
            table.add_row(name, Text(status, style=_STATUS_STYLE.get(status, "")), took, detail)
        return table


def indices_table(title: str, indices: Sequence[IndexInfo]) -> Any:
    """A table of ``_cat/indices`` rows (hidden indices left out)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column, justify in (
        ("Index", "left"),
        ("Shards", "right"),
        ("Docs", "right"),
        ("Size", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    total = 0
    for info in sorted(indices, key=lambda i: i.index):
        if info.index.startswith("."):
            continue
        total += info.docs_count or 0
        table.add_row(
            info.index,
            str(info.primaries if info.primaries is not None else "?"),
            f"{info.docs_count or 0:,}",
            info.store_size or "",
        )
    table.add_row("[b]total[/b]", "", f"[b]{total:,}[/b]", "")
    return table


def index_comparison_table(source: Mapping[str, int], target: Mapping[str, int]) -> Any:
    """Source and target document counts per index, with a match mark."""
    from rich.table import Table

    table = Table(title="Documents on source and target", title_justify="left")
    table.add_column("Index")
    table.add_column("Source", justify="right")
    table.add_column("Target", justify="right")
    table.add_column("", justify="center")
    for name in sorted(source):
        theirs = target.get(name, 0)
        mark = "[green]✓[/green]" if theirs == source[name] else "[red]✗[/red]"
        table.add_row(name, f"{source[name]:,}", f"{theirs:,}", mark)
    return table


def metrics_table(series: Sequence[MetricSeries], *, last: int = 5) -> Any:
    """The last ``last`` buckets of several series side by side (one column per series)."""
    from rich.table import Table

    table = Table(
        title="Metrics (Average per minute, from the Prometheus API)", title_justify="left"
    )
    table.add_column("Minute (UTC)", no_wrap=True)
    times: set[datetime] = set()
    for one in series:
        table.add_column(f"{one.component}\n{one.name}", justify="right")
        times.update(one.timestamps)
    by_series = [dict(one.points) for one in series]
    for moment in sorted(times)[-last:]:
        cells = [f"{values[moment]:,.1f}" if moment in values else "" for values in by_series]
        table.add_row(moment.strftime("%H:%M"), *cells)
    return table
