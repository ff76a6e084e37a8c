"""One operation's attempts when it has a retry policy or is observed (logged, traced).

The common case, one attempt with nothing observing, is awaited inline by the orchestrator
instead: each extra layer of awaiting costs on every resumption of a short operation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .._clock import Clock
from .._observe import observe
from ._op import Op

__all__ = ["run_attempts"]


async def run_attempts(
    op: Op,
    clock: Clock,
    logger: logging.Logger | None,
    on_retry: Callable[[Op, int, BaseException, float], None],
) -> Any:
    """Run ``op``'s attempts under its retry policy, waiting between them on ``clock``.

    ``logger``: where the operation is observed as one event (``None``: not observed).
    ``on_retry`` is called with ``op``, the failed attempt's number, its error and the wait.
    """
    if logger is None:
        return await _call(op, clock, on_retry)
    async with observe(logger, "orchestrator.operation", op.name) as info:
        try:
            return await _call(op, clock, on_retry)
        finally:
            info["attempts"] = op.tried


async def _call(
    op: Op, clock: Clock, on_retry: Callable[[Op, int, BaseException, float], None]
) -> Any:
    policy = op.retry
    if policy is None:
        op.tried = 1
        return await op.call()

    def attempt() -> Awaitable[Any]:
        op.tried += 1
        return op.call()

    def retried(number: int, error: BaseException, wait: float) -> None:
        on_retry(op, number, error, wait)

    return await policy.run(attempt, clock=clock, on_retry=retried)
