"""``backfill`` (reindex-from-snapshot) and ``replay``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator
from pydantic_core import InitErrorDetails

from .._errors import ConfigError
from ._base import ConfigModel, rule
from ._deployment import DeployedConfig

__all__ = [
    "DEFAULT_FAILED_DOCUMENT_STREAM_PREFIX",
    "BackfillConfig",
    "FailedDocumentStreamConfig",
    "ReindexFromSnapshotConfig",
    "ReplayConfig",
]

WORKING_STATE_INDEX = ".migrations_working_state"

DEFAULT_FAILED_DOCUMENT_STREAM_PREFIX = "rfs-failed-document-stream/"
"""Where RFS writes failed documents in the bucket unless told otherwise."""


class FailedDocumentStreamConfig(ConfigModel):
    """The S3 location RFS workers write the documents they could not index to.

    Records live under ``s3://<s3_bucket>/<s3_prefix>session=<session>/`` as gzip NDJSON
    objects. ``session`` defaults to the backfill's ``backfill_session_name``.
    """

    s3_bucket: str
    """The bucket (setting it turns the stream on)."""
    s3_prefix: str = DEFAULT_FAILED_DOCUMENT_STREAM_PREFIX
    """Key prefix; a trailing ``/`` is added when missing (empty means the default)."""
    s3_region: str | None = None
    """Region of the bucket; ``None`` means the AWS SDK's usual region resolution."""
    s3_endpoint: str | None = None
    """Endpoint override (LocalStack, MinIO, a VPC endpoint)."""
    session: str | None = None
    """The session whose records to read (console_link: the SnapshotMigration's uid)."""

    @field_validator("s3_prefix")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return DEFAULT_FAILED_DOCUMENT_STREAM_PREFIX
        return value if value.endswith("/") else value + "/"

    def _problems(self) -> list[InitErrorDetails]:
        problems = []
        if not self.s3_bucket.strip():
            problems.append(rule("must be a non-empty bucket name", ("s3_bucket",)))
        if self.session is not None and not self.session.strip():
            problems.append(rule("must be non-empty when given", ("session",)))
        return problems


class ReindexFromSnapshotConfig(DeployedConfig):
    """Reindex-from-snapshot workers, on exactly one of ``docker``, ``ecs`` or ``k8s``."""

    snapshot_name: str | None = None
    """Informational; the workers are configured with their snapshot elsewhere."""
    snapshot_repo: str | None = None
    """Informational."""
    session_name: str | None = None
    """Informational."""
    backfill_session_name: str | None = None
    """Suffix of the working-state index (``.migrations_working_state_<name>``)."""
    scale: int = Field(default=5, ge=1)
    """Number of workers ``start`` runs."""
    failed_document_stream: FailedDocumentStreamConfig | None = None
    """asyncconsole extension: where the workers write failed documents (S3)."""

    def _problems(self) -> list[InitErrorDetails]:
        stream = self.failed_document_stream
        if stream is not None and stream.session is None and not self.backfill_session_name:
            return [
                rule(
                    "required when backfill_session_name is not set",
                    ("failed_document_stream", "session"),
                )
            ]
        return []

    @property
    def failed_document_stream_session(self) -> str | None:
        """The failed-document-stream session: its ``session``, else ``backfill_session_name``."""
        stream = self.failed_document_stream
        if stream is None:
            return None
        return stream.session or self.backfill_session_name

    @property
    def working_state_index(self) -> str:
        """The index that tracks work items for this backfill session."""
        if self.backfill_session_name:
            return f"{WORKING_STATE_INDEX}_{self.backfill_session_name}"
        return WORKING_STATE_INDEX


class BackfillConfig(ConfigModel):
    """The backfill; asyncconsole runs ``reindex_from_snapshot``.

    ``opensearch_ingestion`` is part of the schema (so a file naming it gets a precise
    message) but is not supported.
    """

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("opensearch_ingestion", "reindex_from_snapshot"),
    )
    null_is_value: ClassVar[frozenset[str]] = frozenset({"opensearch_ingestion"})

    opensearch_ingestion: Any = None
    """Not supported; present only to report it clearly."""
    reindex_from_snapshot: ReindexFromSnapshotConfig | None = None
    """The reindex-from-snapshot workers."""

    @classmethod
    def _raw_problems(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        if "opensearch_ingestion" in data:
            return [
                rule(
                    "Unsupported backfill type: asyncconsole runs reindex_from_snapshot only",
                    ("opensearch_ingestion",),
                )
            ]
        return []

    @property
    def rfs(self) -> ReindexFromSnapshotConfig:
        """The ``reindex_from_snapshot`` block (always set on a validated config)."""
        if self.reindex_from_snapshot is None:
            raise ConfigError("backfill has no reindex_from_snapshot block")
        return self.reindex_from_snapshot


class ReplayConfig(DeployedConfig):
    """The traffic replayer, on exactly one of ``docker``, ``ecs`` or ``k8s``."""

    scale: int = Field(default=1, ge=1)
    """Number of replayers ``start`` runs."""
