"""Replay results: the replayers' state and counts, with console_link's text."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..._display import DisplayMixin, Table, badge, fields
from ..workers import WorkerCounts

__all__ = ["ReplayStatus", "ReplayStatusReport"]


class ReplayStatus(enum.Enum):
    """The replayers' state, derived from their counts (console_link's ``ReplayStatus``)."""

    NOT_STARTED = "NOT_STARTED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    TERMINATING = "TERMINATING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return f"ReplayStatus.{self.name}"


@dataclass(frozen=True, slots=True)
class ReplayStatusReport(DisplayMixin):
    """What ``replay status`` shows: the state and the counts it was derived from."""

    status: ReplayStatus
    counts: WorkerCounts
    message: str

    def render(self) -> str:
        """``Replayer: RUNNING``, then console_link's counts line
        (``Running=1 Pending=0 Desired=1 Terminating=0``)."""
        return f"Replayer: {self.status.value}\n{self.message}"

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """``{"status": "RUNNING", "message": ..., "workers": {...counts}}``."""
        return {
            "status": self.status.value,
            "message": self.message,
            "workers": self.counts.to_dict(),
        }

    def _display_tables(self) -> Table:
        c = self.counts
        return fields(
            [
                ("Status", badge(self.status)),
                ("Running", c.running),
                ("Pending", c.pending),
                ("Desired", c.desired),
                ("Terminating", c.terminating),
            ],
            title="Replay",
        )
