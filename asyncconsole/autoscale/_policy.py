"""Scaling policies: the protocol (:class:`ScalingPolicy`) and what a policy proposes
(:class:`Proposal`). The default policy, :class:`TargetHealthPolicy`, has a module of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._observation import Observation

__all__ = ["Proposal", "ScalingPolicy"]


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a policy wants: a worker count, the rule that decided it, and why in words.

    Attributes:
        workers: The worker count wanted (the current one to hold; None to leave it as it is
            when it is not known).
        rule: A short machine-readable name of the deciding rule (``headroom``,
            ``rejections``, ``cooldown``...).
        reason: One line for people, e.g. ``4 → 6: CPU 35% < 70%, 0 rejections in 5 min,
            +48% items/min after the last step``.
        facts: The figures behind the reason, JSON-ready.
    """

    workers: int | None
    rule: str
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ScalingPolicy(Protocol):
    """Decides a worker count from what the autoscaler observed.

    A policy may keep state between calls (it sees every observation, in order); it must not
    do I/O or read a clock: time is the observation's ``elapsed``.
    """

    @property
    def min_workers(self) -> int:
        """The fewest workers it ever asks for."""
        ...

    @property
    def max_workers(self) -> int:
        """The most workers it ever asks for."""
        ...

    def decide(self, observation: Observation) -> Proposal:
        """The worker count for this period, with the reason."""
        ...

    def describe(self) -> dict[str, Any]:
        """The policy's settings as JSON-ready data."""
        ...
