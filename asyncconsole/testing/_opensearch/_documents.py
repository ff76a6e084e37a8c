"""Single-document writes and reads with OpenSearch's versioning, and ``_bulk``.

Every write checks its concurrency conditions the way OpenSearch's engine does:
``op_type=create`` on an existing id, ``if_seq_no``/``if_primary_term`` that no longer match,
or an external version that is not newer all answer 409 ``version_conflict_engine_exception``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError
from ._index import PRIMARY_TERM, Index, StoredDoc, new_id
from ._store import Store

__all__ = [
    "BULK_META_KEYS",
    "Admit",
    "DocumentApi",
    "Precondition",
    "WriteResult",
    "validation_error",
]

BULK_META_KEYS = frozenset(
    {"_index", "_id", "op_type", "if_seq_no", "if_primary_term", "version", "version_type",
     "require_alias", "retry_on_conflict"}
)  # fmt: skip
_VERSION_TYPES = {"internal", "external", "external_gte"}

Admit = Callable[[str, int], "tuple[str, str] | None"]
"""A write thread pool's decision on one shard-level task (index, documents): None when it
runs, else the error ``(type, reason)`` its items get with status 429."""


def validation_error(*problems: str) -> ApiError:
    """OpenSearch's ``action_request_validation_exception`` listing ``problems``."""
    listed = "".join(f"{n}: {p};" for n, p in enumerate(problems, 1))
    return ApiError(400, "action_request_validation_exception", f"Validation Failed: {listed}")


@dataclass(frozen=True, slots=True)
class Precondition:
    """What a write requires of the current document (optimistic concurrency control)."""

    if_seq_no: int | None = None
    if_primary_term: int | None = None
    version: int | None = None
    version_type: str = "internal"

    @classmethod
    def parse(cls, values: Mapping[str, Any], *, create: bool = False) -> Precondition:
        """From URL parameters or bulk metadata (400 for what OpenSearch refuses)."""

        def number(name: str) -> int | None:
            raw = values.get(name)
            if raw is None:
                return None
            try:
                return int(str(raw))
            except ValueError:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"Failed to parse int parameter [{name}] with value [{raw}]",
                ) from None

        seq_no, term, version = number("if_seq_no"), number("if_primary_term"), number("version")
        version_type = str(values.get("version_type", "internal")).lower()
        if version_type not in _VERSION_TYPES:
            raise ApiError(
                400, "illegal_argument_exception", f"No version type match [{version_type}]"
            )
        problems: list[str] = []
        if seq_no is not None and seq_no < 0:
            problems.append(f"sequence number must be non negative. got [{seq_no}].")
        if seq_no is not None and not term:
            problems.append(f"ifSeqNo is set, but primary term is [{term or 0}]")
        if seq_no is None and term:
            problems.append(f"ifSeqNo is unassigned, but primary term is [{term}]")
        if version is not None and version_type == "internal":
            problems.append(
                "internal versioning can not be used for optimistic concurrency control. "
                "Please use `if_seq_no` and `if_primary_term` instead"
            )
        if version is not None and seq_no is not None:
            problems.append("compare and write operations can not use versioning")
        if version_type != "internal" and version is None:
            problems.append(f"illegal version value [-3] for version type [{version_type.upper()}]")
        if version is not None and version < 0:
            problems.append(
                f"illegal version value [{version}] for version type [{version_type.upper()}]"
            )
        if create and version_type != "internal":
            problems.append("create operations only support internal versioning. use index instead")
        if create and seq_no is not None:
            problems.append("create operations do not support compare and set. use index instead")
        if problems:
            raise validation_error(*problems)
        return cls(seq_no, term, version, version_type)

    def check(self, index: Index, doc_id: str, current: StoredDoc | None) -> None:
        """409 when ``current`` does not satisfy the precondition."""
        if self.if_seq_no is not None:
            wanted = f"required seqNo [{self.if_seq_no}], primary term [{self.if_primary_term}]"
            if current is None:
                raise conflict(index, doc_id, f"{wanted}. but no document was found")
            if current.seq_no != self.if_seq_no or self.if_primary_term != PRIMARY_TERM:
                raise conflict(
                    index,
                    doc_id,
                    f"{wanted}. current document has seqNo [{current.seq_no}] and primary "
                    f"term [{PRIMARY_TERM}]",
                )
        if self.version is not None and current is not None:
            newer = (
                self.version > current.version
                if self.version_type == "external"
                else self.version >= current.version
            )
            if not newer:
                relation = (
                    "higher or equal to" if self.version_type == "external" else "higher than"
                )
                raise conflict(
                    index,
                    doc_id,
                    f"current version [{current.version}] is {relation} the one provided "
                    f"[{self.version}]",
                )


def conflict(index: Index, doc_id: str, what: str) -> ApiError:
    """409 ``version_conflict_engine_exception``."""
    return ApiError(
        409,
        "version_conflict_engine_exception",
        f"[{doc_id}]: version conflict, {what}",
        index=index.name,
        shard="0",
        index_uuid=index.uuid,
    )


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
        "_primary_term": PRIMARY_TERM,
    }


@dataclass(slots=True)
class WriteResult:
    """One write's answer and the index it touched (for ``refresh``)."""

    status: int
    body: dict[str, Any]
    index: Index


def _missing(index: Index, doc_id: str) -> ApiError:
    return ApiError(
        404,
        "document_missing_exception",
        f"[{doc_id}]: document missing",
        index=index.name,
        shard="0",
        index_uuid=index.uuid,
    )


def check_id(doc_id: str) -> None:
    """400 for an empty or over-long id."""
    if not doc_id:
        raise ApiError(
            400, "illegal_argument_exception", "if _id is specified it must not be empty"
        )
    size = len(doc_id.encode())
    if size > 512:
        raise validation_error(
            f"id [{doc_id}] is too long, must be no longer than 512 bytes but was: {size}"
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


_UPDATE_KEYS = {"doc", "doc_as_upsert", "upsert", "detect_noop", "script", "scripted_upsert",
                "_source"}  # fmt: skip


class DocumentApi:
    """Document operations on a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _target(self, index_name: str, *, require_alias: bool = False) -> Index:
        if require_alias and not self.store.alias_indices(index_name):
            raise ApiError(
                404,
                "index_not_found_exception",
                f"no such index [{index_name}] and [require_alias] request flag is [true] and "
                f"[{index_name}] is not an alias",
                index=index_name,
                index_uuid="_na_",
            )
        index = self.store.auto_create(index_name)
        index.check_open()
        return index

    def index(
        self,
        index_name: str,
        doc_id: str | None,
        body: Any,
        *,
        create: bool = False,
        precondition: Precondition = Precondition(),
        size: int | None = None,
        require_alias: bool = False,
    ) -> WriteResult:
        """Index (or with ``create``, only create) a document; auto-creates the index."""
        if doc_id is not None:
            check_id(doc_id)
        source = _source(body)
        index = self._target(index_name, require_alias=require_alias)
        if doc_id is None:
            doc_id = new_id()
        current = index.get(doc_id)
        if create and current is not None:
            raise conflict(
                index, doc_id, f"document already exists (current version [{current.version}])"
            )
        precondition.check(index, doc_id, current)
        external = precondition.version if precondition.version_type != "internal" else None
        doc, created = index.put(doc_id, source, size=size, version=external)
        body_out = _result(index, doc_id, doc, "created" if created else "updated")
        return WriteResult(201 if created else 200, body_out, index)

    def get(
        self, index_name: str, doc_id: str, *, realtime: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """``GET /<index>/_doc/<id>`` (realtime unless asked otherwise)."""
        index = self.store.get(index_name)
        index.check_open()
        doc = index.get(doc_id, realtime=realtime)
        if doc is None:
            return 404, {"_index": index.name, "_id": doc_id, "found": False}
        return 200, {
            "_index": index.name,
            "_id": doc_id,
            "_version": doc.version,
            "_seq_no": doc.seq_no,
            "_primary_term": PRIMARY_TERM,
            "found": True,
            "_source": doc.source,
        }

    def delete(
        self, index_name: str, doc_id: str, *, precondition: Precondition = Precondition()
    ) -> WriteResult:
        """Delete a document (404 ``not_found`` result when it does not exist)."""
        index = self.store.get(index_name)
        index.check_open()
        current = index.get(doc_id)
        precondition.check(index, doc_id, current)
        external = precondition.version if precondition.version_type != "internal" else None
        tomb = index.delete(doc_id, version=external)
        if tomb is None:
            missing = StoredDoc({}, external or 1, index.seq_no)
            return WriteResult(404, _result(index, doc_id, missing, "not_found"), index)
        return WriteResult(200, _result(index, doc_id, tomb, "deleted"), index)

    def update(
        self,
        index_name: str,
        doc_id: str,
        body: Any,
        *,
        precondition: Precondition = Precondition(),
        require_alias: bool = False,
    ) -> WriteResult:
        """``_update`` with ``doc`` (+ ``doc_as_upsert``) or ``upsert``; scripts are refused."""
        if not isinstance(body, Mapping):
            raise validation_error("script or doc is missing")
        unknown = sorted(set(body) - _UPDATE_KEYS)
        if unknown:
            raise ApiError(
                400,
                "x_content_parse_exception",
                f"[1:2] [UpdateRequest] unknown field [{unknown[0]}]",
            )
        if "script" in body:
            raise ApiError(
                400,
                "illegal_argument_exception",
                "scripted updates are not supported by FakeOpenSearchServer",
            )
        if "_source" in body:
            raise ApiError(
                400,
                "illegal_argument_exception",
                "[_source] in an update is not supported by FakeOpenSearchServer",
            )
        changes = body.get("doc")
        if not isinstance(changes, Mapping):
            raise validation_error("script or doc is missing")
        index = self._target(index_name, require_alias=require_alias)
        existing = index.get(doc_id)
        precondition.check(index, doc_id, existing)
        if existing is None:
            if body.get("doc_as_upsert"):
                seed: Any = dict(changes)
            elif isinstance(body.get("upsert"), Mapping):
                seed = dict(body["upsert"])
            else:
                raise _missing(index, doc_id)
            doc, _ = index.put(doc_id, seed)
            return WriteResult(201, _result(index, doc_id, doc, "created"), index)
        merged = dict(existing.source)
        changed = _merge(merged, changes)
        if not changed and body.get("detect_noop", True) is not False:
            noop = _result(index, doc_id, existing, "noop")
            noop["_shards"] = {"total": 0, "successful": 0, "failed": 0}
            return WriteResult(200, noop, index)
        doc, _ = index.put(doc_id, merged)
        return WriteResult(200, _result(index, doc_id, doc, "updated"), index)

    # ------------------------------------------------------------------ bulk

    def bulk(
        self,
        default_index: str | None,
        payload: bytes,
        *,
        require_alias: bool = False,
        admit: Admit | None = None,
    ) -> tuple[dict[str, Any], list[Index]]:
        """``_bulk``: NDJSON ``index``/``create``/``delete``/``update`` actions.

        ``admit`` (the node's write thread pool) sees one task per target index, in order of
        first appearance, before anything is written; the items of a rejected task answer 429
        and are not applied, as OpenSearch does when the write queue is full.

        Returns the response and the indices written to (for ``refresh``).
        """
        if payload and not payload.endswith(b"\n"):
            raise ApiError(
                400,
                "illegal_argument_exception",
                "The bulk request must be terminated by a newline [\\n]",
            )
        lines = payload.split(b"\n")
        items: list[dict[str, Any]] = []
        touched: dict[str, Index] = {}
        errors = False
        position = 0
        parsed: list[tuple[str, dict[str, Any], bytes | None, int]] = []
        while position < len(lines):
            line = lines[position].strip()
            position += 1
            if not line:
                continue
            action, meta = _action_line(line, position)
            source_line: bytes | None = None
            if action != "delete":
                if position >= len(lines) or not lines[position].strip():
                    raise validation_error(
                        f"source is missing for action [{action}] at line [{position}]"
                    )
                source_line = lines[position]
                position += 1
            parsed.append((action, meta, source_line, position))
        if any(not meta.get("_index", default_index) for _, meta, _, _ in parsed):
            raise validation_error("index is missing")
        refused: dict[str, tuple[str, str]] = {}
        if admit is not None:
            tasks = Counter(str(meta.get("_index", default_index)) for _, meta, _, _ in parsed)
            for name, docs in tasks.items():
                verdict = admit(name, docs)
                if verdict is not None:
                    refused[name] = verdict
        for action, meta, source_line, _line in parsed:
            index_name = str(meta.get("_index", default_index))
            raw_id = meta.get("_id")
            doc_id = str(raw_id) if raw_id is not None else None
            if action == "index" and str(meta.get("op_type", "index")) == "create":
                action = "create"
            if index_name in refused:
                error_type, reason = refused[index_name]
                errors = True
                items.append(
                    {
                        action: {
                            "_index": index_name,
                            "_id": doc_id if doc_id is not None else new_id(),
                            "status": 429,
                            "error": {"type": error_type, "reason": reason},
                        }
                    }
                )
                continue
            item = self._bulk_item(
                action,
                index_name,
                doc_id,
                source_line,
                meta,
                require_alias=bool(meta.get("require_alias", require_alias)),
                touched=touched,
            )
            errors = errors or "error" in item
            items.append({action: item})
        return {"took": 1, "errors": errors, "items": items}, list(touched.values())

    def _bulk_item(
        self,
        action: str,
        index_name: str,
        doc_id: str | None,
        source_line: bytes | None,
        meta: Mapping[str, Any],
        *,
        require_alias: bool,
        touched: dict[str, Index],
    ) -> dict[str, Any]:
        try:
            precondition = Precondition.parse(meta, create=action == "create")
            body = json.loads(source_line) if source_line is not None else None
            if action in {"index", "create"}:
                result = self.index(
                    index_name,
                    doc_id,
                    body,
                    create=action == "create",
                    precondition=precondition,
                    size=len(source_line or b""),
                    require_alias=require_alias,
                )
            elif doc_id is None:
                raise validation_error(f"id is missing for action [{action}]")
            elif action == "delete":
                result = self.delete(index_name, doc_id, precondition=precondition)
            else:
                result = self.update(
                    index_name, doc_id, body, precondition=precondition, require_alias=require_alias
                )
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
        touched[result.index.name] = result.index
        out = result.body
        out["status"] = result.status
        return out


def _action_line(line: bytes, position: int) -> tuple[str, dict[str, Any]]:
    try:
        action_line = json.loads(line)
    except ValueError:
        raise ApiError(
            400, "json_parse_exception", f"Malformed action/metadata line [{position}]"
        ) from None
    if not isinstance(action_line, dict) or len(action_line) != 1:
        found = "END_OBJECT" if action_line == {} else "START_OBJECT"
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Malformed action/metadata line [{position}], expected FIELD_NAME but found [{found}]",
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
    for key in meta:
        if key not in BULK_META_KEYS:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"Action/metadata line [{position}] contains an unknown parameter [{key}]",
            )
    if "op_type" in meta and (action != "index" or meta["op_type"] not in {"index", "create"}):
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Action/metadata line [{position}] contains an unknown parameter [op_type]",
        )
    return str(action), meta
