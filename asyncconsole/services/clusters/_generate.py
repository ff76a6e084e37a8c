"""``Cluster.generate_data``: generated documents sent with concurrent ``_bulk`` requests
(console_link's ``clusters generate-data``)."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..._errors import AsyncConsoleError
from ..._observe import observe
from ...infra.http import HttpResponse
from ._types import GenerateDataProgress, GenerateDataResult

if TYPE_CHECKING:
    from ._cluster import Cluster

__all__ = ["generate_data"]

_log = logging.getLogger("asyncconsole.services.clusters")

_MAX_REPORTED_ERRORS = 5


def _requested_docs(num_docs: int | None, target_size_mb: float | None, doc_size: int) -> int:
    if isinstance(doc_size, bool) or not isinstance(doc_size, int) or doc_size < 1:
        raise ValueError(f"doc_size_bytes must be an int >= 1, got {doc_size!r}")
    if (num_docs is None) == (target_size_mb is None):
        raise ValueError("give exactly one of num_docs or target_size_mb")
    if num_docs is not None:
        if isinstance(num_docs, bool) or not isinstance(num_docs, int) or num_docs < 1:
            raise ValueError(f"num_docs must be an int >= 1, got {num_docs!r}")
        return num_docs
    assert target_size_mb is not None
    if not target_size_mb > 0 or math.isinf(target_size_mb):
        raise ValueError(f"target_size_mb must be > 0, got {target_size_mb!r}")
    return max(1, math.ceil(target_size_mb * 1024 * 1024 / doc_size))


_DOC_SKELETON = '{"doc_id":%d,"title":"Generated document %d","payload":"%s"}'


def _document(number: int, size: int) -> str:
    bare = _DOC_SKELETON % (number, number, "")
    return _DOC_SKELETON % (number, number, "x" * max(0, size - len(bare)))


def _bulk_body(first: int, count: int, doc_size: int) -> bytes:
    lines = []
    for number in range(first, first + count):
        lines.append('{"index":{}}')
        lines.append(_document(number, doc_size))
    return ("\n".join(lines) + "\n").encode()


def _bulk_outcome(response: HttpResponse) -> tuple[int, list[str]]:
    """Documents accepted by one ``_bulk`` response, and the reasons of the refused ones."""
    try:
        payload = response.json()
        items = payload["items"]
    except (ValueError, KeyError, TypeError) as exc:
        return 0, [f"unreadable _bulk response: {exc}"]
    accepted = 0
    refused: list[str] = []
    for item in items:
        outcome: Any = next(iter(item.values()), {}) if isinstance(item, dict) else {}
        status = outcome.get("status", 500) if isinstance(outcome, dict) else 500
        if isinstance(status, int) and status < 300:
            accepted += 1
        else:
            error = outcome.get("error") if isinstance(outcome, dict) else None
            reason = error.get("reason") if isinstance(error, dict) else error
            refused.append(f"document refused (HTTP {status}): {reason}")
    return accepted, refused


async def generate_data(
    self: Cluster,
    index: str,
    *,
    num_docs: int | None = None,
    target_size_mb: float | None = None,
    doc_size_bytes: int = 150,
    batch_size: int = 100,
    max_concurrency: int | None = None,
    refresh: bool = True,
    on_progress: Callable[[GenerateDataProgress], None] | None = None,
) -> GenerateDataResult:
    """Insert generated documents with concurrent ``_bulk`` requests (console_link's
    ``clusters generate-data``).

    Exactly one of ``num_docs`` or ``target_size_mb`` (then ``ceil(MiB * 2**20 /
    doc_size_bytes)`` documents). Each document's JSON source is padded to about
    ``doc_size_bytes``. Batches of ``batch_size`` go out at most ``max_concurrency`` at
    a time (default :attr:`max_concurrency`); a refused document or batch does not stop
    the others: the result says how many were inserted (check :attr:`~GenerateDataResult.ok`).
    ``on_progress`` is called after each batch with the counts so far.

    Raises:
        ValueError: Not exactly one of ``num_docs``/``target_size_mb``, or a size, count
            or batch size below 1, or an empty index name.
    """
    requested = _requested_docs(num_docs, target_size_mb, doc_size_bytes)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if not isinstance(index, str) or not index or index.startswith(("_", "-", "+")):
        raise ValueError(f"invalid index name {index!r}")
    limit = max_concurrency or self.max_concurrency
    if limit < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {limit!r}")
    path = f"/{quote(index, safe='')}/_bulk"
    started = self.clock.monotonic()
    inserted = 0
    processed = 0
    errors: list[str] = []
    semaphore = asyncio.Semaphore(limit)

    def note(error: str) -> None:
        if len(errors) < _MAX_REPORTED_ERRORS:
            errors.append(error)

    async def send(first: int, count: int) -> None:
        nonlocal inserted, processed
        try:
            body = _bulk_body(first, count, doc_size_bytes)
            response = await self.call_api(
                path,
                "POST",
                data=body,
                headers={"Content-Type": "application/x-ndjson"},
            )
            accepted, refused = _bulk_outcome(response)
            inserted += accepted
            for reason in refused:
                note(reason)
        except AsyncConsoleError as exc:
            note(f"bulk request of {count} documents failed: {exc}")
        finally:
            semaphore.release()
        processed += count
        if on_progress is not None:
            elapsed = max(0.0, self.clock.monotonic() - started)
            on_progress(GenerateDataProgress(index, requested, processed, inserted, elapsed))

    async with observe(_log, "cluster.generate_data", self.name, index=index) as info:
        batches = 0
        async with asyncio.TaskGroup() as tg:
            for first in range(0, requested, batch_size):
                # Acquire before creating the task: at most `limit` batches exist at once.
                await semaphore.acquire()
                tg.create_task(send(first, min(batch_size, requested - first)))
                batches += 1
        if refresh and inserted:
            try:
                await self.call_api(f"/{quote(index, safe='')}/_refresh", "POST")
            except AsyncConsoleError as exc:
                _log.info("refresh of %s after generate_data failed: %s", index, exc)
        info.update(requested=requested, inserted=inserted, batches=batches)
    return GenerateDataResult(
        index=index,
        requested=requested,
        inserted=inserted,
        batches=batches,
        doc_size_bytes=doc_size_bytes,
        duration=max(0.0, self.clock.monotonic() - started),
        errors=tuple(errors),
    )
