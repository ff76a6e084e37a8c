"""FakeObjectStore: the contract, paging, batching, faults, latency on the fake clock."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import pytest

from asyncconsole import FakeClock
from asyncconsole._errors import AwsError, AwsNotFoundError
from asyncconsole.infra.s3 import DELETE_BATCH, FakeObjectStore, ObjectStore
from asyncconsole.testing import check_object_store


async def test_contract_on_the_fake() -> None:
    store = FakeObjectStore(buckets=["contract"])

    def open_store() -> AbstractAsyncContextManager[ObjectStore]:
        return store

    await check_object_store(open_store, bucket="contract")
    assert isinstance(store, ObjectStore)


async def test_lists_page_by_page_and_stops_when_the_caller_stops() -> None:
    store = FakeObjectStore(buckets=["b"])
    for i in range(7):
        await store.put_object("b", f"p/{i}", b"x")
    await store.put_object("b", "q/0", b"x")
    keys = [o.key async for o in store.list_objects("b", "p/", page_size=3)]
    assert keys == [f"p/{i}" for i in range(7)]
    assert [c.count for c in store.calls_to("list_objects")] == [3, 3, 1]

    store.calls.clear()
    async for _ in store.list_objects("b", "p/", page_size=3):
        break
    assert len(store.calls_to("list_objects")) == 1


async def test_deletes_in_batches_of_1000() -> None:
    store = FakeObjectStore(buckets=["b"])
    keys = [f"k/{i:05d}" for i in range(2 * DELETE_BATCH + 5)]
    for key in keys:
        await store.put_object("b", key, b"")
    assert await store.delete_objects("b", iter(keys)) == len(keys)
    assert [c.count for c in store.calls_to("delete_objects")] == [1000, 1000, 5]
    assert store.keys("b") == []


async def test_denied_object_and_injected_faults() -> None:
    store = FakeObjectStore(buckets=["b"])
    await store.put_object("b", "secret", b"data")
    store.deny("b", "secret")
    with pytest.raises(AwsError) as denied:
        await store.get_object("b", "secret")
    assert denied.value.code == "AccessDenied"
    assert not isinstance(denied.value, AwsNotFoundError)
    assert [o.key async for o in store.list_objects("b")] == ["secret"]

    store.fail_next("list_objects", AwsError("slow down", code="SlowDown"), times=2)
    for _ in range(2):
        with pytest.raises(AwsError, match="slow down"):
            [o async for o in store.list_objects("b")]
    assert [o.key async for o in store.list_objects("b")] == ["secret"]
    errors = [c.error for c in store.calls_to("list_objects") if c.error is not None]
    assert len(errors) == 2
    with pytest.raises(ValueError, match="unknown FakeObjectStore operation"):
        store.fail_next("nope", AwsError("x"))


async def test_latency_runs_on_the_clock_and_closed_store_refuses() -> None:
    clock = FakeClock()
    store = FakeObjectStore(buckets=["b"], clock=clock, latency=0.25)
    async with store:
        await store.put_object("b", "k", b"v")
        assert await store.get_object("b", "k") == b"v"
    assert clock.sleeps == [0.25, 0.25]
    with pytest.raises(RuntimeError, match="closed"):
        await store.get_object("b", "k")


async def test_missing_bucket_and_bad_arguments() -> None:
    store = FakeObjectStore()
    with pytest.raises(AwsNotFoundError, match="NoSuchBucket"):
        await store.put_object("nope", "k", b"")
    store.create_bucket("b")
    with pytest.raises(TypeError):
        await store.put_object("b", "k", "text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        [c async for c in store.stream_object("b", "k", chunk_size=0)]
    with pytest.raises(ValueError, match="bucket"):
        await store.delete_objects("", ["k"])
