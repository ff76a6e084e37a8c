"""A report: the outcome of each component, as a mapping, a table, HTML or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ._outcome import Outcome

__all__ = ["Report"]


class Report(Mapping[str, Outcome]):
    """Name → :class:`Outcome` of several operations or components, ready to show.

    ``report["target_cluster"].status``; ``report.ok``; ``report.to_dict()`` is the JSON that
    ``asyncconsole check --json`` prints::

        {"components": {"name": {"status": "ok", "detail": "...", "duration": 0.012}}}

    It renders as a rich table (``rich.print(report)``) and as HTML in notebooks.
    """

    __slots__ = ("_outcomes", "title")

    def __init__(
        self,
        outcomes: Mapping[str, Outcome] | Iterable[Outcome] = (),
        *,
        title: str | None = None,
    ) -> None:
        if isinstance(outcomes, Mapping):
            self._outcomes: dict[str, Outcome] = dict(outcomes.items())
        else:
            self._outcomes = {o.name: o for o in outcomes}
        self.title = title

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Mapping[str, Outcome] | Iterable[Outcome],
        *,
        details: Mapping[str, str] | Callable[[Outcome], str | None] | None = None,
        title: str | None = None,
    ) -> Report:
        """Build a report, replacing each outcome's one-line ``detail`` where ``details`` says.

        Args:
            outcomes: Outcomes by name (e.g. ``orchestrator.outcomes``), or an iterable of them.
            details: New details by name, or a function of the outcome returning the detail
                (``None`` keeps the outcome's own, which for failures is the error's one-liner).
            title: Shown above the table.
        """
        report = cls(outcomes, title=title)
        if details is None:
            return report
        for name, outcome in report._outcomes.items():
            detail = details(outcome) if callable(details) else details.get(name)
            if detail is not None:
                report._outcomes[name] = outcome.with_detail(detail)
        return report

    def __getitem__(self, name: str) -> Outcome:
        return self._outcomes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outcomes)

    def __len__(self) -> int:
        return len(self._outcomes)

    @property
    def outcomes(self) -> Mapping[str, Outcome]:
        """The outcomes by name (the report itself is also this mapping)."""
        return self._outcomes

    @property
    def ok(self) -> bool:
        """Whether every outcome is ``ok`` (an empty report is ok)."""
        return all(o.ok for o in self._outcomes.values())

    @property
    def failed(self) -> list[str]:
        """Names whose outcome is not ``ok``, in report order."""
        return [name for name, o in self._outcomes.items() if not o.ok]

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this report: 0 when ok, 1 otherwise."""
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        """``{"components": {name: {"status", "detail", "duration"}}}`` (JSON-ready)."""
        return {
            "components": {
                name: {
                    "status": o.status.value,
                    "detail": o.detail,
                    "duration": round(o.duration, 6),
                }
                for name, o in self._outcomes.items()
            }
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text; ``kwargs`` go to ``json.dumps`` (``indent=2``...)."""
        return json.dumps(self.to_dict(), **kwargs)

    def __rich__(self) -> Any:
        from ._render import outcomes_table

        return outcomes_table(self._outcomes.values(), title=self.title)

    def _repr_html_(self) -> str:
        from ._render import outcomes_html

        return outcomes_html(self._outcomes.values(), title=self.title)

    def __repr__(self) -> str:
        summary = ", ".join(f"{n}={o.status.value}" for n, o in self._outcomes.items())
        return f"Report({summary})"
