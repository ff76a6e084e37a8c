"""What became of one operation: its status, value or error, duration and attempts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from .._errors import OperationCancelledError, OperationTimeoutError

__all__ = ["Outcome", "OutcomeStatus", "describe_error", "new_outcome", "set_detail"]

_DETAIL_LIMIT = 200


class OutcomeStatus(enum.StrEnum):
    """How an operation ended. Members compare equal to their string values (``"ok"``...)."""

    OK = "ok"
    """It returned a value."""
    FAILED = "failed"
    """It raised an error (after its retries, if it had any)."""
    TIMED_OUT = "timed_out"
    """A timeout passed: its own, the orchestrator's deadline, or one inside it (it raised a
    ``TimeoutError``, such as an HTTP or command timeout)."""
    CANCELLED = "cancelled"
    """It was stopped, or never run: a dependency did not succeed, ``fail_fast`` tripped, the
    block was left early, or its handle was cancelled."""


def describe_error(error: BaseException | None) -> str:
    """A one-line description of ``error`` for tables and JSON: ``"Type: first line"``."""
    if error is None:
        return ""
    if type(error) in (OperationTimeoutError, OperationCancelledError):
        return _clip(str(error))  # the status already says what kind it is
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return _clip(f"{type(error).__name__}: {first}" if first else type(error).__name__)


def _clip(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= _DETAIL_LIMIT else line[: _DETAIL_LIMIT - 1] + "…"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one operation, recorded whether it succeeded or not.

    Attributes:
        name: The name it was submitted under.
        status: ``ok``, ``failed``, ``timed_out`` or ``cancelled`` (an :class:`OutcomeStatus`,
            which compares equal to those strings).
        value: What it returned (``None`` unless ``ok``).
        error: What it raised, the :class:`~asyncconsole.OperationTimeoutError` of a timeout,
            or the :class:`~asyncconsole.OperationCancelledError` saying why it was cancelled;
            ``None`` when ``ok``.
        duration: Seconds it ran, from taking a concurrency slot to finishing (all attempts and
            the waits between them), on the orchestrator's clock; ``0.0`` if it never started.
        attempts: How many times it was called (``0`` if it never started).
        detail: A one-line human description: the error's one-liner unless ``ok``; callers may
            set their own (see :meth:`Report.from_outcomes <asyncconsole.Report.from_outcomes>`).
    """

    name: str
    status: OutcomeStatus
    value: Any = None
    error: BaseException | None = None
    duration: float = 0.0
    attempts: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded."""
        return self.status is OutcomeStatus.OK

    def with_detail(self, detail: str) -> Outcome:
        """A copy carrying ``detail`` as its one-line description."""
        return new_outcome(
            self.name, self.status, self.value, self.error, self.duration, self.attempts, detail
        )

    def unwrap(self) -> Any:
        """The value if ``ok``; otherwise raise the recorded error."""
        if self.error is not None:
            raise self.error
        return self.value

    def __rich__(self) -> Any:
        from ._render import outcomes_table

        return outcomes_table([self])

    def _repr_html_(self) -> str:
        from ._render import outcomes_html

        return outcomes_html([self])


# A frozen dataclass sets each field through object.__setattr__ in __init__; the orchestrator
# makes one outcome per operation, so it sets the slots directly (the same object, at half the
# cost). The order is the fields' order.
_new = object.__new__
_SET_FIELDS = tuple(
    vars(Outcome)[name].__set__
    for name in ("name", "status", "value", "error", "duration", "attempts", "detail")
)


def new_outcome(
    name: str,
    status: OutcomeStatus,
    value: Any,
    error: BaseException | None,
    duration: float,
    attempts: int,
    detail: str,
) -> Outcome:
    """``Outcome(name, status, value, error, duration, attempts, detail)``, built faster."""
    set_name, set_status, set_value, set_error, set_duration, set_attempts, set_detail = _SET_FIELDS
    outcome: Outcome = _new(Outcome)
    set_name(outcome, name)
    set_status(outcome, status)
    set_value(outcome, value)
    set_error(outcome, error)
    set_duration(outcome, duration)
    set_attempts(outcome, attempts)
    set_detail(outcome, detail)
    return outcome


set_detail = _SET_FIELDS[-1]
"""Set a new outcome's ``detail`` before anyone else has seen it (outcomes are frozen)."""
