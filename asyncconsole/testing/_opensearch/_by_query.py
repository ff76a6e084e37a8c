"""``_delete_by_query`` and ``_reindex``: scroll over what searches see, write in batches.

Like OpenSearch they read the searchable (refreshed) documents and write each one only if it
has not changed since (its sequence number): a document written after the last refresh is a
version conflict, counted in ``version_conflicts``, that aborts the request with 409 unless
``conflicts=proceed``. ``max_docs`` (or the deprecated ``size``) limits the documents
processed, ``scroll_size`` the batch (``batches`` counts them), ``requests_per_second`` throttles
on the injected clock.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..._clock import Clock
from ._documents import DocumentApi, Precondition
from ._errors import ApiError
from ._index import PRIMARY_TERM, Index, StoredDoc
from ._search import SearchEngine
from ._store import Store

__all__ = ["ByQueryOptions", "delete_by_query", "parse_options", "reindex"]

_DELETE_BODY_KEYS = {"query", "max_docs", "size"}


@dataclass(frozen=True, slots=True)
class ByQueryOptions:
    """The parameters shared by delete-by-query and reindex."""

    max_docs: int | None = None
    conflicts: str = "abort"
    scroll_size: int = 1000
    requests_per_second: float = -1.0


def _bad(reason: str) -> ApiError:
    return ApiError(400, "illegal_argument_exception", reason)


def parse_options(params: Mapping[str, str], body: Mapping[str, Any]) -> ByQueryOptions:
    """Validate ``max_docs``/``size``, ``conflicts``, ``scroll_size``, ``requests_per_second``
    and ``slices`` as OpenSearch does."""
    candidates: list[int] = []
    for source in (params, body):
        for name in ("size", "max_docs"):
            if source.get(name) is not None:
                raw = source[name]
                try:
                    value = int(str(raw))
                except ValueError:
                    raise _bad(
                        f"Failed to parse int parameter [{name}] with value [{raw}]"
                    ) from None
                if value < 0:
                    raise _bad(f"[max_docs] parameter cannot be negative, found [{value}]")
                candidates.append(value)
    if len(set(candidates)) > 1:
        raise _bad(
            f"[max_docs] set to two different values [{candidates[0]}] and [{candidates[1]}]"
        )
    max_docs = candidates[0] if candidates else None
    conflicts = body.get("conflicts", params.get("conflicts", "abort"))
    if conflicts not in {"abort", "proceed"}:
        raise _bad(f'conflicts may only be "proceed" or "abort" but was [{conflicts}]')
    raw_size = params.get("scroll_size", "1000")
    try:
        scroll_size = int(raw_size)
    except ValueError:
        raise _bad(f"Failed to parse int parameter [scroll_size] with value [{raw_size}]") from None
    raw_rps = params.get("requests_per_second", "-1")
    try:
        rps = float(raw_rps)
    except ValueError:
        rps = 0.0
    if raw_rps in {"", "unlimited"} or (rps <= 0 and rps != -1):
        raise _bad(
            "[requests_per_second] must be a float greater than 0. Use -1 to disable throttling."
        )
    slices = params.get("slices", "1")
    if slices != "auto" and (not slices.isdigit() or int(slices) < 1):
        raise _bad('[slices] must be a positive integer or the string "auto"')
    if slices not in {"1", "auto"}:
        if max_docs is not None and max_docs < int(slices):
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: [max_docs] should be >= [slices];",
            )
        raise _bad(f"[slices={slices}] is not served by FakeOpenSearchServer (use 1 or auto)")
    return ByQueryOptions(max_docs, str(conflicts), max(1, scroll_size), rps)


@dataclass
class _Progress:
    started: float
    total: int = 0
    batches: int = 0
    version_conflicts: int = 0
    noops: int = 0
    deleted: int = 0
    created: int = 0
    updated: int = 0
    throttled: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def response(self, rps: float, *, reindex: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "took": int((time.perf_counter() - self.started) * 1000),
            "timed_out": False,
            "total": self.total,
        }
        if reindex:
            body["updated"] = self.updated
            body["created"] = self.created
        body.update(
            {
                "deleted": self.deleted,
                "batches": self.batches,
                "version_conflicts": self.version_conflicts,
                "noops": self.noops,
                "retries": {"bulk": 0, "search": 0},
                "throttled_millis": int(self.throttled * 1000),
                "requests_per_second": rps,
                "throttled_until_millis": 0,
                "failures": self.failures,
            }
        )
        return body


def _failure(index: Index, doc_id: str, error: ApiError) -> dict[str, Any]:
    cause = {"type": error.type, "reason": error.reason, **error.extra}
    return {"index": index.name, "id": doc_id, "cause": cause, "status": error.status}


def _batches(
    engine: SearchEngine,
    indices: Sequence[Index],
    query: Mapping[str, Any] | None,
    filters: Mapping[str, list[Any]] | None,
    batch: int,
) -> list[list[tuple[Index, str, StoredDoc]]]:
    matches = engine.match(indices, query, [], filters)
    hits = [(index, ids[i], docs[i]) for index, ids, docs in matches.runs for i in range(len(ids))]
    return [hits[i : i + batch] for i in range(0, len(hits), batch)]


async def _throttle(clock: Clock, progress: _Progress, count: int, rps: float) -> None:
    if rps > 0 and count:
        delay = count / rps
        progress.throttled += delay
        await clock.sleep(delay)


async def delete_by_query(
    store: Store,
    engine: SearchEngine,
    indices: Sequence[Index],
    body: Mapping[str, Any],
    options: ByQueryOptions,
    filters: Mapping[str, list[Any]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run a delete-by-query; returns (status, response)."""
    if "stored_fields" in body:
        raise ApiError(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: stored_fields is not supported in this context;",
        )
    unknown = sorted(set(body) - _DELETE_BODY_KEYS)
    if unknown:
        raise ApiError(
            400, "parsing_exception", f"Unknown key for a START_OBJECT in [{unknown[0]}]."
        )
    query = body.get("query")
    if not isinstance(query, Mapping):
        raise ApiError(
            400, "action_request_validation_exception", "Validation Failed: 1: query is missing;"
        )
    progress = _Progress(time.perf_counter())
    batch = options.scroll_size
    if options.max_docs is not None:
        batch = max(1, min(batch, options.max_docs))
    done = False
    for chunk in _batches(engine, indices, query, filters, batch):
        if done:
            break
        progress.batches += 1
        processed = 0
        for index, doc_id, seen in chunk:
            if (
                options.max_docs is not None
                and progress.deleted
                + (progress.version_conflicts if options.conflicts == "abort" else 0)
                >= options.max_docs
            ):
                done = True
                break
            progress.total += 1
            processed += 1
            current = index.get(doc_id)
            try:
                Precondition(seen.seq_no, PRIMARY_TERM).check(index, doc_id, current)
            except ApiError as exc:
                progress.version_conflicts += 1
                if options.conflicts == "abort":
                    progress.failures.append(_failure(index, doc_id, exc))
                continue
            index.delete(doc_id)
            progress.deleted += 1
        await _throttle(store.clock, progress, processed, options.requests_per_second)
        if progress.failures:
            break
    status = max((f["status"] for f in progress.failures), default=200)
    return status, progress.response(options.requests_per_second, reindex=False)


async def reindex(
    store: Store,
    engine: SearchEngine,
    documents: DocumentApi,
    body: Mapping[str, Any],
    options: ByQueryOptions,
) -> tuple[int, dict[str, Any], list[Index]]:
    """Run a local reindex; returns (status, response, indices written)."""
    unknown = sorted(set(body) - {"source", "dest", "max_docs", "size", "conflicts"})
    if unknown:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"[{unknown[0]}] in a reindex is not served by FakeOpenSearchServer",
        )
    source = body.get("source")
    dest = body.get("dest")
    problems = []
    if not isinstance(source, Mapping) or not source.get("index"):
        problems.append("use _all if you really want to copy from all existing indexes")
    if not isinstance(dest, Mapping) or not dest.get("index"):
        problems.append("index must be specified")
    if problems or not isinstance(source, Mapping) or not isinstance(dest, Mapping):
        listed = "".join(f"{n}: {p};" for n, p in enumerate(problems, 1))
        raise ApiError(400, "action_request_validation_exception", f"Validation Failed: {listed}")
    extra = sorted(set(source) - {"index", "query", "size"}) + sorted(
        set(dest) - {"index", "op_type", "version_type"}
    )
    if extra:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"[{extra[0]}] in a reindex is not served by FakeOpenSearchServer",
        )
    raw_index = source["index"]
    expression = ",".join(raw_index) if isinstance(raw_index, list) else str(raw_index)
    indices = store.resolve(expression)
    dest_name = str(dest["index"])
    if dest_name in {i.name for i in indices}:
        raise ApiError(
            400,
            "action_request_validation_exception",
            f"Validation Failed: 1: reindex cannot write into an index its reading from "
            f"[{dest_name}];",
        )
    op_type = str(dest.get("op_type", "index"))
    version_type = str(dest.get("version_type", "internal"))
    if op_type not in {"index", "create"} or version_type not in {"internal", "external"}:
        raise _bad(f"[op_type={op_type}, version_type={version_type}] is not served")
    progress = _Progress(time.perf_counter())
    batch = int(source.get("size", options.scroll_size))
    if options.max_docs is not None:
        batch = max(1, min(batch, options.max_docs))
    written: dict[str, Index] = {}
    for chunk in _batches(engine, indices, source.get("query"), None, batch):
        if options.max_docs is not None and progress.created + progress.updated >= options.max_docs:
            break
        progress.batches += 1
        processed = 0
        for index, doc_id, seen in chunk:
            if options.max_docs is not None and (
                progress.created + progress.updated + progress.version_conflicts >= options.max_docs
            ):
                break
            progress.total += 1
            processed += 1
            precondition = (
                Precondition(version=seen.version, version_type="external")
                if version_type == "external"
                else Precondition()
            )
            try:
                result = documents.index(
                    dest_name,
                    doc_id,
                    seen.source,
                    create=op_type == "create",
                    precondition=precondition,
                )
            except ApiError as exc:
                target = store.indices.get(dest_name) or index
                if exc.status == 409:
                    progress.version_conflicts += 1
                    if options.conflicts == "proceed":
                        continue
                progress.failures.append(_failure(target, doc_id, exc))
                continue
            written[result.index.name] = result.index
            if result.status == 201:
                progress.created += 1
            else:
                progress.updated += 1
        await _throttle(store.clock, progress, processed, options.requests_per_second)
        if progress.failures:
            break
    status = max((f["status"] for f in progress.failures), default=200)
    return (
        status,
        progress.response(options.requests_per_second, reindex=True),
        list(written.values()),
    )
