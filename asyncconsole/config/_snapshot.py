"""``snapshot``: the snapshot of the source and its repository (``s3``, ``gcs`` or ``fs``)."""

from __future__ import annotations

from typing import ClassVar, Literal, TypeAlias

from pydantic import Field

from .._errors import ConfigError
from ._base import ConfigModel

__all__ = [
    "DEFAULT_SNAPSHOT_REPO",
    "FSRepoConfig",
    "GCSRepoConfig",
    "RepoConfig",
    "RepoKind",
    "S3RepoConfig",
    "SnapshotConfig",
]

DEFAULT_SNAPSHOT_REPO = "migration_assistant_repo"
RepoKind = Literal["s3", "gcs", "fs"]
_REPO_KEYS: tuple[RepoKind, ...] = ("s3", "gcs", "fs")


class S3RepoConfig(ConfigModel):
    """A snapshot repository in Amazon S3."""

    kind: ClassVar[RepoKind] = "s3"

    repo_uri: str
    """``s3://bucket/path``."""
    aws_region: str
    """Region of the bucket."""
    role: str | None = None
    """IAM role ARN the cluster assumes to write the repository."""
    endpoint: str | None = None
    """A non-default S3 endpoint."""


class GCSRepoConfig(ConfigModel):
    """A snapshot repository in Google Cloud Storage."""

    kind: ClassVar[RepoKind] = "gcs"

    repo_uri: str = Field(min_length=1)
    """``gs://bucket/path``."""
    endpoint: str | None = None
    """A non-default GCS endpoint."""


class FSRepoConfig(ConfigModel):
    """A snapshot repository on a shared file system."""

    kind: ClassVar[RepoKind] = "fs"

    repo_path: str
    """Path of the repository as the cluster sees it."""


RepoConfig: TypeAlias = S3RepoConfig | GCSRepoConfig | FSRepoConfig


class SnapshotConfig(ConfigModel):
    """The snapshot of the source cluster; exactly one of ``s3``, ``gcs`` or ``fs``."""

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (_REPO_KEYS,)

    snapshot_name: str
    """Name of the snapshot."""
    snapshot_repo_name: str = DEFAULT_SNAPSHOT_REPO
    """Name of the snapshot repository on the source cluster."""
    mode: Literal["create", "import"] = "create"
    """Solr only: create a new snapshot or import an existing backup."""
    solr_collections: list[str] = Field(default_factory=list)
    """Solr only: the collections to snapshot (empty: all)."""
    otel_trace_endpoint: str | None = None
    """OpenTelemetry trace collector for the snapshot tool."""
    otel_metrics_endpoint: str | None = None
    """OpenTelemetry metrics collector for the snapshot tool."""
    s3: S3RepoConfig | None = None
    """Repository in S3."""
    gcs: GCSRepoConfig | None = None
    """Repository in Google Cloud Storage."""
    fs: FSRepoConfig | None = None
    """Repository on a file system."""

    @property
    def repo(self) -> RepoConfig:
        """The one configured repository (check ``.kind`` or use ``isinstance``)."""
        for found in (self.s3, self.gcs, self.fs):
            if found is not None:
                return found
        raise ConfigError("snapshot has no repository (s3, gcs or fs)")

    @property
    def repo_kind(self) -> RepoKind:
        """``s3``, ``gcs`` or ``fs``."""
        return self.repo.kind

    @property
    def is_external_repo(self) -> bool:
        """Whether the repository is not the Migration Assistant's default one."""
        return self.snapshot_repo_name != DEFAULT_SNAPSHOT_REPO
