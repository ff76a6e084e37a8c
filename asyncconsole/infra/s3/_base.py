"""``BaseObjectStore``: the :class:`ObjectStore` methods, once, for S3 and the fake.

Argument checks, the requests (one per listed page, per object, per batch of 1,000 deletes),
decoding their answers, the per-request deadline, retries, typed errors and events live here;
:class:`AwsS3Store` sends the requests through aiobotocore and :class:`FakeObjectStore`
answers them from its in-memory buckets.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from ..._decode import expect
from ..._errors import AwsError
from .._aws import AwsApi, aws_errors, decoded
from .._core import Operation, PeerFailure
from ._types import ObjectInfo
from ._validate import check_bucket, check_key, check_page_size, key_batches

__all__ = ["BaseObjectStore"]

# Every request here is safe to repeat: reads, a put of the same bytes, deletes of keys
# (S3 counts a missing key as deleted).
_PING: Final = Operation("s3.ping", idempotent=True)
_LIST: Final = Operation("s3.list_objects", idempotent=True)
_GET: Final = Operation("s3.get_object", idempotent=True)
_PUT: Final = Operation("s3.put_object", idempotent=True)
_DELETE: Final = Operation("s3.delete_objects", idempotent=True)


class BaseObjectStore(AwsApi):
    """Objects in buckets over S3's API (see the module docstring)."""

    _errors = aws_errors("S3 API")
    _log = logging.getLogger("asyncconsole.infra.s3")

    async def ping(self) -> None:
        async def attempt(left: float | None) -> None:
            answer = await self._send("list_buckets", {}, left)
            decoded(answer, lambda a: expect(a["Buckets"], list, "Buckets"), "ListBuckets")

        await self._run(_PING, self.endpoint, attempt)

    async def list_objects(
        self, bucket: str, prefix: str = "", *, page_size: int = 1000
    ) -> AsyncGenerator[ObjectInfo, None]:
        check_bucket(bucket)
        check_page_size(page_size)
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
        target = f"s3://{bucket}/{prefix}"

        async def attempt(left: float | None) -> tuple[list[ObjectInfo], str | None]:
            answer = await self._send("list_objects_v2", dict(request), left)
            return decoded(answer, lambda a: _page(bucket, a), "ListObjectsV2")

        params = {"bucket": bucket, "target": prefix}
        while True:
            page, token = await self._run(_LIST, target, attempt, params=params, describe=_count)
            for info in page:
                yield info
            if token is None:
                return
            request["ContinuationToken"] = token

    async def stream_object(
        self, bucket: str, key: str, *, chunk_size: int = 65536
    ) -> AsyncGenerator[bytes, None]:
        check_bucket(bucket)
        check_key(key)
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size!r}")
        target = f"s3://{bucket}/{key}"

        async def attempt(left: float | None) -> Any:
            answer = await self._send("get_object", {"Bucket": bucket, "Key": key}, left)
            return decoded(answer, lambda a: a["Body"], "GetObject")

        # The request is one call (deadline, retries); the transfer is then bounded per chunk
        # by the client's read timeout, and not retried once bytes were handed out.
        body = await self._run(_GET, target, attempt, params={"bucket": bucket, "target": key})
        async with body:
            chunks = body.iter_chunks(chunk_size)
            while True:
                try:
                    with self._reading():
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                except PeerFailure as failure:
                    raise self._typed(failure, target) from failure.__cause__
                yield chunk

    async def get_object(self, bucket: str, key: str) -> bytes:
        check_bucket(bucket)
        check_key(key)

        async def attempt(left: float | None) -> bytes:
            answer = await self._send("get_object", {"Bucket": bucket, "Key": key}, left)
            body = decoded(answer, lambda a: a["Body"], "GetObject")
            async with body:
                with self._reading():
                    data: bytes = await body.read()
                    return data

        target = f"s3://{bucket}/{key}"
        return await self._run(
            _GET, target, attempt, params={"bucket": bucket, "target": key}, describe=_size
        )

    async def put_object(self, bucket: str, key: str, data: bytes) -> None:
        check_bucket(bucket)
        check_key(key)
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        request = {"Bucket": bucket, "Key": key, "Body": bytes(data)}

        async def attempt(left: float | None) -> None:
            await self._send("put_object", request, left)

        params = {"bucket": bucket, "target": key}
        await self._run(_PUT, f"s3://{bucket}/{key}", attempt, params=params, bytes=len(data))

    async def delete_objects(self, bucket: str, keys: Iterable[str]) -> int:
        check_bucket(bucket)
        deleted = 0
        for batch in key_batches(keys):
            deleted += await self._delete_batch(bucket, batch)
        return deleted

    async def _delete_batch(self, bucket: str, batch: list[str]) -> int:
        request = {
            "Bucket": bucket,
            "Delete": {"Objects": [{"Key": k} for k in batch], "Quiet": True},
        }

        async def attempt(left: float | None) -> list[dict[str, Any]]:
            answer = await self._send("delete_objects", request, left)
            return decoded(answer, _refused_keys, "DeleteObjects")

        params = {"bucket": bucket, "target": batch[0], "count": len(batch)}
        errors = await self._run(
            _DELETE, f"s3://{bucket}/", attempt, params=params, count=len(batch)
        )
        if errors:
            first = errors[0]
            raise AwsError(
                f"S3 delete_objects s3://{bucket}/ refused {len(errors)} of {len(batch)} keys "
                f"(first: {first.get('Key')}: {first.get('Code')}: {first.get('Message')})",
                code=first.get("Code"),
                failed=[str(e.get("Key")) for e in errors],
            )
        return len(batch)


def _page(bucket: str, answer: Any) -> tuple[list[ObjectInfo], str | None]:
    """One ``ListObjectsV2`` page: its objects, and the token of the next page (None: last)."""
    answer = expect(answer, dict, "the answer")
    contents = expect(answer.get("Contents") or [], list, "Contents")
    objects = [_object_info(bucket, expect(raw, dict, "object")) for raw in contents]
    if "IsTruncated" not in answer:
        raise KeyError("IsTruncated")
    token = answer.get("NextContinuationToken")
    if answer["IsTruncated"]:
        return objects, expect(token, str, "NextContinuationToken")
    return objects, None


def _object_info(bucket: str, raw: dict[str, Any]) -> ObjectInfo:
    modified = raw.get("LastModified")
    if isinstance(modified, datetime):
        modified = modified.astimezone(UTC) if modified.tzinfo else modified.replace(tzinfo=UTC)
    else:
        modified = None
    etag = raw.get("ETag")
    size = raw.get("Size") or 0
    return ObjectInfo(
        bucket=bucket,
        key=expect(raw.get("Key"), str, "Key"),
        size=expect(size, int, "Size"),
        last_modified=modified,
        etag=etag.strip('"') if isinstance(etag, str) else None,
    )


def _refused_keys(answer: Any) -> list[dict[str, Any]]:
    errors = expect(answer, dict, "the answer").get("Errors") or []
    return [expect(e, dict, "error") for e in expect(errors, list, "Errors")]


def _count(page: tuple[list[ObjectInfo], str | None]) -> dict[str, int]:
    return {"count": len(page[0])}


def _size(data: bytes) -> dict[str, int]:
    return {"bytes": len(data)}
