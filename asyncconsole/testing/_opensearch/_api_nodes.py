"""Node routes: ``GET _nodes/stats`` (and per node, per metric, per index metric).

The one fake node reports its write load from :class:`~._load.LoadModel` (CPU, the ``write``
thread pool) and its indices from the store. The shape is OpenSearch's (REST API spec,
``nodes.stats``): ``_nodes``, ``cluster_name`` and ``nodes`` keyed by node id. Metrics the
fake serves: ``indices`` (``docs``, ``store``, ``indexing``, ``refresh``), ``os``,
``process``, ``jvm``, ``thread_pool`` and ``fs``; the other metrics OpenSearch knows are
refused with a 400 that says so, unknown ones with OpenSearch's own 400.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from ._errors import ApiError
from ._routes import Call, Reply, Router

if TYPE_CHECKING:
    from ._api import OpenSearchApi

__all__ = ["NODE_METRICS", "SERVED_INDEX_METRICS", "SERVED_NODE_METRICS", "register"]

NODE_METRICS = frozenset(
    {"indices", "os", "process", "jvm", "thread_pool", "fs", "transport", "http", "breaker",
     "script", "discovery", "ingest", "adaptive_selection", "script_cache", "indexing_pressure",
     "shard_indexing_pressure", "search_backpressure", "cluster_manager_throttling",
     "weighted_routing", "file_cache", "task_cancellation", "search_pipeline",
     "resource_usage_stats", "segment_replication_backpressure", "repositories",
     "admission_control", "caches", "remote_store"}
)  # fmt: skip
"""Every metric ``_nodes/stats/{metric}`` accepts in OpenSearch 2.x."""
SERVED_NODE_METRICS = ("indices", "os", "process", "jvm", "thread_pool", "fs")
"""The metrics the fake reports (``_all`` means these)."""
_INDEX_METRICS = frozenset(
    {"store", "indexing", "get", "search", "merge", "flush", "refresh", "query_cache",
     "fielddata", "docs", "warmer", "completion", "segments", "translog", "suggest",
     "request_cache", "recovery"}
)  # fmt: skip
SERVED_INDEX_METRICS = ("docs", "store", "indexing", "refresh")
"""The ``indices`` sections the fake reports."""
_POOLS = ("generic", "get", "management", "refresh", "search", "snapshot", "write")
_GB = 1024**3
_STARTED_MS = 1_700_000_000_000  # the node's boot, for uptime: any fixed past instant


def _metrics(call: Call, raw: str | None, known: frozenset[str], what: str) -> set[str]:
    if raw is None:
        return {"_all"}
    wanted = {m.strip() for m in raw.split(",") if m.strip()}
    if "_all" in wanted and len(wanted) > 1:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"request [{call.path}] contains _all and individual {what}s [{raw}]",
        )
    unknown = sorted(wanted - known - {"_all"})
    if unknown:
        listed = ", ".join(unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"request [{call.path}] contains unrecognized {what}{plural}: [{listed}]",
        )
    return wanted


def _not_served(call: Call, wanted: set[str], served: tuple[str, ...], what: str) -> None:
    missing = sorted(wanted - set(served) - {"_all"})
    if missing:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"FakeOpenSearch does not serve node stats {what} [{', '.join(missing)}] "
            f"(it serves {', '.join(served)})",
        )


def _selected(wanted: set[str], served: tuple[str, ...]) -> list[str]:
    return list(served) if "_all" in wanted else [m for m in served if m in wanted]


def _pool(
    threads: int, active: int = 0, queue: int = 0, rejected: int = 0, done: int = 0
) -> dict[str, Any]:
    return {
        "threads": threads,
        "queue": queue,
        "active": active,
        "rejected": rejected,
        "largest": threads,
        "completed": done,
        "total_wait_time_in_nanos": 0,
    }


class _NodeStats:
    """One reading of the node, at one clock instant."""

    def __init__(self, api: OpenSearchApi) -> None:
        self.api = api
        self.now = api.clock.monotonic()
        self.ms = api.now_ms()
        api.load.advance(self.now)

    def indices(self, sections: list[str]) -> dict[str, Any]:
        indices = list(self.api.store.indices.values())
        out: dict[str, Any] = {}
        if "docs" in sections:
            out["docs"] = {
                "count": sum(len(i.docs) for i in indices),
                "deleted": sum(i.deleted for i in indices),
            }
        if "store" in sections:
            out["store"] = {
                "size_in_bytes": sum(i.store_bytes for i in indices),
                "reserved_in_bytes": 0,
            }
        if "indexing" in sections:
            load = self.api.load
            out["indexing"] = {
                "index_total": sum(i.seq_no + 1 for i in indices),
                "index_time_in_millis": int(load.busy_seconds * 1000),
                "index_current": load.active,
                "index_failed": 0,
                "delete_total": 0,
                "delete_time_in_millis": 0,
                "delete_current": 0,
                "noop_update_total": 0,
                "is_throttled": False,
                "throttle_time_in_millis": 0,
            }
        if "refresh" in sections:
            refreshes = sum(i.refreshes for i in indices)
            out["refresh"] = {
                "total": refreshes,
                "total_time_in_millis": 0,
                "external_total": refreshes,
                "external_total_time_in_millis": 0,
                "listeners": 0,
            }
        return out

    def os(self) -> dict[str, Any]:
        load = self.api.load
        total = 8 * _GB
        used = int(total * 0.6)
        busy = load.threads * load.utilisation(self.now)
        return {
            "timestamp": self.ms,
            "cpu": {
                "percent": load.os_cpu(self.now),
                "load_average": {"1m": round(busy, 2), "5m": round(busy, 2), "15m": round(busy, 2)},
            },
            "mem": {
                "total_in_bytes": total,
                "free_in_bytes": total - used,
                "used_in_bytes": used,
                "free_percent": 40,
                "used_percent": 60,
            },
            "swap": {"total_in_bytes": 0, "free_in_bytes": 0, "used_in_bytes": 0},
        }

    def process(self) -> dict[str, Any]:
        load = self.api.load
        return {
            "timestamp": self.ms,
            "open_file_descriptors": 512,
            "max_file_descriptors": 65535,
            "cpu": {
                "percent": load.process_cpu(self.now),
                "total_in_millis": int(load.busy_seconds * load.busy_cpu * 10),
            },
            "mem": {"total_virtual_in_bytes": 6 * _GB},
        }

    def jvm(self) -> dict[str, Any]:
        heap = _GB
        return {
            "timestamp": self.ms,
            "uptime_in_millis": max(0, self.ms - _STARTED_MS),
            "mem": {
                "heap_used_in_bytes": int(heap * 0.3),
                "heap_used_percent": 30,
                "heap_committed_in_bytes": heap,
                "heap_max_in_bytes": heap,
                "non_heap_used_in_bytes": 150 * 1024**2,
                "non_heap_committed_in_bytes": 160 * 1024**2,
            },
            "threads": {"count": 64, "peak_count": 64},
        }

    def thread_pool(self) -> dict[str, Any]:
        load = self.api.load
        pools = {name: _pool(1 if name != "search" else 4) for name in _POOLS}
        pools["write"] = {
            "threads": load.threads,
            "queue": load.queued,
            "active": load.active,
            "rejected": load.rejected,
            "largest": load.largest,
            "completed": load.completed,
            "total_wait_time_in_nanos": 0,
        }
        return pools

    def fs(self) -> dict[str, Any]:
        total = 100 * _GB
        used = sum(i.store_bytes for i in self.api.store.indices.values())
        free = max(0, total - used)
        return {
            "timestamp": self.ms,
            "total": {"total_in_bytes": total, "free_in_bytes": free, "available_in_bytes": free},
            "data": [
                {
                    "path": "/usr/share/opensearch/data/nodes/0",
                    "mount": "/ (/dev/root)",
                    "type": "ext4",
                    "total_in_bytes": total,
                    "free_in_bytes": free,
                    "available_in_bytes": free,
                }
            ],
        }


def _node_matches(api: OpenSearchApi, selector: str | None) -> bool:
    if selector is None:
        return True
    for part in (p.strip() for p in selector.split(",")):
        if part in {"_all", "_local", "_master", "_cluster_manager", api.NODE_ID}:
            return True
        if fnmatch.fnmatchcase(api.NODE_NAME, part):
            return True
    return False


def register(router: Router, api: OpenSearchApi) -> None:
    """Add the node routes."""

    async def nodes_stats(call: Call) -> Reply:
        level = call.params.get("level", "node")
        if level not in {"node", "indices", "shards"}:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"level parameter must be one of [indices] or [node] or [shards] but was [{level}]",
            )
        if level != "node":
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"FakeOpenSearch does not serve node stats at level [{level}] (only [node])",
            )
        wanted = _metrics(call, call.get("metric"), NODE_METRICS, "metric")
        raw_index = call.get("index_metric")
        index_wanted = _metrics(call, raw_index, _INDEX_METRICS, "index metric")
        if raw_index is not None and not ({"indices", "_all"} & wanted):
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"request [{call.path}] contains index metrics [{raw_index}] but indices stats "
                "not requested",
            )
        _not_served(call, wanted, SERVED_NODE_METRICS, "metrics")
        _not_served(call, index_wanted, SERVED_INDEX_METRICS, "index metrics")
        selected = _selected(wanted, SERVED_NODE_METRICS)
        nodes: dict[str, Any] = {}
        if _node_matches(api, call.get("node_id")):
            reading = _NodeStats(api)
            roles = (
                ["cluster_manager", "data", "ingest", "remote_cluster_client"]
                if api.distribution == "opensearch"
                else ["data", "ingest", "master", "remote_cluster_client"]
            )
            node: dict[str, Any] = {
                "timestamp": reading.ms,
                "name": api.NODE_NAME,
                "transport_address": "127.0.0.1:9300",
                "host": "127.0.0.1",
                "ip": "127.0.0.1:9300",
                "roles": roles,
                "attributes": {"shard_indexing_pressure_enabled": "true"},
            }
            for metric in selected:
                if metric == "indices":
                    node["indices"] = reading.indices(_selected(index_wanted, SERVED_INDEX_METRICS))
                else:
                    node[metric] = getattr(reading, metric)()
            nodes[api.NODE_ID] = node
        count = len(nodes)
        return 200, {
            "_nodes": {"total": count, "successful": count, "failed": 0},
            "cluster_name": api.cluster_name,
            "nodes": nodes,
        }

    params = ("level", "timeout")
    router.add("GET", "/_nodes/stats", nodes_stats, params)
    router.add("GET", "/_nodes/stats/{metric}", nodes_stats, params)
    router.add("GET", "/_nodes/stats/{metric}/{index_metric}", nodes_stats, params)
    router.add("GET", "/_nodes/{node_id}/stats", nodes_stats, params)
    router.add("GET", "/_nodes/{node_id}/stats/{metric}", nodes_stats, params)
    router.add("GET", "/_nodes/{node_id}/stats/{metric}/{index_metric}", nodes_stats, params)
