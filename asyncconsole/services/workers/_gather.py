"""Run coroutines concurrently in a TaskGroup and surface the first failure unwrapped."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["first_leaf", "gather_first_error", "gather_pair"]

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")


def first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception in a (nested) exception group."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return first_leaf(exc)
        return exc
    return group  # pragma: no cover - groups are never empty


async def gather_first_error(*coros: Coroutine[Any, Any, T]) -> list[T]:
    """Await every coroutine concurrently; results in order.

    If any fails, the others are cancelled (TaskGroup semantics) and the first failure is
    raised as itself rather than wrapped in an ``ExceptionGroup``, so callers can catch the
    typed asyncconsole errors they expect.
    """
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(coro) for coro in coros]
    except BaseExceptionGroup as group:
        raise first_leaf(group) from None
    return [task.result() for task in tasks]


async def gather_pair(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    """Two coroutines of different result types, concurrently, as :func:`gather_first_error`."""
    try:
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(first)
            b = tg.create_task(second)
    except BaseExceptionGroup as group:
        raise first_leaf(group) from None
    return a.result(), b.result()
