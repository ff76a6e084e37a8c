"""Rules shared by the real and the fake ECS manager: defaults, validation, errors, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..._clock import Clock
from ..._errors import ECSError, ECSNotFoundError, OperationTimeoutError
from ..._retry import RetryPolicy
from ._types import ServiceStatus, TaskState

DEFAULT_RETRY = RetryPolicy(
    attempts=4, wait_initial=0.2, wait_max=5.0, wait_jitter=0.2, timeout=60.0
)
"""Retries for idempotent ECS calls (describe, list, update desired count, stop)."""

MAX_RUN_TASK_COUNT = 10  # the RunTask API limit

# A hung status read may overrun ``wait_until_stable``'s clock deadline by at most this much.
STABLE_WAIT_GRACE = 2.0

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


def throttling_error(operation: str) -> ECSError:
    """The error AWS throttling becomes: transient, code ``ThrottlingException``."""
    err = ECSError(f"ECS {operation} throttled: Rate exceeded", code="ThrottlingException")
    err.transient = True
    return err


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
    read: Callable[[], Awaitable[ServiceStatus]],
    *,
    cluster: str,
    service: str,
    timeout: float,  # noqa: ASYNC109 - a deadline on the injected clock
    poll_interval: float,
    clock: Clock,
) -> ServiceStatus:
    """Read until ``status.stable``; the deadline is on ``clock`` so fake time works."""
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout}")
    if poll_interval <= 0:
        raise ValueError(f"poll_interval must be > 0, got {poll_interval}")
    deadline = clock.monotonic() + timeout
    last: ServiceStatus | None = None
    # The clock deadline decides; the real-time bound only stops a hung call on a real clock.
    guard = asyncio.timeout(timeout + STABLE_WAIT_GRACE)
    try:
        async with guard:
            while True:
                last = await read()
                if last.stable:
                    return last
                remaining = deadline - clock.monotonic()
                if remaining <= 0:
                    break
                await clock.sleep(min(poll_interval, remaining))
    except TimeoutError:
        if not guard.expired():
            raise
    seen = (
        f"running={last.running} pending={last.pending} desired={last.desired} "
        f"deployments={len(last.deployments)}"
        if last is not None
        else "no status read"
    )
    raise OperationTimeoutError(
        f"ECS service {cluster}/{service} not stable within {timeout:g}s ({seen})",
        timeout=timeout,
        cluster=cluster,
        service=service,
        last_status=last,
    )
