"""Notebook helpers for metric series: a pandas DataFrame, a one-call plot, an HTML table.

pandas and matplotlib are imported only when these functions run (``pip install
asyncconsole[notebook]`` brings both)::

    from asyncconsole.notebook import plot, to_dataframe

    series = await env.metrics.get_data("replayer", "kafkaCommitCount")
    series                              # a table in Jupyter (a MetricSeriesList)
    frame = to_dataframe(series)        # index: UTC timestamps; one column per series
    plot(series)                        # one axes per metric, drawn inline in Jupyter

A single :class:`~asyncconsole.infra.metrics.MetricSeries` has the same as methods
(``series.to_dataframe()``, ``series.plot()``) and draws itself as a table in Jupyter and in
rich terminals.
"""

from __future__ import annotations

from .infra.metrics._frames import column_name, plot, series_html, to_dataframe

__all__ = ["column_name", "plot", "series_html", "to_dataframe"]
