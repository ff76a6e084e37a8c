"""Splitting a streamed body into lines (watch events, followed logs), whatever the chunking."""

from __future__ import annotations

from ..._decode import ShapeError

__all__ = ["LineBuffer"]


class LineBuffer:
    """Collects chunks and hands out complete lines (without their ``\\n``).

    A chunk may end mid-line, even mid-character; the rest waits for the next chunk. With
    ``limit``, a line longer than that many bytes is a :class:`ShapeError` (a peer streaming
    without line ends would otherwise fill memory).
    """

    __slots__ = ("_limit", "_pending")

    def __init__(self, limit: int | None = None) -> None:
        self._pending = b""
        self._limit = limit

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines ``chunk`` completes."""
        data = self._pending + chunk if self._pending else chunk
        *lines, self._pending = data.split(b"\n")
        if self._limit is not None and len(self._pending) > self._limit:
            raise ShapeError(f"a line longer than {self._limit} bytes")
        return lines

    def rest(self) -> bytes:
        """What follows the last line end (a last line without one), emptied."""
        rest, self._pending = self._pending, b""
        return rest
