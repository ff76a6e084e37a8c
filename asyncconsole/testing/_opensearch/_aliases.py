"""Index aliases: adding, removing and listing them, and the filters they put on searches.

An alias is kept on each index it points to (``Index.aliases``: name -> metadata as ``GET
_alias`` shows it). Searching, counting or deleting by query through a filtered alias ANDs the
alias filter in; writing through an alias goes to its write index. ``routing`` is stored and
shown, but the fake does not place documents in shards, so it selects nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import ApiError
from ._index import Index
from ._query import compile_query
from ._store import Store

__all__ = [
    "alias_filters",
    "alias_metadata",
    "apply_alias_actions",
    "get_aliases",
    "remove_aliases",
    "validate_alias_name",
]

_ALIAS_KEYS = {
    "filter",
    "routing",
    "index_routing",
    "search_routing",
    "is_write_index",
    "is_hidden",
}
_BAD_CHARS = set('\\/*?"<>| ,#')


def validate_alias_name(store: Store, alias: str, indices: Sequence[Index]) -> None:
    """400 ``invalid_alias_name_exception`` as OpenSearch's ``AliasValidator`` gives it."""

    def bad(why: str) -> ApiError:
        return ApiError(400, "invalid_alias_name_exception", f"Invalid alias name [{alias}]{why}")

    if not alias:
        raise ApiError(400, "illegal_argument_exception", "alias name is required")
    if alias in store.indices:
        raise bad(": an index or data stream exists with the same name as the alias")
    if alias != alias.lower():
        raise bad(", must be lowercase")
    if alias[0] in "_-+":
        raise bad(", must not start with '_', '-', or '+'")
    if _BAD_CHARS & set(alias):
        raise bad(f", must not contain the following characters {sorted(_BAD_CHARS)}")


def alias_metadata(body: Any, index: Index) -> dict[str, Any]:
    """The stored metadata for an alias definition (400 for unknown fields or a bad filter)."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise ApiError(400, "parsing_exception", "alias definition must be an object")
    unknown = sorted(set(body) - _ALIAS_KEYS)
    if unknown:
        raise ApiError(
            400, "x_content_parse_exception", f"[1:2] [alias] unknown field [{unknown[0]}]"
        )
    meta: dict[str, Any] = {}
    if body.get("filter") is not None:
        compile_query(body["filter"], index)  # a bad filter fails now, as OpenSearch validates it
        meta["filter"] = body["filter"]
    routing = body.get("routing")
    if body.get("index_routing", routing) is not None:
        meta["index_routing"] = str(body.get("index_routing", routing))
    if body.get("search_routing", routing) is not None:
        meta["search_routing"] = str(body.get("search_routing", routing))
    for flag in ("is_write_index", "is_hidden"):
        if body.get(flag) is not None:
            meta[flag] = bool(body[flag])
    return meta


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part for part in str(value).split(",") if part]


def _matching(index: Index, patterns: Sequence[str]) -> list[str]:
    if any(p in {"_all", "*"} for p in patterns):
        return sorted(index.aliases)
    return sorted(a for a in index.aliases if any(fnmatch.fnmatchcase(a, p) for p in patterns))


def apply_alias_actions(store: Store, actions: Any) -> None:
    """``POST /_aliases``: every action is checked first, then all apply together."""
    if not isinstance(actions, list):
        raise ApiError(400, "action_request_validation_exception",
                       "Validation Failed: 1: Must specify at least one alias action;")  # fmt: skip
    if not actions:
        raise ApiError(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: Must specify at least one alias action;",
        )
    plan: list[tuple[str, Index, str, dict[str, Any]]] = []
    doomed: list[Index] = []
    for action in actions:
        if not isinstance(action, Mapping) or len(action) != 1:
            raise ApiError(400, "parsing_exception", "An alias action must be one object")
        ((kind, spec),) = action.items()
        if kind not in {"add", "remove", "remove_index"} or not isinstance(spec, Mapping):
            raise ApiError(400, "parsing_exception", f"Unknown alias action [{kind}]")
        index_expr = _names(spec.get("index")) + _names(spec.get("indices"))
        if not index_expr:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: One of [index] or [indices] is required;",
            )
        indices = store.resolve(",".join(index_expr), allow_closed=True)
        if kind == "remove_index":
            doomed.extend(indices)
            continue
        aliases = _names(spec.get("alias")) + _names(spec.get("aliases"))
        if not aliases:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: One of [alias] or [aliases] is required;",
            )
        if kind == "add":
            definition = {k: v for k, v in spec.items() if k in _ALIAS_KEYS}
            for alias in aliases:
                validate_alias_name(store, alias, indices)
                for index in indices:
                    plan.append(("add", index, alias, alias_metadata(definition, index)))
        else:
            must_exist = spec.get("must_exist")
            for index in indices:
                found = _matching(index, aliases)
                if not found and must_exist is not False:
                    raise ApiError(
                        404,
                        "aliases_not_found_exception",
                        f"aliases [{','.join(aliases)}] missing",
                        **{"resource.type": "aliases", "resource.id": ",".join(aliases)},
                    )
                plan.extend(("remove", index, alias, {}) for alias in found)
    for kind, index, alias, meta in plan:
        if kind == "add":
            index.aliases[alias] = meta
        else:
            index.aliases.pop(alias, None)
    store.delete_indices(doomed)


def remove_aliases(store: Store, indices: Sequence[Index], names: str) -> None:
    """``DELETE /<index>/_alias/<name>`` (404 when no alias matches)."""
    patterns = _names(names)
    found = [(index, alias) for index in indices for alias in _matching(index, patterns)]
    if not found:
        raise ApiError(
            404,
            "aliases_not_found_exception",
            f"aliases [{names}] missing",
            **{"resource.type": "aliases", "resource.id": names},
        )
    for index, alias in found:
        index.aliases.pop(alias, None)


def get_aliases(indices: Sequence[Index], names: str | None) -> tuple[int, dict[str, Any]]:
    """``GET _alias[/<name>]``: per index, its matching aliases; 404 for names not found."""
    if names is None:
        return 200, {i.name: {"aliases": dict(sorted(i.aliases.items()))} for i in indices}
    patterns = _names(names)
    body: dict[str, Any] = {}
    seen: set[str] = set()
    for index in indices:
        matched = _matching(index, patterns)
        seen.update(matched)
        if matched:
            body[index.name] = {"aliases": {a: index.aliases[a] for a in matched}}
    missing = [p for p in patterns if "*" not in p and p != "_all" and p not in seen]
    if missing:
        error = (
            f"alias [{missing[0]}] missing"
            if len(missing) == 1
            else (f"aliases [{','.join(missing)}] missing")
        )
        return 404, {"error": error, "status": 404, **body}
    if not body and patterns and all("*" not in p and p != "_all" for p in patterns):
        return 404, {"error": f"alias [{names}] missing", "status": 404}
    return 200, body


def alias_filters(
    store: Store, expression: str | None, indices: Sequence[Index]
) -> dict[str, list[Any]]:
    """Per index reached only through filtered aliases, the filters a search must AND in.

    An index named directly, through a wildcard, or through any unfiltered alias gets none.
    """
    parts = [p for p in (expression or "").split(",") if p and not p.startswith("-")]
    wanted = {index.name for index in indices}
    unfiltered: set[str] = set()
    filters: dict[str, list[Any]] = {}
    for part in parts or ["_all"]:
        if part == "_all" or "*" in part or part in store.indices:
            unfiltered.update(n for n in wanted if part == "_all" or fnmatch.fnmatchcase(n, part))
            continue
        for index in store.alias_indices(part):
            meta = index.aliases[part]
            if "filter" in meta:
                filters.setdefault(index.name, []).append(meta["filter"])
            else:
                unfiltered.add(index.name)
    return {name: f for name, f in filters.items() if name not in unfiltered and name in wanted}
