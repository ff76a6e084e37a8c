"""Notebook helpers for metric series: a pandas DataFrame, a one-call plot, an HTML table.

pandas and matplotlib are imported only when these functions run (``pip install
asyncconsole[notebook]`` brings both)::

    from asyncconsole.notebook import plot, to_dataframe

    series = await env.metrics.get_data("replayer", "kafkaCommitCount")
    frame = to_dataframe(series)        # index: UTC timestamps; one column per series
    plot(series)                        # a matplotlib Axes, drawn inline in Jupyter

A single :class:`~asyncconsole.infra.metrics.MetricSeries` has the same as methods
(``series.to_dataframe()``, ``series.plot()``) and draws itself as a table in Jupyter and in
rich terminals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._display import Table, html_table, table

if TYPE_CHECKING:
    from .infra.metrics import MetricSeries

__all__ = ["column_name", "plot", "series_html", "to_dataframe"]


def _as_list(series: MetricSeries | Iterable[MetricSeries]) -> list[MetricSeries]:
    from .infra.metrics import MetricSeries

    if isinstance(series, MetricSeries):
        return [series]
    found = list(series)
    for item in found:
        if not isinstance(item, MetricSeries):
            raise TypeError(f"expected MetricSeries, got {type(item).__name__}")
    return found


def column_name(series: MetricSeries) -> str:
    """``component/name``, plus ``{label=value,...}`` when the series has labels."""
    base = f"{series.component}/{series.name}"
    if not series.labels:
        return base
    labels = ",".join(f"{k}={v}" for k, v in sorted(series.labels.items()))
    return f"{base}{{{labels}}}"


def _columns(found: list[MetricSeries]) -> dict[str, dict[datetime, float]]:
    columns: dict[str, dict[datetime, float]] = {}
    for one in found:
        name = column_name(one)
        suffix = 2
        while name in columns:  # the same series twice (two queries): keep both
            name = f"{column_name(one)} #{suffix}"
            suffix += 1
        columns[name] = dict(one.points)
    return columns


def to_dataframe(series: MetricSeries | Iterable[MetricSeries]) -> Any:
    """The points as a ``pandas.DataFrame``: a UTC ``DatetimeIndex`` named ``timestamp`` and one
    float column per series (see :func:`column_name`); missing buckets are NaN.

    Raises:
        ImportError: pandas is not installed.
        TypeError: Something other than ``MetricSeries`` was given.
    """
    found = _as_list(series)
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "to_dataframe needs pandas: pip install 'asyncconsole[notebook]'"
        ) from exc
    columns = _columns(found)
    times = sorted({moment for values in columns.values() for moment in values})
    index = pd.DatetimeIndex(times, name="timestamp")
    if index.tz is None:
        index = index.tz_localize("UTC")
    data = {
        name: [values.get(moment, float("nan")) for moment in times]
        for name, values in columns.items()
    }
    return pd.DataFrame(data, index=index, dtype="float64")


def plot(
    series: MetricSeries | Iterable[MetricSeries],
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Plot every series against time in one call; returns the matplotlib ``Axes``.

    Args:
        series: One series or several (one line each).
        ax: Draw into these axes (default: a new figure).
        title: Axes title (default: the metric names and statistic).

    Raises:
        ImportError: pandas or matplotlib is not installed.
    """
    found = _as_list(series)
    frame = to_dataframe(found)
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError("plot needs matplotlib: pip install 'asyncconsole[notebook]'") from exc
    if title is None:
        names = sorted({f"{one.component}/{one.name}" for one in found})
        stats = sorted({one.statistic.value for one in found})
        title = f"{', '.join(names) or 'no series'} ({', '.join(stats) or '-'})"
    axes = frame.plot(ax=ax, title=title, marker=".")
    axes.set_xlabel("time (UTC)")
    return axes


def _series_table(
    series: MetricSeries | Iterable[MetricSeries], *, title: str | None = None
) -> Table:
    """One row per timestamp, one column per series (see :func:`column_name`); gaps are empty."""
    columns = _columns(_as_list(series))
    times = sorted({moment for values in columns.values() for moment in values})
    rows = (
        (moment.isoformat(), *(values.get(moment) for values in columns.values()))
        for moment in times
    )
    return table(["timestamp (UTC)", *columns], rows, title=title, css_class="asyncconsole-metrics")


def series_html(series: MetricSeries | Iterable[MetricSeries]) -> str:
    """An HTML table (one row per timestamp, one column per series) for notebooks; no pandas
    needed. Every value is escaped."""
    return html_table(_series_table(series))
