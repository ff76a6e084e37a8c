"""Data crossing the ``K8sManager`` protocol: frozen dataclasses and enums, never client objects."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..._display import DisplayMixin, Table, badge, fields, table

__all__ = ["DeploymentStatus", "PodInfo", "PodPhase"]


class PodPhase(enum.Enum):
    """A pod's ``status.phase``."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, value: object) -> PodPhase:
        """The phase named ``value``; anything unrecognised is ``UNKNOWN``."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class DeploymentStatus(DisplayMixin):
    """Replica counts of one Deployment, and the phases of the pods it selects.

    ``desired`` is ``spec.replicas``; ``current``, ``ready``, ``available`` and ``updated`` come
    from the Deployment's status (missing counts are 0). ``running``, ``pending`` and
    ``terminating`` count the pods matched by the Deployment's selector the way console_link
    does: a pod with a deletion timestamp is terminating whatever its phase; otherwise phase
    ``Running`` counts as running and ``Pending`` as pending.
    """

    namespace: str
    name: str
    desired: int
    current: int = 0
    ready: int = 0
    available: int = 0
    updated: int = 0
    running: int = 0
    pending: int = 0
    terminating: int = 0
    generation: int = 0
    observed_generation: int = 0

    @property
    def settled(self) -> bool:
        """Whether the rollout is done: every desired replica ready, nothing starting or stopping."""
        return (
            self.observed_generation >= self.generation
            and self.ready == self.available == self.updated == self.current == self.desired
            and self.pending == 0
            and self.terminating == 0
        )

    def _display_tables(self) -> Table:
        return fields(
            [
                ("Settled", badge(self.settled)),
                ("Desired", self.desired),
                ("Current", self.current),
                ("Ready", self.ready),
                ("Available", self.available),
                ("Updated", self.updated),
                ("Running pods", self.running),
                ("Pending pods", self.pending),
                ("Terminating pods", self.terminating),
            ],
            title=f"deployment {self.namespace}/{self.name}",
        )


@dataclass(frozen=True, slots=True)
class PodInfo(DisplayMixin):
    """One pod: identity, phase, readiness and placement.

    ``ready`` is the pod's ``Ready`` condition; ``terminating`` is true once the pod has a
    deletion timestamp (it may still be ``Running`` while it shuts down).
    """

    namespace: str
    name: str
    phase: PodPhase
    ready: bool = False
    terminating: bool = False
    node: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    ip: str | None = None
    restarts: int = 0
    containers: tuple[str, ...] = ()
    created_at: datetime | None = None

    def _display_tables(self) -> Table:
        # one row, so that several pods read as one table
        headings = ["Namespace", "Name", "Phase", "Ready", "Terminating", "Restarts", "Node"]
        headings += ["IP", "Containers", "Created"]
        row = [self.namespace, self.name, badge(self.phase), self.ready, self.terminating]
        row += [self.restarts, self.node, self.ip, self.containers, self.created_at]
        return table(headings, [row])
