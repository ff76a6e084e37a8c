"""One index: settings, mapping, aliases, and documents with near-real-time visibility.

Writes land in a per-index pending list and become searchable at the next refresh: the
scheduled one (``index.refresh_interval`` after the oldest pending write, on the injected
clock; ``-1`` schedules none), an explicit ``_refresh``, or a write's ``refresh=true``. A
refresh applies only the pending writes, so its cost does not grow with the index. ``GET`` by
id is realtime: it reads pending writes first. Every write gets a sequence number and a
version; a deleted id remembers its version for ``index.gc_deletes`` (60 s) like OpenSearch.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from ..._clock import Clock
from ._errors import ApiError
from ._mapping import Mappings
from ._settings import flatten_settings, nest_settings, parse_time, setting_true

__all__ = [
    "PRIMARY_TERM",
    "Index",
    "StoredDoc",
    "field_values",
    "new_id",
    "validate_index_name",
]

PRIMARY_TERM = 1  # one node, never a failover: the primary term stays 1
_BAD_NAME_CHARS = set('\\/*?"<>| ,#:')
_SHARD_OVERHEAD = 208  # bytes an empty shard reports as its store size
_GC_DELETES = 60.0
_id_counter = itertools.count()
_id_prefix = secrets.token_urlsafe(9)[:10]


def new_id() -> str:
    """A 20-character document id like OpenSearch's auto-generated ones."""
    return f"{_id_prefix}{next(_id_counter):010x}"


class StoredDoc:
    """One version of a document: its source (the caller's dict, not copied), version, seq_no.

    Never changed once stored: a write stores a new record, so a scroll that holds records
    keeps seeing the documents as they were when it started (a point in time).
    """

    __slots__ = ("seq_no", "source", "version")

    def __init__(self, source: dict[str, Any], version: int, seq_no: int) -> None:
        self.source = source
        self.version = version
        self.seq_no = seq_no


def field_values(source: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at dotted ``path`` (arrays flattened); ``x.keyword`` falls back to ``x``."""
    if path in source:
        return _flat(source[path])
    values: list[Any] = [source]
    for part in path.split("."):
        found: list[Any] = []
        for node in values:
            if isinstance(node, Mapping) and part in node:
                found.extend(_flat(node[part]))
        values = found
        if not values:
            break
    if not values and path.endswith(".keyword"):
        return field_values(source, path[: -len(".keyword")])
    return values


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(_flat(item))
        return [v for v in out if v is not None]
    return [] if value is None else [value]


def validate_index_name(name: str) -> None:
    """Raise ``invalid_index_name_exception`` as OpenSearch does."""

    def bad(why: str) -> ApiError:
        return ApiError(
            400,
            "invalid_index_name_exception",
            f"Invalid index name [{name}], {why}",
            index=name,
            index_uuid="_na_",
        )

    if not name or name in {".", ".."}:
        raise bad("must not be '.' or '..'")
    if name != name.lower():
        raise bad("must be lowercase")
    if name[0] in "_-+":
        raise bad("must not start with '_', '-', or '+'")
    bad_chars = sorted(_BAD_NAME_CHARS & set(name))
    if bad_chars:
        raise bad(f"must not contain the following characters {bad_chars}")
    if len(name.encode()) > 255:
        raise bad("index name is too long")


def _normalise_settings(settings: Mapping[str, Any] | None) -> dict[str, str]:
    flat = flatten_settings(settings or {})
    return {k if k.startswith("index.") else f"index.{k}": v for k, v in flat.items()}


def _check_setting(key: str, value: str) -> None:
    if key in {"index.number_of_shards", "index.number_of_replicas"}:
        if not value.isdigit() or (key.endswith("shards") and int(value) < 1):
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"Failed to parse value [{value}] for setting [{key}]",
            )
    elif key in {"index.refresh_interval", "index.gc_deletes"}:
        parse_time(value, key)
    elif key == "index.hidden" and value not in {"true", "false"}:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Failed to parse value [{value}] as only [true] or [false] are allowed.",
        )


class Index:
    """One index: flat string settings like OpenSearch's, a mapping, aliases and documents.

    :attr:`docs` holds what searches see (the last refresh); :meth:`get` is realtime.
    """

    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        created_ms: int,
        settings: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
        near_real_time: bool = True,
    ) -> None:
        flat = _normalise_settings(settings)
        flat.setdefault("index.number_of_shards", "1")
        flat.setdefault("index.number_of_replicas", "1")
        for key, value in flat.items():
            _check_setting(key, value)
        self.name = name
        self.uuid = uuid.uuid4().hex[:22]
        self.created_ms = created_ms
        flat["index.uuid"] = self.uuid
        flat["index.provided_name"] = name
        flat["index.creation_date"] = str(created_ms)
        flat.setdefault("index.version.created", "136357827")
        self.settings = flat
        self.mapping = Mappings(mappings)
        self.aliases: dict[str, dict[str, Any]] = {}
        self.closed = False
        self.clock = clock
        self.near_real_time = near_real_time
        self.docs: dict[str, StoredDoc] = {}
        self.deleted = 0
        self.size_bytes = 0
        self.seq_no = -1
        # Bumped by every write: snapshots use it to tell unchanged (not incremental) indices.
        self.generation = 0
        self.refreshes = 0
        self._pending: dict[str, StoredDoc | None] = {}
        self._pending_since: float | None = None
        self._refreshed: asyncio.Event | None = None
        self._tombstones: dict[str, tuple[int, float]] = {}
        self._interval = self._parse_interval()
        self._gc_deletes = parse_time(self.settings.get("index.gc_deletes", "60s"))

    # ------------------------------------------------------------------ settings

    @property
    def mappings(self) -> dict[str, Any]:
        """The mapping definition (what ``GET _mapping`` shows)."""
        return self.mapping.root

    @property
    def shards(self) -> int:
        """Primary shard count."""
        return int(self.settings["index.number_of_shards"])

    @property
    def replicas(self) -> int:
        """Replica count (never assigned: the fake cluster has one node)."""
        return int(self.settings.get("index.number_of_replicas", "1"))

    @property
    def hidden(self) -> bool:
        """``index.hidden``: not matched by wildcards unless asked for."""
        return setting_true(self.settings.get("index.hidden"))

    @property
    def store_bytes(self) -> int:
        """Estimated primary store size."""
        return self.size_bytes + _SHARD_OVERHEAD * self.shards

    @property
    def health(self) -> str:
        """``yellow`` when replicas are wanted (one node cannot hold them), else ``green``."""
        return "yellow" if self.replicas > 0 else "green"

    @property
    def refresh_interval(self) -> float:
        """Seconds between scheduled refreshes; 0 or -1 when none are scheduled."""
        return self._interval

    def _parse_interval(self) -> float:
        return parse_time(self.settings.get("index.refresh_interval", "1s"))

    def update_settings(self, changes: Mapping[str, str]) -> None:
        """Apply dynamic setting changes (already flat, ``index.``-prefixed)."""
        for key, value in changes.items():
            _check_setting(key, value)
        self.tick()
        self.settings.update(changes)
        self._interval = self._parse_interval()
        self._gc_deletes = parse_time(self.settings.get("index.gc_deletes", "60s"))
        if self._pending and self._interval >= 0 and self._pending_since is not None:
            # A newly set interval schedules the next refresh from now, as OpenSearch does.
            self._pending_since = self.clock.monotonic()

    def type_of(self, path: str) -> str | None:
        """The mapped type of a dotted field path, if known."""
        return self.mapping.type_of(path)

    def describe(self) -> dict[str, Any]:
        """``GET /<index>`` entry."""
        return {
            "aliases": {name: dict(meta) for name, meta in sorted(self.aliases.items())},
            "mappings": self.mappings,
            "settings": nest_settings(self.settings),
        }

    # ------------------------------------------------------------------ refresh

    @property
    def pending(self) -> int:
        """Writes not yet visible to searches."""
        return len(self._pending)

    def tick(self) -> None:
        """Apply the scheduled refresh if it has fallen due on the clock."""
        since = self._pending_since
        if since is not None and 0 < self._interval <= self.clock.monotonic() - since:
            self.refresh()

    def refresh(self) -> None:
        """Make every pending write searchable (touches only those writes)."""
        if self._pending:
            docs = self.docs
            for doc_id, doc in self._pending.items():
                old = docs.pop(doc_id, None)
                if old is not None:
                    self.deleted += 1
                if doc is not None:
                    docs[doc_id] = doc
            self._pending = {}
        self._pending_since = None
        self.refreshes += 1
        event, self._refreshed = self._refreshed, None
        if event is not None:
            event.set()

    def due_in(self) -> float | None:
        """Seconds until the scheduled refresh (None: nothing pending or none scheduled)."""
        if self._pending_since is None or self._interval <= 0:
            return None
        return max(0.0, self._pending_since + self._interval - self.clock.monotonic())

    async def wait_for_refresh(self) -> None:
        """``refresh=wait_for``: return once the writes made so far are searchable."""
        while self._pending:
            delay = self.due_in()
            if delay is not None:
                await self.clock.sleep(delay)
                self.tick()
                continue
            if self._refreshed is None:
                self._refreshed = asyncio.Event()
            await self._refreshed.wait()

    # ------------------------------------------------------------------ documents

    def get(self, doc_id: str, *, realtime: bool = True) -> StoredDoc | None:
        """The current document (realtime) or the one searches see (``realtime=False``)."""
        if realtime and doc_id in self._pending:
            return self._pending[doc_id]
        return self.docs.get(doc_id)

    def _record(self, doc_id: str, doc: StoredDoc | None) -> None:
        if not self.near_real_time:
            old = self.docs.pop(doc_id, None)
            if old is not None:
                self.deleted += 1
            if doc is not None:
                self.docs[doc_id] = doc
            return
        self.tick()
        if not self._pending:
            self._pending_since = self.clock.monotonic()
        self._pending.pop(doc_id, None)  # keep pending in write order
        self._pending[doc_id] = doc

    def next_version(self, doc_id: str, current: StoredDoc | None) -> int:
        """The internal version a write of ``doc_id`` gets."""
        if current is not None:
            return current.version + 1
        tomb = self._tombstones.get(doc_id)
        if tomb is not None and self.clock.monotonic() - tomb[1] < self._gc_deletes:
            return tomb[0] + 1
        return 1

    def put(
        self,
        doc_id: str,
        source: dict[str, Any],
        *,
        size: int | None = None,
        infer: bool = True,
        version: int | None = None,
    ) -> tuple[StoredDoc, bool]:
        """Store a document (mapping checked unless ``infer`` is False); returns it and
        whether it was created (not replaced). ``version`` sets an external version."""
        if infer:
            self.mapping.parse(doc_id, source)
        current = self.get(doc_id)
        self.seq_no += 1
        self.generation += 1
        stored = StoredDoc(
            source, self.next_version(doc_id, current) if version is None else version, self.seq_no
        )
        self._tombstones.pop(doc_id, None)
        self._record(doc_id, stored)
        self.size_bytes += size if size is not None else len(json.dumps(source))
        return stored, current is None

    def delete(self, doc_id: str, *, version: int | None = None) -> StoredDoc | None:
        """Delete a document; returns the tombstone record (None when it did not exist)."""
        current = self.get(doc_id)
        self.seq_no += 1
        if current is None:
            return None
        self.generation += 1
        tomb = StoredDoc(current.source, current.version + 1 if version is None else version,
                         self.seq_no)  # fmt: skip
        if len(self._tombstones) > 50_000:
            self._purge_tombstones()
        self._tombstones[doc_id] = (tomb.version, self.clock.monotonic())
        self._record(doc_id, None)
        return tomb

    def _purge_tombstones(self) -> None:
        horizon = self.clock.monotonic() - self._gc_deletes
        self._tombstones = {k: v for k, v in self._tombstones.items() if v[1] >= horizon}

    def live_count(self) -> int:
        """Documents a realtime read would find (searchable ones plus pending writes)."""
        count = len(self.docs)
        for doc_id, doc in self._pending.items():
            if doc_id in self.docs:
                count -= doc is None
            else:
                count += doc is not None
        return count

    def check_open(self) -> None:
        """400 ``index_closed_exception`` when the index is closed."""
        if self.closed:
            raise index_closed(self)


def index_closed(index: Index) -> ApiError:
    """OpenSearch's answer to reads and writes on a closed index."""
    return ApiError(
        400, "index_closed_exception", "closed", index_uuid=index.uuid, index=index.name
    )
