"""``_cat/indices`` and ``_cat/aliases``: OpenSearch's tables, as text or JSON.

Headers follow OpenSearch's ``RestTable``: ``h`` takes names, aliases (``i``, ``dc``, ``cd``)
and wildcards; an unknown header is dropped as OpenSearch drops it, but a statistics column
OpenSearch has and the fake does not compute answers 400, so nobody reads a column that is
silently missing. ``s`` sorts (``:desc``), ``v`` adds the header line, ``bytes`` renders sizes
in one unit, ``health`` filters (and must be green, yellow or red).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._errors import ApiError
from ._index import Index

__all__ = ["ALIAS_COLUMNS", "INDEX_COLUMNS", "Column", "cat_aliases", "cat_indices", "human_bytes"]


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: name, aliases, shown by default, right-aligned, help text."""

    name: str
    aliases: tuple[str, ...] = ()
    default: bool = True
    right: bool = False
    desc: str = "not available"


INDEX_COLUMNS = (
    Column("health", ("h",), desc="current health status"),
    Column("status", ("s",), desc="open/close status"),
    Column("index", ("i", "idx"), desc="index name"),
    Column("uuid", ("id", "uuid"), desc="index uuid"),
    Column("pri", ("p", "shards.primary", "shardsPrimary"), right=True,
           desc="number of primary shards"),
    Column("rep", ("r", "shards.replica", "shardsReplica"), right=True,
           desc="number of replica shards"),
    Column("docs.count", ("dc", "docsCount"), right=True, desc="available docs"),
    Column("docs.deleted", ("dd", "docsDeleted"), right=True, desc="deleted docs"),
    Column("creation.date", ("cd",), default=False,
           desc="index creation date (millisecond value)"),
    Column("creation.date.string", ("cds",), default=False,
           desc="index creation date (as string)"),
    Column("store.size", ("ss", "storeSize"), right=True,
           desc="store size of primaries & replicas"),
    Column("pri.store.size", (), right=True, desc="store size of primaries"),
)  # fmt: skip
ALIAS_COLUMNS = (
    Column("alias", ("a",), desc="alias name"),
    Column("index", ("i", "idx"), desc="index alias points to"),
    Column("filter", ("f", "fi"), desc="filter"),
    Column("routing.index", ("ri", "routingIndex"), desc="index routing"),
    Column("routing.search", ("rs", "routingSearch"), desc="search routing"),
    Column("is_write_index", ("w", "isWriteIndex"), desc="write index"),
)
# Statistics columns OpenSearch's _cat/indices has and the fake does not compute.
_UNSERVED_PREFIXES = (
    "completion.", "fielddata.", "query_cache.", "request_cache.", "flush.", "get.",
    "indexing.", "merges.", "refresh.", "search.", "segments.", "warmer.", "suggest.",
    "memory.", "pri.completion.", "pri.fielddata.", "pri.query_cache.", "pri.request_cache.",
    "pri.flush.", "pri.get.", "pri.indexing.", "pri.merges.", "pri.refresh.", "pri.search.",
    "pri.segments.", "pri.warmer.", "pri.suggest.", "pri.memory.",
)  # fmt: skip
_BYTE_UNITS = {
    "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30,
    "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40, "p": 1 << 50, "pb": 1 << 50,
}  # fmt: skip
_HEALTH = {"green", "yellow", "red"}


class _Bytes(int):
    """A size cell: sorts as a number, renders per the ``bytes`` parameter."""


def human_bytes(size: int) -> str:
    """OpenSearch's ``ByteSizeValue`` rendering: ``208b``, ``5.2kb``, ``1.1mb``."""
    for unit in ("pb", "tb", "gb", "mb", "kb"):
        scale = _BYTE_UNITS[unit]
        if size >= scale:
            text = f"{size / scale:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return f"{size}b"


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _index_row(index: Index) -> dict[str, Any]:
    closed = index.closed
    size = index.store_bytes
    return {
        "health": index.health,
        "status": "close" if closed else "open",
        "index": index.name,
        "uuid": index.uuid,
        "pri": index.shards,
        "rep": index.replicas,
        "docs.count": None if closed else len(index.docs),
        "docs.deleted": None if closed else index.deleted,
        "creation.date": index.created_ms,
        "creation.date.string": _iso(index.created_ms),
        "store.size": None if closed else _Bytes(size),
        "pri.store.size": None if closed else _Bytes(size),
    }


def _headers(columns: Sequence[Column], params: Mapping[str, str]) -> list[tuple[str, str]]:
    """(column name, display name) pairs, as OpenSearch's ``buildDisplayHeaders``."""
    by_name = {c.name: c for c in columns}
    if "h" not in params:
        return [(c.name, c.name) for c in columns if c.default]
    wanted: list[str] = []
    for header in [h.strip() for h in params["h"].split(",") if h.strip()]:
        if "*" in header:
            for column in columns:
                matched = fnmatch.fnmatchcase(column.name, header) or any(
                    fnmatch.fnmatchcase(a, header) for a in column.aliases
                )
                if matched and column.name not in wanted:
                    wanted.append(column.name)
        elif header not in wanted:
            wanted.append(header)
    display: list[tuple[str, str]] = []
    for header in wanted:
        if header in by_name:
            display.append((header, header))
        else:
            owner = next((c for c in columns if header in c.aliases), None)
            if owner is not None:
                display.append((owner.name, header))
            elif header.startswith(_UNSERVED_PREFIXES):
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"header [{header}] is not served by FakeOpenSearchServer",
                )
            else:
                continue  # OpenSearch drops headers it does not know
        name = display[-1][0]
        if params.get("pri", "false") in {"", "true"} and f"pri.{name}" in by_name:
            display.append((f"pri.{name}", f"pri.{display[-1][1]}"))
    return display


def _render(value: Any, bytes_unit: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, _Bytes):
        scale = _BYTE_UNITS.get(bytes_unit or "")
        return human_bytes(value) if scale is None else str(int(value) // scale)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(
    columns: Sequence[Column], rows: list[dict[str, Any]], params: Mapping[str, str]
) -> tuple[str, Any]:
    headers = _headers(columns, params)
    aliases = {c.name: c.name for c in columns}
    aliases.update({a: c.name for c in columns for a in c.aliases})
    ordering: list[tuple[str, bool]] = []
    for spec in [s.strip() for s in params.get("s", "").split(",") if s.strip()]:
        reverse = spec.endswith(":desc")
        name = spec.removesuffix(":desc").removesuffix(":asc")
        if name not in aliases:
            raise ApiError(
                500,
                "unsupported_operation_exception",
                f"Unable to sort by unknown sort key `{name}`",
            )
        ordering.append((aliases[name], reverse))
    for name, reverse in reversed(ordering):
        present = [r for r in rows if r[name] is not None]
        absent = [r for r in rows if r[name] is None]
        present.sort(key=lambda r, n=name: r[n], reverse=reverse)  # type: ignore[misc]
        rows = (present + absent) if reverse else (absent + present)
    bytes_unit = params.get("bytes")
    if params.get("format") == "json":
        return "json", [
            {shown: _render(row[name], bytes_unit) for name, shown in headers} for row in rows
        ]
    right = {c.name for c in columns if c.right}
    verbose = params.get("v", "false") in {"", "true"}
    lines: list[list[str | None]] = [[shown for _, shown in headers]] if verbose else []
    lines.extend([_render(row[name], bytes_unit) for name, _ in headers] for row in rows)
    if not lines:
        return "text", ""
    widths = [max(len(line[i] or "") for line in lines) for i in range(len(headers))]
    out = []
    for number, line in enumerate(lines):
        cells = []
        for i, cell in enumerate(line):
            text = cell or ""
            last = i == len(headers) - 1
            header_line = verbose and number == 0
            if headers[i][0] in right and not header_line:
                cells.append(text.rjust(widths[i]))
            else:
                cells.append(text if last else text.ljust(widths[i]))
        out.append(" ".join(cells))
    return "text", "\n".join(out) + "\n"


def check_format(params: Mapping[str, str]) -> None:
    """``format`` must be one the fake renders (text or JSON)."""
    fmt = params.get("format")
    if fmt is not None and fmt not in {"json", "txt", "text"}:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"format [{fmt}] is not served by FakeOpenSearchServer",
        )


def help_text(columns: Sequence[Column]) -> str:
    """``?help``: one line per column (name | aliases | description)."""
    rows = [(c.name, ",".join(c.aliases), c.desc) for c in columns]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "".join(f"{r[0].ljust(widths[0])} | {r[1].ljust(widths[1])} | {r[2]}\n" for r in rows)


def cat_indices(indices: Sequence[Index], params: Mapping[str, str]) -> tuple[str, Any]:
    """Returns ``("json", rows)`` or ``("text", table)`` for ``_cat/indices``."""
    check_format(params)
    health = params.get("health")
    if health is not None and health.lower() not in _HEALTH:
        raise ApiError(
            400, "illegal_argument_exception", f"unknown cluster health status [{health}]"
        )
    rows = [_index_row(index) for index in indices]
    if health is not None:
        rows = [r for r in rows if r["health"] == health.lower()]
    return _table(INDEX_COLUMNS, rows, params)


def cat_aliases(pairs: Sequence[tuple[str, Index]], params: Mapping[str, str]) -> tuple[str, Any]:
    """``_cat/aliases`` for (alias, index) pairs."""
    check_format(params)
    rows = []
    for alias, index in pairs:
        meta = index.aliases[alias]
        rows.append(
            {
                "alias": alias,
                "index": index.name,
                "filter": "*" if "filter" in meta else "-",
                "routing.index": meta.get("index_routing", "-"),
                "routing.search": meta.get("search_routing", "-"),
                "is_write_index": _write_flag(meta),
            }
        )
    return _table(ALIAS_COLUMNS, rows, params)


def _write_flag(meta: Mapping[str, Any]) -> str:
    flag = meta.get("is_write_index")
    return "-" if flag is None else ("true" if flag else "false")
