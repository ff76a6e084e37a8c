"""Run many operations concurrently with limits, deadlines, dependencies and retries.

:class:`Orchestrator` records an :class:`Outcome` for every operation however it ends and
leaves nothing running; :func:`gather_outcomes` is its one-call form; :class:`Report` shows
outcomes as a table, HTML or JSON. Guarantees: ``docs/orchestrator.md``.
"""

from ._events import Event, EventKind, EventStream
from ._gather import gather_outcomes
from ._handle import Handle
from ._orchestrator import Orchestrator
from ._outcome import Outcome, OutcomeStatus, describe_error
from ._render import outcomes_html, outcomes_table
from ._report import Report

__all__ = [
    "Event",
    "EventKind",
    "EventStream",
    "Handle",
    "Orchestrator",
    "Outcome",
    "OutcomeStatus",
    "Report",
    "describe_error",
    "gather_outcomes",
    "outcomes_html",
    "outcomes_table",
]
