"""One look for outcomes everywhere: a rich table for terminals and an HTML table for notebooks.

Both draw the same rows (name, status, duration, attempts, one-line detail) through the shared
renderer of :mod:`asyncconsole._display`, so statuses are coloured alike in both and like every
other result. rich is imported only when a table is actually drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._display import Badge, Column, Table, badge, html_table, rich_table
from ._outcome import Outcome

if TYPE_CHECKING:
    from ._orchestrator import Orchestrator

__all__ = ["format_duration", "live_table", "outcomes_html", "outcomes_table"]

_COLUMNS = (
    Column("Name"),
    Column("Status", no_wrap=True),
    Column("Duration", justify="right", no_wrap=True),
    Column("Attempts", justify="right", no_wrap=True),
    Column("Detail"),
)


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

    def cells(self) -> tuple[str, Badge, str, str, str]:
        duration = format_duration(self.duration) if self.duration is not None else ""
        attempts = str(self.attempts) if self.attempts else ""
        return (self.name, badge(self.status), duration, attempts, self.detail)


def format_duration(seconds: float) -> str:
    """``0.0123`` → ``"12 ms"``, ``3.2`` → ``"3.20 s"``, ``125`` → ``"2m 05s"``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s"


def _spec(rows: Iterable[_Row], title: str | None, css_class: str | None = None) -> Table:
    return Table(_COLUMNS, tuple(row.cells() for row in rows), title=title, css_class=css_class)


def _table(rows: Iterable[_Row], title: str | None) -> Any:
    return rich_table(_spec(rows, title))


def outcomes_table(outcomes: Iterable[Outcome], *, title: str | None = None) -> Any:
    """A ``rich.table.Table`` of ``outcomes``, statuses coloured."""
    return _table((_Row.of(o) for o in outcomes), title)


def outcomes_html(outcomes: Iterable[Outcome], *, title: str | None = None) -> str:
    """The same table as HTML for notebooks; every value is escaped."""
    return html_table(_spec((_Row.of(o) for o in outcomes), title, "asyncconsole-outcomes"))


def live_table(orchestrator: Orchestrator) -> Any:
    """Every operation of ``orchestrator`` so far, finished or not (for ``rich.live.Live``)."""
    from ._op import RUNNING, WAITING

    now = orchestrator._clock.monotonic()
    rows = []
    for op in orchestrator._ops.values():
        if op.outcome is not None:
            rows.append(_Row.of(op.outcome))
        elif op.state == RUNNING and op.started is not None:
            rows.append(_Row(op.name, "running", now - op.started, op.tried, ""))
        elif op.state == WAITING and op.after:
            pending = [d.name for d in op.after if d.outcome is None]
            detail = f"after {', '.join(pending)}" if pending else ""
            rows.append(_Row(op.name, "waiting", None, 0, detail))
        else:
            rows.append(_Row(op.name, "pending", None, 0, ""))
    return _table(rows, None)
