"""Results of the metrics service: metric names per component, and one metric's data."""

from __future__ import annotations

import pprint
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..._display import DisplayMixin, Table, fields, table, to_html, to_rich
from ...infra.metrics import MetricSeries, Statistic

__all__ = ["MetricData", "MetricNames", "MetricSeriesList"]


class MetricNames(DisplayMixin, dict[str, list[str]]):
    """``{component: [metric names]}``: a plain dict (sorted keys, sorted unique names).

    console_link's Prometheus source returned sets here, which broke ``--json``; these are
    lists, so ``json.dumps(names)`` works.
    """

    def __init__(self, names: Mapping[str, Iterable[str]] | None = None) -> None:
        super().__init__(
            (component, sorted(set(found))) for component, found in sorted((names or {}).items())
        )

    @property
    def total(self) -> int:
        """How many metric names there are over all components."""
        return sum(len(found) for found in self.values())

    def to_dict(self) -> dict[str, list[str]]:
        """JSON shape: ``{"captureProxy": ["name", ...], "replayer": [...]}``."""
        return {component: list(found) for component, found in self.items()}

    def render(self) -> str:
        """console_link's ``metrics list`` text (the dict pretty-printed)."""
        return pprint.pformat(self.to_dict())

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> Table:
        rows = [(component, name) for component, found in self.items() for name in found]
        return table(["Component", "Metric"], rows, title="Metrics")


class MetricSeriesList(list[MetricSeries]):
    """The series of one metric query: a plain list of
    :class:`~asyncconsole.infra.metrics.MetricSeries` that draws as one table (a row per
    time, a column per series) in Jupyter and rich terminals, and has the notebook helpers
    as methods (``to_dataframe()``, ``plot()``; the ``notebook`` extra)."""

    __slots__ = ()

    def _display_tables(self) -> Table:
        from ...infra.metrics._frames import _series_table

        if not self:
            return table(["(no series)"], [])
        stats = sorted({s.statistic.value for s in self})
        return _series_table(self, title=f"{', '.join(stats)} per period")

    def __rich__(self) -> Any:
        return to_rich(self._display_tables())

    def _repr_html_(self) -> str:
        return to_html(self._display_tables())

    def to_dataframe(self) -> Any:
        """See :func:`asyncconsole.notebook.to_dataframe`."""
        from ...infra.metrics._frames import to_dataframe

        return to_dataframe(self)

    def plot(self, **kwargs: Any) -> Any:
        """See :func:`asyncconsole.notebook.plot`."""
        from ...infra.metrics._frames import plot

        return plot(self, **kwargs)


@dataclass(frozen=True, slots=True)
class MetricData(DisplayMixin):
    """One metric of one component over a lookback window, with what was asked.

    Unlike console_link (only the first Prometheus series, statistic ignored, naive local
    times) it holds every matching series, summarised by ``statistic``, with UTC times.
    """

    component: str
    """``captureProxy`` or ``replayer``."""
    metric: str
    """The metric name."""
    statistic: Statistic
    """How each period was summarised."""
    lookback_minutes: float
    """The window: this many minutes before ``end``."""
    period: int
    """Bucket length in seconds."""
    start: datetime
    """Window start (UTC)."""
    end: datetime
    """Window end (UTC)."""
    source_type: str
    """The collector's class name (``PrometheusMetricsCollector``...)."""
    series: tuple[MetricSeries, ...] = ()
    """Every matching series (one per label/dimension set), points ascending."""

    def points(self) -> list[list[list[Any]]]:
        """Per series, ``[[iso_timestamp, value], ...]`` (console_link's JSON list per series)."""
        return [[[ts.isoformat(), value] for ts, value in s.points] for s in self.series]

    def to_dict(self) -> dict[str, Any]:
        """JSON shape::

            {"component": "replayer", "metric": "kafkaCommitCount", "statistic": "Average",
             "lookback_minutes": 60, "period": 60,
             "start": "2024-05-22T19:10:00+00:00", "end": "2024-05-22T20:10:00+00:00",
             "source_type": "PrometheusMetricsCollector",
             "series": [{"labels": {...}, "points": [["2024-05-22T20:06:00+00:00", 0.0], ...]}]}

        Timestamps are ISO 8601 in UTC; each series' ``points`` is console_link's
        ``[[timestamp, value], ...]`` list.
        """
        return {
            "component": self.component,
            "metric": self.metric,
            "statistic": self.statistic.value,
            "lookback_minutes": self.lookback_minutes,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "source_type": self.source_type,
            "series": [
                {"labels": dict(s.labels), "points": points}
                for s, points in zip(self.series, self.points(), strict=True)
            ],
        }

    def render(self) -> str:
        """console_link's ``metrics get-data`` text: the query, then the ``(timestamp, value)``
        list pretty-printed; with several series, each under a ``Series {labels}:`` line."""
        lookback = f"{self.lookback_minutes:g}"
        lines = [
            f"Component: {self.component}",
            f"Metric Name: {self.metric}",
            f"Statistic: {self.statistic.value}",
            f"Lookback: {lookback} minutes",
            f"Metrics Source Type: {self.source_type}",
        ]
        tuples = [[(ts.isoformat(), value) for ts, value in s.points] for s in self.series]
        if len(self.series) <= 1:
            lines.append(pprint.pformat(tuples[0] if tuples else []))
        else:
            for s, found in zip(self.series, tuples, strict=True):
                lines.append(f"Series {dict(s.labels)}:")
                lines.append(pprint.pformat(found))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> list[Table]:
        from ...infra.metrics._frames import _series_table

        query = fields(
            [
                ("Component", self.component),
                ("Metric", self.metric),
                ("Statistic", self.statistic),
                ("Lookback", f"{self.lookback_minutes:g} minutes"),
                ("Period", f"{self.period} s"),
                ("Start", self.start),
                ("End", self.end),
                ("Source", self.source_type),
                ("Series", len(self.series)),
            ],
            title=f"{self.statistic.value}({self.component}/{self.metric})",
        )
        return [query, _series_table(self.series)]
