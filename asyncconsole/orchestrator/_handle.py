"""The caller's side of one submitted operation: await it, wait for its outcome, cancel it."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._op import Op
from ._outcome import Outcome

if TYPE_CHECKING:
    from ._orchestrator import Orchestrator

__all__ = ["Handle"]

T = TypeVar("T")


class Handle(Generic[T]):
    """One submitted operation. ``await handle`` gives its value or raises its error.

    Awaiting raises the recorded error: what the operation raised, an
    :class:`~asyncconsole.OperationTimeoutError`, or an
    :class:`~asyncconsole.OperationCancelledError` (never a bare ``CancelledError``, which would
    be mistaken for the awaiting task's own cancellation).
    """

    __slots__ = ("_op", "_orchestrator")

    def __init__(self, orchestrator: Orchestrator, op: Op) -> None:
        self._orchestrator = orchestrator
        self._op = op

    @property
    def name(self) -> str:
        """The name the operation was submitted under."""
        return self._op.name

    @property
    def outcome(self) -> Outcome | None:
        """The outcome once the operation has finished, else ``None``."""
        return self._op.outcome

    def done(self) -> bool:
        """Whether the operation has finished (in any way)."""
        return self._op.outcome is not None

    async def wait(self) -> Outcome:
        """Wait for the operation to finish and return its outcome (never raises its error)."""
        return await self._op.wait()

    def cancel(self, reason: str = "its handle was cancelled") -> bool:
        """Cancel the operation; it finishes as ``cancelled``. False if it had already finished."""
        return self._orchestrator._cancel(self._op, reason)

    async def _result(self) -> T:
        outcome = await self._op.wait()
        value: T = outcome.unwrap()
        return value

    def __await__(self) -> Generator[Any, None, T]:
        return self._result().__await__()

    def __repr__(self) -> str:
        state = self._op.outcome.status.value if self._op.outcome else "pending"
        return f"<Handle {self._op.name!r} {state}>"
