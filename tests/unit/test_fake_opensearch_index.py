"""The fake index's refresh: it applies pending writes only, and scheduled refreshes follow the clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from asyncconsole import FakeClock
from asyncconsole.testing._opensearch._index import Index, StoredDoc


class _NoScan(dict[str, StoredDoc]):
    """A dict that fails the test if anything walks over it."""

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the whole index was scanned")

    def items(self) -> Any:
        raise AssertionError("the whole index was scanned")

    def values(self) -> Any:
        raise AssertionError("the whole index was scanned")

    def keys(self) -> Any:
        raise AssertionError("the whole index was scanned")


def _index(clock: FakeClock, **settings: Any) -> Index:
    return Index("i", clock=clock, created_ms=0, settings=settings)


def test_a_refresh_touches_only_the_pending_writes() -> None:
    index = _index(FakeClock())
    for n in range(1000):
        index.put(str(n), {"n": n}, infer=False)
    index.refresh()
    index.docs = _NoScan(index.docs)
    index.put("1", {"n": -1}, infer=False)
    index.delete("2")
    index.put("new", {"n": 1000}, infer=False)
    assert index.pending == 3
    index.refresh()  # would raise if it walked over the 1000 stored documents
    assert index.pending == 0
    assert (dict.__len__(index.docs), index.deleted) == (1000, 2)
    assert dict.get(index.docs, "1").source == {"n": -1}  # type: ignore[union-attr]


async def test_the_scheduled_refresh_is_due_refresh_interval_after_the_first_pending_write() -> (
    None
):
    clock = FakeClock()
    index = _index(clock, refresh_interval="2s")
    index.put("a", {}, infer=False)
    await clock.advance(1.5)
    index.put("b", {}, infer=False)  # joins the pending refresh, does not reschedule it
    assert index.due_in() == 0.5
    await clock.advance(0.5)
    index.tick()
    assert sorted(index.docs) == ["a", "b"]
    assert index.due_in() is None


async def test_a_write_after_a_missed_tick_is_not_swept_into_the_old_refresh() -> None:
    clock = FakeClock()
    index = _index(clock)
    index.put("early", {}, infer=False)
    await clock.advance(5)  # the refresh fell due at 1 s; nobody read since
    index.put("late", {}, infer=False)
    assert list(index.docs) == ["early"]
    assert index.pending == 1


async def test_a_zero_refresh_interval_schedules_no_refresh() -> None:
    clock = FakeClock()
    index = _index(clock, refresh_interval=0)
    index.put("a", {}, infer=False)
    await clock.advance(60)
    index.tick()
    assert (index.refresh_interval, index.pending, index.due_in()) == (0.0, 1, None)
