"""MetricsService with FakeMetricsCollector on a FakeClock: listing, data, validation, text
and JSON shapes, watch, check."""

from __future__ import annotations

import json
from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import FakeClock, MetricsError
from asyncconsole._errors import InvalidArgumentError
from asyncconsole.infra.metrics import FakeMetricsCollector, MetricSeries, Statistic
from asyncconsole.services.metrics import MetricData, MetricNames, MetricSeriesList, MetricsService

START = datetime(2024, 5, 22, 19, 0, tzinfo=UTC)


def _service(clock: FakeClock) -> tuple[MetricsService, FakeMetricsCollector]:
    fake = FakeMetricsCollector(clock=clock)
    return MetricsService(fake, clock=clock), fake


async def test_list_gives_sorted_json_ready_lists_per_component() -> None:
    clock = FakeClock(start=START)
    service, fake = _service(clock)
    now = clock.now()
    for component, name in [
        ("replayer", "kafkaCommitCount"),
        ("captureProxy", "kafkaCommitCount"),
        ("captureProxy", "captureConnectionDuration"),
    ]:
        fake.add_points(component, name, [(now - timedelta(minutes=1), 1.0)])
    fake.add_points("captureProxy", "captureConnectionDuration", [(now, 2.0)], labels={"i": "2"})

    names = await service.list()

    expected = {
        "captureProxy": ["captureConnectionDuration", "kafkaCommitCount"],
        "replayer": ["kafkaCommitCount"],
    }
    assert isinstance(names, MetricNames)
    assert names == expected
    assert names.total == 3
    assert json.loads(json.dumps(names)) == expected
    assert names.to_dict() == expected
    assert str(names) == (
        "{'captureProxy': ['captureConnectionDuration', 'kafkaCommitCount'],\n"
        " 'replayer': ['kafkaCommitCount']}"
    )
    assert "<td>captureProxy</td>" in names._repr_html_()
    assert fake.calls[-1] == ("list_metrics", {"recent": True})


async def test_get_data_asks_for_the_lookback_window_in_utc_with_the_statistic() -> None:
    clock = FakeClock(start=START)
    service, fake = _service(clock)
    await clock.sleep(3600)
    now = clock.now()
    base = now - timedelta(minutes=5)
    fake.add_points(
        "replayer",
        "kafkaCommitCount",
        [(base + timedelta(seconds=s), float(s)) for s in (0, 30, 60, 90)],
    )

    series = await service.get_data("REPLAYER", "kafkaCommitCount", "sum", lookback_minutes=10)

    method, query = fake.calls[-1]
    assert method == "get_metric_data"
    assert query.component == "replayer"
    assert query.statistic is Statistic.SUM
    assert query.end == now
    assert query.start == now - timedelta(minutes=10)
    assert query.start.tzinfo is UTC
    assert query.period == 60
    [only] = series
    # Sum per 60 s bucket on the window's grid (the window starts 10 minutes before now).
    assert only.points == ((base, 30.0), (base + timedelta(minutes=1), 150.0))
    # a list that draws as a table in a notebook (a row per time)
    assert isinstance(series, list)
    assert isinstance(series, MetricSeriesList)
    page = series._repr_html_()
    assert page.startswith('<table class="asyncconsole-metrics">')
    assert page.count("<tr>") == 3  # heading and two buckets


@pytest.mark.parametrize(
    ("kwargs", "argument", "text"),
    [
        ({"component": "capture"}, "component", "Invalid component 'capture'"),
        ({"statistic": "Median"}, "statistic", "Invalid statistic 'Median'"),
        ({"metric": " "}, "metric", "metric name must not be empty"),
        ({"lookback_minutes": 0}, "lookback_minutes", "positive number of minutes"),
        ({"lookback_minutes": float("nan")}, "lookback_minutes", "positive number"),
        ({"period": 0}, "period", "positive whole number of seconds"),
        ({"period": 1.5}, "period", "positive whole number of seconds"),
    ],
)
async def test_bad_arguments_are_rejected_before_any_query(
    kwargs: dict[str, object], argument: str, text: str
) -> None:
    service, fake = _service(FakeClock(start=START))
    call: dict[str, object] = {"component": "replayer", "metric": "m", **kwargs}
    with pytest.raises(InvalidArgumentError, match=text) as caught:
        await service.get_data(**call)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert isinstance(caught.value, ValueError)
    assert fake.calls == []


async def test_report_renders_console_link_text_and_documented_json() -> None:
    clock = FakeClock(start=START)
    service, fake = _service(clock)
    await clock.sleep(600)
    first = clock.now() - timedelta(minutes=4)
    fake.add_points(
        "captureProxy",
        "kafkaCommitCount",
        [(first + timedelta(minutes=k), float(k)) for k in range(3)],
    )

    report = await service.get_data_report("captureProxy", "kafkaCommitCount", lookback_minutes=5)

    assert isinstance(report, MetricData)
    stamps = [(first + timedelta(minutes=k)).isoformat() for k in range(3)]
    assert str(report).splitlines() == [
        "Component: captureProxy",
        "Metric Name: kafkaCommitCount",
        "Statistic: Average",
        "Lookback: 5 minutes",
        "Metrics Source Type: FakeMetricsCollector",
        f"[('{stamps[0]}', 0.0),",
        f" ('{stamps[1]}', 1.0),",
        f" ('{stamps[2]}', 2.0)]",
    ]
    data = json.loads(json.dumps(report.to_dict()))
    assert data == {
        "component": "captureProxy",
        "metric": "kafkaCommitCount",
        "statistic": "Average",
        "lookback_minutes": 5,
        "period": 60,
        "start": (clock.now() - timedelta(minutes=5)).isoformat(),
        "end": clock.now().isoformat(),
        "source_type": "FakeMetricsCollector",
        "series": [{"labels": {}, "points": [[s, float(k)] for k, s in enumerate(stamps)]}],
    }
    assert stamps[0].endswith("+00:00")
    assert report.points() == [[[s, float(k)] for k, s in enumerate(stamps)]]
    assert "<table>" in report._repr_html_()


async def test_every_series_is_kept_and_rendered_under_its_labels() -> None:
    clock = FakeClock(start=START)
    service, fake = _service(clock)
    await clock.sleep(600)
    ts = clock.now() - timedelta(minutes=2)
    fake.add_points("replayer", "lag", [(ts, 1.0)], labels={"instance": "a"})
    fake.add_points("replayer", "lag", [(ts, 7.0)], labels={"instance": "b"})

    report = await service.get_data_report("replayer", "lag", "Maximum", lookback_minutes=3)

    assert [dict(s.labels) for s in report.series] == [{"instance": "a"}, {"instance": "b"}]
    lines = report.render().splitlines()
    assert lines[5:] == [
        "Series {'instance': 'a'}:",
        f"[('{ts.isoformat()}', 1.0)]",
        "Series {'instance': 'b'}:",
        f"[('{ts.isoformat()}', 7.0)]",
    ]


async def test_no_data_renders_an_empty_list() -> None:
    service, _ = _service(FakeClock(start=START))
    report = await service.get_data_report("replayer", "absent")
    assert report.series == ()
    assert report.render().splitlines()[-1] == "[]"
    assert report.to_dict()["series"] == []


async def test_watch_yields_new_complete_buckets_as_fake_time_passes() -> None:
    clock = FakeClock(start=START)
    service, fake = _service(clock)
    fake.add_counter("replayer", "kafkaCommitCount", rate=1.0, every=10.0)
    await clock.sleep(120)

    seen: list[MetricSeries] = []
    async with aclosing(
        service.watch("replayer", "kafkaCommitCount", "Maximum", lookback_minutes=2, every=60)
    ) as batches:
        async for batch in batches:
            seen.append(batch)
            if len(seen) == 3:
                break

    points = [p for batch in seen for p in batch.points]
    stamps = [ts for ts, _ in points]
    assert stamps == sorted(set(stamps))  # never repeated
    assert stamps[0] == START
    assert [v for _, v in points][:2] == [50.0, 110.0]  # max of each minute of the counter
    assert len(stamps) >= 3


async def test_check_pings_and_lists() -> None:
    clock = FakeClock(start=START)
    service, fake = _service(clock)
    fake.add_points("replayer", "kafkaCommitCount", [(clock.now(), 1.0)])
    assert await service.check() == "FakeMetricsCollector reachable; 1 metrics (replayer: 1)"
    assert [c[0] for c in fake.calls] == ["ping", "list_metrics"]

    fake.fail("ping")
    with pytest.raises(MetricsError, match="injected failure in ping"):
        await service.check()


async def test_describe_and_repr_name_the_collector() -> None:
    service, _ = _service(FakeClock(start=START))
    assert service.describe() == {"source_type": "FakeMetricsCollector", "endpoint": "in memory"}
    assert repr(service) == "MetricsService(collector=FakeMetricsCollector)"
