"""The migration services: clusters, snapshots, backfill, replay, metrics, metadata and Kafka.

Each service receives its infrastructure (HTTP client, Docker, Kubernetes, ECS, metrics
collector, command executor) through its constructor; :class:`~asyncconsole.Environment`
builds and wires them from ``migration_services.yaml``. The main classes and result types are
re-exported here (helpers and constants stay in the subpackages); names are imported on first
use, so importing this package is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backfill import (
        Backfill,
        BackfillOverallStatus,
        BackfillResetResult,
        BackfillStatus,
        BackfillStatusReport,
        FailedDocument,
        FailedDocumentStream,
        StepState,
        backfill_status,
    )
    from .clusters import (
        CLEAR_INDICES_PATTERN,
        CURL_TIMEOUT,
        BenchmarkCommand,
        BenchmarkResult,
        ClearIndicesResult,
        Cluster,
        ClusterVersion,
        CollectionType,
        ConnectionStatus,
        GenerateDataProgress,
        GenerateDataResult,
        IndexInfo,
    )
    from .kafka import (
        ConsumerGroupDescription,
        ConsumerGroupPartition,
        Kafka,
        KafkaResult,
        KafkaToolLocator,
        PartitionRecords,
        PartitionTimeLag,
        TopicDump,
        TopicDumpResult,
        TopicRecords,
    )
    from .metadata import (
        MetadataMigration,
        MetadataResult,
    )
    from .metrics import (
        MetricData,
        MetricNames,
        MetricSeriesList,
        MetricsService,
    )
    from .replay import (
        Replay,
        ReplayStatus,
        ReplayStatusReport,
        TupleReadReport,
        convert_tuples,
        read_tuple,
        replay_status,
    )
    from .snapshot import (
        DeleteAllResult,
        ProgressCallback,
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
    from .workers import (
        DEFAULT_WORKER_IMAGES,
        DockerWorkers,
        EcsWorkers,
        K8sWorkers,
        WorkerCounts,
        WorkerDeployment,
        build_workers,
    )

# public name -> subpackage that defines it (one line each, grouped by subpackage)
_LAZY: dict[str, str] = {
    "Backfill": ".backfill",
    "BackfillOverallStatus": ".backfill",
    "BackfillResetResult": ".backfill",
    "BackfillStatus": ".backfill",
    "BackfillStatusReport": ".backfill",
    "FailedDocument": ".backfill",
    "FailedDocumentStream": ".backfill",
    "StepState": ".backfill",
    "backfill_status": ".backfill",
    "CLEAR_INDICES_PATTERN": ".clusters",
    "CURL_TIMEOUT": ".clusters",
    "BenchmarkCommand": ".clusters",
    "BenchmarkResult": ".clusters",
    "ClearIndicesResult": ".clusters",
    "Cluster": ".clusters",
    "ClusterVersion": ".clusters",
    "CollectionType": ".clusters",
    "ConnectionStatus": ".clusters",
    "GenerateDataProgress": ".clusters",
    "GenerateDataResult": ".clusters",
    "IndexInfo": ".clusters",
    "ConsumerGroupDescription": ".kafka",
    "ConsumerGroupPartition": ".kafka",
    "Kafka": ".kafka",
    "KafkaResult": ".kafka",
    "KafkaToolLocator": ".kafka",
    "PartitionRecords": ".kafka",
    "PartitionTimeLag": ".kafka",
    "TopicDump": ".kafka",
    "TopicDumpResult": ".kafka",
    "TopicRecords": ".kafka",
    "MetadataMigration": ".metadata",
    "MetadataResult": ".metadata",
    "MetricData": ".metrics",
    "MetricNames": ".metrics",
    "MetricSeriesList": ".metrics",
    "MetricsService": ".metrics",
    "Replay": ".replay",
    "ReplayStatus": ".replay",
    "ReplayStatusReport": ".replay",
    "TupleReadReport": ".replay",
    "convert_tuples": ".replay",
    "read_tuple": ".replay",
    "replay_status": ".replay",
    "DeleteAllResult": ".snapshot",
    "ProgressCallback": ".snapshot",
    "RepositoryDeletion": ".snapshot",
    "Snapshot": ".snapshot",
    "SnapshotCreation": ".snapshot",
    "SnapshotDeletion": ".snapshot",
    "SnapshotIndex": ".snapshot",
    "SnapshotIndexStatus": ".snapshot",
    "SnapshotInfo": ".snapshot",
    "SnapshotState": ".snapshot",
    "SnapshotStatus": ".snapshot",
    "DEFAULT_WORKER_IMAGES": ".workers",
    "DockerWorkers": ".workers",
    "EcsWorkers": ".workers",
    "K8sWorkers": ".workers",
    "WorkerCounts": ".workers",
    "WorkerDeployment": ".workers",
    "build_workers": ".workers",
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
    "DEFAULT_WORKER_IMAGES",
    "Backfill",
    "BackfillOverallStatus",
    "BackfillResetResult",
    "BackfillStatus",
    "BackfillStatusReport",
    "BenchmarkCommand",
    "BenchmarkResult",
    "ClearIndicesResult",
    "Cluster",
    "ClusterVersion",
    "CollectionType",
    "ConnectionStatus",
    "ConsumerGroupDescription",
    "ConsumerGroupPartition",
    "DeleteAllResult",
    "DockerWorkers",
    "EcsWorkers",
    "FailedDocument",
    "FailedDocumentStream",
    "GenerateDataProgress",
    "GenerateDataResult",
    "IndexInfo",
    "K8sWorkers",
    "Kafka",
    "KafkaResult",
    "KafkaToolLocator",
    "MetadataMigration",
    "MetadataResult",
    "MetricData",
    "MetricNames",
    "MetricSeriesList",
    "MetricsService",
    "PartitionRecords",
    "PartitionTimeLag",
    "ProgressCallback",
    "Replay",
    "ReplayStatus",
    "ReplayStatusReport",
    "RepositoryDeletion",
    "Snapshot",
    "SnapshotCreation",
    "SnapshotDeletion",
    "SnapshotIndex",
    "SnapshotIndexStatus",
    "SnapshotInfo",
    "SnapshotState",
    "SnapshotStatus",
    "StepState",
    "TopicDump",
    "TopicDumpResult",
    "TopicRecords",
    "TupleReadReport",
    "WorkerCounts",
    "WorkerDeployment",
    "backfill_status",
    "build_workers",
    "convert_tuples",
    "read_tuple",
    "replay_status",
]
