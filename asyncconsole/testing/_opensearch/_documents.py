"""Document APIs: index/create/get/delete/update of single documents, ``_bulk``, delete-by-query."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError
from ._query import compile_query
from ._store import Index, Store, StoredDoc, new_id

__all__ = ["DocumentApi"]


def _shards(index: Index) -> dict[str, int]:
    return {"total": 1 + index.replicas, "successful": 1, "failed": 0}


def _result(index: Index, doc_id: str, doc: StoredDoc, result: str) -> dict[str, Any]:
    return {
        "_index": index.name,
        "_id": doc_id,
        "_version": doc.version,
        "result": result,
        "_shards": _shards(index),
        "_seq_no": doc.seq_no,
        "_primary_term": 1,
    }


def _conflict(index: Index, doc_id: str, doc: StoredDoc) -> ApiError:
    return ApiError(
        409,
        "version_conflict_engine_exception",
        f"[{doc_id}]: version conflict, document already exists (current version [{doc.version}])",
        index=index.name,
        shard="0",
        index_uuid=index.uuid,
    )


def _missing(index: Index, doc_id: str) -> ApiError:
    return ApiError(
        404,
        "document_missing_exception",
        f"[{doc_id}]: document missing",
        index=index.name,
        shard="0",
        index_uuid=index.uuid,
    )


def _check_id(doc_id: str) -> None:
    if not doc_id:
        raise ApiError(
            400, "illegal_argument_exception", "if _id is specified it must not be empty"
        )
    if len(doc_id.encode()) > 512:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"id [{doc_id[:20]}...] is too long, must be no longer than 512 bytes",
        )


def _source(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(
            400, "mapper_parsing_exception", "failed to parse, document is empty or not an object"
        )
    return body


def _merge(target: dict[str, Any], changes: Mapping[str, Any]) -> bool:
    changed = False
    for key, value in changes.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            copy = dict(current)
            changed |= _merge(copy, value)
            target[key] = copy
        elif key not in target or current != value:
            target[key] = value
            changed = True
    return changed


class DocumentApi:
    """Document operations on a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def index(
        self,
        index_name: str,
        doc_id: str | None,
        body: Any,
        *,
        create: bool = False,
        size: int | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Index (or with ``create``, only create) a document; auto-creates the index."""
        source = _source(body)
        index = self.store.auto_create(index_name)
        if doc_id is None:
            doc_id = new_id()
        _check_id(doc_id)
        existing = index.docs.get(doc_id)
        if create and existing is not None:
            raise _conflict(index, doc_id, existing)
        doc, created = index.put(doc_id, source, size=size)
        return (
            (201, _result(index, doc_id, doc, "created"))
            if created
            else (
                200,
                _result(index, doc_id, doc, "updated"),
            )
        )

    def get(self, index_name: str, doc_id: str) -> tuple[int, dict[str, Any]]:
        index = self.store.get(index_name)
        doc = index.docs.get(doc_id)
        if doc is None:
            return 404, {"_index": index.name, "_id": doc_id, "found": False}
        return 200, {
            "_index": index.name,
            "_id": doc_id,
            "_version": doc.version,
            "_seq_no": doc.seq_no,
            "_primary_term": 1,
            "found": True,
            "_source": doc.source,
        }

    def delete(self, index_name: str, doc_id: str) -> tuple[int, dict[str, Any]]:
        index = self.store.get(index_name)
        old = index.delete(doc_id)
        if old is None:
            index.seq_no += 1
            missing = StoredDoc({}, 1, index.seq_no)
            return 404, _result(index, doc_id, missing, "not_found")
        return 200, _result(index, doc_id, old, "deleted")

    def update(self, index_name: str, doc_id: str, body: Any) -> tuple[int, dict[str, Any]]:
        """``_update`` with ``doc`` (+ ``doc_as_upsert``) or ``upsert``; scripts are refused."""
        if not isinstance(body, Mapping):
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: script or doc is missing;",
            )
        if "script" in body:
            raise ApiError(
                400,
                "illegal_argument_exception",
                "scripted updates are not supported by FakeOpenSearchServer",
            )
        changes = body.get("doc")
        if not isinstance(changes, Mapping):
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: script or doc is missing;",
            )
        index = self.store.auto_create(index_name)
        existing = index.docs.get(doc_id)
        if existing is None:
            if body.get("doc_as_upsert"):
                seed: Any = dict(changes)
            elif isinstance(body.get("upsert"), Mapping):
                seed = dict(body["upsert"])
            else:
                raise _missing(index, doc_id)
            doc, _ = index.put(doc_id, seed)
            return 201, _result(index, doc_id, doc, "created")
        merged = dict(existing.source)
        if not _merge(merged, changes):
            return 200, _result(index, doc_id, existing, "noop")
        doc, _ = index.put(doc_id, merged)
        return 200, _result(index, doc_id, doc, "updated")

    def bulk(self, default_index: str | None, payload: bytes) -> dict[str, Any]:
        """``_bulk``: NDJSON ``index``/``create``/``delete``/``update`` actions."""
        if payload and not payload.endswith(b"\n"):
            raise ApiError(
                400,
                "illegal_argument_exception",
                "The bulk request must be terminated by a newline [\\n]",
            )
        lines = payload.split(b"\n")
        items: list[dict[str, Any]] = []
        errors = False
        position = 0
        while position < len(lines):
            line = lines[position].strip()
            position += 1
            if not line:
                continue
            try:
                action_line = json.loads(line)
            except ValueError:
                raise ApiError(
                    400, "json_parse_exception", f"Malformed action/metadata line [{position}]"
                ) from None
            if not isinstance(action_line, dict) or len(action_line) != 1:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"Malformed action/metadata line [{position}], expected START_OBJECT",
                )
            ((action, meta),) = action_line.items()
            if action not in {"index", "create", "delete", "update"}:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"Malformed action/metadata line [{position}], expected one of "
                    f"[create, delete, index, update] but found [{action}]",
                )
            meta = meta if isinstance(meta, dict) else {}
            source_line: bytes | None = None
            if action != "delete":
                if position >= len(lines) or not lines[position].strip():
                    raise ApiError(
                        400,
                        "illegal_argument_exception",
                        f"Validation Failed: 1: source is missing for action [{action}] at line "
                        f"[{position}];",
                    )
                source_line = lines[position]
                position += 1
            index_name = meta.get("_index", default_index)
            doc_id = meta.get("_id")
            doc_id = str(doc_id) if doc_id is not None else None
            if not index_name:
                raise ApiError(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: index is missing;",
                )
            item = self._bulk_item(action, str(index_name), doc_id, source_line)
            errors = errors or "error" in item
            items.append({action: item})
        return {"took": 1, "errors": errors, "items": items}

    def _bulk_item(
        self, action: str, index_name: str, doc_id: str | None, source_line: bytes | None
    ) -> dict[str, Any]:
        try:
            body = json.loads(source_line) if source_line is not None else None
            if action in {"index", "create"}:
                status, result = self.index(
                    index_name,
                    doc_id,
                    body,
                    create=action == "create",
                    size=len(source_line or b""),
                )
            elif doc_id is None:
                raise ApiError(
                    400,
                    "action_request_validation_exception",
                    f"Validation Failed: 1: id is missing for action [{action}];",
                )
            elif action == "delete":
                status, result = self.delete(index_name, doc_id)
            else:
                status, result = self.update(index_name, doc_id, body)
        except ApiError as exc:
            return {
                "_index": index_name,
                "_id": doc_id,
                "status": exc.status,
                "error": {"type": exc.type, "reason": exc.reason, **exc.extra},
            }
        except ValueError as exc:
            return {
                "_index": index_name,
                "_id": doc_id,
                "status": 400,
                "error": {"type": "mapper_parsing_exception", "reason": f"failed to parse: {exc}"},
            }
        result["status"] = status
        return result

    def delete_by_query(self, indices: list[Index], body: Any) -> dict[str, Any]:
        """``_delete_by_query`` (synchronous)."""
        query = body.get("query") if isinstance(body, Mapping) else None
        deleted = 0
        for index in indices:
            predicate = compile_query(query, index)
            doomed = [
                doc_id
                for doc_id, doc in index.docs.items()
                if predicate is None or predicate(doc_id, doc.source)
            ]
            for doc_id in doomed:
                index.delete(doc_id)
            deleted += len(doomed)
        return {
            "took": 1,
            "timed_out": False,
            "total": deleted,
            "deleted": deleted,
            "batches": 1 if deleted else 0,
            "version_conflicts": 0,
            "noops": 0,
            "retries": {"bulk": 0, "search": 0},
            "throttled_millis": 0,
            "requests_per_second": -1.0,
            "throttled_until_millis": 0,
            "failures": [],
        }
