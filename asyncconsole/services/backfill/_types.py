"""Backfill results: worker status, deep (work-item) status, and their text and JSON shapes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..._display import DisplayMixin, Progress, Table, badge, fields
from ..workers import WorkerCounts

__all__ = [
    "BackfillOverallStatus",
    "BackfillResetResult",
    "BackfillStatus",
    "BackfillStatusReport",
    "StepState",
]


class BackfillStatus(enum.Enum):
    """The workers' state, derived from their counts (console_link's ``BackfillStatus``)."""

    NOT_STARTED = "NOT_STARTED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    TERMINATING = "TERMINATING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return f"BackfillStatus.{self.name}"


class StepState(enum.Enum):
    """The work's state from the working-state index (console_link's ``StepStateWithPause``)."""

    PENDING = "Pending"
    RUNNING = "Running"
    PAUSED = "Paused"
    COMPLETED = "Completed"
    COMPLETED_WITH_ERRORS = "CompletedWithErrors"
    FAILED = "Failed"


def _text_time(value: datetime | None) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if value else "N/A"


def _text_eta(eta_ms: float | None) -> str:
    if eta_ms is None:
        return "N/A"
    seconds = int(eta_ms // 1000)
    return f"{seconds // 3600}h {seconds % 3600 // 60}m {seconds % 60}s"


@dataclass(frozen=True, slots=True)
class BackfillOverallStatus(DisplayMixin):
    """Progress of the work items in the working-state index (console_link's model).

    ``shard_*`` count work items (not snapshot shards; the names are console_link's JSON
    keys). ``status`` is ``Pending`` while the index does not exist yet, and ``Running`` with
    every count None while the shards are being set up (:attr:`initializing`).
    """

    status: StepState
    percentage_completed: float = 0.0
    eta_ms: float | None = None
    started: datetime | None = None
    finished: datetime | None = None
    shard_total: int | None = None
    shard_complete: int | None = None
    shard_in_progress: int | None = None
    shard_waiting: int | None = None

    @classmethod
    def pending(cls) -> BackfillOverallStatus:
        """The status before the working-state index exists."""
        return cls(StepState.PENDING)

    @property
    def initializing(self) -> bool:
        """Whether the workers are still setting up the shards (no counts yet)."""
        return self.status is StepState.RUNNING and self.shard_total is None

    def to_dict(self) -> dict[str, Any]:
        """console_link's JSON (``console --json backfill status --deep-check``)."""
        return {
            "status": self.status.value,
            "percentage_completed": self.percentage_completed,
            "eta_ms": self.eta_ms,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "shard_total": self.shard_total,
            "shard_complete": self.shard_complete,
            "shard_in_progress": self.shard_in_progress,
            "shard_waiting": self.shard_waiting,
        }

    def render(self) -> str:
        """console_link's text block for the deep check."""
        if self.initializing:
            return "Shards are initializing"
        return "\n".join(
            [
                f"Backfill status: {self.status.value}",
                f"Start time: {_text_time(self.started)}",
                f"Finished time: {_text_time(self.finished)}",
                f"Percent completed: {self.percentage_completed:.1f}%",
                f"Estimated time to completion: {_text_eta(self.eta_ms)}",
                f"Total shards: {_text_count(self.shard_total)}",
                f"Completed shards: {_text_count(self.shard_complete)}",
                f"In progress shards: {_text_count(self.shard_in_progress)}",
                f"Waiting shards: {_text_count(self.shard_waiting)}",
            ]
        )

    def __str__(self) -> str:
        return self.render()

    def _display_pairs(self) -> list[tuple[str, Any]]:
        if self.initializing:
            return [("Work status", badge(self.status)), ("Shards", "initializing")]
        return [
            ("Work status", badge(self.status)),
            ("Progress", Progress(self.percentage_completed)),
            ("Started", self.started),
            ("Finished", self.finished),
            ("ETA", None if self.eta_ms is None else _text_eta(self.eta_ms)),
            ("Total shards", self.shard_total),
            ("Completed shards", self.shard_complete),
            ("In progress shards", self.shard_in_progress),
            ("Waiting shards", self.shard_waiting),
        ]

    def _display_tables(self) -> Table:
        return fields(self._display_pairs(), title="Backfill work items")


def _text_count(value: int | None) -> str:
    return "N/A" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class BackfillStatusReport(DisplayMixin):
    """What ``backfill status`` shows: the workers' state, their counts, and optionally the
    deep (work-item) status.

    ``deep_error`` says why a requested deep check has no result (it never fails the status,
    as in console_link, but the reason is kept rather than only logged).
    """

    status: BackfillStatus
    counts: WorkerCounts
    message: str
    deep: BackfillOverallStatus | None = None
    deep_error: str | None = None
    failed_document_stream_location: str | None = None
    """``s3://...`` of the failed-document stream; None when no stream is configured."""
    failed_documents_present: bool | None = None
    """Whether the stream holds records; None when unknown (S3 unavailable) or not configured."""

    def render(self) -> str:
        """``Backfill workers: RUNNING``, console_link's counts line and deep block, then the
        failed-document-stream lines when a stream is configured."""
        lines = [f"Backfill workers: {self.status.value}", self.message]
        if self.deep is not None:
            lines.append(self.deep.render())
        if self.failed_document_stream_location is not None:
            present = self.failed_documents_present
            answer = "unavailable" if present is None else "yes" if present else "no"
            lines.append(f"failed document stream location: {self.failed_document_stream_location}")
            lines.append(f"Failed documents present: {answer}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """``{"status": "RUNNING", "message": ..., "workers": {...}, "deep": {...} | None,
        "deep_error": str | None}``, plus ``"failed_document_stream_location"`` and
        ``"failed_documents_present"`` (true, false or null) when a stream is configured."""
        data: dict[str, Any] = {
            "status": self.status.value,
            "message": self.message,
            "workers": self.counts.to_dict(),
            "deep": self.deep.to_dict() if self.deep is not None else None,
            "deep_error": self.deep_error,
        }
        if self.failed_document_stream_location is not None:
            data["failed_document_stream_location"] = self.failed_document_stream_location
            data["failed_documents_present"] = self.failed_documents_present
        return data

    def _display_tables(self) -> Table:
        counts = self.counts
        pairs: list[tuple[str, Any]] = [
            ("Status", badge(self.status)),
            ("Running", counts.running),
            ("Pending", counts.pending),
            ("Desired", counts.desired),
            ("Terminating", counts.terminating),
        ]
        if self.deep is not None:
            pairs += self.deep._display_pairs()
        pairs.append(("Deep status unavailable", self.deep_error))
        if self.failed_document_stream_location is not None:
            present = self.failed_documents_present
            pairs.append(("Failed document stream", self.failed_document_stream_location))
            pairs.append(
                ("Failed documents present", "unavailable" if present is None else present)
            )
        return fields(pairs, title="Backfill")


@dataclass(frozen=True, slots=True)
class BackfillResetResult:
    """What :meth:`Backfill.reset` did.

    Attributes:
        archive: The working-state archive written, or None when there was no index.
        failed_documents_location: The failed-document stream's ``s3://`` location, or None
            when no stream is configured.
        failed_documents_deleted: Objects deleted from the stream, or None when it was kept.
    """

    archive: Path | None
    failed_documents_location: str | None = None
    failed_documents_deleted: int | None = None

    def render(self) -> str:
        """The lines ``backfill reset`` prints."""
        lines = [
            f"Backfill working state archived to: {self.archive}"
            if self.archive is not None
            else "No working state to archive."
        ]
        if self.failed_documents_deleted is not None:
            lines.append(
                f"Deleted {self.failed_documents_deleted} failed document stream objects at "
                f"{self.failed_documents_location}"
            )
        elif self.failed_documents_location is not None:
            lines.append(
                f"failed document stream records preserved at {self.failed_documents_location}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """``{"archive": path | None, "failed_document_stream_location": uri | None,
        "failed_documents_deleted": int | None}``."""
        return {
            "archive": str(self.archive) if self.archive is not None else None,
            "failed_document_stream_location": self.failed_documents_location,
            "failed_documents_deleted": self.failed_documents_deleted,
        }
