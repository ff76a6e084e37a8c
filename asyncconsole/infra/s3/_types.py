"""Data crossing the :class:`ObjectStore` protocol (never a library's own objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["DELETE_BATCH", "ObjectInfo"]

DELETE_BATCH = 1000
"""Most keys one S3 ``DeleteObjects`` call accepts."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One listed object.

    Attributes:
        bucket: The bucket it lives in.
        key: Its key.
        size: Bytes.
        last_modified: When it was last written (UTC), if the store says.
        etag: The entity tag without quotes, if the store says.
    """

    bucket: str
    key: str
    size: int = 0
    last_modified: datetime | None = None
    etag: str | None = None

    @property
    def uri(self) -> str:
        """``s3://<bucket>/<key>``."""
        return f"s3://{self.bucket}/{self.key}"
