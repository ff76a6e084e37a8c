"""The object-store protocol: list, stream, write and delete objects (S3 or a fake)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Protocol, runtime_checkable

from ._types import ObjectInfo

__all__ = ["ObjectStore"]


@runtime_checkable
class ObjectStore(Protocol):
    """Objects in buckets (Amazon S3 or a fake).

    Errors are :class:`~asyncconsole.AwsError`; a missing bucket or object is
    :class:`~asyncconsole.AwsNotFoundError` (also a ``NotFoundError``). Messages name the
    bucket and key, never credentials.
    """

    async def ping(self) -> None:
        """Cheap health check: the store answers with these credentials.

        Raises:
            AwsError: The store is unreachable or refuses the credentials.
        """
        ...

    def list_objects(
        self, bucket: str, prefix: str = "", *, page_size: int = 1000
    ) -> AsyncGenerator[ObjectInfo, None]:
        """Every object whose key starts with ``prefix``, in key order, page by page.

        An async generator: pages are fetched as the caller iterates, so stopping early
        fetches no more (use ``contextlib.aclosing`` to stop at once).

        Args:
            bucket: The bucket.
            prefix: Key prefix ("" lists everything).
            page_size: Keys per list request (1 to 1000).

        Raises:
            AwsNotFoundError: No such bucket.
            AwsError: Any other refusal.
        """
        ...

    def stream_object(
        self, bucket: str, key: str, *, chunk_size: int = 65536
    ) -> AsyncGenerator[bytes, None]:
        """The object's bytes, chunk by chunk as they arrive (constant memory).

        Raises:
            AwsNotFoundError: No such bucket or key.
            AwsError: Any other refusal or a broken transfer.
        """
        ...

    async def get_object(self, bucket: str, key: str) -> bytes:
        """The whole object.

        Raises:
            AwsNotFoundError: No such bucket or key.
            AwsError: Any other refusal.
        """
        ...

    async def put_object(self, bucket: str, key: str, data: bytes) -> None:
        """Create or replace an object.

        Raises:
            AwsNotFoundError: No such bucket.
            AwsError: Any other refusal.
        """
        ...

    async def delete_objects(self, bucket: str, keys: Iterable[str]) -> int:
        """Delete ``keys`` (missing keys count as deleted, as in S3), at most 1000 per request.

        Returns:
            How many keys were deleted.

        Raises:
            AwsNotFoundError: No such bucket.
            AwsError: A request failed, or S3 refused some keys (``context["failed"]``
                lists them; the batches before it were deleted).
        """
        ...
