"""The one concurrency toolkit: run awaitables together under a TaskGroup, and say which error
surfaces.

Every function here is structured (nothing outlives the call) and raises failures as
themselves, never wrapped in an ``ExceptionGroup``, so callers catch the typed asyncconsole
errors they expect:

- :func:`gather` / :func:`gather_pair`: all at once; the first failure (in time) cancels the
  rest and is raised.
- :func:`map_bounded`: ``fn`` over many items, at most ``limit`` at once; a task exists only
  while its item holds a slot, so memory stays flat however many items there are.
- :func:`settle_bounded`: like :func:`map_bounded`, but every item gets its value or its
  asyncconsole error; only other exceptions (bugs, cancellation) propagate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sized
from typing import TypeVar

from ._errors import AsyncConsoleError

__all__ = ["first_failure", "gather", "gather_pair", "map_bounded", "settle_bounded"]

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
I = TypeVar("I")  # noqa: E741


def first_failure(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The failure to surface from a TaskGroup's group: its first leaf, which is the first
    child to fail (a TaskGroup records failures in the order they happen)."""
    first = group.exceptions[0]
    return first_failure(first) if isinstance(first, BaseExceptionGroup) else first


async def gather(*aws: Awaitable[T]) -> list[T]:
    """Await every awaitable concurrently; their results in order.

    The first to fail cancels the others, which are awaited, and its error is raised.
    """
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as tg:
            tasks.extend(tg.create_task(_await(aw)) for aw in aws)
    except BaseExceptionGroup as group:
        raise first_failure(group) from None
    return [t.result() for t in tasks]


async def gather_pair(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Two awaitables of different result types, concurrently, as :func:`gather`."""
    try:
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(_await(first))
            b = tg.create_task(_await(second))
    except BaseExceptionGroup as group:
        raise first_failure(group) from None
    return a.result(), b.result()


async def map_bounded(
    fn: Callable[[I], Awaitable[T]], items: Iterable[I], *, limit: int
) -> list[T]:
    """``[await fn(item) for item in items]``, at most ``limit`` running at once.

    Items are taken from ``items`` only as slots free up (it may be a long generator). The
    first failure stops taking items, cancels those running, and is raised.
    """
    results: dict[int, T] = {}

    async def run(index: int, item: I) -> None:
        results[index] = await fn(item)

    await _pool(run, items, limit)
    return [results[i] for i in range(len(results))]


async def settle_bounded(
    fn: Callable[[I], Awaitable[T]], items: Iterable[I], *, limit: int
) -> list[T | AsyncConsoleError]:
    """Like :func:`map_bounded`, but each item gets its value or the asyncconsole error it
    raised; the others still run. Other exceptions (bugs, cancellation) propagate."""
    results: dict[int, T | AsyncConsoleError] = {}

    async def run(index: int, item: I) -> None:
        try:
            results[index] = await fn(item)
        except AsyncConsoleError as exc:
            results[index] = exc

    await _pool(run, items, limit)
    return [results[i] for i in range(len(results))]


async def _pool(run: Callable[[int, I], Awaitable[None]], items: Iterable[I], limit: int) -> None:
    """``limit`` workers draining one shared iterator of ``(index, item)``."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit!r}")
    if isinstance(items, Sized):
        limit = min(limit, len(items))
    work = enumerate(items)

    async def worker() -> None:
        for index, item in work:  # a shared iterator: each item is taken by one worker
            await run(index, item)

    try:
        async with asyncio.TaskGroup() as tg:
            for _ in range(limit):
                tg.create_task(worker())
    except BaseExceptionGroup as group:
        raise first_failure(group) from None


async def _await(aw: Awaitable[T]) -> T:
    return await aw
