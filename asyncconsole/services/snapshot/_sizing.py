"""Sizing the source's indices a snapshot would hold: document counts, primary sizes, shards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ..._concurrency import gather
from ..._decode import expect
from ..clusters import Cluster
from ._types import SnapshotIndex

__all__ = ["index_sizes"]

_STATS_FILTER = (
    "indices.*.primaries.docs.count,indices.*.primaries.docs.deleted,"
    "indices.*.primaries.store.size_in_bytes"
)


async def index_sizes(
    cluster: Cluster, patterns: Sequence[str] | None = None
) -> list[SnapshotIndex]:
    """Document count, primary size and shard count of the indices matching ``patterns``
    (every index without), sorted by name.

    Patterns are resolved first (data streams' backing indices included); ``_stats`` and
    ``_settings`` are then read concurrently.
    """
    prefix = ""
    if patterns:
        resolved = await cluster.call_api(
            "/_resolve/index/" + quote(",".join(patterns), safe=",*"),
            params={"expand_wildcards": "all"},
        )
        targets = resolved.parse(_resolved_names, "resolved indices")
        if not targets:
            return []
        prefix = "/" + quote(",".join(targets), safe=",")

    stats_response, settings_response = await gather(
        cluster.call_api(
            prefix + "/_stats",
            params={
                "level": "indices",
                "filter_path": _STATS_FILTER,
                "expand_wildcards": "all",
                "metric": "docs,store",
            },
        ),
        cluster.call_api(
            prefix + "/_settings",
            params={
                "filter_path": "*.settings.index.number_of_shards",
                "expand_wildcards": "all",
            },
        ),
    )
    shards = settings_response.parse(_shard_counts, "index settings")
    found = stats_response.parse(
        lambda stats: _index_stats(stats, shards), "index statistics (_stats)"
    )
    return sorted(found, key=lambda i: i.name)


def _shard_counts(settings: Any) -> dict[str, int]:
    """``number_of_shards`` by index from a ``_settings`` answer."""
    # filter_path drops everything when nothing matched: an empty answer is {}.
    shards = {}
    for name, entry in expect(settings, dict, "answer").items():
        index = (expect(entry, dict, "index entry").get("settings") or {}).get("index") or {}
        shards[name] = int(index.get("number_of_shards", 0))
    return shards


def _index_stats(stats: Any, shards: Mapping[str, int]) -> list[SnapshotIndex]:
    """The primaries' document count and size by index from a ``_stats`` answer."""
    found = []
    indices = expect(expect(stats, dict, "answer").get("indices") or {}, dict, "indices")
    for name, entry in indices.items():
        primaries = expect(expect(entry, dict, "index").get("primaries") or {}, dict, "primaries")
        found.append(
            SnapshotIndex(
                name=name,
                document_count=int((primaries.get("docs") or {}).get("count", 0)),
                size_bytes=int((primaries.get("store") or {}).get("size_in_bytes", 0)),
                shard_count=shards.get(name, 0),
            )
        )
    return found


def _resolved_names(payload: Any) -> list[str]:
    """The index names of a ``_resolve/index`` answer, data streams' backing indices included
    (each once, in order)."""
    names: list[str] = []
    payload = expect(payload, dict, "answer")
    for entry in expect(payload.get("indices") or [], list, "indices"):
        names.append(expect(expect(entry, dict, "index")["name"], str, "index name"))
    for stream in expect(payload.get("data_streams") or [], list, "data_streams"):
        for backing in expect(stream.get("backing_indices") or [], list, "backing_indices"):
            names.append(str(backing.get("name") if isinstance(backing, dict) else backing))
    return list(dict.fromkeys(names))
