"""asyncconsole.notebook: metric series as DataFrame, plot and HTML table."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole.infra.metrics import MetricSeries, Statistic
from asyncconsole.notebook import column_name, plot, series_html, to_dataframe

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _series() -> list[MetricSeries]:
    return [
        MetricSeries(
            "kafkaCommitCount", "replayer", Statistic.AVERAGE, {}, ((T0, 1.0), (T0 + MINUTE, 2.0))
        ),
        MetricSeries(
            "kafkaSendCount", "captureProxy", Statistic.SUM, {"pod": "p<1>"}, ((T0 + MINUTE, 5.0),)
        ),
    ]


def test_to_dataframe_aligns_series_on_utc_timestamps() -> None:
    frame = to_dataframe(_series())
    assert list(frame.columns) == [
        "replayer/kafkaCommitCount",
        "captureProxy/kafkaSendCount{pod=p<1>}",
    ]
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "UTC"
    assert list(frame.index) == [T0, T0 + MINUTE]
    assert frame["replayer/kafkaCommitCount"].tolist() == [1.0, 2.0]
    first, second = frame["captureProxy/kafkaSendCount{pod=p<1>}"].tolist()
    assert math.isnan(first)
    assert second == 5.0
    # one series alone, the same series twice, and nothing at all
    assert to_dataframe(_series()[0]).shape == (2, 1)
    twice = to_dataframe([_series()[0], _series()[0]])
    assert list(twice.columns) == ["replayer/kafkaCommitCount", "replayer/kafkaCommitCount #2"]
    assert to_dataframe([]).empty
    with pytest.raises(TypeError, match="MetricSeries"):
        to_dataframe([(T0, 1.0)])  # type: ignore[list-item]


def test_plot_gives_each_metric_its_own_labelled_axis_and_keeps_legends_outside() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = plot(_series())  # two metrics: two axes (their units differ), one time axis
    try:
        assert len(axes) == 2
        first, second = axes
        assert [len(a.get_lines()) for a in axes] == [1, 1]
        assert first.get_ylabel() == "replayer/kafkaCommitCount\n(Average)"
        assert second.get_ylabel() == "captureProxy/kafkaSendCount\n(Sum)"
        assert first.get_shared_x_axes().joined(first, second)
        assert (first.get_xlabel(), second.get_xlabel()) == ("", "time (UTC)")
        figure = first.figure
        assert figure.get_suptitle() == (
            "captureProxy/kafkaSendCount, replayer/kafkaCommitCount (Average, Sum)"
        )
        figure.canvas.draw()
        for axis in axes:
            legend = axis.get_legend()
            assert legend is not None
            box = legend.get_window_extent()
            plotted = axis.get_window_extent()
            assert box.x0 >= plotted.x1  # right of the plotting area: never over a line
        labels = [t.get_text() for t in second.get_legend().get_texts()]
        assert labels == ["{pod=p<1>}"]  # the axis names the metric; the legend, the series

        alone = plot(_series()[0])  # one metric: one axes, titled
        assert alone.get_title() == "replayer/kafkaCommitCount (Average)"
        assert alone.get_xlabel() == "time (UTC)"
        _fig, own = plt.subplots()
        assert plot(_series()[0], ax=own, title="mine") is own
        assert own.get_title() == "mine"
        _fig, pair = plt.subplots(nrows=2)
        assert list(plot(_series(), ax=pair)) == list(pair)
        with pytest.raises(ValueError, match="one each"):
            plot(_series(), ax=own)
    finally:
        plt.close("all")


def test_series_html_escapes_and_leaves_gaps() -> None:
    text = series_html(_series())
    assert text.startswith('<table class="asyncconsole-metrics">')
    assert "{pod=p&lt;1&gt;}" in text
    assert "<td>2026-01-01T00:00:00+00:00</td><td>1</td><td></td>" in text
    assert "<td>2026-01-01T00:01:00+00:00</td><td>2</td><td>5</td>" in text
    assert column_name(_series()[0]) == "replayer/kafkaCommitCount"
