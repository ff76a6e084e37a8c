"""The JSON documents of ``--json`` that are more than one result's ``to_dict()``, built once.

The CLI prints them and ``asyncconsole serve`` answers them from its API, so the two cannot
drift: a document is made here (or by a result type's ``to_dict()``) and nowhere else.
:func:`json_ready` turns any of them into plain JSON values the way ``--json`` prints them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..services.backfill import Backfill
    from ..services.clusters import ClearIndicesResult, IndexInfo
    from ..services.replay import Replay, ReplayStatusReport

__all__ = [
    "backfill_action",
    "backfill_stop",
    "backfill_stop_document",
    "cat_indices_document",
    "clear_indices_document",
    "error_document",
    "json_ready",
    "replay_action",
]

BACKFILL_MESSAGES = {
    "start": "Backfill started successfully.",
    "pause": "Backfill paused successfully.",
}
REPLAY_MESSAGES = {
    "start": "Replayer started successfully.",
    "stop": "Replayer stopped successfully.",
    "scale": "Replayer scaled successfully.",
}


def json_ready(data: Any) -> Any:
    """``data`` as plain JSON values, exactly as ``--json`` prints it (``to_dict()``,
    datetimes, enums and paths converted)."""
    from ._output import dumps

    return json.loads(dumps(data))


def error_document(
    kind: str,
    message: str,
    code: int,
    issues: Sequence[Mapping[str, str]] = (),
    hints: Sequence[str] = (),
) -> dict[str, Any]:
    """``{"error": {"type", "message", "exit_code", "issues", "hints"}}``: how a failed
    command ends under ``--json``."""
    return {
        "error": {
            "type": kind,
            "message": message,
            "exit_code": code,
            "issues": [dict(issue) for issue in issues],
            "hints": list(hints),
        }
    }


def cat_indices_document(
    results: Mapping[str, Sequence[IndexInfo] | BaseException],
) -> dict[str, Any]:
    """``clusters cat-indices --json``: ``{cluster attribute: [_cat/indices rows]}``, plus
    ``"errors": {cluster: message}`` for the clusters that failed."""
    from ._app import _one_line

    errors = {name: r for name, r in results.items() if isinstance(r, BaseException)}
    data: dict[str, Any] = {
        name: [row.to_dict() for row in rows]
        for name, rows in results.items()
        if not isinstance(rows, BaseException)
    }
    if errors:
        data["errors"] = {name: _one_line(error) for name, error in errors.items()}
    return data


def clear_indices_document(cluster: str, result: ClearIndicesResult) -> dict[str, Any]:
    """``clusters clear-indices --json``: ``{"cluster", "deleted", "method"}``."""
    return {"cluster": cluster, **result.to_dict()}


async def backfill_action(
    service: Backfill, action: str, units: int | None = None
) -> dict[str, Any]:
    """Start, pause or scale the backfill; ``backfill start|pause|scale --json``:
    ``{"action", "units", "message"}``.

    Raises:
        ValueError: An unknown action, or ``scale`` without ``units``.
    """
    if action == "start":
        await service.start()
        done = service.rfs.scale
    elif action == "pause":
        await service.pause()
        done = 0
    elif action == "scale":
        if units is None:
            raise ValueError("scale needs a number of units")
        await service.scale(units)
        done = units
    else:
        raise ValueError(f"unknown backfill action {action!r}")
    message = BACKFILL_MESSAGES.get(action, f"Backfill scaled to {done} successfully.")
    return {"action": action, "units": done, "message": message}


def backfill_stop_document(archived: Path | None) -> dict[str, Any]:
    """``backfill stop --json``: ``{"action": "stop", "units": 0, "archive", "message"}``."""
    return {
        "action": "stop",
        "units": 0,
        "archive": str(archived) if archived is not None else None,
        "message": "Backfill stopped successfully.",
    }


async def backfill_stop(
    service: Backfill,
    *,
    archive: bool = True,
    timeout: float = 600.0,  # noqa: ASYNC109 (the service's wait)
    path: str | None = None,
) -> dict[str, Any]:
    """Stop the backfill (and archive its working state); the ``backfill stop --json``
    document."""
    archived = await service.stop(archive=archive, timeout=timeout, path=path)
    return backfill_stop_document(archived)


async def replay_action(
    service: Replay, action: str, units: int | None = None
) -> tuple[dict[str, Any], ReplayStatusReport]:
    """Start, stop or scale the replayer; ``replay start|stop|scale --json``:
    ``{"action", "units", "message", "workers"}`` (the counts right after), and that status.

    Raises:
        ValueError: An unknown action, or ``scale`` without ``units``.
    """
    if action == "start":
        await service.start()
        done = service.config.scale
    elif action == "stop":
        await service.stop()
        done = 0
    elif action == "scale":
        if units is None:
            raise ValueError("scale needs a number of units")
        await service.scale(units)
        done = units
    else:
        raise ValueError(f"unknown replay action {action!r}")
    report = await service.status()
    document = {
        "action": action,
        "units": done,
        "message": REPLAY_MESSAGES[action],
        "workers": report.counts.to_dict(),
    }
    return document, report
