"""A scaling decision: the event the autoscaler emits every period."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ._observation import Observation

__all__ = ["ScaleAction", "ScalingDecision"]


class ScaleAction(enum.StrEnum):
    """What a decision does to the worker count. Members compare equal to their values."""

    UP = "up"
    DOWN = "down"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class ScalingDecision:
    """One period of the control loop: what was seen, what was decided, and why.

    ``str(decision)`` is the one-line reason; :meth:`to_dict` is JSON-ready (the CLI's
    ``--json`` prints one such object per line).

    Attributes:
        role: ``backfill`` or ``replay``.
        action: Up, down or hold.
        current: Workers desired before the decision (None when unknown).
        target: Workers desired after it (``current`` for a hold).
        rule: The policy rule that decided (``headroom``, ``rejections``, ``cooldown``...).
        reason: The reason in words, e.g. ``4 → 6: CPU 35% < 70%, 0 rejections in 5 min,
            +48% items/min after the last step``.
        applied: Whether the workers were scaled (False for holds, dry runs and failures).
        dry_run: Whether the autoscaler only reports.
        error: Why scaling failed, when it did.
        observation: The figures the decision was made on.
        facts: The policy's figures behind the reason (CPU, rejections, rates, estimates).
        number: 1 for the first decision of a run, then 2, 3...
    """

    role: str
    action: ScaleAction
    current: int | None
    target: int | None
    rule: str
    reason: str
    applied: bool
    dry_run: bool
    observation: Observation
    error: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    number: int = 0

    @property
    def changes(self) -> bool:
        """Whether the decision asks for another worker count."""
        return self.action is not ScaleAction.HOLD

    def __str__(self) -> str:
        prefix = "(dry run) " if self.dry_run and self.changes else ""
        suffix = f" [failed: {self.error}]" if self.error else ""
        return f"{prefix}{self.reason}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data (``"event": "decision"``)."""
        seen = self.observation
        return {
            "event": "decision",
            "number": self.number,
            "time": seen.time.isoformat(),
            "elapsed": round(seen.elapsed, 3),
            "role": self.role,
            "action": self.action.value,
            "from": self.current,
            "to": self.target,
            "rule": self.rule,
            "reason": self.reason,
            "applied": self.applied,
            "dry_run": self.dry_run,
            "error": self.error,
            "workers": seen.workers.to_dict() if seen.workers is not None else None,
            "progress": seen.progress.to_dict() if seen.progress is not None else None,
            "pressure": seen.pressure.to_dict() if seen.pressure is not None else None,
            "settled": seen.settled,
            "errors": list(seen.errors),
            "facts": _jsonable(self.facts),
        }


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        key: round(value, 4) if isinstance(value, float) else value for key, value in facts.items()
    }
