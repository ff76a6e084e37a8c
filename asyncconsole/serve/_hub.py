"""One poll loop per resource, its newest state fanned out to any number of watchers.

A :class:`Topic` is one resource (the overview's checks, the backfill's status...): one loop
asks the SDK for it every interval *while someone watches it* (an event-stream subscriber, or
an API request waiting for a fresh answer) and publishes each answer as a :class:`Message`,
encoded once whatever the number of watchers. A :class:`Subscription` keeps only the newest
unread message per topic, so a slow page skips to the current state instead of building a
backlog, and the SDK's request rate to the peers does not depend on how many pages are open.

The :class:`Hub` owns the loops in one task group: they start when it opens and are cancelled
and awaited when it closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from .._clock import Clock
from .._resource import AsyncResource

__all__ = ["Hub", "Message", "Poll", "Publish", "Subscription", "Topic"]

_log = logging.getLogger("asyncconsole.serve")

Publish = Callable[[dict[str, Any]], None]
"""Publish an intermediate state of a round (e.g. one finished check of the overview)."""
Poll = Callable[[Publish], Awaitable[dict[str, Any]]]
"""One round of a topic: asks the SDK and returns the message fields (``document`` or
``error``, plus what the page needs); may publish intermediate states on the way."""


@dataclass(frozen=True)
class Message:
    """One published state of a topic.

    Attributes:
        topic: The topic's name.
        version: 1 for the first message of the topic, then counting up.
        time: When it was published.
        fields: ``document`` (the API's answer) or ``error`` (an error document), plus
            extras for the page.
        final: Whether a round ended with it (intermediate states are not final).
        withheld: Field names left out of the event stream (large documents the page
            fetches in pages instead).
        view: Anything the API derives answers from (the clusters' comparison rows).
    """

    topic: str
    version: int
    time: datetime
    fields: dict[str, Any]
    final: bool = True
    withheld: frozenset[str] = frozenset()
    view: Any = field(default=None, compare=False)

    @property
    def document(self) -> Any:
        """The API's answer, or None when the round failed."""
        return self.fields.get("document")

    @property
    def error(self) -> dict[str, Any] | None:
        """The error document of a failed round, or None."""
        error: dict[str, Any] | None = self.fields.get("error")
        return error

    @cached_property
    def frame(self) -> bytes:
        """This message as one server-sent event (encoded once for every subscriber)."""
        shown = {k: v for k, v in self.fields.items() if k not in self.withheld}
        data = {"topic": self.topic, "version": self.version, "time": self.time.isoformat()}
        text = json.dumps({**data, **shown}, separators=(",", ":"), default=str)
        return f"id: {self.version}\ndata: {text}\n\n".encode()


class Subscription:
    """What one watcher (an event-stream connection) has not read yet: the newest message
    per topic."""

    def __init__(self, hub: Hub, topics: Iterable[Topic]) -> None:
        self._hub = hub
        self.topics = list(topics)
        self._pending: dict[str, Message] = {}
        self._ready = asyncio.Event()
        self.closed = False

    def offer(self, message: Message) -> None:
        """Keep ``message`` as this topic's newest unread one (replacing an older one)."""
        if self.closed:
            return
        self._pending[message.topic] = message
        self._ready.set()

    async def next(self, keepalive: float) -> list[Message]:
        """The unread messages, oldest topic first; ``[]`` after ``keepalive`` seconds without
        any, or once the subscription is closed."""
        if not self._pending and not self.closed:
            with contextlib.suppress(TimeoutError):
                async with self._hub.clock.timeout(keepalive):
                    await self._ready.wait()
        self._ready.clear()
        found = sorted(self._pending.values(), key=lambda m: m.time)
        self._pending.clear()
        return found

    def close(self) -> None:
        """Stop watching: the topics no longer poll for this subscriber."""
        if self.closed:
            return
        self.closed = True
        self._pending.clear()
        self._ready.set()
        for topic in self.topics:
            topic.subscribers.discard(self)


class Topic:
    """One resource, polled by one loop while watched.

    Args:
        name: The topic's name (``backfill``, ``series:replayer:kafkaCommitCount:Average``).
        poll: One round (see :data:`Poll`).
        interval: Seconds between rounds while watched.
        clock: Time source.
        withheld: Message fields not streamed (fetched through the API instead).
        dynamic: Made on demand; its loop ends (and the hub forgets it) once nobody has
            watched it for ``idle`` seconds.
        idle: See ``dynamic``.
    """

    def __init__(
        self,
        name: str,
        poll: Poll,
        *,
        interval: float,
        clock: Clock,
        withheld: Iterable[str] = (),
        dynamic: bool = False,
        idle: float = 60.0,
    ) -> None:
        self.name = name
        self.interval = interval
        self.clock = clock
        self.dynamic = dynamic
        self.idle = idle
        self.withheld = frozenset(withheld)
        self.subscribers: set[Subscription] = set()
        self.latest: Message | None = None
        """The newest message, intermediate or final."""
        self.complete: Message | None = None
        """The newest message that ended a round (what the API answers)."""
        self.rounds = 0
        """How many rounds ran (each one asks the SDK once)."""
        self._poll = poll
        self._version = 0
        self._wanted = asyncio.Event()
        self._kick = asyncio.Event()
        self._round: asyncio.Future[Message] | None = None
        self._completed_at: float | None = None
        self._stale = False

    def __repr__(self) -> str:
        return f"<Topic {self.name} v{self._version} watchers={len(self.subscribers)}>"

    # -- publishing -------------------------------------------------------------------------------

    def publish(self, fields: dict[str, Any], *, final: bool = False, view: Any = None) -> Message:
        """Publish ``fields`` as the topic's newest state to every subscriber."""
        self._version += 1
        message = Message(
            self.name,
            self._version,
            self.clock.now(),
            fields,
            final=final,
            withheld=self.withheld,
            view=view,
        )
        self.latest = message
        if final:
            self.complete = message
        for subscriber in list(self.subscribers):
            subscriber.offer(message)
        return message

    def kick(self) -> None:
        """Poll again now if watched (after an action changed the resource); the next API
        answer is fresh either way."""
        self._stale = True
        self._kick.set()

    # -- reading ----------------------------------------------------------------------------------

    def watch(self, subscription: Subscription) -> None:
        """Send ``subscription`` the current state, then every new one."""
        self.subscribers.add(subscription)
        if self.latest is not None:
            subscription.offer(self.latest)
        self._wanted.set()

    async def current(self) -> Message:
        """The last round's message if it is younger than the interval, else the next one
        (one round however many callers wait for it)."""
        if (
            self.complete is not None
            and not self._stale
            and self._completed_at is not None
            and self.clock.monotonic() - self._completed_at < self.interval
        ):
            return self.complete
        if self._round is None:
            self._round = asyncio.get_running_loop().create_future()
        waiting = self._round
        self._wanted.set()
        self._kick.set()
        return await asyncio.shield(waiting)

    def abandon(self) -> None:
        """Fail the callers of :meth:`current` still waiting (the hub is closing)."""
        waiting, self._round = self._round, None
        if waiting is not None and not waiting.done():
            waiting.set_exception(ConnectionAbortedError("the dashboard is stopping"))

    @property
    def watched(self) -> bool:
        """Whether someone wants rounds (a subscriber, or a caller of :meth:`current`)."""
        return bool(self.subscribers) or self._round is not None

    # -- the loop ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll while watched, wait while not; returns when a dynamic topic went idle."""
        while True:
            if not self.watched:
                self._wanted.clear()
                if self.dynamic:
                    try:
                        async with self.clock.timeout(self.idle):
                            await self._wanted.wait()
                    except TimeoutError:
                        if not self.watched:
                            return
                else:
                    await self._wanted.wait()
            self._kick.clear()
            self._stale = False
            # callers arriving during this round wait for the next one: it starts after them
            waiting, self._round = self._round, None
            message = await self._one_round()
            if waiting is not None and not waiting.done():
                waiting.set_result(message)
            if self._kick.is_set():
                continue
            with contextlib.suppress(TimeoutError):
                async with self.clock.timeout(self.interval):
                    await self._kick.wait()

    async def _one_round(self) -> Message:
        self.rounds += 1

        def intermediate(fields: dict[str, Any]) -> None:
            self.publish(fields)

        view = None
        try:
            fields = await self._poll(intermediate)
            view = fields.pop("view", None)
        except Exception as exc:
            _log.info("%s: poll failed: %s", self.name, exc)
            from ._errors import error_fields

            fields = error_fields(exc)
        self._completed_at = self.clock.monotonic()
        return self.publish(fields, final=True, view=view)


class Hub(AsyncResource):
    """The topics of one dashboard and the task group running their loops.

    Args:
        clock: Time source of the loops.
        max_dynamic: Most on-demand topics at once (metric series picked on the page).
    """

    def __init__(self, clock: Clock, *, max_dynamic: int = 32) -> None:
        self.clock = clock
        self.max_dynamic = max_dynamic
        self.topics: dict[str, Topic] = {}
        self._subscriptions: set[Subscription] = set()
        self._stack = contextlib.AsyncExitStack()
        self._group: asyncio.TaskGroup | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def add(self, topic: Topic) -> Topic:
        """Register ``topic``; its loop starts now if the hub is open, else when it opens."""
        if topic.name in self.topics:
            raise ValueError(f"topic {topic.name!r} exists")
        if topic.dynamic and sum(t.dynamic for t in self.topics.values()) >= self.max_dynamic:
            raise LookupError(f"too many live series at once (at most {self.max_dynamic})")
        self.topics[topic.name] = topic
        if self._group is not None:
            self._start(topic)
        return topic

    def get(self, name: str, make: Callable[[], Topic] | None = None) -> Topic:
        """The topic called ``name``, made by ``make`` when absent.

        Raises:
            KeyError: No such topic and no ``make``.
            LookupError: Too many dynamic topics.
        """
        topic = self.topics.get(name)
        if topic is None:
            if make is None:
                raise KeyError(name)
            topic = self.add(make())
        return topic

    def subscribe(self, topics: Iterable[Topic]) -> Subscription:
        """A subscription to ``topics``, starting with their current states."""
        subscription = Subscription(self, topics)
        self._subscriptions.add(subscription)
        for topic in subscription.topics:
            topic.watch(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Close ``subscription`` and forget it."""
        subscription.close()
        self._subscriptions.discard(subscription)

    def close_subscriptions(self) -> None:
        """End every subscription (their event streams finish): the server is stopping."""
        for subscription in list(self._subscriptions):
            self.unsubscribe(subscription)

    @property
    def subscriptions(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscriptions)

    def _start(self, topic: Topic) -> None:
        assert self._group is not None

        async def run() -> None:
            try:
                await topic.run()
            finally:
                self._tasks.pop(topic.name, None)
                if topic.dynamic and self.topics.get(topic.name) is topic:
                    del self.topics[topic.name]

        self._tasks[topic.name] = self._group.create_task(run(), name=f"serve {topic.name}")

    async def _open(self) -> None:
        self._group = await self._stack.enter_async_context(asyncio.TaskGroup())
        self._stack.callback(self._cancel_all)
        for topic in self.topics.values():
            self._start(topic)

    def _cancel_all(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for topic in self.topics.values():
            topic.abandon()

    async def _close(self) -> None:
        self.close_subscriptions()
        try:
            await self._stack.aclose()
        finally:
            self._group = None
