"""``FakeObjectStore``: in-memory buckets with a call log, latency and fault injection.

It answers S3's API requests (``ListObjectsV2``, ``GetObject``...) from its buckets, in
botocore's shapes, and refuses as S3 does (``NoSuchBucket``, ``NoSuchKey``, ``AccessDenied``);
everything else is :class:`BaseObjectStore`'s, shared with :class:`AwsS3Store`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ..._clock import Clock, FakeClock
from .._core import FaultPlan, PeerFailure
from .._fake_peer import FakeAwsPeer
from ._base import BaseObjectStore
from ._types import ObjectInfo

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


class _Body:
    """A stored object's bytes, read the way botocore's streaming body is."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aenter__(self) -> _Body:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def read(self) -> bytes:
        return self._data

    async def iter_chunks(self, chunk_size: int) -> AsyncIterator[bytes]:
        for start in range(0, len(self._data), chunk_size):
            yield self._data[start : start + chunk_size]


def _refused(code: str, message: str, status: int) -> PeerFailure:
    return PeerFailure("status", f"{code}: {message}", status=status, code=code)


class FakeObjectStore(FakeAwsPeer[FakeObjectStoreCall], BaseObjectStore):
    """Buckets of objects in memory, behaving like S3 for the :class:`ObjectStore` calls.

    Lists come back in key order, ``page_size`` keys per request (each request logged in
    :attr:`calls`); deletes go out in batches of at most 1000 keys. ``fail_next`` makes the
    next requests of an operation raise; ``deny`` makes one object unreadable (AccessDenied);
    ``latency`` seconds pass on ``clock`` before each request; :attr:`faults` injects
    network faults.

    Example::

        store = FakeObjectStore(buckets=["logs"])
        await store.put_object("logs", "a/1.txt", b"hello")
        keys = [o.key async for o in store.list_objects("logs", "a/")]
    """

    _operations = OPERATIONS

    def __init__(
        self,
        *,
        buckets: Iterable[str] = (),
        clock: Clock | None = None,
        latency: float = 0.0,
        request_timeout: float | None = 120.0,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(
            endpoint="fake S3",
            clock=clock or FakeClock(),
            timeout=request_timeout,
            retry=None,
            faults=faults,
            latency=latency,
        )
        self.calls: list[FakeObjectStoreCall] = []
        self._buckets: dict[str, dict[str, tuple[bytes, ObjectInfo]]] = {b: {} for b in buckets}
        self._denied: set[tuple[str, str]] = set()
        self._api = {
            "list_buckets": lambda _: {"Buckets": [{"Name": b} for b in sorted(self._buckets)]},
            "list_objects_v2": self._list,
            "get_object": self._get,
            "put_object": self._put,
            "delete_objects": self._delete,
        }

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

    # -- the simulated S3 API ------------------------------------------------------------------

    def _record(
        self, operation: str, params: Mapping[str, Any], result: Any, error: BaseException | None
    ) -> None:
        if error is None and operation == "list_objects":
            count = len(result[0])
        elif error is None and operation in ("get_object", "put_object"):
            count = 1
        else:
            count = params.get("count", 0)
        bucket, target = params.get("bucket", ""), params.get("target", "")
        self.calls.append(FakeObjectStoreCall(operation, bucket, target, count, error))

    def _objects(self, bucket: str) -> dict[str, tuple[bytes, ObjectInfo]]:
        objects = self._buckets.get(bucket)
        if objects is None:
            raise _refused("NoSuchBucket", "The specified bucket does not exist", 404)
        return objects

    def _list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        objects = self._objects(params["Bucket"])
        prefix, after = params.get("Prefix", ""), params.get("ContinuationToken", "")
        size = params.get("MaxKeys", 1000)
        keys = sorted(k for k in objects if k.startswith(prefix) and k > after)
        page = keys[:size]
        answer: dict[str, Any] = {"IsTruncated": len(keys) > size, "KeyCount": len(page)}
        if page:
            answer["Contents"] = [
                {"Key": k, "Size": objects[k][1].size, "LastModified": objects[k][1].last_modified}
                for k in page
            ]
        if len(keys) > size:
            answer["NextContinuationToken"] = page[-1]
        return answer

    def _get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        objects = self._objects(bucket)
        if (bucket, key) in self._denied:
            raise _refused("AccessDenied", "Access Denied", 403)
        if key not in objects:
            raise _refused("NoSuchKey", "The specified key does not exist.", 404)
        data, info = objects[key]
        return {"Body": _Body(data), "ContentLength": len(data), "ETag": f'"{info.etag}"'}

    def _put(self, params: Mapping[str, Any]) -> dict[str, Any]:
        bucket, key, data = params["Bucket"], params["Key"], params["Body"]
        objects = self._objects(bucket)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        objects[key] = (data, ObjectInfo(bucket, key, len(data), self.clock.now(), etag))
        return {"ETag": f'"{etag}"'}

    def _delete(self, params: Mapping[str, Any]) -> dict[str, Any]:
        objects = self._objects(params["Bucket"])
        for entry in params["Delete"]["Objects"]:
            objects.pop(entry["Key"], None)
        return {}
