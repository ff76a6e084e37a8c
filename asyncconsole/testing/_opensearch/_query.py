"""Query DSL evaluation, sorting, ``_source`` filtering and aggregations over stored documents.

A query compiles once per index into a predicate ``(doc_id, source) -> bool``. Scoring is not
modelled: every hit scores 1.0. Text fields (dynamically mapped strings) match on lower-cased
word tokens; everything else on exact values, with OpenSearch's string/number coercion.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ._errors import ApiError
from ._index import Index, StoredDoc, field_values
from ._mapping import NUMERIC_TYPES

__all__ = [
    "NUMERIC_TYPES",
    "Predicate",
    "SortKey",
    "as_number",
    "bad_query",
    "compile_query",
    "parse_sort",
    "sort_values",
    "source_filter",
]

Predicate = Callable[[str, Mapping[str, Any]], bool]
_WORD = re.compile(r"\w+")


def bad_query(reason: str) -> ApiError:
    return ApiError(400, "parsing_exception", reason)


def _tokens(value: Any) -> set[str]:
    return set(_WORD.findall(str(value).lower()))


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _equal(doc_value: Any, wanted: Any) -> bool:
    if isinstance(doc_value, bool) or isinstance(wanted, bool):
        return str(doc_value).lower() == str(wanted).lower()
    if doc_value == wanted:
        return True
    if isinstance(doc_value, int | float):
        number = as_number(wanted)
        return number is not None and number == doc_value
    if isinstance(doc_value, str) and isinstance(wanted, int | float):
        return doc_value == str(wanted)
    return False


def _single_field(name: str, spec: Any) -> tuple[str, Any]:
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise bad_query(f"[{name}] query doesn't support multiple fields")
    ((field, value),) = spec.items()
    return str(field), value


def _unwrap(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else value


_COMMON = frozenset({"boost", "_name"})
# Options each query honours, and options OpenSearch has that the fake does not compute (a 400
# that says so, never silently ignored).
_OPTIONS: dict[str, frozenset[str]] = {
    "match": frozenset({"query", "operator"}),
    "term": frozenset({"value"}),
    "prefix": frozenset({"value"}),
    "wildcard": frozenset({"value"}),
    "range": frozenset({"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper"}),
    "exists": frozenset({"field"}),
    "ids": frozenset({"values"}),
    "match_all": frozenset(),
    "match_none": frozenset(),
    "constant_score": frozenset({"filter"}),
}
_UNSERVED_OPTIONS = frozenset(
    {"analyzer", "fuzziness", "prefix_length", "max_expansions", "fuzzy_transpositions",
     "lenient", "zero_terms_query", "auto_generate_synonyms_phrase_query", "cutoff_frequency",
     "minimum_should_match", "fuzzy_rewrite", "case_insensitive", "rewrite", "format",
     "time_zone", "relation", "slop"}
)  # fmt: skip


def _options(kind: str, value: Any) -> None:
    """400 for an option ``kind`` does not honour (``value`` is the query's options object)."""
    if not isinstance(value, Mapping):
        return
    allowed = _OPTIONS[kind] | _COMMON
    for key in value:
        if key in allowed:
            continue
        if key in _UNSERVED_OPTIONS:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"[{kind}] option [{key}] is not served by FakeOpenSearchServer",
            )
        raise bad_query(f"[{kind}] query does not support [{key}]")


def compile_query(query: Mapping[str, Any] | None, index: Index) -> Predicate | None:
    """A predicate for ``query`` against ``index``'s mapping (None: matches everything)."""
    if query is None or query == {}:
        return None
    if not isinstance(query, Mapping) or len(query) != 1:
        raise bad_query("query malformed, must start with start_object and have one query")
    ((kind, spec),) = query.items()
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise bad_query(f"unknown query [{kind}]")
    return builder(spec, index)


def _always(_id: str, _src: Mapping[str, Any]) -> bool:
    return True


def _match_all(spec: Any, index: Index) -> Predicate | None:
    _options("match_all", spec)
    return None


def _match_none(spec: Any, index: Index) -> Predicate:
    _options("match_none", spec)
    return lambda _id, _src: False


def _match(spec: Any, index: Index) -> Predicate:
    field, value = _single_field("match", spec)
    _options("match", value)
    operator = "or"
    if isinstance(value, Mapping):
        operator = str(value.get("operator", "or")).lower()
        value = value.get("query")
    if field == "_id":
        wanted_id = str(value)
        return lambda doc_id, _src: doc_id == wanted_id
    if index.type_of(field) == "text" or (index.type_of(field) is None and isinstance(value, str)):
        wanted = _tokens(value)
        if not wanted:
            return lambda _id, _src: False

        def text(_id: str, src: Mapping[str, Any]) -> bool:
            for v in field_values(src, field):
                found = _tokens(v)
                if (wanted <= found) if operator == "and" else (wanted & found):
                    return True
            return False

        return text
    return lambda _id, src: any(_equal(v, value) for v in field_values(src, field))


def _term(spec: Any, index: Index) -> Predicate:
    field, value = _single_field("term", spec)
    _options("term", value)
    value = _unwrap(value, "value")
    return _terms_of(field, [value], index)


def _terms(spec: Any, index: Index) -> Predicate:
    fields = (
        {k: v for k, v in spec.items() if k not in _COMMON} if isinstance(spec, Mapping) else {}
    )
    field, values = _single_field("terms", fields)
    if not isinstance(values, list):
        raise bad_query("[terms] query does not support lookup without a list of values")
    return _terms_of(field, values, index)


def _terms_of(field: str, values: Sequence[Any], index: Index) -> Predicate:
    if field == "_id":
        ids = {str(v) for v in values}
        return lambda doc_id, _src: doc_id in ids
    if field == "_index":
        hit = index.name in {str(v) for v in values}
        return lambda _id, _src: hit
    if index.type_of(field) == "text":
        words = {str(v) for v in values}
        return lambda _id, src: any(words & _tokens(v) for v in field_values(src, field))
    return lambda _id, src: any(_equal(v, w) for v in field_values(src, field) for w in values)


def _ids(spec: Any, index: Index) -> Predicate:
    _options("ids", spec)
    values = spec.get("values") if isinstance(spec, Mapping) else None
    if not isinstance(values, list):
        raise bad_query("[ids] query requires [values]")
    ids = {str(v) for v in values}
    return lambda doc_id, _src: doc_id in ids


def _exists(spec: Any, index: Index) -> Predicate:
    _options("exists", spec)
    field = spec.get("field") if isinstance(spec, Mapping) else None
    if not isinstance(field, str):
        raise bad_query("[exists] must be provided with a [field]")
    if field in {"_id", "_index"}:
        return _always
    if "." not in field:
        # Fast path for the working-state queries run over many documents.
        return lambda _id, src: src.get(field) not in (None, [])
    return lambda _id, src: bool(field_values(src, field))


def _range(spec: Any, index: Index) -> Predicate:
    field, bounds = _single_field("range", spec)
    if not isinstance(bounds, Mapping):
        raise bad_query("[range] query malformed, no start_object after query name")
    _options("range", bounds)
    checks: list[tuple[str, Any]] = []
    for op in ("gt", "gte", "lt", "lte"):
        if bounds.get(op) is not None:
            checks.append((op, bounds[op]))
    if bounds.get("from") is not None:
        checks.append(("gte" if bounds.get("include_lower", True) else "gt", bounds["from"]))
    if bounds.get("to") is not None:
        checks.append(("lte" if bounds.get("include_upper", True) else "lt", bounds["to"]))

    def in_range(value: Any) -> bool:
        for op, bound in checks:
            left, right = _comparable(value, bound)
            if left is None or right is None:
                return False
            if op == "gt" and not left > right:
                return False
            if op == "gte" and not left >= right:
                return False
            if op == "lt" and not left < right:
                return False
            if op == "lte" and not left <= right:
                return False
        return True

    if "." not in field:

        def fast(_id: str, src: Mapping[str, Any]) -> bool:
            value = src.get(field)
            if isinstance(value, list):
                return any(in_range(v) for v in value if v is not None)
            return value is not None and in_range(value)

        return fast
    return lambda _id, src: any(in_range(v) for v in field_values(src, field))


def _comparable(value: Any, bound: Any) -> tuple[Any, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value, as_number(bound)
    if isinstance(value, str):
        if isinstance(bound, int | float):
            return as_number(value), bound
        return value, str(bound)
    return None, None


def _prefix(spec: Any, index: Index) -> Predicate:
    field, value = _single_field("prefix", spec)
    _options("prefix", value)
    prefix = str(_unwrap(value, "value"))
    if field == "_id":
        return lambda doc_id, _src: doc_id.startswith(prefix)
    return lambda _id, src: any(str(v).startswith(prefix) for v in field_values(src, field))


def _wildcard(spec: Any, index: Index) -> Predicate:
    field, value = _single_field("wildcard", spec)
    _options("wildcard", value)
    pattern = str(_unwrap(value, "value"))
    if field == "_id":
        return lambda doc_id, _src: fnmatch.fnmatchcase(doc_id, pattern)
    return lambda _id, src: any(
        fnmatch.fnmatchcase(str(v), pattern) for v in field_values(src, field)
    )


def _clauses(spec: Mapping[str, Any], key: str, index: Index) -> list[Predicate | None]:
    value = spec.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [compile_query(item, index) for item in items]


def _bool(spec: Any, index: Index) -> Predicate | None:
    if not isinstance(spec, Mapping):
        raise bad_query("[bool] query malformed")
    unknown = set(spec) - {
        "must",
        "filter",
        "should",
        "must_not",
        "minimum_should_match",
        "boost",
        "_name",
        "adjust_pure_negative",
    }
    if unknown:
        raise bad_query(f"[bool] query does not support [{sorted(unknown)[0]}]")
    required = _clauses(spec, "must", index) + _clauses(spec, "filter", index)
    excluded = [p or _always for p in _clauses(spec, "must_not", index)]
    should = [p or _always for p in _clauses(spec, "should", index)]
    minimum = spec.get("minimum_should_match")
    if minimum is None:
        min_should = 1 if should and not required else 0
    else:
        min_should = _minimum_should(minimum, len(should))
    musts = [p for p in required if p is not None]
    if not musts and not excluded and min_should == 0:
        return None

    def evaluate(doc_id: str, src: Mapping[str, Any]) -> bool:
        for p in musts:
            if not p(doc_id, src):
                return False
        for p in excluded:
            if p(doc_id, src):
                return False
        if min_should:
            hits = 0
            for p in should:
                if p(doc_id, src):
                    hits += 1
                    if hits >= min_should:
                        return True
            return False
        return True

    return evaluate


def _minimum_should(value: Any, clauses: int) -> int:
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = int(text.rstrip("%"))
    except ValueError:
        raise bad_query(f"[minimum_should_match] cannot parse [{value}]") from None
    if percent:
        number = clauses * number // 100
    return max(0, clauses + number) if number < 0 else number


def _constant_score(spec: Any, index: Index) -> Predicate | None:
    if not isinstance(spec, Mapping) or "filter" not in spec:
        raise bad_query("[constant_score] requires a 'filter' element")
    _options("constant_score", spec)
    return compile_query(spec["filter"], index)


_BUILDERS: dict[str, Callable[[Any, Index], Predicate | None]] = {
    "bool": _bool,
    "constant_score": _constant_score,
    "exists": _exists,
    "ids": _ids,
    "match": _match,
    "match_all": _match_all,
    "match_none": _match_none,
    "match_phrase": _match,
    "prefix": _prefix,
    "range": _range,
    "term": _term,
    "terms": _terms,
    "wildcard": _wildcard,
}


# ---------------------------------------------------------------------------- sorting

SortKey = tuple[str, bool]  # (field, descending)


def parse_sort(spec: Any) -> list[SortKey]:
    """``"f"``, ``{"f": "desc"}``, ``{"f": {"order": "desc"}}``, ``"f:desc"`` or a list of them."""
    if spec is None:
        return []
    items = spec if isinstance(spec, list) else [spec]
    keys: list[SortKey] = []
    for item in items:
        if isinstance(item, str):
            field, _, order = item.partition(":")
            keys.append((field, (order or ("desc" if field == "_score" else "asc")) == "desc"))
        elif isinstance(item, Mapping) and len(item) == 1:
            ((field, how),) = item.items()
            order = how.get("order", "asc") if isinstance(how, Mapping) else how
            if order not in {"asc", "desc"}:
                raise bad_query(f"[order] must be asc or desc, got [{order}]")
            keys.append((str(field), order == "desc"))
        else:
            raise bad_query("malformed sort")
    return keys


def sort_values(keys: Sequence[SortKey], index: Index, doc_id: str, doc: StoredDoc) -> list[Any]:
    """The ``sort`` array of one hit."""
    out: list[Any] = []
    for field, desc in keys:
        if field == "_id":
            out.append(doc_id)
        elif field == "_index":
            out.append(index.name)
        elif field == "_score":
            out.append(1.0)
        elif field == "_doc":
            out.append(doc.seq_no)
        else:
            values = field_values(doc.source, field)
            if values and index.type_of(field) in NUMERIC_TYPES:
                # A numeric mapping coerces "54" to 54, as OpenSearch does at index time.
                values = [n for n in (as_number(v) for v in values) if n is not None]
            out.append((max(values) if desc else min(values)) if values else None)
    return out


# ---------------------------------------------------------------------------- _source filtering


def source_filter(spec: Any) -> Callable[[dict[str, Any]], dict[str, Any]] | bool:
    """From ``_source``: True (whole source), False (none) or a filtering function."""
    if spec is None or spec is True:
        return True
    if spec is False:
        return False
    includes: list[str] = []
    excludes: list[str] = []
    if isinstance(spec, str):
        includes = [spec]
    elif isinstance(spec, list):
        includes = [str(s) for s in spec]
    elif isinstance(spec, Mapping):
        inc = spec.get("includes", spec.get("include", []))
        exc = spec.get("excludes", spec.get("exclude", []))
        includes = [inc] if isinstance(inc, str) else list(inc)
        excludes = [exc] if isinstance(exc, str) else list(exc)
    else:
        raise bad_query("[_source] must be a boolean, a string, an array or an object")
    if not includes and not excludes:
        return True

    def matches(path: str, patterns: Iterable[str]) -> bool:
        return any(fnmatch.fnmatchcase(path, p) or path.startswith(f"{p}.") for p in patterns)

    def may_contain(path: str) -> bool:
        return any(p.startswith((f"{path}.", "*")) for p in includes)

    def walk(node: Mapping[str, Any], prefix: str, included: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            path = f"{prefix}{key}"
            if excludes and matches(path, excludes):
                continue
            inside = included or not includes or matches(path, includes)
            if isinstance(value, Mapping):
                if inside or may_contain(path):
                    sub = walk(value, f"{path}.", inside)
                    if sub or inside:
                        out[key] = sub
            elif inside:
                out[key] = value
        return out

    return lambda src: walk(src, "", False)
