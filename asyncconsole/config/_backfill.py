"""``backfill`` (reindex-from-snapshot) and ``replay``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from pydantic_core import InitErrorDetails

from .._errors import ConfigError
from ._base import ConfigModel, rule
from ._deployment import DeployedConfig

__all__ = ["BackfillConfig", "ReindexFromSnapshotConfig", "ReplayConfig"]

WORKING_STATE_INDEX = ".migrations_working_state"


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
