"""The one-call form: run these operations concurrently and give me every outcome."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from .._clock import Clock
from .._retry import RetryPolicy
from ._events import Event
from ._orchestrator import Orchestrator
from ._report import Report

__all__ = ["gather_outcomes"]

Operation = Callable[[], Awaitable[Any]] | Awaitable[Any]


async def gather_outcomes(
    operations: Mapping[str, Operation] | Iterable[Operation],
    /,
    *,
    max_concurrency: int | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 (the operations' deadline, as in Orchestrator)
    operation_timeout: float | None = None,
    retry: RetryPolicy | None = None,
    fail_fast: bool = False,
    clock: Clock | None = None,
    on_event: Callable[[Event], object] | None = None,
    title: str | None = None,
    logger: logging.Logger | None = None,
) -> Report:
    """Run every operation concurrently and return a :class:`Report` of all their outcomes.

    ``report = await gather_outcomes({"source": source.ping, "target": target.ping}, timeout=10)``

    Unlike ``asyncio.gather`` nothing is lost: every operation has an outcome whether it
    succeeded, failed, timed out or was cancelled, and nothing is left running on return.

    Args:
        operations: Name → zero-argument coroutine function (or an awaitable, run once), or an
            iterable of them, named ``"0"``, ``"1"``... in order. Use ``functools.partial``
            for arguments.
        max_concurrency: Most operations running at once; ``None`` = no limit.
        timeout: Deadline in seconds for all of them.
        operation_timeout: Timeout in seconds for each one.
        retry: Retry policy for each (only for idempotent operations; default one attempt).
        fail_fast: Cancel the rest and raise an ``ExceptionGroup`` at the first failure.
        clock: Time source (see :class:`Orchestrator`).
        on_event: Progress callback (see :class:`Orchestrator`).
        title: Title of the report's table.
        logger: Where each operation's log event goes.

    Returns:
        The report, in the order the operations were given.
    """
    items = (
        list(operations.items())
        if isinstance(operations, Mapping)
        else [(str(i), op) for i, op in enumerate(operations)]
    )
    bad = [name for name, op in items if not callable(op) and not inspect.isawaitable(op)]
    if bad:
        for _, op in items:  # none will run: spare the "never awaited" warnings
            if inspect.iscoroutine(op):
                op.close()
        raise TypeError(f"not a coroutine function or awaitable: {', '.join(map(repr, bad))}")
    async with Orchestrator(
        max_concurrency=max_concurrency,
        timeout=timeout,
        fail_fast=fail_fast,
        retry=retry,
        clock=clock,
        on_event=on_event,
        logger=logger,
    ) as orch:
        for name, op in items:
            orch.submit(name, op, timeout=operation_timeout)
    return Report(orch.outcomes, title=title)
