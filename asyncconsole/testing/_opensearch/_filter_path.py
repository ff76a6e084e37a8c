"""The ``filter_path`` response filter: dotted patterns with ``*`` globs and ``**`` for any depth."""

from __future__ import annotations

import fnmatch
from typing import Any

__all__ = ["apply_filter_path"]

_MISSING = object()


def _walk(node: Any, patterns: list[list[str]]) -> Any:
    if isinstance(node, list):
        kept = [r for r in (_walk(item, patterns) for item in node) if r is not _MISSING]
        return kept if kept else _MISSING
    if not isinstance(node, dict):
        return _MISSING
    out: dict[str, Any] = {}
    for key, value in node.items():
        whole = False
        deeper: list[list[str]] = []
        for pattern in patterns:
            head = pattern[0]
            if head == "**":
                if len(pattern) == 1:
                    whole = True
                    continue
                deeper.append(pattern)
                if fnmatch.fnmatchcase(key, pattern[1]):
                    if len(pattern) == 2:
                        whole = True
                    else:
                        deeper.append(pattern[2:])
            elif fnmatch.fnmatchcase(key, head):
                if len(pattern) == 1:
                    whole = True
                else:
                    deeper.append(pattern[1:])
        if whole:
            out[key] = value
        elif deeper:
            result = _walk(value, deeper)
            if result is not _MISSING:
                out[key] = result
    return out if out else _MISSING


def apply_filter_path(body: Any, filter_path: str) -> Any:
    """Keep only the parts of ``body`` that ``filter_path`` (comma-separated patterns) names."""
    patterns = [p.split(".") for p in filter_path.split(",") if p and not p.startswith("-")]
    if not patterns:
        return body
    result = _walk(body, patterns)
    return {} if result is _MISSING else result
