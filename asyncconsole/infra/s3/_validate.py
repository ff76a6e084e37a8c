"""Argument checks shared by every ObjectStore (same errors from real and fake)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ._types import DELETE_BATCH

__all__ = ["check_bucket", "check_key", "check_page_size", "key_batches"]


def check_bucket(bucket: str) -> None:
    """Raise ``ValueError`` unless ``bucket`` is a non-empty string."""
    if not isinstance(bucket, str) or not bucket:
        raise ValueError(f"bucket must be a non-empty string, got {bucket!r}")


def check_key(key: str) -> None:
    """Raise ``ValueError`` unless ``key`` is a non-empty string."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be a non-empty string, got {key!r}")


def check_page_size(page_size: int) -> None:
    """Raise ``ValueError`` unless ``page_size`` is an int from 1 to 1000 (S3's limit)."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        raise ValueError(f"page_size must be an int from 1 to 1000, got {page_size!r}")


def key_batches(keys: Iterable[str]) -> Iterator[list[str]]:
    """``keys`` checked and cut into batches of :data:`DELETE_BATCH`, lazily: a bad key stops
    the deletion where it stands, after the batches before it were sent."""
    batch: list[str] = []
    for key in keys:
        check_key(key)
        batch.append(key)
        if len(batch) == DELETE_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
