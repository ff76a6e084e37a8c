"""pydantic models of ``migration_services.yaml``, loading, and validation errors.

Reads the same file as console_link: the same keys, defaults, ``source``/``target`` aliases
and "exactly one of" rules (a key counts when present, even empty). Unlike console_link,
every problem is reported at once in one :class:`~asyncconsole.ConfigError` whose
``issues`` carry dotted key paths::

    from asyncconsole.config import load_config

    config = load_config("migration_services.yaml")
    config.target_cluster.auth_kind          # "no_auth" | "basic_auth" | "sigv4"
    config.backfill.rfs.deployment           # DockerDeploymentConfig | ECSDeploymentConfig | ...

The models are immutable plain data: building them does no I/O (no temporary files or
directories, no secret look-ups). Passwords are :class:`~asyncconsole.Secret` and are
masked in reprs, dumps and errors.
"""

from ._backfill import (
    DEFAULT_FAILED_DOCUMENT_STREAM_PREFIX,
    BackfillConfig,
    FailedDocumentStreamConfig,
    ReindexFromSnapshotConfig,
    ReplayConfig,
)
from ._base import ConfigModel
from ._cluster import (
    BasicAuthConfig,
    ClientOptions,
    ClusterConfig,
    ProxyConfig,
    SigV4Config,
    SourceClusterConfig,
)
from ._deployment import (
    DeployedConfig,
    DeploymentConfig,
    DockerDeploymentConfig,
    ECSDeploymentConfig,
    K8sDeploymentConfig,
)
from ._kafka import EmptyBlock, KafkaConfig, ScramConfig
from ._load import DEFAULT_CONFIG_PATH, aload_config, load_config
from ._metadata import MetadataFromSnapshotConfig, MetadataMigrationConfig, MetadataSnapshot
from ._metrics import CloudWatchConfig, MetricsSourceConfig, PrometheusConfig
from ._migration import MigrationConfig
from ._snapshot import (
    DEFAULT_SNAPSHOT_REPO,
    FSRepoConfig,
    GCSRepoConfig,
    RepoConfig,
    S3RepoConfig,
    SnapshotConfig,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_FAILED_DOCUMENT_STREAM_PREFIX",
    "DEFAULT_SNAPSHOT_REPO",
    "BackfillConfig",
    "BasicAuthConfig",
    "ClientOptions",
    "CloudWatchConfig",
    "ClusterConfig",
    "ConfigModel",
    "DeployedConfig",
    "DeploymentConfig",
    "DockerDeploymentConfig",
    "ECSDeploymentConfig",
    "EmptyBlock",
    "FSRepoConfig",
    "FailedDocumentStreamConfig",
    "GCSRepoConfig",
    "K8sDeploymentConfig",
    "KafkaConfig",
    "MetadataFromSnapshotConfig",
    "MetadataMigrationConfig",
    "MetadataSnapshot",
    "MetricsSourceConfig",
    "MigrationConfig",
    "PrometheusConfig",
    "ProxyConfig",
    "ReindexFromSnapshotConfig",
    "ReplayConfig",
    "RepoConfig",
    "S3RepoConfig",
    "ScramConfig",
    "SigV4Config",
    "SnapshotConfig",
    "SourceClusterConfig",
    "aload_config",
    "load_config",
]
