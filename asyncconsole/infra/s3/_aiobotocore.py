"""``AwsS3Store``: Amazon S3 through aiobotocore (imported lazily, via ``infra/_aws.py``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime
from typing import Any

from ..._clock import Clock
from ..._errors import AwsError, AwsNotFoundError
from ..._observe import observe
from ..._retry import RetryPolicy
from ..._secret import Secret
from .._aws import AwsClientResource, aws_error_fields
from ._types import ObjectInfo
from ._validate import check_bucket, check_key, check_page_size, key_batches

__all__ = ["DEFAULT_RETRY", "AwsS3Store"]

logger = logging.getLogger("asyncconsole.infra.s3")

DEFAULT_RETRY = RetryPolicy(
    attempts=4, wait_initial=0.2, wait_max=5.0, wait_jitter=0.2, timeout=120.0
)
"""Retries of idempotent S3 requests that failed transiently (throttling, 5xx, connection)."""

_NOT_FOUND_CODES = frozenset({"NoSuchBucket", "NoSuchKey", "404", "NotFound"})


class AwsS3Store(AwsClientResource):
    """The :class:`ObjectStore` for Amazon S3 (or an S3-compatible endpoint), on one client.

    Region and credentials come from the arguments or the standard AWS chain; botocore's own
    retries are off and transient failures of every request (all are idempotent here) are
    retried with ``retry`` on ``clock``. A streamed object is not retried once bytes arrived.

    Example::

        async with AwsS3Store(region="us-east-1") as s3:
            async for obj in s3.list_objects("bucket", "prefix/"):
                data = await s3.get_object("bucket", obj.key)
    """

    _service = "s3"
    _title = "S3"
    _error = AwsError
    _retry_log = logger

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        user_agent_extra: str | None = None,
        access_key: str | None = None,
        secret_key: Secret | str | None = None,
        session_token: Secret | str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Clock | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_pool_connections: int = 20,
    ) -> None:
        super().__init__(
            region,
            endpoint_url,
            user_agent_extra=user_agent_extra,
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            retry=retry,
            clock=clock,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
        )

    def _translate(self, exc: Exception, operation: str, target: str) -> AwsError:
        code, message, status, transient = aws_error_fields(exc)
        what = f"{code}: {message}" if code else message
        text = f"S3 {operation} {target} failed: {what}"
        err: AwsError
        if code in _NOT_FOUND_CODES or (status == 404 and operation != "list_buckets"):
            err = AwsNotFoundError(text, code=code, status=status, operation=operation)
        else:
            err = AwsError(text, code=code, status=status, operation=operation)
        err.transient = transient
        return err

    async def ping(self) -> None:
        async with observe(logger, "s3.ping", self._options.endpoint_url or "aws"):
            await self._call("list_buckets", "buckets")

    async def list_objects(
        self, bucket: str, prefix: str = "", *, page_size: int = 1000
    ) -> AsyncGenerator[ObjectInfo, None]:
        check_bucket(bucket)
        check_page_size(page_size)
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
        target = f"s3://{bucket}/{prefix}"
        while True:
            async with observe(logger, "s3.list_objects", target) as info:
                resp = await self._call("list_objects_v2", target, **params)
                contents = resp.get("Contents") or []
                info["count"] = len(contents)
            for raw in contents:
                yield _object_info(bucket, raw)
            token = resp.get("NextContinuationToken")
            if not resp.get("IsTruncated") or not token:
                return
            params["ContinuationToken"] = token

    async def stream_object(
        self, bucket: str, key: str, *, chunk_size: int = 65536
    ) -> AsyncGenerator[bytes, None]:
        check_bucket(bucket)
        check_key(key)
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size!r}")
        target = f"s3://{bucket}/{key}"
        async with observe(logger, "s3.get_object", target) as info:
            resp = await self._call("get_object", target, Bucket=bucket, Key=key)
            received = 0
            async with resp["Body"] as body:
                chunks = body.iter_chunks(chunk_size)
                while True:
                    try:
                        chunk = await anext(chunks)
                    except StopAsyncIteration:
                        break
                    except Exception as exc:
                        # A transfer broken half-way: bytes were already handed out, so no retry.
                        raise self._translate(exc, "get_object", target) from exc
                    received += len(chunk)
                    yield chunk
            info["bytes"] = received

    async def get_object(self, bucket: str, key: str) -> bytes:
        parts = [chunk async for chunk in self.stream_object(bucket, key)]
        return b"".join(parts)

    async def put_object(self, bucket: str, key: str, data: bytes) -> None:
        check_bucket(bucket)
        check_key(key)
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        target = f"s3://{bucket}/{key}"
        async with observe(logger, "s3.put_object", target, bytes=len(data)):
            await self._call("put_object", target, Bucket=bucket, Key=key, Body=bytes(data))

    async def delete_objects(self, bucket: str, keys: Iterable[str]) -> int:
        check_bucket(bucket)
        deleted = 0
        for batch in key_batches(keys):
            deleted += await self._delete_batch(bucket, batch)
        return deleted

    async def _delete_batch(self, bucket: str, batch: list[str]) -> int:
        target = f"s3://{bucket}/"
        async with observe(logger, "s3.delete_objects", target, count=len(batch)):
            resp = await self._call(
                "delete_objects",
                target,
                Bucket=bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
        errors = resp.get("Errors") or []
        if errors:
            failed = [str(e.get("Key")) for e in errors]
            first = errors[0]
            raise AwsError(
                f"S3 delete_objects s3://{bucket}/ refused {len(errors)} of {len(batch)} keys "
                f"(first: {first.get('Key')}: {first.get('Code')}: {first.get('Message')})",
                code=first.get("Code"),
                failed=failed,
            )
        return len(batch)


def _object_info(bucket: str, raw: dict[str, Any]) -> ObjectInfo:
    modified = raw.get("LastModified")
    if isinstance(modified, datetime):
        modified = modified.astimezone(UTC) if modified.tzinfo else modified.replace(tzinfo=UTC)
    else:
        modified = None
    etag = raw.get("ETag")
    return ObjectInfo(
        bucket=bucket,
        key=str(raw.get("Key", "")),
        size=int(raw.get("Size") or 0),
        last_modified=modified,
        etag=etag.strip('"') if isinstance(etag, str) else None,
    )
