"""The dashboard's live topics: one poll loop per resource however many watch it, the newest
state for every watcher, no polling for nobody, loops ended with the hub. Time is a FakeClock
moved by the test."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asyncconsole import FakeClock
from asyncconsole.serve._hub import Hub, Publish, Topic


class Counter:
    """A poll that counts its rounds and answers the round number."""

    def __init__(self) -> None:
        self.rounds = 0

    async def __call__(self, _publish: Publish) -> dict[str, Any]:
        self.rounds += 1
        return {"document": {"round": self.rounds}}


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(auto_advance=False)


async def test_twenty_watchers_cause_the_rounds_of_one(clock: FakeClock) -> None:
    poll = Counter()
    async with Hub(clock) as hub:
        topic = hub.add(Topic("backfill", poll, interval=2.0, clock=clock))
        watchers = [hub.subscribe([topic]) for _ in range(20)]
        await _settle()
        for _ in range(10):
            await clock.advance(2.0)
        assert poll.rounds == 11  # the first round at once, then one per interval
        for watcher in watchers:
            (message,) = await watcher.next(keepalive=1.0)
            assert message.document == {"round": 11}  # only the newest state, no backlog


async def test_nobody_watching_means_no_round(clock: FakeClock) -> None:
    poll = Counter()
    async with Hub(clock) as hub:
        topic = hub.add(Topic("replay", poll, interval=1.0, clock=clock))
        await _settle()
        await clock.advance(10.0)
        assert poll.rounds == 0
        watcher = hub.subscribe([topic])
        await _settle()
        assert poll.rounds == 1
        hub.unsubscribe(watcher)
        await clock.advance(10.0)
        assert poll.rounds == 1  # the loop went back to waiting


async def test_concurrent_readers_share_one_round_and_a_fresh_answer_is_reused(
    clock: FakeClock,
) -> None:
    poll = Counter()
    async with Hub(clock) as hub:
        topic = hub.add(Topic("snapshot", poll, interval=5.0, clock=clock))
        answers = await asyncio.gather(*(topic.current() for _ in range(15)))
        assert poll.rounds == 1
        assert {a.version for a in answers} == {1}
        again = await topic.current()  # younger than the interval: no new round
        assert (again.version, poll.rounds) == (1, 1)
        topic.kick()  # an action changed the resource: the next answer is fresh
        fresh = await topic.current()
        assert fresh.document == {"round": 2}


async def test_intermediate_states_reach_watchers_and_readers_get_the_final_one(
    clock: FakeClock,
) -> None:
    async def overview(publish: Publish) -> dict[str, Any]:
        publish({"live": {"target": "running"}})
        publish({"live": {"target": "ok"}})
        return {"document": {"components": {"target": "ok"}}}

    async with Hub(clock) as hub:
        topic = hub.add(Topic("overview", overview, interval=5.0, clock=clock))
        watcher = hub.subscribe([topic])
        final = await topic.current()
        assert final.final
        assert final.document == {"components": {"target": "ok"}}
        (newest,) = await watcher.next(keepalive=1.0)
        assert newest.version == final.version == 3


async def test_a_failed_round_publishes_the_cli_error_document(clock: FakeClock) -> None:
    from asyncconsole._errors import SnapshotNotStartedError

    async def failing(_publish: Publish) -> dict[str, Any]:
        raise SnapshotNotStartedError("Snapshot not started", snapshot="s")

    async with Hub(clock) as hub:
        topic = hub.add(Topic("snapshot", failing, interval=1.0, clock=clock))
        message = await topic.current()
    assert message.document is None
    assert message.fields["status"] == 404
    assert message.error == {
        "error": {
            "type": "SnapshotNotStartedError",
            "message": "Snapshot not started",
            "exit_code": 1,
            "issues": [],
            "hints": [],
        }
    }


async def test_a_dynamic_topic_retires_when_nobody_watches(clock: FakeClock) -> None:
    poll = Counter()
    async with Hub(clock, max_dynamic=1) as hub:
        topic = hub.add(Topic("series:a", poll, interval=1.0, clock=clock, dynamic=True, idle=30))
        watcher = hub.subscribe([topic])
        await _settle()
        with pytest.raises(LookupError):
            hub.add(Topic("series:b", poll, interval=1.0, clock=clock, dynamic=True))
        hub.unsubscribe(watcher)
        await clock.advance(31.0)
        await _settle()
        assert "series:a" not in hub.topics
        hub.add(Topic("series:b", poll, interval=1.0, clock=clock, dynamic=True))


async def test_closing_the_hub_ends_loops_and_subscriptions(clock: FakeClock) -> None:
    poll = Counter()
    hub = Hub(clock)
    topic = hub.add(Topic("backfill", poll, interval=1.0, clock=clock))
    async with hub:
        watcher = hub.subscribe([topic])
        await _settle()
        tasks = list(hub._tasks.values())
        assert tasks
    assert watcher.closed
    assert await watcher.next(keepalive=60.0) == []  # returns at once: the stream ends
    assert all(task.done() for task in tasks)
    assert hub.subscriptions == 0


async def test_a_frame_is_encoded_once_for_every_watcher(clock: FakeClock) -> None:
    poll = Counter()
    async with Hub(clock) as hub:
        topic = hub.add(Topic("clusters", poll, interval=1.0, clock=clock, withheld=("document",)))
        watchers = [hub.subscribe([topic]) for _ in range(3)]
        await _settle()
        messages = [(await w.next(keepalive=1.0))[0] for w in watchers]
    assert all(m is messages[0] for m in messages)
    frame = messages[0].frame.decode()
    assert frame.startswith("id: 1\ndata: {")
    assert frame.endswith("\n\n")
    assert '"document"' not in frame  # large documents are fetched in pages, not streamed
