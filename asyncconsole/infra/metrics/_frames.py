"""Metric series as tables, pandas DataFrames and matplotlib plots (the notebook views).

Public through :mod:`asyncconsole.notebook`; the series types use it for their own
``to_dataframe()``, ``plot()`` and table views. pandas and matplotlib are imported only when a
frame or a plot is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..._display import Table, html_table, table

if TYPE_CHECKING:
    from ._types import MetricSeries

__all__ = ["column_name", "plot", "series_html", "to_dataframe"]


def _as_list(series: MetricSeries | Iterable[MetricSeries]) -> list[MetricSeries]:
    from ._types import MetricSeries

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


def _metrics(found: list[MetricSeries]) -> dict[str, list[MetricSeries]]:
    """The series grouped by metric (``component/name``), in first-seen order."""
    groups: dict[str, list[MetricSeries]] = {}
    for one in found:
        groups.setdefault(f"{one.component}/{one.name}", []).append(one)
    return groups


def plot(
    series: MetricSeries | Iterable[MetricSeries],
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Plot series against time in one call, readably: one axes per metric (each metric has
    its own unit and scale, so two metrics never share a y axis), stacked on one time axis;
    each y axis is labelled with its metric and statistic, and the legend sits outside the
    plot, to the right, so it never covers a line.

    Args:
        series: One series or several (one line each).
        ax: Draw into these axes: one for the series of one metric, or a sequence with one
            per metric (default: a new figure).
        title: The title (default: the metric names and statistics).

    Returns:
        The matplotlib ``Axes`` when the series are of one metric, else the list of ``Axes``,
        one per metric in the order the series came.

    Raises:
        ImportError: pandas or matplotlib is not installed.
        ValueError: ``ax`` does not hold one axes per metric.
    """
    found = _as_list(series)
    to_dataframe([])  # the pandas check, before matplotlib's
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plot needs matplotlib: pip install 'asyncconsole[notebook]'") from exc
    groups = _metrics(found)
    if title is None:
        stats = sorted({one.statistic.value for one in found})
        title = f"{', '.join(sorted(groups)) or 'no series'} ({', '.join(stats) or '-'})"
    count = max(1, len(groups))
    if ax is None:
        figure, grid = plt.subplots(
            nrows=count,
            sharex=True,
            squeeze=False,
            figsize=(9, 1.2 + 2.4 * count),
            layout="constrained",
        )
        axes = [row[0] for row in grid]
    else:
        # one Axes, a list of them, or the array plt.subplots() returns
        axes = (
            list(ax.flat)
            if hasattr(ax, "flat")
            else list(ax)
            if isinstance(ax, list | tuple)
            else [ax]
        )
        if len(axes) != count:
            raise ValueError(f"ax: {len(axes)} axes given for {count} metrics (one each)")
        figure = axes[0].figure
    for axis, (metric, members) in zip(axes, groups.items(), strict=False):
        frame = to_dataframe(members)
        # the axis names the metric; the legend tells its series apart (labels, or the metric)
        frame.columns = [str(c).removeprefix(metric) or metric for c in frame.columns]
        frame.plot(ax=axis, marker=".", legend=False)
        statistic = ", ".join(sorted({one.statistic.value for one in members}))
        axis.set_ylabel(f"{metric}\n({statistic})")
        axis.grid(alpha=0.3)
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    for axis in axes:
        axis.set_xlabel("")
    axes[-1].set_xlabel("time (UTC)")
    if len(axes) == 1:
        axes[0].set_title(title)
    else:
        figure.suptitle(title)
    return axes[0] if len(axes) == 1 else axes


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
