"""Docker's multiplexed stream format (logs and attached output of a container without a TTY).

Each frame is an 8-byte header (stream: 0 stdin, 1 stdout, 2 stderr; three zero bytes; a
big-endian payload length) then the payload. Anything else is not this format: an HTML page
or a JSON document where frames were due is reported as a :class:`ShapeError`.
"""

from __future__ import annotations

import struct

from ..._decode import ShapeError

__all__ = ["Deframer"]

_HEADER = struct.Struct(">BxxxL")
_STREAMS = (0, 1, 2)


class Deframer:
    """Cuts a multiplexed stream, fed in chunks of any size, into ``(stream, payload)`` frames."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[tuple[int, bytes]]:
        """The frames ``chunk`` completes, in order."""
        buffer = self._buffer
        buffer += chunk
        frames: list[tuple[int, bytes]] = []
        start = 0
        while len(buffer) - start >= _HEADER.size:
            if buffer[start] not in _STREAMS or any(buffer[start + 1 : start + 4]):
                shown = bytes(buffer[start : start + 12])
                raise ShapeError(f"not Docker's multiplexed stream format: begins {shown!r}")
            stream, length = _HEADER.unpack_from(buffer, start)
            end = start + _HEADER.size + length
            if len(buffer) < end:
                break
            frames.append((stream, bytes(buffer[start + _HEADER.size : end])))
            start = end
        del buffer[:start]
        return frames

    def end(self) -> list[tuple[int, bytes]]:
        """At the end of the stream: what a frame cut short still carries (the daemon ends a
        log mid-frame when the container goes away)."""
        buffer = self._buffer
        if not buffer:
            return []
        if len(buffer) < _HEADER.size:
            if buffer[0] not in _STREAMS:
                raise ShapeError(f"not Docker's multiplexed stream format: {bytes(buffer)!r}")
            buffer.clear()
            return []
        stream = buffer[0]
        payload = bytes(buffer[_HEADER.size :])
        buffer.clear()
        return [(stream, payload)] if payload else []
