"""Results of snapshot operations (plain frozen data, JSON shapes, console_link's messages)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..._display import DisplayMixin, Table, badge, table
from ..._errors import AsyncConsoleError
from ._status import SnapshotStatus

__all__ = [
    "DeleteAllResult",
    "RepositoryDeletion",
    "SnapshotCreation",
    "SnapshotDeletion",
    "SnapshotIndex",
    "SnapshotInfo",
]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True, slots=True)
class SnapshotCreation:
    """A snapshot that was started (and, with ``wait=True``, finished)."""

    snapshot: str
    """The snapshot's name."""
    repository: str
    """The repository it is in."""
    replaced: bool = False
    """Whether an older snapshot of that name was deleted first."""
    status: SnapshotStatus | None = None
    """The final status when the creation waited for completion."""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``snapshot``, ``repository``, ``replaced``, ``status`` (or null)."""
        return {
            "snapshot": self.snapshot,
            "repository": self.repository,
            "replaced": self.replaced,
            "status": self.status.to_dict() if self.status else None,
        }

    def __str__(self) -> str:
        if self.status is not None:
            return f"Snapshot {self.snapshot} created successfully"
        return f"Snapshot {self.snapshot} creation initiated successfully"


@dataclass(frozen=True, slots=True)
class SnapshotInfo(DisplayMixin):
    """One snapshot in the repository (from ``GET /_snapshot/<repo>/_all``)."""

    name: str
    """Snapshot name."""
    state: str | None
    """Raw state (``SUCCESS``, ``IN_PROGRESS``...)."""
    indices: tuple[str, ...] = ()
    """Indices in the snapshot."""
    start_time: datetime | None = None
    """Start (UTC)."""
    end_time: datetime | None = None
    """End (UTC), when finished."""
    duration_ms: int = 0
    """Milliseconds it took (so far)."""
    shards_total: int = 0
    """Shards in the snapshot."""
    shards_successful: int = 0
    """Shards copied."""
    shards_failed: int = 0
    """Shards that failed."""

    @classmethod
    def from_api(cls, entry: Mapping[str, Any]) -> SnapshotInfo:
        """Build from one ``snapshots[]`` entry."""

        def when(key: str) -> datetime | None:
            ms = entry.get(key) or 0
            return datetime.fromtimestamp(int(ms) / 1000, tz=UTC) if int(ms) > 0 else None

        shards = entry.get("shards") or {}
        return cls(
            name=str(entry.get("snapshot", "")),
            state=entry.get("state"),
            indices=tuple(entry.get("indices") or ()),
            start_time=when("start_time_in_millis"),
            end_time=when("end_time_in_millis"),
            duration_ms=int(entry.get("duration_in_millis") or 0),
            shards_total=int(shards.get("total") or 0),
            shards_successful=int(shards.get("successful") or 0),
            shards_failed=int(shards.get("failed") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: every field, times ISO 8601."""
        return {
            "name": self.name,
            "state": self.state,
            "indices": list(self.indices),
            "start_time": _iso(self.start_time),
            "end_time": _iso(self.end_time),
            "duration_ms": self.duration_ms,
            "shards_total": self.shards_total,
            "shards_successful": self.shards_successful,
            "shards_failed": self.shards_failed,
        }

    def __str__(self) -> str:
        return f"{self.name} {self.state} ({len(self.indices)} indices)"

    def _display_tables(self) -> Table:
        # a list of these (Snapshot.list) draws as one table
        return table(
            ["Snapshot", "State", "Indices", "Started", "Ended", "Shards", "Successful", "Failed"],
            [
                (
                    self.name,
                    badge(self.state) if self.state else None,
                    len(self.indices),
                    self.start_time,
                    self.end_time,
                    self.shards_total,
                    self.shards_successful,
                    self.shards_failed,
                )
            ],
        )


@dataclass(frozen=True, slots=True)
class SnapshotDeletion:
    """The outcome of deleting one snapshot."""

    snapshot: str
    """The snapshot's name."""
    repository: str
    """Its repository."""
    existed: bool = True
    """False when the snapshot was already gone (404)."""
    error: AsyncConsoleError | None = None
    """Why it could not be deleted (only in :class:`DeleteAllResult`; ``delete`` raises)."""

    @property
    def ok(self) -> bool:
        """Whether the snapshot is gone."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``snapshot``, ``repository``, ``existed``, ``error`` (message or null)."""
        return {
            "snapshot": self.snapshot,
            "repository": self.repository,
            "existed": self.existed,
            "error": str(self.error) if self.error else None,
        }

    def __str__(self) -> str:
        if self.error is not None:
            return f"Failed to delete snapshot {self.snapshot}: {self.error}"
        if not self.existed:
            return f"Deleted snapshot: {self.snapshot} from repository '{self.repository}'"
        return f"Snapshot {self.snapshot} successfully deleted."


@dataclass(frozen=True, slots=True)
class DeleteAllResult:
    """The outcome of deleting every snapshot of a repository."""

    repository: str
    """The repository."""
    results: tuple[SnapshotDeletion, ...] = ()
    """One entry per snapshot found."""
    repository_missing: bool = False
    """The repository does not exist (so there was nothing to delete)."""

    @property
    def ok(self) -> bool:
        """Whether every snapshot was deleted."""
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[SnapshotDeletion, ...]:
        """The deletions that failed."""
        return tuple(r for r in self.results if not r.ok)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``repository``, ``repository_missing``, ``results[]``."""
        return {
            "repository": self.repository,
            "repository_missing": self.repository_missing,
            "results": [r.to_dict() for r in self.results],
        }

    def __str__(self) -> str:
        if self.repository_missing:
            return f"Repository '{self.repository}' does not exist, all snapshots are deleted."
        if not self.results:
            return f"No snapshots found in repository '{self.repository}'."
        lines = [str(r) for r in self.failed]
        if self.ok:
            lines.append(f"All snapshots cleared from repository '{self.repository}'")
        else:
            lines.append(
                f"{len(self.failed)} of {len(self.results)} snapshots could not be deleted "
                f"from repository '{self.repository}'"
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RepositoryDeletion:
    """The outcome of unregistering the snapshot repository."""

    repository: str
    """The repository."""
    existed: bool
    """False when it was not registered."""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``repository``, ``existed``."""
        return {"repository": self.repository, "existed": self.existed}

    def __str__(self) -> str:
        if not self.existed:
            return f"Repository '{self.repository}' does not exist"
        return f"Repository '{self.repository}' deleted"


@dataclass(frozen=True, slots=True)
class SnapshotIndex:
    """Size of one index that a snapshot would hold (primaries only)."""

    name: str
    """Index name."""
    document_count: int
    """``primaries.docs.count``."""
    size_bytes: int
    """``primaries.store.size_in_bytes``."""
    shard_count: int
    """``index.number_of_shards``."""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``name``, ``document_count``, ``size_bytes``, ``shard_count``."""
        return {
            "name": self.name,
            "document_count": self.document_count,
            "size_bytes": self.size_bytes,
            "shard_count": self.shard_count,
        }
