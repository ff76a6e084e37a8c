"""Cluster routes: ``GET /``, ``_cluster/health`` (levels, waits), ``_cluster/settings``,
``_tasks``, and the simulation hooks under ``/_asyncconsole``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._errors import ApiError
from ._index import Index
from ._routes import Call, Reply, Router
from ._settings import nest_settings, parse_time
from ._store import Wildcards
from ._working_state import claim_work_items, complete_work_items

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["register", "root_info"]

_STATUS_ORDER = {"green": 0, "yellow": 1, "red": 2}
_HEALTH_PARAMS = (
    "level", "wait_for_status", "wait_for_active_shards", "wait_for_nodes",
    "wait_for_no_relocating_shards", "wait_for_no_initializing_shards", "wait_for_events",
    "local", "timeout", "master_timeout", "cluster_manager_timeout", "expand_wildcards",
)  # fmt: skip


def root_info(api: OpenSearchApi) -> dict[str, Any]:
    """``GET /``."""
    version: dict[str, Any] = {}
    if api.distribution == "opensearch":
        version["distribution"] = "opensearch"
    version.update(
        {
            "number": api.version,
            "build_type": "tar",
            "build_hash": "fakefakefakefakefakefakefakefakefakefake",
            "build_date": "2024-06-20T03:27:32.562036890Z",
            "build_snapshot": False,
            "lucene_version": "9.10.0",
            "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0",
        }
    )
    if api.distribution != "opensearch":
        version["build_flavor"] = "default"
    return {
        "name": "fake-node-1",
        "cluster_name": api.cluster_name,
        "cluster_uuid": "fAkEcLuStErUuId0000000",
        "version": version,
        "tagline": "The OpenSearch Project: https://opensearch.org/"
        if api.distribution == "opensearch"
        else "You Know, for Search",
    }


def _index_health(index: Index, level: str) -> dict[str, Any]:
    unassigned = index.shards * index.replicas
    body: dict[str, Any] = {
        "status": index.health,
        "number_of_shards": index.shards,
        "number_of_replicas": index.replicas,
        "active_primary_shards": index.shards,
        "active_shards": index.shards,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": unassigned,
    }
    if level == "shards":
        body["shards"] = {
            str(n): {
                "status": index.health,
                "primary_active": True,
                "active_shards": 1,
                "relocating_shards": 0,
                "initializing_shards": 0,
                "unassigned_shards": index.replicas,
            }
            for n in range(index.shards)
        }
    return body


def health(api: OpenSearchApi, indices: Sequence[Index], level: str = "cluster") -> dict[str, Any]:
    """The ``_cluster/health`` body for ``indices``."""
    primaries = sum(i.shards for i in indices)
    unassigned = sum(i.shards * i.replicas for i in indices)
    total = primaries + unassigned
    body: dict[str, Any] = {
        "cluster_name": api.cluster_name,
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
    if level in {"indices", "shards"}:
        body["indices"] = {i.name: _index_health(i, level) for i in indices}
    return body


def _unmet(call: Call, body: dict[str, Any]) -> bool:
    """Whether a ``wait_for_*`` condition is not met (the fake's state never changes alone)."""
    params = call.params
    wanted = params.get("wait_for_status")
    if wanted is not None:
        if wanted not in _STATUS_ORDER:
            raise ApiError(
                400, "illegal_argument_exception", f"unknown cluster health status [{wanted}]"
            )
        if _STATUS_ORDER[body["status"]] > _STATUS_ORDER[wanted]:
            return True
    shards = params.get("wait_for_active_shards")
    if shards is not None and shards not in {"0", "1"}:
        total = body["active_shards"] + body["unassigned_shards"]
        need = total if shards == "all" else _int(shards, "wait_for_active_shards")
        if body["active_shards"] < need:
            return True
    nodes = params.get("wait_for_nodes")
    if nodes is not None:
        op = next(
            (o for o in (">=", "<=", ">", "<", "ge(", "le(", "gt(", "lt(") if nodes.startswith(o)),
            "",
        )
        number = _int(nodes[len(op) :].rstrip(")") or "0", "wait_for_nodes")
        checks = {
            "": number == 1, ">=": number <= 1, "ge(": number <= 1, "<=": number >= 1,
            "le(": number >= 1, ">": number < 1, "gt(": number < 1, "<": number > 1,
            "lt(": number > 1,
        }  # fmt: skip
        if not checks[op]:
            return True
    for flag in ("wait_for_no_relocating_shards", "wait_for_no_initializing_shards"):
        if flag in params:
            call.flag(flag)
    events = params.get("wait_for_events")
    if events is not None and events.lower() not in {
        "immediate",
        "urgent",
        "high",
        "normal",
        "low",
        "languid",
    }:
        raise ApiError(400, "illegal_argument_exception", f"No enum constant Priority.{events}")
    return False


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Failed to parse int parameter [{name}] with value [{value}]",
        ) from None


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the cluster routes."""

    async def root(call: Call) -> Reply:
        if api.serverless is not None:
            # Amazon OpenSearch Serverless has no root endpoint.
            raise ApiError(404, "resource_not_found_exception", "Not Found")
        return 200, root_info(api)

    async def cluster_health(call: Call) -> Reply:
        level = call.params.get("level", "cluster")
        if level not in {"cluster", "indices", "shards"}:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"No enum constant ClusterHealthRequest.Level.{level.upper()}",
            )
        indices = api.resolve(
            call, call.get("index"), default=Wildcards(True, True, True), allow_closed=True
        )
        body = health(api, indices, level)
        if _unmet(call, body):
            # The fake's state never changes on its own: a wait that is not met times out.
            await api.clock.sleep(parse_time(call.params.get("timeout", "30s"), "timeout"))
            body = health(api, indices, level)
            if _unmet(call, body):
                body["timed_out"] = True
                return 408, body
        return 200, body

    async def cluster_settings(call: Call) -> Reply:
        if call.method == "PUT":
            return 200, api.store.update_cluster_settings(call.object())
        settings = api.store.cluster_settings
        if call.flag("flat_settings"):
            return 200, {k: dict(v) for k, v in settings.items()}
        return 200, {k: nest_settings(v) for k, v in settings.items()}

    async def get_task(call: Call) -> Reply:
        call.flag("wait_for_completion")
        return 200, api.tasks.get(call["task_id"]).describe()

    async def list_tasks(call: Call) -> Reply:
        call.flag("detailed")
        group_by = call.params.get("group_by", "nodes")
        if group_by not in {"nodes", "parents", "none"}:
            raise ApiError(
                400, "illegal_argument_exception", f"No enum constant GroupBy.{group_by}"
            )
        if group_by == "nodes":
            return 200, {"nodes": {}}
        return 200, {"tasks": {} if group_by == "parents" else []}

    async def control(call: Call) -> Reply:
        session = call.params.get("session") or None
        try:
            count = int(call.params.get("count", "1"))
        except ValueError:
            raise ApiError(400, "illegal_argument_exception", "count must be an integer") from None
        if call["action"] == "complete":
            return 200, {"completed": complete_work_items(api.store, count, session=session)}
        if call["action"] == "claim":
            return 200, {"claimed": claim_work_items(api.store, count, session=session)}
        from ._routes import no_handler

        raise no_handler(call)

    router.add("GET HEAD", "/", root)
    router.add("GET", "/_cluster/health", cluster_health, _HEALTH_PARAMS)
    router.add("GET", "/_cluster/health/{index}", cluster_health, _HEALTH_PARAMS)
    router.add(
        "GET PUT",
        "/_cluster/settings",
        cluster_settings,
        ("flat_settings", "master_timeout", "cluster_manager_timeout", "timeout"),
    )
    router.add("GET", "/_tasks/{task_id}", get_task, ("wait_for_completion", "timeout"))
    router.add(
        "GET",
        "/_tasks",
        list_tasks,
        ("detailed", "group_by", "actions", "nodes", "parent_task_id", "timeout",
         "wait_for_completion"),
    )  # fmt: skip
    router.add("POST", "/_asyncconsole/rfs/{action}", control, ("count", "session"))
