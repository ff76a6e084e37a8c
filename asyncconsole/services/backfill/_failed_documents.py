"""The failed-document stream: documents the RFS workers could not index, as gzip NDJSON in S3.

Records of one backfill live under ``s3://<bucket>/<prefix>session=<session>/`` (objects
``index=<target>/worker=<id>/failed-document-stream-<time>-<seq>.ndjson.gz`` and a
``manifest.json`` once sealed). The stream is at-least-once: a worker that resumes a partition
writes its failures again, so counts and lists collapse records of the same
``(targetIndex, documentId)``, keeping the latest ``timestamp``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..._errors import AsyncConsoleError
from ..._observe import observe
from ...config import FailedDocumentStreamConfig
from ...infra.s3 import DELETE_BATCH, ObjectStore

__all__ = ["DEFAULT_LIST_LIMIT", "MANIFEST_NAME", "FailedDocument", "FailedDocumentStream"]

logger = logging.getLogger("asyncconsole.services.backfill")

DEFAULT_LIST_LIMIT = 100
"""Records ``failed-document-stream list`` shows unless told otherwise (console_link's)."""

MANIFEST_NAME = "manifest.json"
"""The session's seal, written next to the records; never read as records (but deleted)."""

_LIST_COLUMNS = ("timestamp", "targetIndex", "documentId", "failureClass", "failureType")


@dataclass(frozen=True, slots=True)
class FailedDocument:
    """One failure record as the worker wrote it (``record``), and the object it came from.

    The record keeps every field (``requestItem``, the cluster's ``response``...); the
    properties read the ones the console shows.
    """

    record: Mapping[str, Any]
    key: str = ""

    @property
    def timestamp(self) -> str | None:
        """When the failure was recorded (the writer's ISO-8601 text)."""
        value = self.record.get("timestamp")
        return None if value is None or value == "" else str(value)

    @property
    def target_index(self) -> str | None:
        """The index the document was meant for."""
        value = self.record.get("targetIndex")
        return None if value is None else str(value)

    @property
    def document_id(self) -> str | None:
        """The document id, or None for server-generated ids (such records never collapse)."""
        value = self.record.get("documentId")
        return None if value is None or value == "" else str(value)

    @property
    def failure_class(self) -> str | None:
        """How the failure was classified (``NON_RETRYABLE``, ``RETRYABLE_EXHAUSTED``...)."""
        value = self.record.get("failureClass")
        return None if value is None else str(value)

    @property
    def failure_type(self) -> str | None:
        """The cluster's error type (``mapper_parsing_exception``...)."""
        value = self.record.get("failureType")
        return None if value is None else str(value)

    @property
    def identity(self) -> tuple[str | None, str] | None:
        """``(targetIndex, documentId)``, or None when there is no document id."""
        doc_id = self.document_id
        return None if doc_id is None else (self.target_index, doc_id)

    def row(self) -> str:
        """console_link's list line: timestamp, targetIndex, documentId, failureClass,
        failureType, tab-separated (missing fields empty)."""
        return "\t".join(_text(self.record.get(name)) for name in _LIST_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """The record as written (console_link's ``--json failed-document-stream list`` item)."""
        return dict(self.record)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _order(doc: FailedDocument) -> tuple[str, str]:
    # console_link's stable order: timestamp then documentId; no timestamp sorts last.
    return (doc.timestamp or "~", doc.document_id or "")


def _newer(candidate: FailedDocument, kept: FailedDocument) -> bool:
    # Later records win ties: a re-emission replaces the earlier copy.
    return (candidate.timestamp or "") >= (kept.timestamp or "")


def dedupe(records: list[FailedDocument]) -> list[FailedDocument]:
    """One record per ``(targetIndex, documentId)`` (the latest), plus every record without a
    document id; in first-seen order."""
    by_identity: dict[tuple[str | None, str], FailedDocument] = {}
    order: list[tuple[str | None, str] | int] = []
    loose: dict[int, FailedDocument] = {}
    for doc in records:
        identity = doc.identity
        if identity is None:
            loose[len(order)] = doc
            order.append(len(order))
            continue
        kept = by_identity.get(identity)
        if kept is None:
            order.append(identity)
        if kept is None or _newer(doc, kept):
            by_identity[identity] = doc
    return [loose[item] if isinstance(item, int) else by_identity[item] for item in order]


@dataclass
class _Scan:
    """What a pass over the stream met besides records."""

    unreadable: list[str] = field(default_factory=list)
    malformed_lines: int = 0


class FailedDocumentStream:
    """Read, count, list and delete the failed documents of one backfill session.

    Objects are listed page by page and read as they stream in (gzip decompressed on the fly,
    constant memory per object). Unlike console_link, the stream's location comes from
    ``migration_services.yaml`` (``backfill.reindex_from_snapshot.failed_document_stream``)
    rather than from a Kubernetes ``SnapshotMigration`` resource.

    Args:
        config: The ``failed_document_stream`` block.
        store: The object store holding the bucket.
        session: The session to read (the block's ``session``, else the backfill's
            ``backfill_session_name``).
        page_size: Keys per list request.
    """

    def __init__(
        self,
        config: FailedDocumentStreamConfig,
        store: ObjectStore,
        *,
        session: str,
        page_size: int = 1000,
    ) -> None:
        if not isinstance(session, str) or not session.strip():
            raise ValueError(f"session must be a non-empty string, got {session!r}")
        self.config = config
        self.store = store
        self.session = session.strip()
        self.page_size = page_size

    def __repr__(self) -> str:
        return f"FailedDocumentStream(location={self.location!r})"

    def for_session(self, session: str) -> FailedDocumentStream:
        """The same stream for another session (e.g. an earlier run), on the same store."""
        return FailedDocumentStream(
            self.config, self.store, session=session, page_size=self.page_size
        )

    @property
    def bucket(self) -> str:
        """The bucket."""
        return self.config.s3_bucket

    @property
    def session_prefix(self) -> str:
        """``<prefix>session=<session>/``: every key of the session starts with it."""
        return f"{self.config.s3_prefix}session={self.session}/"

    @property
    def location(self) -> str:
        """``s3://<bucket>/<prefix>session=<session>/``."""
        return f"s3://{self.bucket}/{self.session_prefix}"

    # -- reading -----------------------------------------------------------------------------

    async def records(self) -> AsyncGenerator[FailedDocument, None]:
        """Every record, object by object in key order, as stored (no de-duplication).

        Objects that are not gzip NDJSON and lines that are not JSON objects are skipped with
        a warning (one bad object must not hide the rest), as in console_link.

        Raises:
            AwsError: Listing or reading failed.
        """
        async with contextlib.aclosing(self._records(_Scan())) as found:
            async for doc in found:
                yield doc

    async def _records(self, scan: _Scan) -> AsyncGenerator[FailedDocument, None]:
        manifest = self.session_prefix + MANIFEST_NAME
        async with contextlib.aclosing(
            self.store.list_objects(self.bucket, self.session_prefix, page_size=self.page_size)
        ) as objects:
            async for obj in objects:
                if obj.key == manifest:
                    continue
                async with contextlib.aclosing(self._object_records(obj.key, scan)) as records:
                    async for doc in records:
                        yield doc

    async def _object_records(self, key: str, scan: _Scan) -> AsyncGenerator[FailedDocument, None]:
        chunks = self.store.stream_object(self.bucket, key)
        async with contextlib.aclosing(chunks):
            try:
                async for line in _gzip_lines(chunks):
                    record = _parse(line)
                    if record is None:
                        scan.malformed_lines += 1
                        logger.warning("Skipping a malformed failed-document record in %s", key)
                        continue
                    yield FailedDocument(record, key)
            except _UnreadableError as exc:
                scan.unreadable.append(key)
                logger.warning("Skipping unreadable failed-document object %s: %s", key, exc)

    async def has_records(self) -> bool:
        """Whether the session holds at least one record; stops at the first one.

        Raises:
            AwsError: Listing or reading failed.
        """
        async with contextlib.aclosing(self.records()) as found:
            async for _ in found:
                return True
        return False

    async def presence(self) -> bool | None:
        """:meth:`has_records` for status reports: None ("unavailable") when S3 failed, or
        when no record was found but an object could not be read."""
        scan = _Scan()
        async with observe(logger, "failed_documents.presence", self.location) as info:
            try:
                async with contextlib.aclosing(self._records(scan)) as found:
                    async for _ in found:
                        info["present"] = True
                        return True
            except AsyncConsoleError as exc:
                logger.warning("Failed-document stream %s is unavailable: %s", self.location, exc)
                info["present"] = None
                return None
            present = None if scan.unreadable else False
            info["present"] = present
            return present

    async def count(self) -> int:
        """Distinct failed documents (reads the whole stream; see :meth:`has_records`).

        Raises:
            AwsError: Listing or reading failed.
        """
        async with observe(logger, "failed_documents.count", self.location) as info:
            latest: set[tuple[str | None, str]] = set()
            loose = 0
            async with contextlib.aclosing(self.records()) as found:
                async for doc in found:
                    identity = doc.identity
                    if identity is None:
                        loose += 1
                    else:
                        latest.add(identity)
            info["count"] = total = len(latest) + loose
            return total

    async def list(self, limit: int | None = DEFAULT_LIST_LIMIT) -> list[FailedDocument]:
        """De-duplicated records sorted by (timestamp, documentId), at most ``limit`` (None:
        all).

        Raises:
            ValueError: ``limit`` is negative.
            AwsError: Listing or reading failed.
        """
        if limit is not None and (isinstance(limit, bool) or limit < 0):
            raise ValueError(f"limit must be an int >= 0 or None, got {limit!r}")
        async with observe(logger, "failed_documents.list", self.location) as info:
            async with contextlib.aclosing(self.records()) as found:
                records = [doc async for doc in found]
            unique = sorted(dedupe(records), key=_order)
            info["count"] = len(unique)
            return unique if limit is None else unique[:limit]

    async def delete_all(self) -> int:
        """Delete every object of the session (records and manifest), 1000 keys per request.

        Returns:
            The number of objects deleted.

        Raises:
            AwsError: Listing or deleting failed (the batches before it are gone).
        """
        async with observe(logger, "failed_documents.delete_all", self.location) as info:
            deleted = 0
            batch: list[str] = []
            async with contextlib.aclosing(
                self.store.list_objects(self.bucket, self.session_prefix, page_size=self.page_size)
            ) as objects:
                async for obj in objects:
                    batch.append(obj.key)
                    if len(batch) == DELETE_BATCH:
                        deleted += await self.store.delete_objects(self.bucket, batch)
                        batch = []
            if batch:
                deleted += await self.store.delete_objects(self.bucket, batch)
            info["deleted"] = deleted
            logger.info("Deleted %d failed-document objects under %s", deleted, self.location)
            return deleted

    async def check(self) -> str:
        """A one-line health check: ``<location>: failed documents present`` / ``none``.

        Raises:
            AwsError: The stream could not be read.
        """
        present = await self.has_records()
        return (
            f"{self.location}: {'failed documents present' if present else 'no failed documents'}"
        )


class _UnreadableError(Exception):
    """An object's bytes are not gzip (or are cut short)."""


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _gzip_lines(chunks: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    """The non-empty lines of a gzip stream (several concatenated members allowed)."""
    inflate = zlib.decompressobj(wbits=31)
    in_member = False
    pending = b""
    async for chunk in chunks:
        data = chunk
        while data:
            in_member = True
            try:
                text = inflate.decompress(data)
            except zlib.error as exc:
                raise _UnreadableError(f"not gzip data ({exc})") from exc
            data = b""
            if inflate.eof:
                in_member = False
                data = inflate.unused_data
                inflate = zlib.decompressobj(wbits=31)
            pending += text
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield line
    if in_member:
        raise _UnreadableError("the gzip data ends before its end-of-stream marker")
    if pending.strip():
        yield pending
