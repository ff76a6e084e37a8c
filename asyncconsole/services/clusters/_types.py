"""Results of cluster operations: plain frozen data with JSON shapes and console_link's text."""

from __future__ import annotations

import enum
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ClearIndicesResult",
    "ClusterVersion",
    "CollectionType",
    "ConnectionStatus",
    "IndexInfo",
]


class CollectionType(enum.Enum):
    """Amazon OpenSearch Serverless collection type, as the KNN probe classifies it."""

    SEARCH = "SEARCH"
    TIMESERIES = "TIMESERIES"
    VECTOR = "VECTOR"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class ClusterVersion:
    """What ``GET /`` says the cluster is: distribution and version number."""

    number: str
    """``version.number``, e.g. ``2.15.0``."""
    distribution: str = "elasticsearch"
    """``version.distribution`` (``opensearch``), else ``elasticsearch``."""

    @property
    def major(self) -> int:
        """The major version (0 when the number does not start with one)."""
        head = self.number.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    @property
    def flavor(self) -> str:
        """``OpenSearch`` or ``Elasticsearch``."""
        return "OpenSearch" if self.distribution.lower() == "opensearch" else "Elasticsearch"

    def __str__(self) -> str:
        return f"{self.flavor} {self.number}"


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """The outcome of :meth:`Cluster.connection_check` (a failed connection is a result too).

    ``message`` is console_link's: ``Successfully connected!``, ``Successfully connected to
    serverless collection!`` or ``Unable to connect to cluster with error: <error>``.
    """

    connected: bool
    """Whether the cluster answered."""
    message: str
    """console_link's connection message."""
    version: str | None = None
    """``version.number`` from ``GET /`` (None for Serverless and on failure)."""
    distribution: str | None = None
    """``opensearch`` / ``elasticsearch`` (``opensearch-serverless`` for a collection)."""
    serverless: bool = False
    """Whether this is an Amazon OpenSearch Serverless collection."""
    collection_type: CollectionType | None = None
    """The Serverless collection type (None when not Serverless)."""
    warning: str | None = None
    """Set when connected but the collection type could not be determined."""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: every field, ``collection_type`` as its name or null."""
        return {
            "connected": self.connected,
            "message": self.message,
            "version": self.version,
            "distribution": self.distribution,
            "serverless": self.serverless,
            "collection_type": self.collection_type.value if self.collection_type else None,
            "warning": self.warning,
        }

    def __str__(self) -> str:
        lines = [self.message]
        if self.version:
            lines.append(f"Cluster version: {self.version}")
        if self.collection_type is not None:
            lines.append(f"Collection type: {self.collection_type.value}")
        if self.warning:
            lines.append(self.warning)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "green" if self.connected else "red"
        body = "<br>".join(html.escape(line) for line in str(self).splitlines())
        return f'<div style="color:{colour}">{body}</div>'


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """One row of ``_cat/indices?format=json``; :attr:`raw` keeps the row as the cluster sent it."""

    index: str
    """Index name."""
    health: str | None = None
    """``green`` / ``yellow`` / ``red``."""
    status: str | None = None
    """``open`` / ``close``."""
    uuid: str | None = None
    """Index UUID."""
    primaries: int | None = None
    """Number of primary shards (``pri``)."""
    replicas: int | None = None
    """Number of replicas (``rep``)."""
    docs_count: int | None = None
    """``docs.count``."""
    docs_deleted: int | None = None
    """``docs.deleted``."""
    store_size: str | None = None
    """``store.size`` as the cluster formats it (``1.2kb``)."""
    primary_store_size: str | None = None
    """``pri.store.size``."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """The row as received."""

    @classmethod
    def from_cat(cls, row: Mapping[str, Any]) -> IndexInfo:
        """Build from one ``_cat/indices?format=json`` row."""
        return cls(
            index=str(row.get("index", "")),
            health=row.get("health"),
            status=row.get("status"),
            uuid=row.get("uuid"),
            primaries=_int(row.get("pri")),
            replicas=_int(row.get("rep")),
            docs_count=_int(row.get("docs.count")),
            docs_deleted=_int(row.get("docs.deleted")),
            store_size=row.get("store.size"),
            primary_store_size=row.get("pri.store.size"),
            raw=dict(row),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: the ``_cat/indices`` row as the cluster sent it (console_link's ``--json``)."""
        return dict(self.raw) if self.raw else {"index": self.index}


@dataclass(frozen=True, slots=True)
class ClearIndicesResult:
    """What :meth:`Cluster.clear_indices` deleted, and how."""

    deleted: tuple[str, ...]
    """The indices deleted (those present when the operation started)."""
    method: str
    """``wildcard`` (one wildcard DELETE), ``by_name`` (the cluster refused wildcards, or
    Serverless) or ``none`` (nothing to delete on Serverless)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``{"deleted": [...], "method": ...}``."""
        return {"deleted": list(self.deleted), "method": self.method}

    def __str__(self) -> str:
        if not self.deleted:
            return "No user indices to delete."
        return f"Deleted {len(self.deleted)} indices: {', '.join(self.deleted)}"
