"""Results of cluster operations: plain frozen data with JSON shapes and console_link's text."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..._display import DisplayMixin, Table, badge, fields, table
from ..._redact import mask_urls_in
from ..._secret import Secret, reveal

__all__ = [
    "BenchmarkCommand",
    "BenchmarkResult",
    "ClearIndicesResult",
    "ClusterVersion",
    "CollectionType",
    "ConnectionStatus",
    "GenerateDataProgress",
    "GenerateDataResult",
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
class ConnectionStatus(DisplayMixin):
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

    def _display_tables(self) -> Table:
        return fields(
            [
                ("Connected", badge(self.connected)),
                ("Message", self.message),
                ("Version", self.version),
                ("Distribution", self.distribution),
                ("Serverless", self.serverless),
                ("Collection type", self.collection_type),
                ("Warning", self.warning),
            ]
        )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class IndexInfo(DisplayMixin):
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

    def _display_tables(self) -> Table:
        # _cat/indices' own headings; a list of these draws as one table
        headings = ["health", "status", "index", "uuid", "pri", "rep", "docs.count"]
        headings += ["docs.deleted", "store.size", "pri.store.size"]
        row = (
            badge(self.health) if self.health else None,
            self.status,
            self.index,
            self.uuid,
            self.primaries,
            self.replicas,
            self.docs_count,
            self.docs_deleted,
            self.store_size,
            self.primary_store_size,
        )
        return table(headings, [row])


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


@dataclass(frozen=True, slots=True)
class GenerateDataProgress:
    """How far :meth:`Cluster.generate_data` is, after one more batch.

    Attributes:
        index: The index written to.
        requested: Documents asked for.
        processed: Documents in the batches answered so far (inserted or refused).
        inserted: Documents the cluster accepted so far.
        elapsed: Seconds since the first batch was sent.
    """

    index: str
    requested: int
    processed: int
    inserted: int
    elapsed: float

    @property
    def percent(self) -> float:
        """Processed share of the requested documents, 0..100."""
        return 100.0 * self.processed / self.requested if self.requested else 100.0

    @property
    def rate(self) -> float:
        """Inserted documents per second so far (0 before any time has passed)."""
        return self.inserted / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True, slots=True)
class GenerateDataResult:
    """What :meth:`Cluster.generate_data` inserted.

    Attributes:
        index: The index written to.
        requested: Documents asked for.
        inserted: Documents the cluster accepted.
        batches: ``_bulk`` requests sent.
        doc_size_bytes: Approximate size of each document's JSON source.
        duration: Seconds taken.
        errors: The first few reasons documents or batches were refused.
    """

    index: str
    requested: int
    inserted: int
    batches: int
    doc_size_bytes: int
    duration: float
    errors: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        """Documents not inserted."""
        return self.requested - self.inserted

    @property
    def ok(self) -> bool:
        """Whether every requested document was inserted."""
        return self.inserted >= self.requested

    def render(self) -> str:
        """One summary line, plus the first errors when documents are missing."""
        rate = self.inserted / self.duration if self.duration > 0 else 0.0
        lines = [
            f"Inserted {self.inserted} of {self.requested} documents into {self.index} "
            f"in {self.batches} bulk requests ({self.duration:.1f}s, {rate:.0f} docs/s)"
        ]
        if not self.ok:
            lines.append(f"{self.failed} documents were not inserted")
            lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """``{"index", "requested", "inserted", "failed", "batches", "doc_size_bytes",
        "duration", "errors"}``."""
        return {
            "index": self.index,
            "requested": self.requested,
            "inserted": self.inserted,
            "failed": self.failed,
            "batches": self.batches,
            "doc_size_bytes": self.doc_size_bytes,
            "duration": self.duration,
            "errors": list(self.errors),
        }


@dataclass(frozen=True, slots=True)
class BenchmarkCommand:
    """One ``opensearch-benchmark run`` command line (console_link's exact arguments).

    ``argv`` is what runs: the ``--client-options=...`` item is a :class:`~asyncconsole.Secret`
    when it carries the basic-auth password, and so is ``--target-host=...`` when the endpoint
    URL carries one. ``shown`` is the same with the passwords as ``********`` (console_link's
    log line).
    """

    workload: str
    argv: tuple[str | Secret, ...]
    password: Secret | None = None

    @property
    def shown(self) -> tuple[str, ...]:
        """The arguments with only the passwords masked (``basic_auth_password:********``,
        ``https://user:********@host``)."""
        password = self.password
        masked = []
        for item in self.argv:
            text = reveal(item) or ""
            if isinstance(item, Secret):
                text = mask_urls_in(text)
                if password is not None:
                    text = text.replace(
                        f"basic_auth_password:{password.get()}", "basic_auth_password:********"
                    )
            masked.append(text)
        return tuple(masked)

    def reveal(self) -> list[str]:
        """The plain arguments (password included): only for the process that runs them."""
        return [reveal(item) or "" for item in self.argv]

    def __str__(self) -> str:
        return " ".join(self.shown)


@dataclass(frozen=True, slots=True)
class BenchmarkResult:
    """One finished workload of :meth:`Cluster.run_test_benchmarks`."""

    workload: str
    argv: tuple[str, ...]
    """The command as run, password masked."""
    exit_code: int
    duration: float

    def to_dict(self) -> dict[str, Any]:
        """``{"workload", "argv", "exit_code", "duration"}``."""
        return {
            "workload": self.workload,
            "argv": list(self.argv),
            "exit_code": self.exit_code,
            "duration": self.duration,
        }
