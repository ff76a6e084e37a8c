"""What the autoscaler sees each period: the target's pressure, the work done, the workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..services.workers import WorkerCounts

__all__ = ["Observation", "Pressure", "Progress"]


@dataclass(frozen=True, slots=True)
class Pressure:
    """How hard the target cluster worked during one interval.

    Attributes:
        cpu_percent: CPU of the busiest node (``os.cpu.percent``, CloudWatch
            ``CPUUtilization``), None when unknown.
        write_queue: Longest ``write`` thread-pool queue of any node.
        write_rejected: Write tasks rejected during the interval (the bulk 429s), summed over
            the nodes; None when unknown, e.g. on the first reading of a counter.
        write_completed: Write tasks completed during the interval (None when unknown).
        nodes: How many nodes answered.
        source: Where the figures come from (``_nodes/stats``, ``prometheus``, ...).
    """

    cpu_percent: float | None = None
    write_queue: int | None = None
    write_rejected: int | None = None
    write_completed: int | None = None
    nodes: int | None = None
    source: str = ""

    @property
    def accepted_share(self) -> float | None:
        """Share (0-1) of write tasks the target ran rather than rejected, when both are known."""
        if self.write_rejected is None or self.write_completed is None:
            return None
        offered = self.write_rejected + self.write_completed
        return self.write_completed / offered if offered else None

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "cpu_percent": self.cpu_percent,
            "write_queue": self.write_queue,
            "write_rejected": self.write_rejected,
            "write_completed": self.write_completed,
            "nodes": self.nodes,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Progress:
    """Work done during one interval.

    Attributes:
        per_minute: Work per minute over the interval (work items for a backfill, documents
            or events for a replayer), None when unknown.
        unit: What ``per_minute`` counts (``items``, ``docs``...).
        done: Work finished during the interval.
        remaining: Work items not completed yet (None when unknown or not applicable); 0
            means the backfill is complete.
        source: Where the figures come from.
    """

    per_minute: float | None
    unit: str = "items"
    done: float | None = None
    remaining: int | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "per_minute": self.per_minute,
            "unit": self.unit,
            "done": self.done,
            "remaining": self.remaining,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything one period of the control loop read, with when and over how long.

    Attributes:
        time: Wall-clock time of the reading (UTC, from the autoscaler's clock).
        elapsed: Seconds since the autoscaler started (monotonic clock).
        interval: Seconds since the previous reading; None for the first one.
        workers: The workers' counts (None when they could not be read).
        settled: Whether the workers were steady for the whole interval: as many running as
            desired, none starting or stopping, at both ends of it (only such intervals say
            something about a worker count).
        progress: Work done during the interval (None when it could not be read).
        pressure: The target's load during the interval (None when it could not be read).
        errors: What could not be read, one line each.
    """

    time: datetime
    elapsed: float
    interval: float | None
    workers: WorkerCounts | None
    settled: bool
    progress: Progress | None
    pressure: Pressure | None
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The reading as JSON-ready data."""
        return {
            "time": self.time.isoformat(),
            "elapsed": round(self.elapsed, 3),
            "interval": self.interval,
            "workers": self.workers.to_dict() if self.workers is not None else None,
            "settled": self.settled,
            "progress": self.progress.to_dict() if self.progress is not None else None,
            "pressure": self.pressure.to_dict() if self.pressure is not None else None,
            "errors": list(self.errors),
        }
