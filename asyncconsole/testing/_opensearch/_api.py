"""The REST routes of the fake cluster: path segments and method -> handler -> (status, body).

Bodies are JSON-able objects (sent as JSON), ``str`` (sent as text, for ``_cat``) or ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..._clock import Clock
from ._cat import cat_indices
from ._documents import DocumentApi
from ._errors import ApiError, RawError, snapshot_missing
from ._search import SearchEngine
from ._snapshots import SnapshotService
from ._store import Index, Store, flatten_settings, nest_settings
from ._working_state import claim_work_items, complete_work_items

__all__ = ["OpenSearchApi", "Reply", "Request"]

Reply = tuple[int, Any]
_JSON_TYPES = (
    "application/json",
    "application/x-ndjson",
    "application/yaml",
    "application/cbor",
    "application/smile",
)
_STATIC_SETTINGS = {
    "index.number_of_shards",
    "index.uuid",
    "index.creation_date",
    "index.provided_name",
}


@dataclass
class Request:
    """What a route handler sees."""

    method: str
    path: str
    segments: list[str]
    params: dict[str, str]
    body: bytes
    content_type: str

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(
                400, "json_parse_exception", f"Failed to parse request body: {exc}"
            ) from None

    def object(self) -> dict[str, Any]:
        """The body as a JSON object ({} when empty)."""
        body = self.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "parsing_exception", "request body must be a JSON object")
        return body

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean URL parameter (``?pretty`` alone means true)."""
        value = self.params.get(name)
        if value is None:
            return default
        return value.lower() in {"", "true"}


def _allow(request: Request, *methods: str) -> None:
    if request.method not in methods:
        raise RawError(
            405,
            "method_not_allowed",
            f"Incorrect HTTP method for uri [{request.path}] and method [{request.method}], "
            f"allowed: [{', '.join(sorted(methods))}]",
        )


def _no_handler(request: Request) -> ApiError:
    return RawError(
        400,
        "no_handler",
        f"no handler found for uri [{request.path}] and method [{request.method}]",
    )


class OpenSearchApi:
    """Routes requests to the store, search engine and snapshot service."""

    def __init__(
        self,
        *,
        clock: Clock,
        version: str,
        distribution: str,
        cluster_name: str,
        snapshot_duration: float,
        snapshot_bytes_per_second: float | None,
        serverless: str | None = None,
    ) -> None:
        self.store = Store(clock)
        self.serverless = serverless
        self.search = SearchEngine(self.store)
        self.documents = DocumentApi(self.store)
        self.snapshots = SnapshotService(
            self.store,
            version=version,
            duration=snapshot_duration,
            bytes_per_second=snapshot_bytes_per_second,
        )
        self.version = version
        self.distribution = distribution
        self.cluster_name = cluster_name
        self.clock = clock
        self._routes: dict[str, Callable[[Request], Awaitable[Reply]]] = {
            "_cluster": self._cluster,
            "_cat": self._cat,
            "_search": self._search_root,
            "_count": self._count_root,
            "_bulk": self._bulk_root,
            "_refresh": self._refresh_root,
            "_stats": self._stats_root,
            "_settings": self._settings_root,
            "_mapping": self._mapping_root,
            "_resolve": self._resolve,
            "_snapshot": self._snapshot,
            "_asyncconsole": self._control,
        }

    async def handle(self, request: Request) -> Reply:
        """Answer one request (raises :class:`ApiError` for error replies)."""
        segments = request.segments
        if request.body.strip() and segments[:1] != ["_asyncconsole"]:
            if not request.content_type:
                raise RawError(406, "content_type", "Content-Type header is missing")
            if not request.content_type.startswith(_JSON_TYPES):
                raise RawError(
                    406,
                    "content_type",
                    f"Content-Type header [{request.content_type}] is not supported",
                )
        if not segments:
            _allow(request, "GET", "HEAD")
            if self.serverless is not None:
                # Amazon OpenSearch Serverless has no root endpoint.
                raise ApiError(404, "resource_not_found_exception", "Not Found")
            return 200, self.info()
        head = segments[0]
        route = self._routes.get(head)
        if route is not None:
            return await route(request)
        if head.startswith("_") and head != "_all":
            raise _no_handler(request)
        return await self._index_routes(request)

    # ------------------------------------------------------------------ cluster

    def info(self) -> dict[str, Any]:
        """``GET /``."""
        version: dict[str, Any] = {}
        if self.distribution == "opensearch":
            version["distribution"] = "opensearch"
        version.update(
            {
                "number": self.version,
                "build_type": "tar",
                "build_hash": "fakefakefakefakefakefakefakefakefakefake",
                "build_date": "2024-06-20T03:27:32.562036890Z",
                "build_snapshot": False,
                "lucene_version": "9.10.0",
                "minimum_wire_compatibility_version": "7.10.0",
                "minimum_index_compatibility_version": "7.0.0",
            }
        )
        if self.distribution != "opensearch":
            version["build_flavor"] = "default"
        return {
            "name": "fake-node-1",
            "cluster_name": self.cluster_name,
            "cluster_uuid": "fAkEcLuStErUuId0000000",
            "version": version,
            "tagline": "The OpenSearch Project: https://opensearch.org/"
            if self.distribution == "opensearch"
            else "You Know, for Search",
        }

    def health(self, indices: Sequence[Index]) -> dict[str, Any]:
        primaries = sum(i.shards for i in indices)
        unassigned = sum(i.shards * i.replicas for i in indices)
        total = primaries + unassigned
        return {
            "cluster_name": self.cluster_name,
            "status": "yellow" if unassigned else "green",
            "timed_out": False,
            "number_of_nodes": 1,
            "number_of_data_nodes": 1,
            "discovered_master": True,
            "discovered_cluster_manager": True,
            "active_primary_shards": primaries,
            "active_shards": primaries,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": unassigned,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 * primaries / total if total else 100.0,
        }

    async def _cluster(self, request: Request) -> Reply:
        rest = request.segments[1:]
        if rest[:1] == ["health"]:
            _allow(request, "GET")
            expr = rest[1] if len(rest) > 1 else None
            return 200, self.health(self.store.resolve(expr, expand_hidden=True))
        if rest == ["settings"]:
            _allow(request, "GET", "PUT")
            if request.method == "PUT":
                return 200, self.store.update_cluster_settings(request.object())
            settings = self.store.cluster_settings
            if request.flag("flat_settings"):
                return 200, {k: dict(v) for k, v in settings.items()}
            return 200, {k: nest_settings(v) for k, v in settings.items()}
        raise _no_handler(request)

    async def _cat(self, request: Request) -> Reply:
        rest = request.segments[1:]
        if rest[:1] == ["indices"] and len(rest) <= 2:
            _allow(request, "GET")
            expand = request.params.get("expand_wildcards", "") in {"all", "hidden"}
            indices = self.store.resolve(rest[1] if len(rest) > 1 else None, expand_hidden=expand)
            _kind, body = cat_indices(indices, request.params)
            return 200, body
        raise _no_handler(request)

    # ------------------------------------------------------------------ search

    def _resolve_for_read(self, request: Request, expression: str | None) -> list[Index]:
        return self.store.resolve(
            expression,
            ignore_unavailable=request.flag("ignore_unavailable"),
            allow_no_indices=request.flag("allow_no_indices", True),
            expand_hidden=request.params.get("expand_wildcards", "") in {"all", "hidden"},
        )

    async def _search_root(self, request: Request) -> Reply:
        rest = request.segments[1:]
        if not rest:
            _allow(request, "GET", "POST")
            return 200, self.search.search(
                self._resolve_for_read(request, None), request.object(), request.params
            )
        if rest[0] == "scroll" and len(rest) <= 2:
            _allow(request, "GET", "POST", "DELETE")
            body = request.object()
            path_id = rest[1] if len(rest) > 1 else None
            if request.method == "DELETE":
                given: Any = path_id.split(",") if path_id else body.get("scroll_id")
                if given is None:
                    raise ApiError(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: no scroll ids specified;",
                    )
                ids = [given] if isinstance(given, str) else [str(s) for s in given]
                result = self.search.clear(ids)
                return (200 if result["num_freed"] else 404), result
            scroll_id = request.params.get("scroll_id", path_id or body.get("scroll_id"))
            if not scroll_id:
                raise ApiError(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: scrollId is missing;",
                )
            keep_alive = request.params.get("scroll", body.get("scroll"))
            return 200, self.search.scroll(
                str(scroll_id),
                None if keep_alive is None else str(keep_alive),
                request.flag("rest_total_hits_as_int"),
            )
        raise _no_handler(request)

    async def _count_root(self, request: Request) -> Reply:
        _allow(request, "GET", "POST")
        return 200, self.search.count(self._resolve_for_read(request, None), request.object())

    # ------------------------------------------------------------------ bulk, refresh, stats

    async def _bulk_root(self, request: Request, index: str | None = None) -> Reply:
        _allow(request, "POST", "PUT")
        return 200, self.documents.bulk(index, request.body)

    async def _refresh_root(self, request: Request, expression: str | None = None) -> Reply:
        _allow(request, "GET", "POST")
        indices = self._resolve_for_read(request, expression)
        primaries = sum(i.shards for i in indices)
        total = sum(i.shards * (1 + i.replicas) for i in indices)
        return 200, {"_shards": {"total": total, "successful": primaries, "failed": 0}}

    async def _stats_root(self, request: Request, expression: str | None = None) -> Reply:
        _allow(request, "GET")
        metric_seg = request.segments[-1] if request.segments[-1] != "_stats" else None
        metrics = set((request.params.get("metric") or metric_seg or "_all").split(","))
        indices = self._resolve_for_read(request, expression)

        def section(group: Sequence[Index]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            if metrics & {"_all", "docs"}:
                out["docs"] = {
                    "count": sum(len(i.docs) for i in group),
                    "deleted": sum(i.deleted for i in group),
                }
            if metrics & {"_all", "store"}:
                size = sum(i.store_bytes for i in group)
                out["store"] = {"size_in_bytes": size, "reserved_in_bytes": 0}
            if metrics & {"_all", "indexing"}:
                out["indexing"] = {"index_total": sum(i.seq_no + 1 for i in group)}
            return out

        primaries = sum(i.shards for i in indices)
        body: dict[str, Any] = {
            "_shards": {
                "total": sum(i.shards * (1 + i.replicas) for i in indices),
                "successful": primaries,
                "failed": 0,
            },
            "_all": {"primaries": section(indices), "total": section(indices)},
        }
        if request.params.get("level", "indices") != "cluster":
            body["indices"] = {
                i.name: {
                    "uuid": i.uuid,
                    "health": i.health,
                    "status": "open",
                    "primaries": section([i]),
                    "total": section([i]),
                }
                for i in indices
            }
        return 200, body

    async def _settings_root(self, request: Request, expression: str | None = None) -> Reply:
        _allow(request, "GET", "PUT")
        indices = self._resolve_for_read(request, expression)
        if request.method == "PUT":
            given = request.object()
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
            for index in indices:
                index.settings.update(changes)
            return 200, {"acknowledged": True}
        flat = request.flag("flat_settings")
        return 200, {
            i.name: {"settings": dict(i.settings) if flat else nest_settings(i.settings)}
            for i in indices
        }

    async def _mapping_root(self, request: Request, expression: str | None = None) -> Reply:
        _allow(request, "GET", "PUT", "POST")
        indices = self._resolve_for_read(request, expression)
        if request.method in {"PUT", "POST"}:
            props = request.object().get("properties") or {}
            for index in indices:
                index.mappings["properties"].update(props)
            return 200, {"acknowledged": True}
        return 200, {i.name: {"mappings": i.mappings} for i in indices}

    async def _resolve(self, request: Request) -> Reply:
        rest = request.segments[1:]
        if rest[:1] != ["index"] or len(rest) > 2:
            raise _no_handler(request)
        _allow(request, "GET")
        expression = rest[1] if len(rest) > 1 else request.params.get("name")
        indices = self.store.resolve(
            expression,
            ignore_unavailable=True,
            expand_hidden=request.params.get("expand_wildcards", "") in {"all", "hidden"},
        )
        return 200, {
            "indices": [
                {"name": i.name, "attributes": ["hidden", "open"] if i.hidden else ["open"]}
                for i in indices
            ],
            "aliases": [],
            "data_streams": [],
        }

    # ------------------------------------------------------------------ indices and documents

    async def _index_routes(self, request: Request) -> Reply:
        segments = request.segments
        expression = segments[0]
        if len(segments) == 1:
            return self._index_level(request, expression)
        action = segments[1]
        doc_id = segments[2] if len(segments) > 2 else None
        if len(segments) > 3 and action not in {"_stats"}:
            raise _no_handler(request)
        if action == "_doc":
            return self._doc(request, expression, doc_id)
        if action == "_create" and doc_id is not None:
            _allow(request, "PUT", "POST")
            return self.documents.index(expression, doc_id, request.json(), create=True)
        if action == "_update" and doc_id is not None:
            _allow(request, "POST")
            return self.documents.update(expression, doc_id, request.json())
        if action == "_source" and doc_id is not None:
            _allow(request, "GET", "HEAD")
            status, body = self.documents.get(expression, doc_id)
            if status == 404:
                raise ApiError(
                    404,
                    "resource_not_found_exception",
                    f"Document not found [{expression}]/[{doc_id}]",
                )
            return 200, body["_source"]
        if doc_id is not None and action not in {"_stats", "_settings", "_mapping"}:
            raise _no_handler(request)
        if action == "_search":
            _allow(request, "GET", "POST")
            indices = self._resolve_for_read(request, expression)
            return 200, self.search.search(indices, request.object(), request.params)
        if action == "_count":
            _allow(request, "GET", "POST")
            indices = self._resolve_for_read(request, expression)
            return 200, self.search.count(indices, request.object())
        if action == "_bulk":
            return await self._bulk_root(request, expression)
        if action == "_refresh":
            return await self._refresh_root(request, expression)
        if action == "_stats":
            return await self._stats_root(request, expression)
        if action == "_settings":
            return await self._settings_root(request, expression)
        if action == "_mapping":
            return await self._mapping_root(request, expression)
        if action == "_delete_by_query":
            _allow(request, "POST")
            indices = self._resolve_for_read(request, expression)
            return 200, self.documents.delete_by_query(indices, request.object())
        raise _no_handler(request)

    def _index_level(self, request: Request, expression: str) -> Reply:
        _allow(request, "GET", "HEAD", "PUT", "DELETE")
        if request.method == "PUT":
            body = request.object()
            settings = body.get("settings") or {}
            if not isinstance(settings, Mapping):
                raise ApiError(400, "illegal_argument_exception", "[settings] must be an object")
            knn = flatten_settings(settings).get("index.knn", flatten_settings(settings).get("knn"))
            if knn == "true" and self.serverless in {"search", "timeseries"}:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"KNN features not supported on {self.serverless.upper()} collection type",
                )
            index = self.store.create_index(
                expression, settings=settings, mappings=body.get("mappings")
            )
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": index.name}
        if request.method == "DELETE":
            indices = self.store.resolve(
                expression,
                ignore_unavailable=request.flag("ignore_unavailable"),
                allow_no_indices=request.flag("allow_no_indices", True),
                expand_hidden=request.params.get("expand_wildcards", "") in {"all", "hidden"},
                for_delete=True,
            )
            self.store.delete_indices(indices)
            return 200, {"acknowledged": True}
        indices = self._resolve_for_read(request, expression)
        if request.method == "HEAD":
            return (200 if indices else 404), None
        return 200, {i.name: i.describe() for i in indices}

    def _doc(self, request: Request, index: str, doc_id: str | None) -> Reply:
        if doc_id is None:
            _allow(request, "POST")
            return self.documents.index(index, None, request.json())
        _allow(request, "GET", "HEAD", "PUT", "POST", "DELETE")
        if request.method in {"PUT", "POST"}:
            create = request.params.get("op_type") == "create"
            return self.documents.index(index, doc_id, request.json(), create=create)
        if request.method == "DELETE":
            return self.documents.delete(index, doc_id)
        status, body = self.documents.get(index, doc_id)
        return status, (None if request.method == "HEAD" else body)

    # ------------------------------------------------------------------ snapshots

    async def _snapshot(self, request: Request) -> Reply:
        rest = request.segments[1:]
        svc = self.snapshots
        if not rest or (len(rest) == 1 and rest[0] == "_all"):
            _allow(request, "GET")
            return 200, svc.get_repositories(None)
        if rest == ["_status"]:
            _allow(request, "GET")
            return 200, self._status_of(svc.running(None))
        repo = rest[0]
        if len(rest) == 1:
            _allow(request, "GET", "PUT", "POST", "DELETE")
            if request.method == "GET":
                return 200, svc.get_repositories(repo)
            if request.method == "DELETE":
                svc.delete_repository(repo)
            else:
                svc.put_repository(repo, request.object())
            return 200, {"acknowledged": True}
        target = rest[1]
        if len(rest) == 2 and target == "_verify":
            _allow(request, "POST")
            svc.repository(repo)
            return 200, {"nodes": {"fake-node-id": {"name": "fake-node-1"}}}
        if len(rest) == 2 and target == "_status":
            _allow(request, "GET")
            return 200, self._status_of(svc.running(repo))
        if len(rest) == 2:
            _allow(request, "GET", "PUT", "POST", "DELETE")
            if request.method in {"PUT", "POST"}:
                return await self._create_snapshot(request, repo, target)
            if request.method == "DELETE":
                svc.delete(repo, target)
                return 200, {"acknowledged": True}
            chosen = svc.select(repo, target, ignore_unavailable=request.flag("ignore_unavailable"))
            now = self.store.now_ms()
            return 200, {"snapshots": [s.info(now) for s in chosen]}
        if len(rest) == 3 and rest[2] == "_status":
            _allow(request, "GET")
            names = target.split(",")
            repository = svc.repository(repo)
            found = []
            for name in names:
                snapshot = repository.snapshots.get(name)
                if snapshot is None:
                    if request.flag("ignore_unavailable"):
                        continue
                    raise snapshot_missing(repo, name)
                found.append(snapshot)
            return 200, self._status_of(found)
        raise _no_handler(request)

    def _status_of(self, snapshots: Sequence[Any]) -> dict[str, Any]:
        now = self.store.now_ms()
        return {"snapshots": [s.status(now) for s in snapshots]}

    async def _create_snapshot(self, request: Request, repo: str, name: str) -> Reply:
        snapshot = self.snapshots.create(repo, name, request.object())
        if not request.flag("wait_for_completion"):
            return 200, {"accepted": True}
        while not snapshot.done(self.store.now_ms()):
            remaining = (snapshot.end_ms() - self.store.now_ms()) / 1000
            await self.clock.sleep(max(0.001, min(remaining, 1.0)))
        return 200, {"snapshot": snapshot.info(self.store.now_ms())}

    # ------------------------------------------------------------------ simulation hooks

    async def _control(self, request: Request) -> Reply:
        rest = request.segments[1:]
        session = request.params.get("session") or None
        try:
            count = int(request.params.get("count", "1"))
        except ValueError:
            raise ApiError(400, "illegal_argument_exception", "count must be an integer") from None
        if rest == ["rfs", "complete"]:
            _allow(request, "POST")
            return 200, {"completed": complete_work_items(self.store, count, session=session)}
        if rest == ["rfs", "claim"]:
            _allow(request, "POST")
            return 200, {"claimed": claim_work_items(self.store, count, session=session)}
        raise _no_handler(request)
