"""Rules of the ECS manager: defaults, validation, ``failures[]`` errors, waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..._clock import Clock
from ..._errors import ECSError, ECSNotFoundError, ECSTimeoutError
from ..._retry import RetryPolicy
from .._core import check_timeout
from ._types import ServiceStatus, TaskState

DEFAULT_RETRY = RetryPolicy(
    attempts=4, wait_initial=0.2, wait_max=5.0, wait_jitter=0.2, timeout=60.0
)
"""Retries for idempotent ECS calls (describe, list, update desired count, stop)."""

MAX_RUN_TASK_COUNT = 10  # the RunTask API limit

READ_GRACE = 1.0
"""Seconds a status read of ``wait_until_stable`` may take past the wait's deadline."""

NOT_FOUND_CODES = frozenset(
    {
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "ServiceNotActiveException",
        "TaskSetNotFoundException",
    }
)


def check_name(kind: str, value: object) -> str:
    """``value`` as a non-empty name, or a ValueError naming ``kind``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"ECS {kind} must be a non-empty string, got {value!r}")
    return value


def check_count(kind: str, value: object, *, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or a ValueError naming ``kind``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"ECS {kind} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"ECS {kind} must be {bound}, got {value}")
    return value


def desired_status_filter(value: TaskState | str | None) -> TaskState:
    """The ``desiredStatus`` filter for ListTasks; None is RUNNING, the ECS default."""
    if value is None:
        return TaskState.RUNNING
    state = TaskState.parse(str(value).upper())
    if state not in (TaskState.RUNNING, TaskState.PENDING, TaskState.STOPPED):
        raise ValueError(f"ECS desired_status must be RUNNING, PENDING or STOPPED, got {value!r}")
    return state


def short_name(name_or_arn: str) -> str:
    """``my-service`` for ``arn:aws:ecs:...:service/cluster/my-service`` (or the name itself)."""
    return name_or_arn.rsplit("/", 1)[-1]


def failures_error(
    failures: Sequence[Mapping[str, Any]],
    *,
    operation: str,
    target: str,
    **context: Any,
) -> ECSError:
    """The error for ``failures[]`` in a 200 response: ``MISSING`` means not found."""
    first = failures[0]
    reason = str(first.get("reason") or "UNKNOWN")
    arn = first.get("arn") or target
    detail = f" ({first['detail']})" if first.get("detail") else ""
    more = f" and {len(failures) - 1} more" if len(failures) > 1 else ""
    cls = ECSNotFoundError if reason == "MISSING" else ECSError
    message = f"ECS {operation} {target}: {arn} {reason}{detail}{more}"
    return cls(message, code=reason, arn=arn, failures=[dict(f) for f in failures], **context)


async def poll_until_stable(
    read: Callable[[float], Awaitable[ServiceStatus]],
    *,
    cluster: str,
    service: str,
    timeout: float,  # noqa: ASYNC109 - a deadline on the injected clock
    poll_interval: float,
    clock: Clock,
    request_timeout: float | None,
) -> ServiceStatus:
    """``read(limit)`` until ``status.stable``, within ``timeout`` seconds on ``clock``.

    Each read may take what is left of the wait, but at least :data:`READ_GRACE` seconds (so
    ``timeout=0`` still reads once) and never more than ``request_timeout``: the wait ends
    within ``timeout`` + 1 s whatever ECS does.
    """
    if check_timeout("timeout", timeout) is None:
        raise ValueError("timeout must be a number of seconds, not None")
    if not poll_interval > 0:
        raise ValueError(f"poll_interval must be > 0, got {poll_interval}")
    deadline = clock.monotonic() + timeout
    last: ServiceStatus | None = None
    while True:
        limit = max(deadline - clock.monotonic(), READ_GRACE)
        try:
            last = await read(limit if request_timeout is None else min(limit, request_timeout))
        except ECSTimeoutError:
            if last is None:
                raise
            break  # no answer before the deadline: report the last status seen
        if last.stable:
            return last
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            break
        await clock.sleep(min(poll_interval, remaining))
    seen = (
        f"running={last.running} pending={last.pending} desired={last.desired} "
        f"deployments={len(last.deployments)}"
    )
    raise ECSTimeoutError(
        f"ECS service {cluster}/{service} not stable within {timeout:g}s ({seen})",
        timeout=timeout,
        cluster=cluster,
        service=service,
        last_status=last,
    )
