"""Source and target indices side by side: one row per index, paged, filtered and sorted on
the server so that a page shows 10,000 indices by reading 100 rows at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SORTS", "Comparison", "ComparisonRow"]

SORTS = ("index", "difference")


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One index on either side: its document counts (None where it does not exist)."""

    index: str
    source: int | None
    target: int | None

    @property
    def difference(self) -> int | None:
        """Documents the target lacks (negative: it has more); None when one count is unknown."""
        if self.source is None and self.target is None:
            return None
        return (self.source or 0) - (self.target or 0)

    @property
    def differs(self) -> bool:
        """Whether the two sides disagree (counts, or the index is on one side only)."""
        return self.source != self.target

    def to_dict(self) -> dict[str, Any]:
        """``{"index", "source", "target", "difference", "differs"}``."""
        return {
            "index": self.index,
            "source": self.source,
            "target": self.target,
            "difference": self.difference,
            "differs": self.differs,
        }


class Comparison:
    """The rows of one clusters round, sorted by index name.

    Args:
        source: ``_cat/indices`` rows of the source (dicts with ``index`` and ``docs.count``),
            or None when the source is not configured or failed.
        target: The same for the target.
        hidden: Also list indices whose name starts with a dot (system indices).
    """

    def __init__(
        self,
        source: Sequence[Mapping[str, Any]] | None,
        target: Sequence[Mapping[str, Any]] | None,
        *,
        hidden: bool = False,
    ) -> None:
        counts: dict[str, list[int | None]] = {}
        for side, rows in enumerate((source, target)):
            for row in rows or ():
                name = str(row.get("index", ""))
                if not name or (name.startswith(".") and not hidden):
                    continue
                counts.setdefault(name, [None, None])[side] = _count(row.get("docs.count"))
        self.rows = [ComparisonRow(name, *counts[name]) for name in sorted(counts)]
        self.sides = {"source": source is not None, "target": target is not None}

    def summary(self) -> dict[str, Any]:
        """Totals for the page header: indices and documents per side, rows that differ."""
        return {
            "indices": len(self.rows),
            "source_indices": sum(r.source is not None for r in self.rows),
            "target_indices": sum(r.target is not None for r in self.rows),
            "source_documents": sum(r.source or 0 for r in self.rows),
            "target_documents": sum(r.target or 0 for r in self.rows),
            "differences": sum(r.differs for r in self.rows),
        }

    def page(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        query: str = "",
        only_differences: bool = False,
        sort: str = "index",
    ) -> dict[str, Any]:
        """One page of rows: ``{"total", "offset", "limit", "rows": [...]}`` where ``total``
        counts the rows matching ``query`` (a substring of the name) and the filter."""
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        rows = self.rows
        if query:
            needle = query.lower()
            rows = [r for r in rows if needle in r.index.lower()]
        if only_differences:
            rows = [r for r in rows if r.differs]
        if sort == "difference":
            rows = sorted(rows, key=lambda r: (-abs(r.difference or 0), r.index))
        return {
            "total": len(rows),
            "offset": offset,
            "limit": limit,
            "rows": [r.to_dict() for r in rows[offset : offset + limit]],
        }


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
