"""Aggregations over matched documents: metrics (``max``, ``min``, ``sum``, ``avg``,
``value_count``, ``cardinality``) and ``terms`` buckets with sub-aggregations.

Each aggregation accepts only the options it honours; any other option is a 400.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._errors import ApiError
from ._index import Index, StoredDoc, field_values
from ._mapping import NUMERIC_TYPES
from ._query import as_number, bad_query

__all__ = ["Hit", "aggregate"]

Hit = tuple[Index, str, StoredDoc]

# The keys each aggregation honours; anything else is a 400, never silently dropped.
_AGG_KEYS: dict[str, frozenset[str]] = {
    "max": frozenset({"field", "missing"}),
    "min": frozenset({"field", "missing"}),
    "sum": frozenset({"field", "missing"}),
    "avg": frozenset({"field", "missing"}),
    "value_count": frozenset({"field"}),
    "cardinality": frozenset({"field", "missing", "script", "precision_threshold"}),
    "terms": frozenset({"field", "size", "missing", "min_doc_count", "shard_size"}),
}


def _values(hits: Iterable[Hit], field: str, missing: Any) -> Iterable[tuple[Index, list[Any]]]:
    for index, doc_id, doc in hits:
        values = _field_or_meta(doc_id, doc, field)
        if not values and missing is not None:
            values = [missing]
        yield index, values


def _numbers(hits: Iterable[Hit], field: str, missing: Any) -> list[float]:
    out: list[float] = []
    coerce: dict[int, bool] = {}
    for index, values in _values(hits, field, missing):
        numeric = coerce.get(id(index))
        if numeric is None:
            numeric = coerce[id(index)] = index.type_of(field) in NUMERIC_TYPES
        for v in values:
            number = as_number(v) if numeric or not isinstance(v, str) else None
            if number is not None:
                out.append(number)
    return out


def _index_shard(doc_id: str) -> str:
    """console_link's painless script: the ``_id`` up to its second ``__``."""
    parts = doc_id.split("__", 2)
    return "__".join(parts[:2])


def _metric(kind: str, name: str, body: Mapping[str, Any], hits: Sequence[Hit]) -> dict[str, Any]:
    field = body.get("field")
    missing = body.get("missing")
    if kind == "cardinality":
        if "script" in body:
            # Not executed: counts distinct "<index>__<shard>" prefixes of _id, which is what
            # console_link's work-item script computes.
            return {"value": len({_index_shard(doc_id) for _, doc_id, _ in hits})}
        if not isinstance(field, str):
            raise bad_query(f"[cardinality] aggregation [{name}] requires a [field] or [script]")
        distinct = {repr(v) for _, values in _values(hits, field, missing) for v in values}
        return {"value": len(distinct)}
    if not isinstance(field, str):
        raise bad_query(f"[{kind}] aggregation [{name}] requires a [field]")
    if kind == "value_count":
        return {"value": sum(len(field_values(doc.source, field)) for _, _, doc in hits)}
    numbers = _numbers(hits, field, missing)
    value: float | None
    if kind == "max":
        value = max(numbers) if numbers else None
    elif kind == "min":
        value = min(numbers) if numbers else None
    elif kind == "sum":
        value = float(sum(numbers))
    else:
        value = sum(numbers) / len(numbers) if numbers else None
    return {"value": value}


def _terms_agg(name: str, body: Mapping[str, Any], hits: Sequence[Hit], sub: Any) -> dict[str, Any]:
    field = body.get("field")
    if not isinstance(field, str):
        raise bad_query(f"[terms] aggregation [{name}] requires a [field]")
    size = int(body.get("size", 10))
    min_doc_count = int(body.get("min_doc_count", 1))
    groups: dict[Any, list[Hit]] = {}
    counts: Counter[Any] = Counter()
    missing = body.get("missing")
    for hit in hits:
        values = _field_or_meta(hit[1], hit[2], field)
        if not values and missing is not None:
            values = [missing]
        for v in set(values):
            counts[v] += 1
            groups.setdefault(v, []).append(hit)
    ordered = [kv for kv in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
               if kv[1] >= min_doc_count]  # fmt: skip
    buckets = []
    for key, count in ordered[:size]:
        bucket: dict[str, Any] = {"key": key, "doc_count": count}
        if sub:
            bucket.update(aggregate(sub, groups[key]))
        buckets.append(bucket)
    return {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": sum(c for _, c in ordered[size:]),
        "buckets": buckets,
    }


def aggregate(aggs: Mapping[str, Any], hits: Sequence[Hit]) -> dict[str, Any]:
    """Evaluate ``aggs`` over ``hits``.

    Supported: ``max``, ``min``, ``sum``, ``avg`` (with ``missing``), ``value_count``,
    ``cardinality`` (on a field, or a ``script`` that is not executed, see :func:`_metric`)
    and ``terms`` (with sub-aggs); every aggregation echoes its ``meta``.
    """
    if not isinstance(aggs, Mapping):
        raise bad_query("[aggs] must be an object")
    out: dict[str, Any] = {}
    for name, spec in aggs.items():
        if not isinstance(spec, Mapping):
            raise bad_query(f"aggregation [{name}] must be an object")
        sub = spec.get("aggs", spec.get("aggregations"))
        kinds = [k for k in spec if k not in {"aggs", "aggregations", "meta"}]
        if len(kinds) != 1:
            raise bad_query(f"Expected one aggregation type for [{name}], found {kinds}")
        kind = kinds[0]
        body = spec[kind]
        allowed = _AGG_KEYS.get(kind)
        if allowed is None:
            raise ApiError(
                400,
                "parsing_exception",
                f"Unknown aggregation type [{kind}] (not served by FakeOpenSearchServer)",
            )
        if not isinstance(body, Mapping):
            raise bad_query(f"[{kind}] aggregation [{name}] must be an object")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ApiError(
                400, "x_content_parse_exception", f"[1:1] [{kind}] unknown field [{unknown[0]}]"
            )
        if sub and kind != "terms":
            raise ApiError(
                400,
                "aggregation_initialization_exception",
                f"Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations",
            )
        result = (
            _terms_agg(name, body, hits, sub)
            if kind == "terms"
            else _metric(kind, name, body, hits)
        )
        if "meta" in spec:
            result["meta"] = spec["meta"]
        out[name] = result
    return out


def _field_or_meta(doc_id: str, doc: StoredDoc, field: str) -> list[Any]:
    if field == "_id":
        return [doc_id]
    return field_values(doc.source, field)
