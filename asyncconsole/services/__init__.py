"""The migration services: clusters, snapshots, backfill, replay, metrics, metadata and Kafka.

Each service receives its infrastructure (HTTP client, Docker, Kubernetes, ECS, metrics
collector, command executor) through its constructor; :class:`~asyncconsole.Environment`
builds and wires them from ``migration_services.yaml``. Names are imported on first use, so
importing this package is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clusters import (
        CLEAR_INDICES_PATTERN,
        CURL_TIMEOUT,
        ClearIndicesResult,
        Cluster,
        ClusterVersion,
        CollectionType,
        ConnectionStatus,
        IndexInfo,
    )
    from .snapshot import (
        DeleteAllResult,
        RepositoryDeletion,
        Snapshot,
        SnapshotCreation,
        SnapshotDeletion,
        SnapshotIndex,
        SnapshotIndexStatus,
        SnapshotInfo,
        SnapshotState,
        SnapshotStatus,
    )

# public name -> subpackage that defines it (one line each, sorted by subpackage then name)
_LAZY: dict[str, str] = {
    "CLEAR_INDICES_PATTERN": ".clusters",
    "CURL_TIMEOUT": ".clusters",
    "ClearIndicesResult": ".clusters",
    "Cluster": ".clusters",
    "ClusterVersion": ".clusters",
    "CollectionType": ".clusters",
    "ConnectionStatus": ".clusters",
    "IndexInfo": ".clusters",
    "DeleteAllResult": ".snapshot",
    "RepositoryDeletion": ".snapshot",
    "Snapshot": ".snapshot",
    "SnapshotCreation": ".snapshot",
    "SnapshotDeletion": ".snapshot",
    "SnapshotIndex": ".snapshot",
    "SnapshotIndexStatus": ".snapshot",
    "SnapshotInfo": ".snapshot",
    "SnapshotState": ".snapshot",
    "SnapshotStatus": ".snapshot",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(_LAZY)


__all__ = [
    "CLEAR_INDICES_PATTERN",
    "CURL_TIMEOUT",
    "ClearIndicesResult",
    "Cluster",
    "ClusterVersion",
    "CollectionType",
    "ConnectionStatus",
    "DeleteAllResult",
    "IndexInfo",
    "RepositoryDeletion",
    "Snapshot",
    "SnapshotCreation",
    "SnapshotDeletion",
    "SnapshotIndex",
    "SnapshotIndexStatus",
    "SnapshotInfo",
    "SnapshotState",
    "SnapshotStatus",
]
