"""``_cat/indices`` as text (optionally with a ``v`` header) or JSON, with ``h``, ``s``, ``bytes``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import ApiError
from ._store import Index

__all__ = ["CAT_INDICES_COLUMNS", "cat_indices", "human_bytes"]

CAT_INDICES_COLUMNS = (
    "health",
    "status",
    "index",
    "uuid",
    "pri",
    "rep",
    "docs.count",
    "docs.deleted",
    "store.size",
    "pri.store.size",
)
_ALIASES = {
    "h": "health",
    "s": "status",
    "i": "index",
    "idx": "index",
    "id": "uuid",
    "p": "pri",
    "shards.primary": "pri",
    "r": "rep",
    "shards.replica": "rep",
    "dc": "docs.count",
    "docsCount": "docs.count",
    "dd": "docs.deleted",
    "docsDeleted": "docs.deleted",
    "ss": "store.size",
    "storeSize": "store.size",
}
_BYTE_UNITS = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}
_NUMERIC = {"pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size"}


def human_bytes(size: int) -> str:
    """OpenSearch's ``ByteSizeValue`` rendering: ``208b``, ``5.2kb``, ``1.1mb``."""
    for unit in ("pb", "tb", "gb", "mb", "kb"):
        scale = _BYTE_UNITS[unit]
        if size >= scale:
            value = size / scale
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return f"{size}b"


def _row(index: Index, bytes_unit: str | None) -> dict[str, Any]:
    size = index.store_bytes

    def fmt(n: int) -> str:
        return human_bytes(n) if bytes_unit is None else str(n // _BYTE_UNITS[bytes_unit])

    return {
        "health": index.health,
        "status": "open",
        "index": index.name,
        "uuid": index.uuid,
        "pri": str(index.shards),
        "rep": str(index.replicas),
        "docs.count": str(len(index.docs)),
        "docs.deleted": str(index.deleted),
        "store.size": fmt(size),
        "pri.store.size": fmt(size),
    }


def cat_indices(indices: Sequence[Index], params: Mapping[str, str]) -> tuple[str, Any]:
    """Returns ``("json", rows)`` or ``("text", table)`` for ``_cat/indices``."""
    bytes_unit = params.get("bytes")
    if bytes_unit is not None and bytes_unit not in _BYTE_UNITS:
        raise ApiError(
            400, "illegal_argument_exception", f"failed to parse [bytes] value [{bytes_unit}]"
        )
    columns = list(CAT_INDICES_COLUMNS)
    if "h" in params:
        columns = []
        for name in params["h"].split(","):
            name = _ALIASES.get(name.strip(), name.strip())
            if name not in CAT_INDICES_COLUMNS:
                raise ApiError(400, "illegal_argument_exception", f"header [{name}] does not exist")
            columns.append(name)
    rows = [_row(index, bytes_unit) for index in indices]
    rows.sort(key=lambda r: r["index"])
    for spec in reversed([s for s in params.get("s", "").split(",") if s]):
        name, _, order = spec.partition(":")
        name = _ALIASES.get(name, name)
        if name not in CAT_INDICES_COLUMNS:
            raise ApiError(
                400,
                "unsupported_operation_exception",
                f"Unable to sort by unknown sort key `{name}`",
            )

        def key(row: dict[str, Any], name: str = name) -> Any:
            value = row[name]
            return int(value) if name in _NUMERIC and value.isdigit() else value

        rows.sort(key=key, reverse=order == "desc")
    rows = [{c: row[c] for c in columns} for row in rows]
    if params.get("format") == "json":
        return "json", rows
    verbose = params.get("v", "false").lower() in {"", "true"}
    table = [columns] if verbose else []
    table.extend([row[c] for c in columns] for row in rows)
    if not table:
        return "text", ""
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = []
    for line in table:
        cells = []
        for i, cell in enumerate(line):
            numeric = columns[i] in _NUMERIC and not (verbose and line is table[0])
            cells.append(cell.rjust(widths[i]) if numeric else cell.ljust(widths[i]))
        lines.append(" ".join(cells).rstrip())
    return "text", "\n".join(lines) + "\n"
