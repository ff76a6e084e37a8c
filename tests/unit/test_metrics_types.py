"""The metrics query model: validation, UTC handling, statistics and bucket semantics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from asyncconsole.infra.metrics import Component, MetricQuery, MetricSeries, Statistic
from asyncconsole.infra.metrics._types import aggregate, bucketize

T0 = datetime(2024, 5, 22, 20, 6, tzinfo=UTC)


def test_statistic_accepts_names_and_members() -> None:
    assert Statistic.parse("Average") is Statistic.AVERAGE
    assert Statistic.parse("samplecount") is Statistic.SAMPLE_COUNT
    assert Statistic.parse(Statistic.MAXIMUM) is Statistic.MAXIMUM
    with pytest.raises(ValueError, match="p90"):
        Statistic.parse("p90")


def test_query_normalises_to_utc_whole_seconds() -> None:
    plus2 = timezone(timedelta(hours=2))
    query = MetricQuery(
        name="m",
        component=Component.REPLAYER,
        statistic="Sum",
        start=datetime(2024, 5, 22, 22, 6, 0, 999_999, tzinfo=plus2),
        end=datetime(2024, 5, 22, 22, 16, tzinfo=plus2),
        dimensions={"b": "2", "a": "1"},
    )
    assert query.start == T0
    assert query.start.tzinfo is UTC
    assert query.start.microsecond == 0
    assert query.stat is Statistic.SUM
    assert query.component == "replayer"
    assert type(query.component) is str
    assert list(query.dimensions) == ["a", "b"]
    assert query.describe() == "Sum(replayer/m{a=1,b=2}, period=60s)"
    assert query == query.replace()
    assert hash(query) == hash(query.replace())
    assert query.replace(period=10).period == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": datetime(2024, 1, 1)}, "timezone-aware"),
        ({"start": T0, "end": datetime(2024, 6, 1)}, "timezone-aware"),
        ({"start": T0, "end": T0}, "must be after"),
        ({"start": T0, "period": 0}, "period"),
        ({"start": T0, "period": 1.5}, "period"),
        ({"start": T0, "statistic": "Median"}, "Median"),
        ({"start": T0, "name": ""}, "name"),
        ({"start": T0, "component": " "}, "component"),
        ({"start": T0, "dimensions": {"k": 1}}, "must be a string"),
    ],
)
def test_bad_queries_are_rejected_clearly(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"name": "m", "component": "replayer", **kwargs}
    with pytest.raises(ValueError, match=message):
        MetricQuery(**args)  # type: ignore[arg-type]


def test_window_resolves_open_end_to_now() -> None:
    query = MetricQuery(name="m", component="replayer", start=T0)
    start, end = query.window(T0 + timedelta(minutes=5, microseconds=7))
    assert (start, end) == (T0, T0 + timedelta(minutes=5))
    with pytest.raises(ValueError, match="empty"):
        query.window(T0)


def test_series_is_frozen_json_ready_and_utc() -> None:
    series = MetricSeries(
        name="m",
        component="replayer",
        statistic=Statistic.AVERAGE,
        labels={"instance": "a"},
        points=((T0, 1), (T0 + timedelta(minutes=1), 2.5)),
    )
    assert series.values == [1.0, 2.5]
    with pytest.raises(TypeError):
        series.labels["instance"] = "b"  # type: ignore[index]
    doc = json.loads(json.dumps(series.to_json()))
    assert doc["points"] == [["2024-05-22T20:06:00+00:00", 1.0], ["2024-05-22T20:07:00+00:00", 2.5]]
    with pytest.raises(ValueError, match="timezone-aware"):
        MetricSeries("m", "replayer", Statistic.SUM, points=((datetime(2024, 1, 1), 1.0),))


def test_aggregate_matches_each_statistic() -> None:
    values = [4.0, 1.0, 2.5]
    assert aggregate(Statistic.SAMPLE_COUNT, values) == 3.0
    assert aggregate(Statistic.SUM, values) == 7.5
    assert aggregate(Statistic.AVERAGE, values) == 2.5
    assert aggregate(Statistic.MINIMUM, values) == 1.0
    assert aggregate(Statistic.MAXIMUM, values) == 4.0
    with pytest.raises(ValueError, match="empty"):
        aggregate(Statistic.SUM, [])


def test_buckets_are_half_open_and_clamped_to_the_window() -> None:
    minute = timedelta(minutes=1)
    samples = [
        (T0 - timedelta(seconds=1), 100.0),  # before the window
        (T0, 1.0),
        (T0 + minute - timedelta(seconds=1), 2.0),
        (T0 + minute, 3.0),  # next bucket
        (T0 + 3 * minute + timedelta(seconds=10), 4.0),
        (T0 + 3 * minute + timedelta(seconds=40), 5.0),  # past the end
    ]
    end = T0 + 3 * minute + timedelta(seconds=30)
    assert bucketize(samples, Statistic.SUM, T0, end, 60) == (
        (T0, 3.0),
        (T0 + minute, 3.0),
        (T0 + 3 * minute, 4.0),
    )
