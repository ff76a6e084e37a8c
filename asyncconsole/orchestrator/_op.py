"""One submitted operation's record, as the orchestrator's scheduler keeps it.

An operation is *waiting* while a dependency has not finished, *pending* while it waits for a
concurrency slot (or its task has not taken its first step), *running* once it holds a slot,
and *done* with its :class:`Outcome`. Only a running (or about to run) operation has a task:
what it needs to run later is kept here, and dropped as soon as it is done, so a finished
operation costs only its outcome.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable, ItemsView, Iterator, Mapping
from typing import Any

from .._retry import RetryPolicy
from ._outcome import Outcome

__all__ = [
    "DEADLINE_PASSED",
    "DONE",
    "OWN_TIMEOUT_PASSED",
    "PENDING",
    "RUNNING",
    "WAITING",
    "Once",
    "Op",
    "OutcomesView",
]

PENDING, WAITING, RUNNING, DONE = range(4)
OWN_TIMEOUT_PASSED, DEADLINE_PASSED = 1, 2
"""Why the orchestrator cancelled a running operation's task (``Op.expired``)."""

_NO_ARGUMENTS: dict[str, Any] = {}


class Once:
    """Adapts an already-made awaitable (a coroutine object) to the callable that submit wants."""

    __slots__ = ("_awaitable", "used")

    def __init__(self, awaitable: Awaitable[Any]) -> None:
        self._awaitable = awaitable
        self.used = False

    def __call__(self) -> Awaitable[Any]:
        if self.used:
            raise RuntimeError(
                "an awaitable (not a function) can be awaited only once; retry needs a function"
            )
        self.used = True
        return self._awaitable

    def close(self) -> None:
        # A coroutine object that never ran must be closed, or Python warns it was never awaited.
        if not self.used and inspect.iscoroutine(self._awaitable):
            self._awaitable.close()


class Op:
    """The scheduler's record of one operation (see the module docstring)."""

    __slots__ = (
        "after",
        "args",
        "blocked",
        "cancel_reason",
        "context",
        "dependents",
        "expired",
        "fn",
        "kwargs",
        "name",
        "outcome",
        "retry",
        "started",
        "state",
        "task",
        "timeout",
        "tried",
        "waiters",
    )

    def __init__(
        self,
        name: str,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float | None,
        retry: RetryPolicy | None,
        after: tuple[Op, ...],
        context: contextvars.Context,
    ) -> None:
        self.name = name
        self.fn: Callable[..., Awaitable[Any]] | None = fn
        self.args = args
        self.kwargs = kwargs
        self.timeout = timeout
        self.retry = retry
        self.after = after
        # The submitter's context, as create_task at submit time would have copied it.
        self.context: contextvars.Context | None = context
        self.state = PENDING
        self.blocked = 0
        self.started: float | None = None
        self.tried = 0
        self.outcome: Outcome | None = None
        self.cancel_reason: str | None = None
        self.expired = 0  # OWN_TIMEOUT_PASSED or DEADLINE_PASSED once its time is up
        self.task: asyncio.Task[None] | None = None
        self.waiters: list[asyncio.Future[None]] | None = None
        self.dependents: list[Op] | None = None

    def call(self) -> Awaitable[Any]:
        """One attempt: call the function with its arguments."""
        assert self.fn is not None, "an operation is called only before it is done"
        return self.fn(*self.args, **self.kwargs)

    def release(self) -> None:
        """Drop what only running needed (a coroutine object never run is closed)."""
        if isinstance(self.fn, Once):
            self.fn.close()
        self.fn = None
        self.args = ()
        self.kwargs = _NO_ARGUMENTS
        self.context = None
        self.task = None

    async def wait(self) -> Outcome:
        """The outcome, once the operation is done."""
        if self.outcome is None:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self.waiters is None:
                self.waiters = []
            self.waiters.append(fut)
            await fut
        assert self.outcome is not None
        return self.outcome


class OutcomesView(Mapping[str, Outcome]):
    """Name → outcome of the finished operations, in submission order: a live, read-only view
    of the operations' records (no second table to fill as each one finishes)."""

    __slots__ = ("_ops", "_unfinished")

    def __init__(self, ops: Mapping[str, Op], unfinished: Callable[[], int]) -> None:
        self._ops = ops
        self._unfinished = unfinished

    def __getitem__(self, name: str) -> Outcome:
        outcome = self._ops[name].outcome
        if outcome is None:
            raise KeyError(name)
        return outcome

    def __iter__(self) -> Iterator[str]:
        return (name for name, op in self._ops.items() if op.outcome is not None)

    def __len__(self) -> int:
        return len(self._ops) - self._unfinished()

    def items(self) -> ItemsView[str, Outcome]:
        return _Items(self)

    def __contains__(self, name: object) -> bool:
        op = self._ops.get(name) if isinstance(name, str) else None
        return op is not None and op.outcome is not None

    def __repr__(self) -> str:
        return f"OutcomesView({dict(self)!r})"


class _Items(ItemsView[str, Outcome]):
    """``items()`` in one pass over the records (not a lookup per name)."""

    _mapping: OutcomesView

    def __iter__(self) -> Iterator[tuple[str, Outcome]]:
        for name, op in self._mapping._ops.items():
            if op.outcome is not None:
                yield name, op.outcome
