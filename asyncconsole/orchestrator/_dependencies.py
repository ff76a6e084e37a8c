"""Operations submitted ``after=`` others: held back until those succeed.

A dependency must have been submitted already, which makes cycles impossible. A waiting
operation holds neither a slot nor a task; as each operation finishes, its dependents are
released, or handed to the orchestrator to be cancelled if it did not succeed.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Mapping
from typing import Any

from ._handle import Handle
from ._op import WAITING, Op
from ._outcome import OutcomeStatus

__all__ = ["Dependencies"]

_OK = OutcomeStatus.OK


class Dependencies:
    """Who waits for whom among one orchestrator's operations."""

    __slots__ = ("_failed", "_ops", "_owner", "_pending", "_ready", "_releasing")

    def __init__(
        self,
        owner: object,
        ops: Mapping[str, Op],
        *,
        ready: Callable[[Op], None],
        failed: Callable[[Op, Op], None],
    ) -> None:
        self._owner = owner  # the orchestrator: handles of another one are refused
        self._ops = ops
        self._ready = ready  # called with an operation whose dependencies all succeeded
        self._failed = failed  # called with an operation and its dependency that did not
        self._pending: collections.deque[Op] = collections.deque()  # dependents to release
        self._releasing = False

    def resolve(self, name: str, dep: str | Handle[Any]) -> Op:
        """The operation that ``name`` is to come after (a name or a handle)."""
        if isinstance(dep, Handle):
            if dep._orchestrator is not self._owner:
                raise ValueError(
                    f"{name!r} is after {dep.name!r}, submitted to another orchestrator"
                )
            return dep._op
        op = self._ops.get(dep)
        if op is None:
            # Dependencies must exist already, which also makes cycles impossible.
            raise ValueError(
                f"{name!r} is after {dep!r}, which has not been submitted; submit it first"
            )
        return op

    def wait(self, op: Op) -> None:
        """Hold ``op`` until its dependencies succeed (ready at once if they all have)."""
        blocked = 0
        for dep in op.after:
            outcome = dep.outcome
            if outcome is None:
                if dep.dependents is None:
                    dep.dependents = []
                dep.dependents.append(op)
                blocked += 1
            elif outcome.status is not _OK:
                self._failed(op, dep)
                return
        if blocked:
            op.blocked = blocked
            op.state = WAITING
        else:
            self._ready(op)

    def release(self, done: Op) -> None:
        """``done`` has finished: its dependents become ready, or fail with it."""
        # Iterative, not recursive: a long chain of dependents cancelled one after another
        # must not exhaust the stack.
        pending = self._pending
        pending.append(done)
        if self._releasing:
            return
        self._releasing = True
        try:
            while pending:
                dep = pending.popleft()
                dependents, dep.dependents = dep.dependents or [], None
                assert dep.outcome is not None
                ok = dep.outcome.status is _OK
                for op in dependents:
                    if op.outcome is not None:
                        continue  # cancelled while it waited
                    if not ok:
                        self._failed(op, dep)
                    else:
                        op.blocked -= 1
                        if op.blocked == 0:
                            self._ready(op)
        finally:
            self._releasing = False
