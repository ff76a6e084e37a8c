"""Values crossing the worker-deployment protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._display import DisplayMixin, Table, table

__all__ = ["WorkerCounts", "counts_message"]


@dataclass(frozen=True, slots=True)
class WorkerCounts(DisplayMixin):
    """How many workers a deployment has, console_link's ``DeploymentStatus``.

    Attributes:
        running: Workers running now.
        pending: Workers starting (ECS pending tasks, Pending pods, created containers).
        desired: Workers the deployment wants.
        terminating: Workers shutting down (0 when the platform does not report it).
    """

    running: int = 0
    pending: int = 0
    desired: int = 0
    terminating: int = 0

    @property
    def idle(self) -> bool:
        """Whether nothing runs, starts, stops or is wanted: the workers are gone."""
        return self.running == self.pending == self.desired == self.terminating == 0

    def to_dict(self) -> dict[str, Any]:
        """``{"running": .., "pending": .., "desired": .., "terminating": ..}``."""
        return {
            "running": self.running,
            "pending": self.pending,
            "desired": self.desired,
            "terminating": self.terminating,
        }

    def _display_tables(self) -> Table:
        return table(
            ["Running", "Pending", "Desired", "Terminating"],
            [(self.running, self.pending, self.desired, self.terminating)],
        )

    def __str__(self) -> str:
        # console_link's DeploymentStatus text, one line (its users match it as a whole)
        return (
            f"Running={self.running} Pending={self.pending} "
            f"Desired={self.desired} Terminating={self.terminating}"
        )


def counts_message(kind: str, counts: WorkerCounts) -> str:
    """console_link's counts line of a backfill: ``Pods - Running: R, Pending: P, Desired: D``
    on Kubernetes, ``Running=R Pending=P Desired=D Terminating=T`` otherwise (the replayer
    always uses the latter, as console_link's)."""
    if kind == "k8s":
        return (
            f"Pods - Running: {counts.running}, Pending: {counts.pending}, "
            f"Desired: {counts.desired}"
        )
    return str(counts)
