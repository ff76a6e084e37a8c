"""``check_object_store``: the behaviour every :class:`ObjectStore` must show (fake and real)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from ..._errors import AwsError, AwsNotFoundError, NotFoundError
from ._protocol import ObjectStore
from ._types import ObjectInfo

__all__ = ["check_object_store"]

E = TypeVar("E", bound=BaseException)


async def check_object_store(
    open_store: Callable[[], AbstractAsyncContextManager[ObjectStore]],
    *,
    bucket: str,
    missing_bucket: str = "asyncconsole-contract-no-such-bucket",
    many: int = 1001,
) -> None:
    """Check an object store against the protocol; raises AssertionError on a violation.

    Args:
        open_store: Returns a fresh store (an async context manager).
        bucket: An existing bucket the check may write to (it works under a fresh prefix and
            deletes what it wrote).
        missing_bucket: A bucket name that does not exist.
        many: How many objects the batched-delete check writes (more than 1000 crosses a
            ``DeleteObjects`` batch).
    """
    prefix = f"contract-{uuid.uuid4().hex[:12]}/"
    async with open_store() as store:
        await store.ping()

        blobs = {f"{prefix}a/{i:02d}.bin": bytes([i]) * (i * 7 + 1) for i in range(5)}
        blobs[f"{prefix}b/other.txt"] = b"other"
        for key, data in blobs.items():
            await store.put_object(bucket, key, data)

        listed = [o async for o in store.list_objects(bucket, f"{prefix}a/", page_size=2)]
        assert [o.key for o in listed] == sorted(k for k in blobs if "/a/" in k), listed
        assert all(isinstance(o, ObjectInfo) and o.bucket == bucket for o in listed)
        assert [o.size for o in listed] == [len(blobs[o.key]) for o in listed]
        assert listed[0].uri == f"s3://{bucket}/{listed[0].key}"
        everything = [o.key async for o in store.list_objects(bucket, prefix)]
        assert everything == sorted(blobs), everything
        assert [o async for o in store.list_objects(bucket, f"{prefix}none/")] == []

        # Stopping early is fine and leaves the store usable.
        async with contextlib.aclosing(store.list_objects(bucket, prefix, page_size=1)) as it:
            first = await anext(it)
        assert first.key == min(blobs)

        key = f"{prefix}a/04.bin"
        assert await store.get_object(bucket, key) == blobs[key]
        chunks = [c async for c in store.stream_object(bucket, key, chunk_size=5)]
        assert b"".join(chunks) == blobs[key]
        assert all(0 < len(c) <= 5 for c in chunks), [len(c) for c in chunks]

        await store.put_object(bucket, key, b"replaced")
        assert await store.get_object(bucket, key) == b"replaced"

        missing = await _raises(
            AwsNotFoundError, store.get_object(bucket, f"{prefix}missing"), "a missing key"
        )
        assert isinstance(missing, NotFoundError)
        assert f"{prefix}missing" in str(missing), str(missing)
        await _raises(
            AwsNotFoundError,
            _drain(store.stream_object(bucket, f"{prefix}missing")),
            "streaming a missing key",
        )
        no_bucket = await _raises(
            AwsNotFoundError, _drain(store.list_objects(missing_bucket, "")), "a missing bucket"
        )
        assert isinstance(no_bucket, AwsError)
        assert missing_bucket in str(no_bucket), str(no_bucket)

        for bad in ("", None):
            await _raises(ValueError, store.get_object(bucket, bad), f"key {bad!r}")  # type: ignore[arg-type]
        await _raises(ValueError, _drain(store.list_objects(bucket, "", page_size=0)), "page 0")

        # Concurrent reads share the client.
        async with asyncio.TaskGroup() as tg:
            reads = [tg.create_task(store.get_object(bucket, k)) for k in sorted(blobs)[:4]]
        assert [r.result() for r in reads][:3] == [blobs[k] for k in sorted(blobs)[:3]]

        # Deleting: missing keys count as deleted; more than 1000 keys take several batches.
        bulk = [f"{prefix}bulk/{i:05d}" for i in range(many)]
        semaphore = asyncio.Semaphore(32)

        async def put(name: str) -> None:
            async with semaphore:
                await store.put_object(bucket, name, b"x")

        async with asyncio.TaskGroup() as tg:
            for name in bulk:
                tg.create_task(put(name))
        assert len([o async for o in store.list_objects(bucket, f"{prefix}bulk/")]) == many
        keys = [o.key async for o in store.list_objects(bucket, prefix)]
        deleted = await store.delete_objects(bucket, iter([*keys, f"{prefix}never-existed"]))
        assert deleted == len(keys) + 1, (deleted, len(keys))
        assert [o async for o in store.list_objects(bucket, prefix)] == []
        assert await store.delete_objects(bucket, []) == 0


async def _drain(iterator: object) -> None:
    async for _ in iterator:  # type: ignore[attr-defined]
        pass


async def _raises(kind: type[E], call: Awaitable[object], what: str) -> E:
    """The ``kind`` error ``call`` raises; AssertionError when it raises none."""
    try:
        await call
    except kind as exc:
        return exc
    raise AssertionError(f"{what} must raise {kind.__name__}")
