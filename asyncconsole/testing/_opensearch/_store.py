"""Indices, documents and cluster settings of the fake cluster, plus index-name resolution.

Documents are kept as the caller's dicts (never copied on search) inside a small slotted
record, so a couple of hundred thousand of them stay cheap. Writes are visible to searches at
once, as if every write were followed by a refresh.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..._clock import Clock
from ._errors import ApiError, index_not_found

__all__ = [
    "Index",
    "Store",
    "StoredDoc",
    "field_values",
    "flatten_settings",
    "nest_settings",
    "new_id",
    "setting_true",
]

_BAD_NAME_CHARS = set('\\/*?"<>| ,#:')
_SHARD_OVERHEAD = 208  # bytes an empty shard reports as its store size
_id_counter = itertools.count()
_id_prefix = secrets.token_urlsafe(9)[:10]


def new_id() -> str:
    """A 20-character document id like OpenSearch's auto-generated ones."""
    return f"{_id_prefix}{next(_id_counter):010x}"


class StoredDoc:
    """A document: its source (the caller's dict, not copied), version and sequence number."""

    __slots__ = ("seq_no", "source", "version")

    def __init__(self, source: dict[str, Any], version: int, seq_no: int) -> None:
        self.source = source
        self.version = version
        self.seq_no = seq_no


def flatten_settings(settings: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"index": {"number_of_shards": 2}}`` -> ``{"index.number_of_shards": "2"}``."""
    flat: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_settings(value, f"{name}."))
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, list):
            flat[name] = ",".join(str(v) for v in value)
        elif value is None:
            flat[name] = ""
        else:
            flat[name] = str(value)
    return flat


def nest_settings(flat: Mapping[str, str]) -> dict[str, Any]:
    """The inverse of :func:`flatten_settings`."""
    out: dict[str, Any] = {}
    for key, value in sorted(flat.items()):
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return out


def setting_true(value: str | None) -> bool:
    """OpenSearch's boolean setting parse."""
    return value is not None and value.lower() == "true"


def field_values(source: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at dotted ``path`` (arrays flattened); ``x.keyword`` falls back to ``x``."""
    if path in source:
        return _flat(source[path])
    values: list[Any] = [source]
    for part in path.split("."):
        found: list[Any] = []
        for node in values:
            if isinstance(node, Mapping) and part in node:
                found.extend(_flat(node[part]))
        values = found
        if not values:
            break
    if not values and path.endswith(".keyword"):
        return field_values(source, path[: -len(".keyword")])
    return values


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(_flat(item))
        return [v for v in out if v is not None]
    return [] if value is None else [value]


def _infer_type(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if isinstance(value, Mapping):
        return {"properties": {}}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def _infer(properties: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Dynamic mapping: add a type for every field seen for the first time."""
    for key, value in source.items():
        if isinstance(value, list):
            value = next((v for v in value if v is not None), None)
        if value is None:
            continue
        mapping = properties.get(key)
        if mapping is None:
            mapping = properties[key] = _infer_type(value)
        if isinstance(value, Mapping) and "properties" in mapping:
            _infer(mapping["properties"], value)


class Index:
    """One index: settings (flat, string values like OpenSearch), mappings and documents."""

    def __init__(
        self,
        name: str,
        *,
        settings: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
        created_ms: int,
    ) -> None:
        flat = flatten_settings(settings or {})
        flat = {k if k.startswith("index.") else f"index.{k}": v for k, v in flat.items()}
        flat.setdefault("index.number_of_shards", "1")
        flat.setdefault("index.number_of_replicas", "1")
        for key in ("index.number_of_shards", "index.number_of_replicas"):
            if not flat[key].isdigit() or (key.endswith("shards") and int(flat[key]) < 1):
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"Failed to parse value [{flat[key]}] for setting [{key}]",
                )
        self.name = name
        self.uuid = uuid.uuid4().hex[:22]
        flat["index.uuid"] = self.uuid
        flat["index.provided_name"] = name
        flat["index.creation_date"] = str(created_ms)
        flat.setdefault("index.version.created", "136357827")
        self.settings = flat
        self.mappings: dict[str, Any] = dict(mappings or {})
        self.mappings.setdefault("properties", {})
        self.docs: dict[str, StoredDoc] = {}
        self.deleted = 0
        self.size_bytes = 0
        self.seq_no = -1
        # Bumped by every write: snapshots use it to tell unchanged (not incremental) indices.
        self.generation = 0

    @property
    def shards(self) -> int:
        """Primary shard count."""
        return int(self.settings["index.number_of_shards"])

    @property
    def replicas(self) -> int:
        """Replica count (never assigned: the fake cluster has one node)."""
        return int(self.settings.get("index.number_of_replicas", "1"))

    @property
    def hidden(self) -> bool:
        """``index.hidden``: not matched by wildcards unless asked for."""
        return setting_true(self.settings.get("index.hidden"))

    @property
    def store_bytes(self) -> int:
        """Estimated primary store size."""
        return self.size_bytes + _SHARD_OVERHEAD * self.shards

    @property
    def health(self) -> str:
        """``yellow`` when replicas are wanted (one node cannot hold them), else ``green``."""
        return "yellow" if self.replicas > 0 else "green"

    def type_of(self, path: str) -> str | None:
        """The mapped type of a dotted field path, if known."""
        node: Any = self.mappings
        parts = path.split(".")
        for i, part in enumerate(parts):
            props = node.get("properties") if isinstance(node, Mapping) else None
            if isinstance(props, Mapping) and part in props:
                node = props[part]
                continue
            fields = node.get("fields") if isinstance(node, Mapping) else None
            if isinstance(fields, Mapping) and part in fields and i == len(parts) - 1:
                node = fields[part]
                continue
            return None
        return node.get("type") if isinstance(node, Mapping) else None

    def put(
        self,
        doc_id: str,
        source: dict[str, Any],
        *,
        size: int | None = None,
        infer: bool = True,
    ) -> tuple[StoredDoc, bool]:
        """Index a document; returns it and whether it was created (not replaced)."""
        if infer:
            _infer(self.mappings["properties"], source)
        self.seq_no += 1
        self.generation += 1
        old = self.docs.get(doc_id)
        stored = StoredDoc(source, 1 if old is None else old.version + 1, self.seq_no)
        self.docs[doc_id] = stored
        if old is not None:
            self.deleted += 1
        self.size_bytes += size if size is not None else len(json.dumps(source))
        return stored, old is None

    def delete(self, doc_id: str) -> StoredDoc | None:
        """Delete a document; returns what was deleted."""
        old = self.docs.pop(doc_id, None)
        if old is not None:
            self.seq_no += 1
            self.generation += 1
            self.deleted += 1
            old.version += 1
            old.seq_no = self.seq_no
        return old

    def describe(self) -> dict[str, Any]:
        """``GET /<index>`` entry."""
        return {
            "aliases": {},
            "mappings": self.mappings,
            "settings": nest_settings(self.settings),
        }


def validate_index_name(name: str) -> None:
    """Raise ``invalid_index_name_exception`` as OpenSearch does."""

    def bad(why: str) -> ApiError:
        return ApiError(
            400,
            "invalid_index_name_exception",
            f"Invalid index name [{name}], {why}",
            index=name,
            index_uuid="_na_",
        )

    if not name or name in {".", ".."}:
        raise bad("must not be '.' or '..'")
    if name != name.lower():
        raise bad("must be lowercase")
    if name[0] in "_-+":
        raise bad("must not start with '_', '-', or '+'")
    bad_chars = sorted(_BAD_NAME_CHARS & set(name))
    if bad_chars:
        raise bad(f"must not contain the following characters {bad_chars}")
    if len(name.encode()) > 255:
        raise bad("index name is too long")


class Store:
    """Every index and the cluster settings."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.indices: dict[str, Index] = {}
        self.cluster_settings: dict[str, dict[str, str]] = {"persistent": {}, "transient": {}}

    def now_ms(self) -> int:
        """Clock time in epoch milliseconds."""
        return int(self.clock.now().timestamp() * 1000)

    def cluster_setting(self, key: str) -> str | None:
        """Transient overrides persistent, as in OpenSearch."""
        return self.cluster_settings["transient"].get(
            key, self.cluster_settings["persistent"].get(key)
        )

    def create_index(
        self,
        name: str,
        *,
        settings: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
    ) -> Index:
        """Create an index (400 if it exists or the name is invalid)."""
        validate_index_name(name)
        existing = self.indices.get(name)
        if existing is not None:
            raise ApiError(
                400,
                "resource_already_exists_exception",
                f"index [{name}/{existing.uuid}] already exists",
                index_uuid=existing.uuid,
                index=name,
            )
        _check_knn(settings or {}, mappings or {})
        index = Index(name, settings=settings, mappings=mappings, created_ms=self.now_ms())
        self.indices[name] = index
        return index

    def auto_create(self, name: str) -> Index:
        """The index, created with defaults if missing (as a document write does)."""
        index = self.indices.get(name)
        if index is None:
            index = self.create_index(name)
        return index

    def get(self, name: str) -> Index:
        """One concrete index, or 404."""
        index = self.indices.get(name)
        if index is None:
            raise index_not_found(name)
        return index

    def resolve(
        self,
        expression: str | None,
        *,
        ignore_unavailable: bool = False,
        allow_no_indices: bool = True,
        expand_hidden: bool = False,
        for_delete: bool = False,
    ) -> list[Index]:
        """Indices named by a comma list of names, ``*`` wildcards, ``_all`` and ``-`` exclusions."""
        parts = [p for p in (expression or "").split(",") if p] or ["_all"]
        wildcard_used = any(p == "_all" or "*" in p for p in parts)
        if (
            for_delete
            and wildcard_used
            and setting_true(self.cluster_setting("action.destructive_requires_name"))
        ):
            raise ApiError(
                400,
                "illegal_argument_exception",
                "Wildcard expressions or all indices are not allowed",
            )
        chosen: dict[str, Index] = {}
        for i, part in enumerate(parts):
            if part.startswith("-") and i > 0:
                pattern = part[1:]
                for name in [n for n in chosen if fnmatch.fnmatchcase(n, pattern)]:
                    del chosen[name]
                continue
            if part == "_all" or "*" in part:
                pattern = "*" if part == "_all" else part
                hidden_ok = expand_hidden or pattern.startswith(".")
                for name in sorted(self.indices):
                    index = self.indices[name]
                    if fnmatch.fnmatchcase(name, pattern) and (hidden_ok or not index.hidden):
                        chosen.setdefault(name, index)
                continue
            found = self.indices.get(part)
            if found is None:
                if ignore_unavailable:
                    continue
                raise index_not_found(part)
            chosen.setdefault(part, found)
        if not chosen and not allow_no_indices:
            raise index_not_found(expression or "_all")
        return list(chosen.values())

    def delete_indices(self, indices: Iterable[Index]) -> None:
        """Remove indices."""
        for index in indices:
            self.indices.pop(index.name, None)

    def update_cluster_settings(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /_cluster/settings``: ``null`` values reset a setting."""
        out: dict[str, Any] = {"acknowledged": True, "persistent": {}, "transient": {}}
        for scope in ("persistent", "transient"):
            given = body.get(scope) or {}
            if not isinstance(given, Mapping):
                raise ApiError(400, "illegal_argument_exception", f"[{scope}] must be an object")
            flat = _flatten_with_nulls(given)
            target = self.cluster_settings[scope]
            for key, value in flat.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
            out[scope] = nest_settings({k: v for k, v in flat.items() if v is not None})
        return out

    def iter_docs(self, indices: Iterable[Index]) -> Iterator[tuple[Index, str, StoredDoc]]:
        """Every document of ``indices``, in index then insertion order."""
        for index in indices:
            for doc_id, doc in index.docs.items():
                yield index, doc_id, doc


def _flatten_with_nulls(settings: Mapping[str, Any], prefix: str = "") -> dict[str, str | None]:
    flat: dict[str, str | None] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten_with_nulls(value, f"{name}."))
        elif value is None:
            flat[name] = None
        else:
            flat[name] = flatten_settings({"v": value})["v"]
    return flat


_DIMENSION = re.compile(r"^-?\d+$")


def _check_knn(settings: Mapping[str, Any], mappings: Mapping[str, Any]) -> None:
    """A ``knn_vector`` needs a positive dimension (the serverless type probe relies on this)."""
    props = mappings.get("properties")
    if not isinstance(props, Mapping):
        return
    for field, spec in props.items():
        if isinstance(spec, Mapping) and spec.get("type") == "knn_vector":
            dim = str(spec.get("dimension", ""))
            if not _DIMENSION.match(dim) or int(dim) <= 0:
                raise ApiError(
                    400,
                    "mapper_parsing_exception",
                    f"Dimension value must be greater than 0 for vector: {field}",
                )
