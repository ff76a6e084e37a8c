"""Snapshot progress: console_link's percent/ETA maths with its bugs fixed, and its text lines.

Fixed here (reference §10.4 and issue #1687):

* throughput is bytes/s in the data and shown as MiB/s once (console_link divided by 2^20
  twice, so it always printed ~0);
* ``finished`` is only set once the snapshot has finished (console_link set it while running);
* missing byte statistics fall back to shard counts instead of crashing the deep status;
* ``processed`` bytes absent means everything was processed (Elasticsearch omits the section
  then); a present ``processed`` of 0 is 0 % (console_link read it as 100 %);
* ``PARTIAL`` is Failed at 100 % with no ETA; ``SUCCESS`` is 100 % with ETA 0; zero totals are
  0 % with no ETA; incremental bytes are the total work (issue #1687, PR #2102).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..._display import DisplayMixin, Progress, Table, badge, fields, table

__all__ = ["SnapshotIndexStatus", "SnapshotState", "SnapshotStatus", "format_duration"]

_log = logging.getLogger("asyncconsole.services.snapshot")
MIB = 1 << 20


class SnapshotState(enum.Enum):
    """The snapshot's state mapped to the migration's step states."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"

    @classmethod
    def from_raw(cls, raw: str | None) -> SnapshotState:
        """``SUCCESS`` → Completed; ``STARTED``/``IN_PROGRESS`` (or none yet) → Running; else Failed."""
        if raw is None or raw in ("STARTED", "IN_PROGRESS"):
            return cls.RUNNING
        if raw == "SUCCESS":
            return cls.COMPLETED
        if raw not in ("FAILED", "PARTIAL"):
            _log.warning("unknown snapshot state %r, treating it as failed", raw)
        return cls.FAILED


def _num(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _size(section: Any) -> int:
    return _num(section.get("size_in_bytes")) if isinstance(section, Mapping) else 0


def _when(ms: int) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms > 0 else None


@dataclass(frozen=True, slots=True)
class SnapshotIndexStatus:
    """One index of a snapshot."""

    name: str
    """Index name."""
    status: str
    """``completed``, ``in_progress`` or ``not_started``."""
    shard_count: int = 0
    """Shards of the index in the snapshot."""
    document_count: int | None = None
    """Primary documents of the index on the source now (``_stats``); None when unknown
    (the index is gone, or the count could not be read). ``_status`` has no document counts:
    console_link read a ``docs`` field it does not have and showed 0 for every index."""
    size_bytes: int = 0
    """Bytes of the index in the snapshot."""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``name``, ``status``, ``shard_count``, ``document_count``, ``size_bytes``."""
        return {
            "name": self.name,
            "status": self.status,
            "shard_count": self.shard_count,
            "document_count": self.document_count,
            "size_bytes": self.size_bytes,
        }


def _index_status(name: str, entry: Any, overall: SnapshotState) -> SnapshotIndexStatus:
    if not isinstance(entry, Mapping):
        entry = {}
    shards = entry.get("shards")
    shard_count = len(shards) if isinstance(shards, Mapping) else _num(shards)
    shards_stats = entry.get("shards_stats")
    state = entry.get("state")
    if state is None and isinstance(shards_stats, Mapping):
        total = _num(shards_stats.get("total"))
        done = _num(shards_stats.get("done")) + _num(shards_stats.get("failed"))
        state = "SUCCESS" if total and done >= total else "IN_PROGRESS" if done else None
        shard_count = shard_count or total
    if state == "SUCCESS" or overall is SnapshotState.COMPLETED:
        status = "completed"
    elif state in ("IN_PROGRESS", "STARTED"):
        status = "in_progress"
    else:
        status = "not_started"
    size = _num(entry.get("size_in_bytes")) or _size((entry.get("stats") or {}).get("total"))
    return SnapshotIndexStatus(
        name=name,
        status=status,
        shard_count=shard_count,
        size_bytes=size,
    )


def format_duration(ms: float | None) -> str:
    """``<H>h <M>m <S>s`` for a duration in milliseconds (``N/A`` for None)."""
    if ms is None:
        return "N/A"
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes}m {seconds}s"


@dataclass(frozen=True, slots=True)
class SnapshotStatus(DisplayMixin):
    """Deep status of a snapshot: state, percent complete, ETA, bytes, throughput, shards.

    Build it from a snapshot info or ``_status`` entry with :meth:`from_snapshot_info`.
    """

    state: str | None
    """The raw state (``SUCCESS``, ``IN_PROGRESS``, ``FAILED``, ``PARTIAL``...)."""
    status: SnapshotState
    """The mapped state."""
    percentage_completed: float
    """0 to 100."""
    eta_ms: float | None
    """Estimated milliseconds to completion (0 when done, None when unknown)."""
    started: datetime | None = None
    """When the snapshot started (UTC)."""
    finished: datetime | None = None
    """When it finished (UTC); None while running."""
    elapsed_ms: int = 0
    """Milliseconds spent so far."""
    data_total_bytes: int | None = None
    """Bytes to copy (incremental bytes when known); None without byte statistics."""
    data_processed_bytes: int | None = None
    """Bytes copied so far; None without byte statistics."""
    data_throughput_bytes_avg_sec: float | None = None
    """Average bytes per second (console_link stored MiB/s under this name)."""
    shard_total: int = 0
    """Shards in the snapshot."""
    shard_complete: int = 0
    """Shards done."""
    shard_failed: int = 0
    """Shards failed."""
    indexes: tuple[SnapshotIndexStatus, ...] = field(default=())
    """Per-index detail, when the cluster reported it."""
    snapshot: str | None = None
    """The snapshot's name."""

    @classmethod
    def from_snapshot_info(
        cls,
        info: Mapping[str, Any],
        *,
        now: datetime | None = None,
        document_counts: Mapping[str, int] | None = None,
    ) -> SnapshotStatus:
        """Compute progress from one ``snapshots[]`` entry of ``GET /_snapshot/<repo>/<name>``
        or of its ``_status``.

        Args:
            info: The entry.
            now: The current time, used only when a running snapshot reports no elapsed time.
            document_counts: Documents per index name (the source's ``_stats``); indices not
                in it have ``document_count`` None.
        """
        raw = info.get("state")
        state = SnapshotState.from_raw(raw)

        shards_stats, shards = info.get("shards_stats"), info.get("shards")
        if isinstance(shards_stats, Mapping):
            shard_total = _num(shards_stats.get("total"))
            shard_done = _num(shards_stats.get("done"))
            shard_failed = _num(shards_stats.get("failed"))
        elif isinstance(shards, Mapping):
            shard_total = _num(shards.get("total"))
            shard_done = _num(shards.get("successful"))
            shard_failed = _num(shards.get("failed"))
        else:
            shard_total = shard_done = shard_failed = 0

        start_ms = _num(info.get("start_time_in_millis"))
        elapsed_ms = _num(info.get("time_in_millis")) or _num(info.get("duration_in_millis"))
        end_ms = _num(info.get("end_time_in_millis"))
        total_work, processed_work = shard_total, shard_done + shard_failed
        total_bytes = processed_bytes = None

        stats = info.get("stats")
        if isinstance(stats, Mapping):
            incremental = _size(stats.get("incremental"))
            work = incremental if incremental > 0 else _size(stats.get("total"))
            if work > 0:
                processed = stats.get("processed")
                done = _size(processed) if isinstance(processed, Mapping) else work
                total_bytes, processed_bytes = work, min(done, work)
                total_work, processed_work = total_bytes, processed_bytes
            start_ms = _num(stats.get("start_time_in_millis")) or start_ms
            elapsed_ms = _num(stats.get("time_in_millis")) or elapsed_ms

        if state is SnapshotState.RUNNING and not elapsed_ms and start_ms and now is not None:
            elapsed_ms = max(0, int(now.timestamp() * 1000) - start_ms)

        percentage = processed_work / total_work * 100 if total_work > 0 else 0.0
        eta: float | None = None
        if state is SnapshotState.COMPLETED:
            percentage, eta = 100.0, 0.0
        elif raw == "PARTIAL":
            percentage = 100.0
        elif 0 < percentage < 100:
            eta = elapsed_ms / percentage * (100 - percentage)

        throughput = None
        if processed_bytes is not None:
            throughput = processed_bytes / (elapsed_ms / 1000) if elapsed_ms > 0 else 0.0

        finished = None
        if state is not SnapshotState.RUNNING:
            finished = _when(end_ms) or (_when(start_ms + elapsed_ms) if start_ms else None)

        indices = info.get("indices")
        if isinstance(indices, Mapping):
            indexes = tuple(_index_status(n, e, state) for n, e in sorted(indices.items()))
        elif isinstance(indices, list):
            indexes = tuple(_index_status(str(n), None, state) for n in sorted(indices))
        else:
            indexes = ()
        counts = document_counts or {}
        indexes = tuple(replace(i, document_count=counts.get(i.name)) for i in indexes)

        return cls(
            state=raw,
            status=state,
            percentage_completed=percentage,
            eta_ms=eta,
            started=_when(start_ms),
            finished=finished,
            elapsed_ms=elapsed_ms,
            data_total_bytes=total_bytes,
            data_processed_bytes=processed_bytes,
            data_throughput_bytes_avg_sec=throughput,
            shard_total=shard_total,
            shard_complete=shard_done,
            shard_failed=shard_failed,
            indexes=indexes,
            snapshot=info.get("snapshot"),
        )

    @property
    def done(self) -> bool:
        """Whether the snapshot has finished (successfully or not)."""
        return self.status is not SnapshotState.RUNNING

    @property
    def throughput_mib_per_sec(self) -> float | None:
        """Average throughput in MiB/s."""
        if self.data_throughput_bytes_avg_sec is None:
            return None
        return self.data_throughput_bytes_avg_sec / MIB

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: console_link's ``SnapshotStatus`` fields (times ISO 8601) plus ``state``,
        ``snapshot``, ``shard_failed`` and ``elapsed_ms``."""
        return {
            "snapshot": self.snapshot,
            "state": self.state,
            "status": self.status.value,
            "percentage_completed": self.percentage_completed,
            "eta_ms": self.eta_ms,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "elapsed_ms": self.elapsed_ms,
            "data_total_bytes": self.data_total_bytes,
            "data_processed_bytes": self.data_processed_bytes,
            "data_throughput_bytes_avg_sec": self.data_throughput_bytes_avg_sec,
            "shard_total": self.shard_total,
            "shard_complete": self.shard_complete,
            "shard_failed": self.shard_failed,
            "indexes": [i.to_dict() for i in self.indexes],
        }

    def render(self, *, tz: tzinfo | None = None) -> str:
        """console_link's deep status lines; times in ``tz`` (default: local time)."""

        def when(value: datetime | None) -> str:
            return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else "N/A"

        if self.data_total_bytes is not None and self.data_processed_bytes is not None:
            data = (
                f"Data processed: {self.data_processed_bytes / MIB:.3f}/"
                f"{self.data_total_bytes / MIB:.3f} MiB"
            )
            throughput = f"Throughput: {self.throughput_mib_per_sec or 0.0:.3f} MiB/sec"
        else:
            data = "Data processed: unknown (no byte statistics; progress counted in shards)"
            throughput = "Throughput: unknown"
        return "\n".join(
            [
                f"Snapshot status: {self.state}",
                f"Start time: {when(self.started)}",
                f"Finished time: {when(self.finished)}",
                f"Percent completed: {self.percentage_completed:.2f}%",
                f"Estimated time to completion: {format_duration(self.eta_ms)}",
                data,
                throughput,
                f"Total shards: {self.shard_total}",
                f"Successful shards: {self.shard_complete}",
            ]
        )

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> list[Table]:
        data = throughput = None
        if self.data_total_bytes is not None and self.data_processed_bytes is not None:
            data = f"{self.data_processed_bytes / MIB:.3f}/{self.data_total_bytes / MIB:.3f} MiB"
            throughput = f"{self.throughput_mib_per_sec or 0.0:.3f} MiB/s"
        summary = fields(
            [
                ("Snapshot", self.snapshot),
                ("Status", badge(self.status)),
                ("State", self.state),
                ("Progress", Progress(self.percentage_completed)),
                ("ETA", None if self.eta_ms is None else format_duration(self.eta_ms)),
                ("Started", self.started),
                ("Finished", self.finished),
                ("Data processed", data),
                ("Throughput", throughput),
                ("Total shards", self.shard_total),
                ("Successful shards", self.shard_complete),
                ("Failed shards", self.shard_failed),
            ],
            title="Snapshot status",
        )
        if not self.indexes:
            return [summary]
        indexes = table(
            ["Index", "Status", "Shards", "Documents", "Bytes"],
            [
                (i.name, badge(i.status), i.shard_count, i.document_count, i.size_bytes)
                for i in self.indexes
            ],
            title="Indices",
        )
        return [summary, indexes]
