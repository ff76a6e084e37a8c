"""Cleanup that survives cancellation, bounded in time.

A cancelled call must leave nothing behind: a process half started, a container half made, a
pod created. These helpers let one step finish (or an undo run) even when the caller is
cancelled again meanwhile, and then let the cancellation through. They never leave a task
running: what they start, they await.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from contextlib import suppress
from typing import Any, TypeVar

from ._call import detach_deadline

__all__ = ["finish", "settle", "undo"]

T = TypeVar("T")


async def finish(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` to its end even if the caller is cancelled meanwhile (the peer will
    finish the step anyway: a create, a start, a spawn), then raise the cancellation (whatever
    the step's outcome), so the cleanup that follows does not race with the step."""
    task = asyncio.ensure_future(coro)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                cancelled = True
                continue
            if task.cancelled() or not cancelled:
                raise
            raise asyncio.CancelledError from task.exception()
        except BaseException:
            if cancelled:
                raise asyncio.CancelledError from None
            raise
        if cancelled:
            raise asyncio.CancelledError
        return result


async def undo(
    what: str, coro: Coroutine[Any, Any, None], *, limit: float, logger: logging.Logger
) -> None:
    """Run the undo step ``coro`` to its end within ``limit`` seconds (real time: it bounds a
    real peer), even if the caller is cancelled again meanwhile; its failure is logged, not
    raised (the caller is already raising something). A cancellation that arrived meanwhile is
    raised after it.

    The undo is bounded by ``limit``, not by the deadline of the call it cleans up after
    (which has often passed: that is why it is cleaning up); the adapter calls it makes take
    their own deadlines."""

    async def bounded() -> None:
        detach_deadline()  # in this task's own copy of the context
        async with asyncio.timeout(limit):
            await coro

    try:
        await finish(bounded())
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        logger.warning("cleanup (%s) failed: %s", what, exc)


async def settle(aw: Awaitable[Any]) -> None:
    """Wait for ``aw`` to end, whatever its outcome (the caller handles the aftermath)."""
    with suppress(BaseException):
        await aw
