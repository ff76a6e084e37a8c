"""Progress events and the bounded, never-blocking streams that deliver them.

Publishing never waits: each subscriber has its own bounded buffer, and when a slow (or absent)
reader lets it fill up, the *oldest* buffered event is dropped and counted, so a live view always
converges on the newest state. Nothing is buffered for nobody: with no subscriber and no callback
no event object is even built.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._outcome import Outcome

__all__ = ["Event", "EventKind", "EventStream"]


class EventKind(enum.StrEnum):
    """What happened to an operation. Members compare equal to their string values."""

    STARTED = "started"
    """It took a concurrency slot and its first attempt begins."""
    RETRIED = "retried"
    """An attempt failed with a transient error; the next one follows after ``wait`` seconds."""
    FINISHED = "finished"
    """It ended; ``outcome`` says how (also sent for operations that never started)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One progress event of one operation.

    Attributes:
        kind: ``started``, ``retried`` or ``finished``.
        name: The operation's name.
        attempt: The attempt number this event concerns (1-based; for ``retried`` the attempt
            that failed; for ``finished`` the number of attempts made, 0 if it never started).
        time: Seconds since the orchestrator was entered, on its clock.
        elapsed: Seconds since the operation started (0.0 for ``started``).
        error: The transient error that caused a retry (``retried`` only).
        wait: Seconds until the next attempt (``retried`` only).
        outcome: The final outcome (``finished`` only).
    """

    kind: EventKind
    name: str
    attempt: int
    time: float
    elapsed: float = 0.0
    error: BaseException | None = None
    wait: float | None = None
    outcome: Outcome | None = None


class EventStream:
    """An async iterator over an orchestrator's events, from subscription onwards.

    Made by :meth:`Orchestrator.events() <asyncconsole.Orchestrator.events>`. It holds at most
    ``buffer`` unread events; past that the oldest are dropped (counted in :attr:`dropped`).
    """

    def __init__(
        self,
        buffer: int,
        *,
        is_done: Callable[[], bool],
        on_close: Callable[[EventStream], None],
    ) -> None:
        self._buffer: collections.deque[Event] = collections.deque()
        self._limit = buffer
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._is_done = is_done
        self._on_close = on_close
        self.dropped = 0
        """How many events were discarded because the buffer was full."""

    def _put(self, event: Event) -> None:
        if self._closed:
            return
        if len(self._buffer) >= self._limit:
            self._buffer.popleft()
            self.dropped += 1
        self._buffer.append(event)
        self._wake()

    def _finish(self) -> None:
        """No more events will come: iteration ends once the buffer is drained."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        """Let a waiting reader re-check for events or the end."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        while not self._buffer:
            if self._closed or self._is_done():
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()

    async def aclose(self) -> None:
        """Stop receiving events (iteration ends after what is already buffered)."""
        self._buffer.clear()
        self._finish()
        self._on_close(self)
