"""One look for outcomes everywhere: a rich table for terminals and an HTML table for notebooks.

Both draw the same rows (name, status, duration, attempts, one-line detail); statuses are
coloured alike in both. rich is imported only when a table is actually drawn.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._outcome import Outcome

if TYPE_CHECKING:
    from ._orchestrator import Orchestrator

__all__ = ["format_duration", "live_table", "outcomes_html", "outcomes_table"]

STATUS_COLOURS = {
    "ok": "green",
    "failed": "red",
    "timed_out": "yellow",
    "cancelled": "magenta",
    "running": "cyan",
    "waiting": "blue",
    "pending": "bright_black",
}
_HTML_COLOURS = {
    "ok": "#1a7f37",
    "failed": "#cf222e",
    "timed_out": "#9a6700",
    "cancelled": "#8250df",
    "running": "#0969da",
    "waiting": "#0550ae",
    "pending": "#6e7781",
}
_HEADERS = ("Name", "Status", "Duration", "Attempts", "Detail")


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    status: str
    duration: float | None
    attempts: int
    detail: str

    @classmethod
    def of(cls, outcome: Outcome) -> _Row:
        return cls(
            outcome.name,
            outcome.status.value,
            outcome.duration,
            outcome.attempts,
            outcome.detail,
        )

    def cells(self) -> tuple[str, str, str, str, str]:
        duration = format_duration(self.duration) if self.duration is not None else ""
        attempts = str(self.attempts) if self.attempts else ""
        return (self.name, self.status, duration, attempts, self.detail)


def format_duration(seconds: float) -> str:
    """``0.0123`` → ``"12 ms"``, ``3.2`` → ``"3.20 s"``, ``125`` → ``"2m 05s"``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s"


def _table(rows: Iterable[_Row], title: str | None) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    table.add_column(_HEADERS[0], overflow="fold")
    table.add_column(_HEADERS[1], no_wrap=True)
    table.add_column(_HEADERS[2], justify="right", no_wrap=True)
    table.add_column(_HEADERS[3], justify="right", no_wrap=True)
    table.add_column(_HEADERS[4], overflow="fold")
    for row in rows:
        name, status, duration, attempts, detail = row.cells()
        colour = STATUS_COLOURS.get(status, "")
        table.add_row(
            Text(name),
            Text(status, style=f"bold {colour}".strip()),
            duration,
            attempts,
            Text(detail),
        )
    return table


def outcomes_table(outcomes: Iterable[Outcome], *, title: str | None = None) -> Any:
    """A ``rich.table.Table`` of ``outcomes``, statuses coloured."""
    return _table((_Row.of(o) for o in outcomes), title)


def outcomes_html(outcomes: Iterable[Outcome], *, title: str | None = None) -> str:
    """The same table as HTML for notebooks; every value is escaped."""
    esc = html.escape
    parts = ['<table class="asyncconsole-outcomes">']
    if title:
        parts.append(f"<caption>{esc(title)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in _HEADERS) + "</tr></thead>")
    parts.append("<tbody>")
    for outcome in outcomes:
        name, status, duration, attempts, detail = _Row.of(outcome).cells()
        colour = _HTML_COLOURS.get(status, "inherit")
        parts.append(
            f'<tr><td>{esc(name)}</td><td style="color: {colour}; font-weight: bold">'
            f"{esc(status)}</td><td>{esc(duration)}</td><td>{esc(attempts)}</td>"
            f"<td>{esc(detail)}</td></tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def live_table(orchestrator: Orchestrator) -> Any:
    """Every operation of ``orchestrator`` so far, finished or not (for ``rich.live.Live``)."""
    from ._orchestrator import _RUNNING, _WAITING

    now = orchestrator._clock.monotonic()
    rows = []
    for op in orchestrator._ops.values():
        if op.outcome is not None:
            rows.append(_Row.of(op.outcome))
        elif op.state == _RUNNING and op.started is not None:
            rows.append(_Row(op.name, "running", now - op.started, op.tried, ""))
        elif op.state == _WAITING and op.after:
            pending = [d.name for d in op.after if d.outcome is None]
            detail = f"after {', '.join(pending)}" if pending else ""
            rows.append(_Row(op.name, "waiting", None, 0, detail))
        else:
            rows.append(_Row(op.name, "pending", None, 0, ""))
    return _table(rows, None)
