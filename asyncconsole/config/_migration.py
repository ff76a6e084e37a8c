"""``MigrationConfig``: the whole ``migration_services.yaml``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import yaml
from pydantic_core import InitErrorDetails

from ._backfill import BackfillConfig, ReplayConfig
from ._base import ConfigModel, rule
from ._cluster import ClientOptions, ClusterConfig, SourceClusterConfig
from ._kafka import KafkaConfig
from ._metadata import NO_SNAPSHOT_MESSAGE, NO_SOURCE_VERSION_MESSAGE, MetadataMigrationConfig
from ._metrics import MetricsSourceConfig
from ._snapshot import SnapshotConfig

__all__ = ["MigrationConfig"]


class MigrationConfig(ConfigModel):
    """The whole ``migration_services.yaml``; every block is optional (``None`` when absent).

    ``source`` and ``target`` are accepted as other names for ``source_cluster`` and
    ``target_cluster``. Build one with :meth:`from_file`, :meth:`from_yaml`, :meth:`from_dict`
    (or :func:`~asyncconsole.config.load_config`); they raise one
    :class:`~asyncconsole.ConfigError` listing every problem with its key path.
    """

    key_aliases: ClassVar[Mapping[str, str]] = {
        "source": "source_cluster",
        "target": "target_cluster",
    }

    source_cluster: SourceClusterConfig | None = None
    """The cluster migrated from."""
    target_cluster: ClusterConfig | None = None
    """The cluster migrated to."""
    backfill: BackfillConfig | None = None
    """The reindex-from-snapshot backfill (needs ``target_cluster``)."""
    metrics_source: MetricsSourceConfig | None = None
    """Prometheus or CloudWatch."""
    snapshot: SnapshotConfig | None = None
    """The snapshot of the source."""
    metadata_migration: MetadataMigrationConfig | None = None
    """The metadata migration tool's settings."""
    replay: ReplayConfig | None = None
    """The traffic replayer."""
    kafka: KafkaConfig | None = None
    """The Kafka cluster holding captured traffic."""
    client_options: ClientOptions | None = None
    """Options for every client (User-Agent suffix)."""

    @classmethod
    def _raw_problems(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        # Cross-block rules, checked on the raw mapping so they show up next to field errors.
        problems = []
        if "backfill" in data and "target_cluster" not in data:
            problems.append(rule("target_cluster must be provided for RFS backfill", ("backfill",)))
        metadata = data.get("metadata_migration")
        if isinstance(metadata, Mapping):
            if (
                "from_snapshot" in metadata
                and metadata["from_snapshot"] is None
                and data.get("snapshot") is None
            ):
                problems.append(rule(NO_SNAPSHOT_MESSAGE, ("metadata_migration", "from_snapshot")))
            source = data.get("source_cluster")
            source_version = source.get("version") if isinstance(source, Mapping) else None
            if not metadata.get("source_cluster_version") and not source_version:
                problems.append(rule(NO_SOURCE_VERSION_MESSAGE, ("metadata_migration",)))
        return problems

    @property
    def proxy(self) -> ClusterConfig | None:
        """The source's capture proxy as a cluster (source auth, proxy endpoint), if any."""
        return self.source_cluster.proxy_cluster() if self.source_cluster else None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MigrationConfig:
        """Read and validate a ``migration_services.yaml`` file.

        Raises:
            ConfigError: The file cannot be read, is not YAML, or is not a valid config
                (``source`` is the path).
        """
        from ._load import load_file

        return load_file(path)

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> MigrationConfig:
        """Validate YAML text; an empty document is an empty config.

        Args:
            text: The YAML document.
            source: Where it came from, for error messages.

        Raises:
            ConfigError: Invalid YAML or an invalid config.
        """
        from ._load import load_yaml

        return load_yaml(text, source=source)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, source: str | None = None
    ) -> MigrationConfig:
        """Validate an already parsed config (``None`` is an empty config).

        Raises:
            ConfigError: Every problem, with its key path.
        """
        from ._load import load_mapping

        return load_mapping(data, source=source)

    def to_dict(self, *, reveal_secrets: bool = False) -> dict[str, Any]:
        """The config as plain data with the keys the file gave; passwords are ``********``
        unless ``reveal_secrets``. ``from_dict(config.to_dict(reveal_secrets=True))`` equals
        the config."""
        return self.model_dump(
            mode="json", exclude_unset=True, context={"reveal_secrets": reveal_secrets}
        )

    def to_yaml(self, *, reveal_secrets: bool = False) -> str:
        """:meth:`to_dict` as a YAML document, in the file's key order."""
        return yaml.safe_dump(self.to_dict(reveal_secrets=reveal_secrets), sort_keys=False)
