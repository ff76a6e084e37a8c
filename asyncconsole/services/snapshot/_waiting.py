"""Waiting on a snapshot: polling its status until it ends, or its ``GET`` until it is gone."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable
from typing import Protocol

from ..._clock import Clock
from ..._errors import OperationTimeoutError, SnapshotFailedError
from ..clusters import Cluster
from ._status import SnapshotState, SnapshotStatus

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "ProgressCallback",
    "final_status",
    "statuses_until_done",
    "wait_until_gone",
]

DEFAULT_WAIT_TIMEOUT = 6 * 3600.0
"""Longest :meth:`Snapshot.wait` / :meth:`Snapshot.watch` waits unless told otherwise."""


class ProgressCallback(Protocol):
    """Called with each :class:`SnapshotStatus` while waiting; may return an awaitable."""

    def __call__(self, status: SnapshotStatus, /) -> Awaitable[None] | None: ...


async def statuses_until_done(
    deep_status: Callable[[], Awaitable[SnapshotStatus]],
    *,
    snapshot: str,
    clock: Clock,
    poll_interval: float,
    timeout: float,  # noqa: ASYNC109 - a deadline on the injected clock
) -> AsyncGenerator[SnapshotStatus, None]:
    """Yield ``deep_status()`` every ``poll_interval`` seconds until the snapshot finishes (the
    finished status is the last one).

    Raises:
        OperationTimeoutError: Still running after ``timeout`` seconds.
    """
    deadline = clock.monotonic() + timeout
    while True:
        status = await deep_status()
        yield status
        if status.done:
            return
        if clock.monotonic() + poll_interval > deadline:
            raise OperationTimeoutError(
                f"snapshot {snapshot} still running after {timeout:g}s "
                f"({status.percentage_completed:.2f}% done)",
                timeout=timeout,
                snapshot=snapshot,
            )
        await clock.sleep(poll_interval)


async def final_status(
    statuses: AsyncIterable[SnapshotStatus],
    *,
    snapshot: str,
    on_progress: ProgressCallback | None = None,
) -> SnapshotStatus:
    """The last of ``statuses``, each passed to ``on_progress`` (awaited when it returns an
    awaitable) on the way.

    Raises:
        SnapshotFailedError: It ended FAILED or PARTIAL (``context["status"]`` has it).
    """
    final: SnapshotStatus | None = None
    async for status in statuses:
        final = status
        if on_progress is not None:
            result = on_progress(status)
            if inspect.isawaitable(result):
                await result
    assert final is not None
    if final.status is SnapshotState.FAILED:
        raise SnapshotFailedError(
            f"snapshot {snapshot} ended {final.state}", state=final.state, status=final
        )
    return final


async def wait_until_gone(
    cluster: Cluster,
    path: str,
    *,
    snapshot: str,
    clock: Clock,
    timeout: float,  # noqa: ASYNC109 - a deadline on the injected clock
    poll_interval: float,
) -> None:
    """Poll ``GET path`` until it answers 404.

    Raises:
        OperationTimeoutError: The snapshot still exists after ``timeout`` seconds.
    """
    deadline = clock.monotonic() + timeout
    while True:
        check = await cluster.call_api(path, raise_error=False)
        if check.status == 404:
            return
        if clock.monotonic() + poll_interval > deadline:
            raise OperationTimeoutError(
                f"snapshot {snapshot} still exists {timeout:g}s after deletion",
                timeout=timeout,
                snapshot=snapshot,
            )
        await clock.sleep(poll_interval)
