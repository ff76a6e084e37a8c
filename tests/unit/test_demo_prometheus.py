"""DemoPrometheusServer answers the real PrometheusMetricsCollector like Prometheus 2.x would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import MetricsError
from asyncconsole.demo import DemoPrometheusServer, PromQLError
from asyncconsole.demo._prometheus import parse_selector
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.infra.metrics import MetricQuery, PrometheusMetricsCollector, Statistic

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[DemoPrometheusServer]:
    async with DemoPrometheusServer() as prom:
        # two buckets of 60 s: values 1..3 in the first, 10 and 20 in the second
        for offset, value in ((0, 1.0), (20, 2.0), (59, 3.0), (60, 10.0), (90, 20.0)):
            prom.record(
                "kafkaCommitCount", value, job="replay", at=START + timedelta(seconds=offset)
            )
        prom.record("kafkaSendCount", 5.0, job="capture", at=START)
        prom.record("other", 1.0, job="replay", labels={"shard": "a"}, at=START)
        prom.record("other", 2.0, job="replay", labels={"shard": "b"}, at=START)
        yield prom


async def _data(
    prom: DemoPrometheusServer, query: MetricQuery
) -> list[list[tuple[datetime, float]]]:
    async with PrometheusMetricsCollector(prom.url, retry=False) as collector:
        return [list(s.points) for s in await collector.get_metric_data(query)]


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        (Statistic.AVERAGE, [2.0, 15.0]),
        (Statistic.SUM, [6.0, 30.0]),
        (Statistic.MINIMUM, [1.0, 10.0]),
        (Statistic.MAXIMUM, [3.0, 20.0]),
        (Statistic.SAMPLE_COUNT, [3.0, 2.0]),
    ],
)
async def test_statistics_per_bucket(
    server: DemoPrometheusServer, statistic: Statistic, expected: list[float]
) -> None:
    query = MetricQuery(
        name="kafkaCommitCount",
        component="replayer",
        statistic=statistic,
        start=START,
        end=START + timedelta(minutes=2),
        period=60,
    )
    (points,) = await _data(server, query)
    assert points == [(START, expected[0]), (START + timedelta(minutes=1), expected[1])]


async def test_partial_last_bucket_and_every_labelled_series(server: DemoPrometheusServer) -> None:
    query = MetricQuery(
        name="kafkaCommitCount",
        component="replayer",
        statistic="Sum",
        start=START,
        end=START + timedelta(seconds=95),
        period=60,
    )
    (points,) = await _data(server, query)
    assert points == [(START, 6.0), (START + timedelta(minutes=1), 30.0)]
    many = MetricQuery(
        name="other",
        component="replayer",
        statistic="Sum",
        start=START,
        end=START + timedelta(minutes=1),
    )
    async with PrometheusMetricsCollector(server.url, retry=False) as collector:
        series = await collector.get_metric_data(many)
    assert sorted((s.labels["shard"], s.values) for s in series) == [("a", [1.0]), ("b", [2.0])]


async def test_listing_groups_by_component(server: DemoPrometheusServer) -> None:
    async with PrometheusMetricsCollector(server.url, retry=False) as collector:
        assert await collector.list_metrics(recent=False) == {
            "captureProxy": ["kafkaSendCount"],
            "replayer": ["kafkaCommitCount", "other"],
        }
        # recent=True only lists series with samples in the last three hours (START is older)
        server.record("fresh", 1.0, job="capture")
        assert await collector.list_metrics() == {"captureProxy": ["fresh"]}
        await collector.ping()
        assert collector.version == "2.53.0"


async def test_bad_queries_are_refused_like_prometheus(server: DemoPrometheusServer) -> None:
    async with AiohttpClient(server.url, raise_for_status=False, retry=False) as http:
        response = await http.request("GET", "/api/v1/query", params={"query": "rate(x[5m])"})
        assert response.status == 400
        assert response.json()["errorType"] == "bad_data"
        response = await http.request(
            "GET",
            "/api/v1/query_range",
            params={"query": "x", "start": "10", "end": "5", "step": "1"},
        )
        assert response.status == 400
        response = await http.request("GET", "/api/v1/query", params={"query": "vector(1)"})
        assert response.json()["data"]["result"][0]["value"][1] == "1"
        response = await http.request("GET", "/api/v1/series")
        assert response.status == 400
    query = MetricQuery(
        name="kafkaCommitCount", component="replayer", start=START, end=START + timedelta(minutes=1)
    )
    async with PrometheusMetricsCollector(server.url, retry=False) as collector:
        with pytest.raises(MetricsError):
            await collector.get_metric_data(query.replace(name="bad name"))


def test_selector_parsing() -> None:
    selector = parse_selector('m{exported_job="replay",shard=~"a|b",x!="1",y!~"z.*"}')
    assert selector.name == "m"
    assert selector.matches({"__name__": "m", "exported_job": "replay", "shard": "a"})
    assert not selector.matches({"__name__": "m", "exported_job": "replay", "shard": "c"})
    assert not selector.matches({"__name__": "m", "exported_job": "replay", "shard": "a", "x": "1"})
    assert not selector.matches(
        {"__name__": "m", "exported_job": "replay", "shard": "b", "y": "zz"}
    )
    assert parse_selector(r'{a="q\"uote"}').matchers == (("a", "=", 'q"uote'),)
    for bad in ("", "{}", '{a=""}', "m{a=b}", "1m"):
        with pytest.raises(PromQLError):
            parse_selector(bad)
