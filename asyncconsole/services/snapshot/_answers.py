"""Reading the answers behind a snapshot's calls: snapshot lists, acknowledgements, missing
repositories, and the pieces of the deep status."""

from __future__ import annotations

from typing import Any

from ..._decode import expect
from ...infra.http import HttpResponse

__all__ = [
    "acknowledged",
    "primary_document_counts",
    "repository_missing",
    "snapshots",
    "with_status_detail",
]


def snapshots(response: HttpResponse) -> list[dict[str, Any]]:
    """The ``snapshots`` of a ``GET /_snapshot/...`` (or ``.../_status``) answer."""
    return response.parse(_snapshot_entries, "snapshot list")


def _snapshot_entries(payload: Any) -> list[dict[str, Any]]:
    found = expect(expect(payload, dict, "answer")["snapshots"], list, "snapshots")
    return [expect(entry, dict, "snapshot") for entry in found]


def acknowledged(response: HttpResponse, what: str) -> None:
    """A 2xx answer to a change must still be the JSON object OpenSearch sends (not a proxy's
    HTML page): else the change may not have happened."""
    response.parse(lambda payload: expect(payload, dict, "answer"), what)


def repository_missing(response: HttpResponse) -> bool:
    """Whether an error answer says the repository does not exist."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("type") == "repository_missing_exception"


def with_status_detail(info: dict[str, Any], detailed: list[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot's basic info (``GET``) overlaid with its ``_status`` entry, when there is
    one."""
    if not detailed:
        return info
    merged = dict(detailed[0])
    # _status carries no timestamps outside stats on older versions; keep the basic ones.
    for key in ("start_time_in_millis", "end_time_in_millis", "duration_in_millis"):
        if key in info and key not in merged:
            merged[key] = info[key]
    if "state" not in merged:
        merged["state"] = info.get("state")
    return merged


def primary_document_counts(body: Any) -> dict[str, int]:
    """``indices.*.primaries.docs.count`` of a ``_stats`` answer; entries without one are
    skipped."""
    found = body.get("indices") if isinstance(body, dict) else None
    counts: dict[str, int] = {}
    for index, entry in found.items() if isinstance(found, dict) else ():
        count: Any = entry
        for key in ("primaries", "docs", "count"):
            count = count.get(key) if isinstance(count, dict) else None
        if isinstance(count, int) and not isinstance(count, bool):
            counts[index] = count
    return counts
