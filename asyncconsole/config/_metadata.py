"""``metadata_migration``: settings for the MetadataMigration tool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from .._errors import ConfigError, ConfigIssue
from ._base import ConfigModel
from ._cluster import ClusterConfig
from ._snapshot import FSRepoConfig, GCSRepoConfig, RepoConfig, S3RepoConfig, SnapshotConfig

__all__ = [
    "NO_SNAPSHOT_MESSAGE",
    "NO_SOURCE_VERSION_MESSAGE",
    "MetadataFromSnapshotConfig",
    "MetadataMigrationConfig",
    "MetadataSnapshot",
]

NO_SNAPSHOT_MESSAGE = (
    "No snapshot is specified or can be assumed for the metadata migration to use."
)
NO_SOURCE_VERSION_MESSAGE = (
    "A version field in the source_cluster object, or source_cluster_version in the metadata "
    'object is required to perform metadata migrations e.g. version: "ES_6.8" '
)


class MetadataFromSnapshotConfig(ConfigModel):
    """The snapshot the metadata tool reads; exactly one of ``s3``, ``fs`` or ``gcs``.

    (console_link did not enforce the "exactly one" and failed later with a KeyError.)
    """

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (("s3", "fs", "gcs"),)

    snapshot_name: str
    """Name of the snapshot."""
    local_dir: str | None = None
    """Where S3/GCS snapshots are downloaded; ``None``: a fresh temporary directory per run."""
    s3: S3RepoConfig | None = None
    """Repository in S3."""
    fs: FSRepoConfig | None = None
    """Repository on a file system."""
    gcs: GCSRepoConfig | None = None
    """Repository in Google Cloud Storage."""
    otel_trace_endpoint: str | None = None
    """Accepted for compatibility; unused."""
    otel_metrics_endpoint: str | None = None
    """Accepted for compatibility; unused."""

    @property
    def repo(self) -> RepoConfig:
        """The one configured repository."""
        for found in (self.s3, self.fs, self.gcs):
            if found is not None:
                return found
        raise ConfigError("metadata_migration.from_snapshot has no repository (s3, fs or gcs)")


@dataclass(frozen=True, slots=True)
class MetadataSnapshot:
    """The snapshot a metadata migration reads, wherever the config gave it.

    Attributes:
        snapshot_name: Name of the snapshot.
        repo: Its repository (``.kind`` is ``s3``, ``gcs`` or ``fs``).
        local_dir: Download directory for S3/GCS, or ``None`` for a temporary one per run.
        from_top_level: True when taken from the top-level ``snapshot`` block (the tool then
            gets ``--endpoint`` from an S3 repository too, as console_link does).
    """

    snapshot_name: str
    repo: RepoConfig
    local_dir: str | None
    from_top_level: bool


class MetadataMigrationConfig(ConfigModel):
    """Settings for the MetadataMigration tool.

    ``from_snapshot`` is required but may be empty: then the top-level ``snapshot`` is used.
    """

    null_is_value: ClassVar[frozenset[str]] = frozenset({"from_snapshot"})

    from_snapshot: MetadataFromSnapshotConfig | None
    """The snapshot to read, or ``None`` (empty) to use the top-level ``snapshot``."""
    otel_trace_endpoint: str | None = None
    """OpenTelemetry trace collector for the tool."""
    otel_metrics_endpoint: str | None = None
    """OpenTelemetry metrics collector for the tool."""
    cluster_awareness_attributes: int = Field(default=0, ge=0)
    """Passed as ``--cluster-awareness-attributes``."""
    index_allowlist: list[str] = Field(default_factory=list)
    """Indices to migrate (empty: the tool's default)."""
    index_template_allowlist: list[str] = Field(default_factory=list)
    """Index templates to migrate."""
    component_template_allowlist: list[str] = Field(default_factory=list)
    """Component templates to migrate."""
    source_cluster_version: str | None = None
    """Source version for the tool; else ``source_cluster.version``."""
    transformer_config_base64: str | None = None
    """Passed as ``--transformer-config-base64``."""

    def resolved_snapshot(self, snapshot: SnapshotConfig | None) -> MetadataSnapshot:
        """The snapshot to read: ``from_snapshot`` if given, else the top-level ``snapshot``.

        Args:
            snapshot: The config's top-level ``snapshot`` block, if any.

        Raises:
            ConfigError: Neither is given (never for a config that passed validation).
        """
        if self.from_snapshot is not None:
            given = self.from_snapshot
            return MetadataSnapshot(given.snapshot_name, given.repo, given.local_dir, False)
        if snapshot is None:
            raise ConfigError(
                "Invalid configuration",
                [ConfigIssue("metadata_migration.from_snapshot", NO_SNAPSHOT_MESSAGE)],
            )
        return MetadataSnapshot(snapshot.snapshot_name, snapshot.repo, None, True)

    def resolved_source_version(self, source: ClusterConfig | None) -> str:
        """``source_cluster_version``, else the source cluster's ``version``.

        Raises:
            ConfigError: Neither is given (never for a config that passed validation).
        """
        version = self.source_cluster_version or (source.version if source else None)
        if not version:
            raise ConfigError(
                "Invalid configuration",
                [ConfigIssue("metadata_migration", NO_SOURCE_VERSION_MESSAGE)],
            )
        return version
