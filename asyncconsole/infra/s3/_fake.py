"""``FakeObjectStore``: in-memory buckets with a call log, latency and fault injection."""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass

from ..._clock import Clock, FakeClock
from ..._errors import AwsError, AwsNotFoundError
from ..._resource import AsyncResource
from ._types import ObjectInfo
from ._validate import check_bucket, check_key, check_page_size, key_batches

__all__ = ["FakeObjectStore", "FakeObjectStoreCall"]

OPERATIONS = frozenset({"ping", "list_objects", "get_object", "put_object", "delete_objects"})


@dataclass(frozen=True)
class FakeObjectStoreCall:
    """One request made to a :class:`FakeObjectStore` (as S3 would have seen it).

    Attributes:
        operation: ``ping``, ``list_objects`` (one per page), ``get_object`` (also for
            streaming), ``put_object`` or ``delete_objects`` (one per batch).
        bucket: The bucket ("" for ping).
        target: The key, the list prefix, or "" for ping.
        count: Keys returned (list) or sent (delete) by this request.
        error: What the request raised, or None.
    """

    operation: str
    bucket: str = ""
    target: str = ""
    count: int = 0
    error: BaseException | None = None


class FakeObjectStore(AsyncResource):
    """Buckets of objects in memory, behaving like S3 for the :class:`ObjectStore` calls.

    Lists come back in key order, ``page_size`` keys per request (each request logged in
    :attr:`calls`); deletes go out in batches of at most 1000 keys. ``fail_next`` makes the
    next requests of an operation raise; ``deny`` makes one object unreadable (AccessDenied);
    ``latency`` seconds pass on ``clock`` before each request.

    Example::

        store = FakeObjectStore(buckets=["logs"])
        await store.put_object("logs", "a/1.txt", b"hello")
        keys = [o.key async for o in store.list_objects("logs", "a/")]
    """

    def __init__(
        self,
        *,
        buckets: Iterable[str] = (),
        clock: Clock | None = None,
        latency: float = 0.0,
    ) -> None:
        self.clock: Clock = clock or FakeClock()
        self.latency = latency
        self.calls: list[FakeObjectStoreCall] = []
        self._buckets: dict[str, dict[str, tuple[bytes, ObjectInfo]]] = {b: {} for b in buckets}
        self._denied: set[tuple[str, str]] = set()
        self._faults: dict[str, list[tuple[list[int], Callable[[], BaseException]]]] = {}

    def __repr__(self) -> str:
        return f"FakeObjectStore(buckets={sorted(self._buckets)!r})"

    # -- control ----------------------------------------------------------------------------

    def create_bucket(self, bucket: str) -> None:
        """Create an empty bucket (no-op when it exists)."""
        if not bucket:
            raise ValueError("bucket name must be non-empty")
        self._buckets.setdefault(bucket, {})

    def keys(self, bucket: str) -> list[str]:
        """The keys in ``bucket``, sorted (no request is logged)."""
        return sorted(self._buckets.get(bucket, {}))

    def deny(self, bucket: str, key: str) -> None:
        """Make reads of one object fail with ``AccessDenied`` (listing still shows it)."""
        self._denied.add((bucket, key))

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` requests of ``operation`` raise (a copy of) ``error``."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown FakeObjectStore operation {operation!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        self._faults.setdefault(operation, []).append(([times], lambda: copy.copy(error)))

    def calls_to(self, operation: str) -> list[FakeObjectStoreCall]:
        """The logged requests of one operation."""
        return [c for c in self.calls if c.operation == operation]

    # -- plumbing ----------------------------------------------------------------------------

    async def _request(self, operation: str, bucket: str, target: str) -> None:
        if self.closed:
            raise RuntimeError("FakeObjectStore is closed")
        if self.latency:
            await self.clock.sleep(self.latency)
        queue = self._faults.get(operation)
        if queue:
            remaining, make = queue[0]
            remaining[0] -= 1
            if remaining[0] <= 0:
                queue.pop(0)
            error = make()
            self.calls.append(FakeObjectStoreCall(operation, bucket, target, error=error))
            raise error

    def _bucket(
        self, operation: str, bucket: str, target: str
    ) -> dict[str, tuple[bytes, ObjectInfo]]:
        check_bucket(bucket)
        objects = self._buckets.get(bucket)
        if objects is None:
            error = AwsNotFoundError(
                f"S3 {operation} s3://{bucket}/{target} failed: NoSuchBucket: "
                "The specified bucket does not exist",
                code="NoSuchBucket",
                status=404,
            )
            self.calls.append(FakeObjectStoreCall(operation, bucket, target, error=error))
            raise error
        return objects

    def _read(self, bucket: str, key: str) -> bytes:
        check_key(key)
        objects = self._bucket("get_object", bucket, key)
        error: AwsError | None = None
        if (bucket, key) in self._denied:
            error = AwsError(
                f"S3 get_object s3://{bucket}/{key} failed: AccessDenied: Access Denied",
                code="AccessDenied",
                status=403,
            )
        elif key not in objects:
            error = AwsNotFoundError(
                f"S3 get_object s3://{bucket}/{key} failed: NoSuchKey: "
                "The specified key does not exist.",
                code="NoSuchKey",
                status=404,
            )
        if error is not None:
            self.calls.append(FakeObjectStoreCall("get_object", bucket, key, error=error))
            raise error
        data = objects[key][0]
        self.calls.append(FakeObjectStoreCall("get_object", bucket, key, count=1))
        return data

    # -- ObjectStore --------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._request("ping", "", "")
        self.calls.append(FakeObjectStoreCall("ping"))

    async def list_objects(
        self, bucket: str, prefix: str = "", *, page_size: int = 1000
    ) -> AsyncGenerator[ObjectInfo, None]:
        check_page_size(page_size)
        after = ""
        while True:
            await self._request("list_objects", bucket, prefix)
            objects = self._bucket("list_objects", bucket, prefix)
            page = sorted(k for k in objects if k.startswith(prefix) and k > after)[:page_size]
            self.calls.append(FakeObjectStoreCall("list_objects", bucket, prefix, len(page)))
            for key in page:
                yield objects[key][1]
            if len(page) < page_size:
                return
            after = page[-1]

    async def stream_object(
        self, bucket: str, key: str, *, chunk_size: int = 65536
    ) -> AsyncGenerator[bytes, None]:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size!r}")
        check_key(key)
        await self._request("get_object", bucket, key)
        data = self._read(bucket, key)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def get_object(self, bucket: str, key: str) -> bytes:
        check_key(key)
        await self._request("get_object", bucket, key)
        return self._read(bucket, key)

    async def put_object(self, bucket: str, key: str, data: bytes) -> None:
        check_key(key)
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        await self._request("put_object", bucket, key)
        objects = self._bucket("put_object", bucket, key)
        info = ObjectInfo(bucket, key, len(data), self.clock.now(), None)
        objects[key] = (bytes(data), info)
        self.calls.append(FakeObjectStoreCall("put_object", bucket, key, 1))

    async def delete_objects(self, bucket: str, keys: Iterable[str]) -> int:
        check_bucket(bucket)
        deleted = 0
        for batch in key_batches(keys):
            deleted += await self._delete_batch(bucket, batch)
        return deleted

    async def _delete_batch(self, bucket: str, batch: list[str]) -> int:
        target = batch[0]
        await self._request("delete_objects", bucket, target)
        objects = self._bucket("delete_objects", bucket, target)
        for key in batch:
            objects.pop(key, None)
        self.calls.append(FakeObjectStoreCall("delete_objects", bucket, target, len(batch)))
        return len(batch)
