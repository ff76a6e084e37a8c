"""Container log lines as an async iterator that always closes its source."""

from __future__ import annotations

import codecs
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self

__all__ = ["ChunkSource", "LogStream"]


class ChunkSource(Protocol):
    """Where log bytes come from: the daemon's HTTP response, or a fake container's log."""

    async def read(self) -> bytes | None:
        """The next chunk of output, or None once the log has ended."""
        ...

    def close(self) -> None:
        """Release the source at once (synchronous so it can run from ``__del__``)."""
        ...


class LogStream:
    """Lines of a container's log as they are written, without their line endings.

    Iterate it directly (``async for line in docker.follow_logs(cid)``) or, to close the
    underlying HTTP stream the moment you stop reading, use it as a context manager::

        async with docker.follow_logs(cid) as lines:
            async for line in lines:
                if "ready" in line:
                    break

    The stream also closes when the log ends, when the reading task is cancelled, on
    :meth:`aclose`, and (as a last resort) when it is garbage-collected.
    """

    def __init__(self, open_source: Callable[[], Awaitable[ChunkSource]]) -> None:
        self._open_source: Callable[[], Awaitable[ChunkSource]] | None = open_source
        self._source: ChunkSource | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._lines: deque[str] = deque()
        self._ended = False
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the stream is closed (ended, stopped, or failed)."""
        return self._closed

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while not self._lines:
            if self._ended or self._closed:
                self._closed = True
                self._close_source()
                raise StopAsyncIteration
            try:
                if self._source is None:
                    opener, self._open_source = self._open_source, None
                    if opener is None:
                        raise StopAsyncIteration
                    self._source = await opener()
                chunk = await self._source.read()
            except BaseException:
                # Cancelled or failed mid-read: never leave the HTTP stream open behind us.
                self._closed = True
                self._close_source()
                raise
            if chunk is None:
                self._ended = True
                tail = self._partial + self._decoder.decode(b"", final=True)
                self._partial = ""
                if tail:
                    self._lines.append(tail.rstrip("\r"))
            else:
                self._feed(chunk)
        return self._lines.popleft()

    def _feed(self, chunk: bytes) -> None:
        text = self._partial + self._decoder.decode(chunk)
        *complete, self._partial = text.split("\n")
        self._lines.extend(line.rstrip("\r") for line in complete)

    async def aclose(self) -> None:
        """Stop reading and close the underlying stream. Idempotent."""
        self._closed = True
        self._lines.clear()
        self._close_source()

    def _close_source(self) -> None:
        source, self._source = self._source, None
        self._open_source = None
        if source is not None:
            source.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # Abandoned without aclose(): closing is synchronous, so it is safe here.
        self._close_source()
