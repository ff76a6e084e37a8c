"""Snapshots of the source cluster through the ``_snapshot`` API: create, status, wait, delete.

``Snapshot(config, source_cluster)`` does what console_link's snapshot commands do, async and
without the Java CreateSnapshot tool::

    await snapshot.create()                       # registers the repository first
    async for status in snapshot.watch():         # SnapshotStatus: percent, ETA, MiB/s
        print(status.percentage_completed)
    await snapshot.delete_all()                   # concurrently
"""

from ._repository import repository_settings
from ._snapshot import Snapshot
from ._status import SnapshotIndexStatus, SnapshotState, SnapshotStatus, format_duration
from ._types import (
    DeleteAllResult,
    RepositoryDeletion,
    SnapshotCreation,
    SnapshotDeletion,
    SnapshotIndex,
    SnapshotInfo,
)
from ._waiting import DEFAULT_WAIT_TIMEOUT, ProgressCallback

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "DeleteAllResult",
    "ProgressCallback",
    "RepositoryDeletion",
    "Snapshot",
    "SnapshotCreation",
    "SnapshotDeletion",
    "SnapshotIndex",
    "SnapshotIndexStatus",
    "SnapshotInfo",
    "SnapshotState",
    "SnapshotStatus",
    "format_duration",
    "repository_settings",
]
