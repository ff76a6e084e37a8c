"""A TCP delay line: a peer made far away, and the client's round trips to it counted.

:class:`DelayLine` forwards TCP between a client and its peer on 127.0.0.1, as if the peer
were ``delay`` seconds of round trip away: a new connection is usable ``delay`` after it is
accepted (the handshake), and each request's answer arrives ``delay`` after the request was
forwarded. It also counts the client's **round trips**: the sequential steps in which it
waits for answers. Each connection and each request gets a *depth*, one more than the deepest
answer the client had received when it could first send it (a request cannot leave before its
connection is up); an operation's round trips are the greatest depth of its answers. Requests
sent together (even on new connections, made together) are one step; a request that waited
for an earlier answer is the next step. Several lines sharing one :class:`RoundTrips` count
one client's steps across its peers.

Requests are told apart per connection as HTTP/1.1 clients send them: a request is what the
client sends after the previous answer began arriving (no pipelining).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from .._resource import AsyncResource

__all__ = ["DelayLine", "RoundTrips"]


@dataclass
class RoundTrips:
    """What one or more :class:`DelayLine` s saw since the last :meth:`reset`.

    Attributes:
        round_trips: The deepest answer delivered: the client's sequential waiting steps.
        connections: Connections accepted.
        requests: Requests forwarded.
    """

    round_trips: int = 0
    connections: int = 0
    requests: int = 0
    _delivered: int = field(default=0, repr=False)  # the deepest answer the client has now
    _epoch: int = field(default=0, repr=False)  # resets so far: older depths no longer count

    def reset(self) -> None:
        """Start counting a new operation (open connections stay usable, at depth 0)."""
        self.round_trips = self.connections = self.requests = self._delivered = 0
        self._epoch += 1

    def _depth(self, at_least: int = 0) -> int:
        return max(self._delivered, at_least) + 1

    def _deliver(self, depth: int) -> None:
        self._delivered = max(self._delivered, depth)
        self.round_trips = max(self.round_trips, depth)


class DelayLine(AsyncResource):
    """A TCP proxy on 127.0.0.1 that puts ``delay`` seconds of round trip before its peer.

    ``async with DelayLine("127.0.0.1", 9200, delay=0.1) as line:`` then point the client at
    ``line.port`` (:attr:`url` for HTTP); :attr:`counter` counts its round trips (pass one
    :class:`RoundTrips` to several lines to count across peers).

    Args:
        host: The peer's address.
        port: The peer's port.
        delay: Seconds of round trip added to each connection's handshake and each request.
        counter: Where round trips are counted (default: a new one).
        listen_port: Port to listen on (0: a free one).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        delay: float,
        counter: RoundTrips | None = None,
        listen_port: int = 0,
    ) -> None:
        if delay < 0:
            raise ValueError(f"delay must be >= 0 seconds, not {delay!r}")
        self.host = host
        self.peer_port = port
        self.delay = delay
        self.counter = counter if counter is not None else RoundTrips()
        self.port = listen_port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    async def _open(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(BaseException):
                await task
        if server is not None:
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _accept(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._relay(client_in, client_out)
        except (ConnectionError, OSError):
            pass  # either side went away: the other is closed below
        except asyncio.CancelledError:
            pass  # the line is closing (this task is the server's callback: it must not raise)
        finally:
            self._connections.discard(task)
            client_out.close()

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        counter = self.counter
        counter.connections += 1
        epoch, connection_depth = counter._epoch, counter._depth()
        up_in, up_out = await asyncio.open_connection(self.host, self.peer_port)
        try:
            await asyncio.sleep(self.delay)  # the handshake's round trip
            counter._deliver(connection_depth)
            # The request awaiting its answer: (depth, time the answer may arrive).
            waiting: list[tuple[int, float]] = []
            answering = asyncio.Event()  # set while an answer is being delivered
            answering.set()

            async def requests() -> None:
                while chunk := await client_in.read(65536):
                    if answering.is_set():  # the previous answer began: a new request
                        answering.clear()
                        counter.requests += 1
                        # An open connection made before the last reset counts as depth 0.
                        up = connection_depth if epoch == counter._epoch else 0
                        waiting.append((counter._depth(up), loop.time() + self.delay))
                    up_out.write(chunk)
                    await up_out.drain()
                if up_out.can_write_eof():
                    up_out.write_eof()

            async def answers() -> None:
                while chunk := await up_in.read(65536):
                    if waiting:  # the first chunk of an answer: it arrives delay after
                        depth, due = waiting.pop(0)
                        await asyncio.sleep(max(0.0, due - loop.time()))
                        counter._deliver(depth)
                        answering.set()
                    client_out.write(chunk)
                    await client_out.drain()
                client_out.close()  # the peer hung up: so does the line

            async with asyncio.TaskGroup() as tg:
                tg.create_task(requests())
                tg.create_task(answers())
        finally:
            up_out.close()
