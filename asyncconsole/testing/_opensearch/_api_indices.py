"""Index routes: create/get/exists/delete, open/close, ``_refresh``, ``_stats``,
``_settings``, ``_mapping``, ``_resolve/index``, aliases and ``_cat``."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._aliases import (
    alias_metadata,
    apply_alias_actions,
    get_aliases,
    remove_aliases,
    validate_alias_name,
)
from ._api import INDICES_OPTIONS, TIMEOUTS
from ._cat import ALIAS_COLUMNS, INDEX_COLUMNS, cat_aliases, cat_indices, help_text
from ._errors import ApiError
from ._index import Index
from ._routes import Call, Reply, Router
from ._settings import flatten_settings, nest_settings
from ._store import Wildcards

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["STATS_METRICS", "register"]

_STATIC_SETTINGS = {"index.number_of_shards", "index.uuid", "index.creation_date",
                    "index.provided_name", "index.version.created"}  # fmt: skip
STATS_METRICS = frozenset(
    {"_all", "completion", "docs", "fielddata", "flush", "get", "indexing", "merge",
     "query_cache", "refresh", "request_cache", "search", "segments", "store", "translog",
     "warmer", "recovery"}
)  # fmt: skip
_SERVED_METRICS = {"docs", "store", "indexing", "refresh"}
_OPEN_AND_CLOSED = Wildcards(open=True, closed=True)
_CAT_PARAMS = ("format", "h", "help", "s", "v", "bytes", "local", "master_timeout",
               "cluster_manager_timeout", "expand_wildcards", "pri")  # fmt: skip


def _active_shards(call: Call, indices: Sequence[Index]) -> bool:
    """``shards_acknowledged``: one node holds primaries only."""
    wanted = call.params.get("wait_for_active_shards")
    if wanted in {None, "", "0", "1"}:
        return True
    if wanted == "all":
        return all(i.replicas == 0 for i in indices)
    try:
        return int(str(wanted)) <= 1
    except ValueError:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Failed to parse int parameter [wait_for_active_shards] with value [{wanted}]",
        ) from None


def _stats_section(metrics: set[str], group: Sequence[Index]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    every = "_all" in metrics
    if every or "docs" in metrics:
        out["docs"] = {
            "count": sum(len(i.docs) for i in group),
            "deleted": sum(i.deleted for i in group),
        }
    if every or "store" in metrics:
        out["store"] = {"size_in_bytes": sum(i.store_bytes for i in group), "reserved_in_bytes": 0}
    if every or "indexing" in metrics:
        out["indexing"] = {"index_total": sum(i.seq_no + 1 for i in group)}
    if every or "refresh" in metrics:
        refreshes = sum(i.refreshes for i in group)
        out["refresh"] = {
            "total": refreshes,
            "total_time_in_millis": 0,
            "external_total": refreshes,
            "external_total_time_in_millis": 0,
            "listeners": 0,
        }
    return out


def _setting_matches(key: str, patterns: Sequence[str]) -> bool:
    short = key.removeprefix("index.")
    return any(fnmatch.fnmatchcase(key, p) or fnmatch.fnmatchcase(short, p) for p in patterns)


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the index routes."""

    # -------------------------------------------------------------- create, get, delete

    async def create_index(call: Call) -> Reply:
        body = call.object()
        unknown = sorted(set(body) - {"settings", "mappings", "aliases"})
        if unknown:
            raise ApiError(400, "parse_exception", f"unknown key [{unknown[0]}] for create index")
        settings = body.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise ApiError(400, "illegal_argument_exception", "[settings] must be an object")
        flat = flatten_settings(settings)
        knn = flat.get("index.knn", flat.get("knn"))
        if knn == "true" and api.serverless in {"search", "timeseries"}:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"KNN features not supported on {api.serverless.upper()} collection type",
            )
        aliases = body.get("aliases") or {}
        if not isinstance(aliases, Mapping):
            raise ApiError(400, "illegal_argument_exception", "[aliases] must be an object")
        index = api.store.create_index(
            call["index"], settings=settings, mappings=body.get("mappings"), aliases=aliases
        )
        return 200, {
            "acknowledged": True,
            "shards_acknowledged": _active_shards(call, [index]),
            "index": index.name,
        }

    async def get_index(call: Call) -> Reply:
        call.flag("flat_settings")
        call.flag("local")
        indices = api.resolve(call, call["index"], allow_closed=True)
        if call.method == "HEAD":
            return (200 if indices else 404), None
        out: dict[str, Any] = {}
        for index in indices:
            described = index.describe()
            if call.flag("flat_settings"):
                described["settings"] = dict(index.settings)
            out[index.name] = described
        return 200, out

    async def delete_index(call: Call) -> Reply:
        indices = api.resolve(
            call, call["index"], default=_OPEN_AND_CLOSED, for_delete=True, allow_closed=True
        )
        api.store.delete_indices(indices)
        return 200, {"acknowledged": True}

    # -------------------------------------------------------------- open and close

    async def close_index(call: Call) -> Reply:
        indices = api.resolve(call, call["index"], for_delete=True, allow_closed=True)
        for index in indices:
            index.refresh()  # closing flushes: nothing stays pending
            index.closed = True
        return 200, {
            "acknowledged": True,
            "shards_acknowledged": _active_shards(call, indices),
            "indices": {i.name: {"closed": True} for i in indices},
        }

    async def open_index(call: Call) -> Reply:
        indices = api.resolve(
            call, call["index"], default=Wildcards(open=False, closed=True), allow_closed=True
        )
        for index in indices:
            index.closed = False
        return 200, {"acknowledged": True, "shards_acknowledged": _active_shards(call, indices)}

    # -------------------------------------------------------------- refresh and stats

    async def refresh(call: Call) -> Reply:
        indices = api.resolve(call, call.get("index"))
        for index in indices:
            index.refresh()
        primaries = sum(i.shards for i in indices)
        total = sum(i.shards * (1 + i.replicas) for i in indices)
        return 200, {"_shards": {"total": total, "successful": primaries, "failed": 0}}

    async def stats(call: Call) -> Reply:
        raw = call.get("metric") or "_all"
        metrics = {m for m in raw.split(",") if m}
        unknown = sorted(metrics - STATS_METRICS)
        if unknown:
            what = "metric" if len(unknown) == 1 else "metrics"
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"request [{call.path}] contains unrecognized {what}: [{', '.join(unknown)}]",
            )
        if "_all" in metrics and len(metrics) > 1:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"request [{call.path}] contains _all and individual metrics [{raw}]",
            )
        unserved = sorted(metrics - _SERVED_METRICS - {"_all"})
        if unserved:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"index stats metric [{unserved[0]}] is not served by FakeOpenSearchServer",
            )
        level = call.params.get("level", "indices")
        if level not in {"cluster", "indices"}:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"level parameter must be one of [cluster] or [indices] but was [{level}]"
                if level != "shards"
                else "index stats level [shards] is not served by FakeOpenSearchServer",
            )
        indices = api.resolve(call, call.get("index"))
        primaries = sum(i.shards for i in indices)
        body: dict[str, Any] = {
            "_shards": {
                "total": sum(i.shards * (1 + i.replicas) for i in indices),
                "successful": primaries,
                "failed": 0,
            },
            "_all": {
                "primaries": _stats_section(metrics, indices),
                "total": _stats_section(metrics, indices),
            },
        }
        if level != "cluster":
            body["indices"] = {
                i.name: {
                    "uuid": i.uuid,
                    "health": i.health,
                    "status": "open",
                    "primaries": _stats_section(metrics, [i]),
                    "total": _stats_section(metrics, [i]),
                }
                for i in indices
            }
        return 200, body

    # -------------------------------------------------------------- settings and mappings

    async def get_settings(call: Call) -> Reply:
        indices = api.resolve(call, call.get("index"), allow_closed=True)
        call.flag("local")
        flat = call.flag("flat_settings")
        names = [n for n in (call.get("name") or "").split(",") if n and n != "_all"]
        out: dict[str, Any] = {}
        for index in indices:
            chosen = {
                k: v for k, v in index.settings.items() if not names or _setting_matches(k, names)
            }
            if names and not chosen:
                continue
            out[index.name] = {"settings": dict(chosen) if flat else nest_settings(chosen)}
        return 200, out

    async def put_settings(call: Call) -> Reply:
        indices = api.resolve(call, call.get("index"), default=_OPEN_AND_CLOSED, allow_closed=True)
        given = call.object()
        given = given.get("settings", given)
        changes = flatten_settings(given)
        changes = {k if k.startswith("index.") else f"index.{k}": v for k, v in changes.items()}
        for key in changes:
            if key in _STATIC_SETTINGS:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"final {indices[0].name if indices else ''} setting [{key}], not updateable",
                )
        preserve = call.flag("preserve_existing")
        for index in indices:
            wanted = {k: v for k, v in changes.items() if not (preserve and k in index.settings)}
            index.update_settings(wanted)
        return 200, {"acknowledged": True}

    async def mapping(call: Call) -> Reply:
        indices = api.resolve(call, call.get("index"), allow_closed=call.method == "GET")
        if call.method in {"PUT", "POST"}:
            body = call.object()
            if not body:
                raise ApiError(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: mapping source is empty;",
                )
            for index in indices:
                index.mapping.merge(body)
            return 200, {"acknowledged": True}
        call.flag("local")
        return 200, {i.name: {"mappings": i.mappings} for i in indices}

    async def resolve_index(call: Call) -> Reply:
        expression = call.get("name") or call.params.get("name")
        indices = api.store.resolve(
            expression,
            ignore_unavailable=True,
            wildcards=_wildcards(call, Wildcards(True, False, False)),
            allow_closed=True,
            allow_aliases=False,
        )
        aliases: dict[str, list[str]] = {}
        for index in api.store.indices.values():
            for alias in index.aliases:
                if _expression_names(expression, alias):
                    aliases.setdefault(alias, []).append(index.name)
        return 200, {
            "indices": [
                {
                    "name": i.name,
                    **({"aliases": sorted(i.aliases)} if i.aliases else {}),
                    "attributes": (["hidden"] if i.hidden else [])
                    + (["closed"] if i.closed else ["open"]),
                }
                for i in indices
            ],
            "aliases": [{"name": a, "indices": sorted(ix)} for a, ix in sorted(aliases.items())],
            "data_streams": [],
        }

    def _wildcards(call: Call, default: Wildcards) -> Wildcards:
        from ._store import parse_expand_wildcards

        return parse_expand_wildcards(call.params.get("expand_wildcards"), default)

    def _expression_names(expression: str | None, alias: str) -> bool:
        parts = [p for p in (expression or "*").split(",") if p and not p.startswith("-")]
        return any(p in {"_all", "*"} or fnmatch.fnmatchcase(alias, p) for p in parts)

    # -------------------------------------------------------------- aliases

    async def put_alias(call: Call) -> Reply:
        body = call.object()
        index_expr = body.pop("index", None) or call.get("index")
        alias = body.pop("alias", None) or call.get("name")
        if not index_expr or not alias:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index is missing;"
                if not index_expr
                else "Validation Failed: 1: alias is missing;",
            )
        indices = api.store.resolve(str(index_expr), allow_closed=True)
        validate_alias_name(api.store, str(alias), indices)
        metas = [(i, alias_metadata(body, i)) for i in indices]
        for index, meta in metas:
            index.aliases[str(alias)] = meta
        return 200, {"acknowledged": True}

    async def update_aliases(call: Call) -> Reply:
        body = call.object()
        apply_alias_actions(api.store, body.get("actions"))
        return 200, {"acknowledged": True}

    async def get_alias(call: Call) -> Reply:
        call.flag("local")
        index_expr = call.get("index")
        indices = api.resolve(
            call, index_expr, default=Wildcards(True, True, True), allow_closed=True
        )
        status, body = get_aliases(indices, call.get("name"))
        if call.method == "HEAD":
            return status, None
        return status, body

    async def delete_alias(call: Call) -> Reply:
        indices = api.store.resolve(call["index"], allow_closed=True, wildcards=_OPEN_AND_CLOSED)
        remove_aliases(api.store, indices, call["name"])
        return 200, {"acknowledged": True}

    # -------------------------------------------------------------- _cat

    def cat_flags(call: Call) -> None:
        for flag in ("v", "pri", "local"):
            call.flag(flag)

    async def cat_indices_route(call: Call) -> Reply:
        cat_flags(call)
        if call.flag("help"):
            return 200, help_text(INDEX_COLUMNS)
        indices = api.resolve(call, call.get("index"), default=_OPEN_AND_CLOSED, allow_closed=True)
        _kind, body = cat_indices(indices, call.params)
        return 200, body

    async def cat_aliases_route(call: Call) -> Reply:
        cat_flags(call)
        if call.flag("help"):
            return 200, help_text(ALIAS_COLUMNS)
        names = [n for n in (call.get("name") or "").split(",") if n]
        pairs = [
            (alias, index)
            for _, index in sorted(api.store.indices.items())
            for alias in sorted(index.aliases)
            if not names or any(fnmatch.fnmatchcase(alias, n) for n in names)
        ]
        _kind, body = cat_aliases(pairs, call.params)
        return 200, body

    options = INDICES_OPTIONS
    router.add("PUT", "/{index}", create_index, ("wait_for_active_shards", *TIMEOUTS))
    router.add("GET HEAD", "/{index}", get_index,
               (*options, "flat_settings", "local", *TIMEOUTS))  # fmt: skip
    router.add("DELETE", "/{index}", delete_index, (*options, *TIMEOUTS))
    router.add("POST", "/{index}/_close", close_index,
               (*options, "wait_for_active_shards", *TIMEOUTS))  # fmt: skip
    router.add("POST", "/{index}/_open", open_index,
               (*options, "wait_for_active_shards", *TIMEOUTS))  # fmt: skip
    for prefix in ("", "/{index}"):
        router.add("GET POST", f"{prefix}/_refresh", refresh, options)
        router.add("GET", f"{prefix}/_stats", stats, (*options, "level"))
        router.add("GET", f"{prefix}/_stats/{{metric}}", stats, (*options, "level"))
        router.add("GET", f"{prefix}/_settings", get_settings,
                   (*options, "flat_settings", "local", *TIMEOUTS))  # fmt: skip
        router.add("GET", f"{prefix}/_settings/{{name}}", get_settings,
                   (*options, "flat_settings", "local", *TIMEOUTS))  # fmt: skip
        router.add("PUT", f"{prefix}/_settings", put_settings,
                   (*options, "preserve_existing", "flat_settings", *TIMEOUTS))  # fmt: skip
        router.add("GET PUT POST", f"{prefix}/_mapping", mapping, (*options, "local", *TIMEOUTS))
        router.add("GET HEAD", f"{prefix}/_alias", get_alias, (*options, "local"))
        router.add("GET HEAD", f"{prefix}/_alias/{{name}}", get_alias, (*options, "local"))
    router.add("GET", "/_resolve/index/{name}", resolve_index, ("expand_wildcards",))
    router.add("GET", "/_resolve/index", resolve_index, ("expand_wildcards", "name"))
    for path in ("/{index}/_alias/{name}", "/{index}/_aliases/{name}"):
        router.add("PUT POST", path, put_alias, TIMEOUTS)
        router.add("DELETE", path, delete_alias, TIMEOUTS)
    router.add("PUT POST", "/{index}/_alias", put_alias, TIMEOUTS)
    router.add("PUT POST", "/_alias/{name}", put_alias, TIMEOUTS)
    router.add("PUT POST", "/_alias", put_alias, TIMEOUTS)
    router.add("POST", "/_aliases", update_aliases, TIMEOUTS)
    router.add("GET", "/_cat/indices", cat_indices_route, (*_CAT_PARAMS, "health"))
    router.add("GET", "/_cat/indices/{index}", cat_indices_route, (*_CAT_PARAMS, "health"))
    router.add("GET", "/_cat/aliases", cat_aliases_route, _CAT_PARAMS)
    router.add("GET", "/_cat/aliases/{name}", cat_aliases_route, _CAT_PARAMS)
