"""Fault injection for fakes, applied by the adapter core so every fake fails the same ways.

A real adapter meets faults from its peer (or from :class:`~asyncconsole.testing.FaultProxy`);
a fake meets them here: the core asks the plan before each attempt (the request never reaches
the simulated peer: refused, or hanging until the deadline) and after it (the peer acted but
the answer was lost, was a 503, or was garbage).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..._clock import Clock
from ._failure import PeerFailure

__all__ = ["FaultKind", "FaultPlan", "FaultRule"]

FaultKind = Literal["hang", "refuse", "reset", "status", "malformed", "error"]
"""- ``hang``: the peer accepts and never answers (the call's deadline ends it).
- ``refuse``: the request never reaches the peer (connection refused).
- ``reset``: the peer acts, then the connection drops before the answer.
- ``status``: the peer acts, then answers ``status`` (503 by default), as a proxy in front of
  a busy server can.
- ``malformed``: the peer acts, then its answer is garbage.
- ``error``: raise ``error`` instead of reaching the peer (a test's own exception).
"""

_AFTER: frozenset[FaultKind] = frozenset({"reset", "status", "malformed"})


@dataclass
class FaultRule:
    """One injected fault: which operations it hits, how often, and how many more times."""

    kind: FaultKind
    operations: frozenset[str] | None = None
    rate: float = 1.0
    times: int | None = None
    status: int = 503
    error: BaseException | None = None
    hits: int = 0

    def matches(self, operation: str) -> bool:
        """Whether this rule applies to ``operation`` (and has times left)."""
        if self.times is not None and self.times <= 0:
            return False
        return self.operations is None or operation in self.operations


@dataclass
class FaultPlan:
    """The faults a fake injects, and a count of what reached its simulated peer.

    ``plan.add("reset", rate=0.3, seed=...)`` makes 30% of calls lose their answer after the
    fake acted; ``plan.add("hang", operations={"docker.inspect_container"})`` makes that call
    hang until its deadline. :attr:`reached` counts, per operation, the attempts that reached
    the simulated peer (so a test can check that a non-idempotent call arrived at most once).
    """

    seed: int | None = None
    rules: list[FaultRule] = field(default_factory=list)
    reached: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def add(
        self,
        kind: FaultKind,
        *,
        operations: Iterable[str] | None = None,
        rate: float = 1.0,
        times: int | None = None,
        status: int = 503,
        error: BaseException | None = None,
    ) -> FaultRule:
        """Inject ``kind`` into ``operations`` (all when None), at ``rate`` (0..1), at most
        ``times`` times (None: until :meth:`clear`). Earlier rules are asked first."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within 0..1, got {rate!r}")
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1 or None, got {times!r}")
        if kind == "error" and error is None:
            raise ValueError("an 'error' fault needs error=")
        rule = FaultRule(
            kind,
            None if operations is None else frozenset(operations),
            rate,
            times,
            status,
            error,
        )
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule (counts are kept)."""
        self.rules.clear()

    def _pick(self, operation: str, after: bool) -> FaultRule | None:
        for rule in self.rules:
            if (rule.kind in _AFTER) != after or not rule.matches(operation):
                continue
            if rule.rate < 1.0 and self._random.random() >= rule.rate:
                continue
            if rule.times is not None:
                rule.times -= 1
            rule.hits += 1
            return rule
        return None

    async def before(self, operation: str, clock: Clock) -> None:
        """Called by the core before an attempt reaches the simulated peer."""
        rule = self._pick(operation, after=False) if self.rules else None
        if rule is not None:
            if rule.kind == "error":
                assert rule.error is not None
                raise rule.error
            if rule.kind == "refuse":
                raise PeerFailure("unreachable", "connection refused (injected)")
        self.reached[operation] += 1
        if rule is not None and rule.kind == "hang":
            await clock.sleep(1e9)  # until the call's deadline cancels it
            raise PeerFailure("lost", "no answer (injected hang)")

    def after(self, operation: str) -> None:
        """Called by the core after the simulated peer acted on an attempt."""
        rule = self._pick(operation, after=True) if self.rules else None
        if rule is None:
            return
        if rule.kind == "reset":
            raise PeerFailure("lost", "connection reset before the answer (injected)")
        if rule.kind == "status":
            raise PeerFailure("status", "injected", status=rule.status)
        raise PeerFailure("malformed", "garbage instead of the answer (injected)")
