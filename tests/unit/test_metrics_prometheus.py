"""PrometheusMetricsCollector's queries, parsing and error mapping, over a fake HTTP client."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole import FakeClock, MetricsError
from asyncconsole.infra.http import HttpRequest, HttpResponse
from asyncconsole.infra.metrics import MetricQuery, PrometheusMetricsCollector, Statistic
from asyncconsole.infra.metrics._promql import component_for_job, job_for_component, label_selector
from asyncconsole.testing import FakeHttpClient

T0 = datetime(2024, 5, 22, 20, 0, tzinfo=UTC)
E0 = T0.timestamp()


class FakePrometheus:
    """Answers the Prometheus HTTP API from canned data and records each request's params."""

    def __init__(self, version: str = "2.42.0") -> None:
        self.version = version
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.matrix: list[dict[str, Any]] = []
        self.series: list[dict[str, str]] = []
        self.override: HttpResponse | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params: dict[str, list[str]] = {}
        for key, value in request.query:
            params.setdefault(key, []).append(value)
        self.requests.append((request.path, params))
        if self.override is not None and request.path != "/api/v1/status/buildinfo":
            return self.override
        if request.path == "/api/v1/status/buildinfo":
            if not self.version:
                return HttpResponse.build(404, text="404 page not found")
            return _ok({"version": self.version})
        if request.path == "/api/v1/query_range":
            return _ok({"resultType": "matrix", "result": self.matrix})
        if request.path == "/api/v1/query":
            return _ok({"resultType": "vector", "result": []})
        if request.path == "/api/v1/series":
            return _ok(self.series)
        return HttpResponse.build(404, text="404 page not found")

    def params(self, path: str) -> list[dict[str, list[str]]]:
        return [p for got, p in self.requests if got == path]


def _ok(data: Any) -> HttpResponse:
    return HttpResponse.build(200, json={"status": "success", "data": data})


def _collector(server: FakePrometheus, **kwargs: Any) -> PrometheusMetricsCollector:
    clock = FakeClock(T0 + timedelta(hours=1))
    http = FakeHttpClient(server, base_url="http://prom.invalid:9090", clock=clock, retry=False)
    return PrometheusMetricsCollector("http://prom.invalid:9090", http=http, clock=clock, **kwargs)


def test_component_job_mapping_and_escaping() -> None:
    assert job_for_component("captureProxy") == "capture"
    assert job_for_component("replayer") == "replay"
    assert job_for_component("backfill") == "backfill"
    assert component_for_job("replay") == "replayer"
    selector = label_selector("m", {"exported_job": 'a"b\\c\nd'}, query="q")
    assert selector == 'm{exported_job="a\\"b\\\\c\\nd"}'


@pytest.mark.parametrize(
    ("statistic", "function"),
    [
        (Statistic.AVERAGE, "avg_over_time"),
        (Statistic.SUM, "sum_over_time"),
        (Statistic.MINIMUM, "min_over_time"),
        (Statistic.MAXIMUM, "max_over_time"),
        (Statistic.SAMPLE_COUNT, "count_over_time"),
    ],
)
async def test_statistic_is_applied_per_bucket(statistic: Statistic, function: str) -> None:
    server = FakePrometheus()
    query = MetricQuery(
        name="kafkaCommitCount",
        component="replayer",
        statistic=statistic,
        start=T0,
        end=T0 + timedelta(minutes=5),
        dimensions={"instance": "otel:8889"},
    )
    async with _collector(server) as prom:
        assert await prom.get_metric_data(query) == []
    [params] = server.params("/api/v1/query_range")
    assert params["query"] == [
        f'{function}(kafkaCommitCount{{exported_job="replay",instance="otel:8889"}}[59999ms])'
    ]
    assert params["start"] == [f"{E0 + 59.999:.3f}"]
    assert params["end"] == [f"{E0 + 299.999:.3f}"]
    assert params["step"] == ["60"]
    assert server.params("/api/v1/query") == []  # aligned window: no partial bucket


async def test_each_call_logs_one_event(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncconsole.metrics")
    server = FakePrometheus()
    query = MetricQuery(name="m", component="replayer", start=T0, end=T0 + timedelta(minutes=2))
    async with _collector(server) as prom:
        await prom.ping()
        await prom.get_metric_data(query)
        await prom.list_metrics()
    events = [
        getattr(r, "asyncconsole", {})
        for r in caplog.records
        if r.name == "asyncconsole.metrics.prometheus"
    ]
    assert [(e["operation"], e["outcome"]) for e in events] == [
        ("metrics.ping", "ok"),
        ("metrics.get_metric_data", "ok"),
        ("metrics.list_metrics", "ok"),
    ], events
    assert events[1]["query"] == query.describe(), events[1]


async def test_all_series_are_returned_with_bucket_start_timestamps() -> None:
    server = FakePrometheus()
    server.matrix = [
        {
            "metric": {"exported_job": "replay", "instance": "b"},
            "values": [[E0 + 59.999, "2"], [E0 + 119.999, "NaN"]],
        },
        {
            "metric": {"exported_job": "replay", "instance": "a"},
            "values": [[E0 + 119.999, "1e+06"]],
        },
    ]
    query = MetricQuery(
        name="m", component="replayer", start=T0, end=T0 + timedelta(minutes=2, seconds=30)
    )
    async with _collector(server) as prom:
        series = await prom.get_metric_data(query)
    assert [dict(s.labels) for s in series] == [
        {"exported_job": "replay", "instance": "a"},
        {"exported_job": "replay", "instance": "b"},
    ]
    assert series[0].points == ((T0 + timedelta(minutes=1), 1e6),)
    assert series[1].timestamps == [T0, T0 + timedelta(minutes=1)]
    # The half-minute tail is one instant query covering [T0+2m, T0+2m30s).
    [tail] = server.params("/api/v1/query")
    assert tail["query"] == ['avg_over_time(m{exported_job="replay"}[29999ms])']
    assert tail["time"] == [f"{E0 + 149.999:.3f}"]


async def test_prometheus_3_ranges_exclude_their_start() -> None:
    server = FakePrometheus(version="3.1.0")
    query = MetricQuery(name="m", component="x", start=T0, end=T0 + timedelta(minutes=1))
    async with _collector(server) as prom:
        await prom.get_metric_data(query)
        await prom.get_metric_data(query)
        assert prom.version == "3.1.0"
    [first, _] = server.params("/api/v1/query_range")
    assert first["query"] == ['avg_over_time(m{exported_job="x"}[60000ms])']
    assert len(server.params("/api/v1/status/buildinfo")) == 1  # version read once


async def test_servers_without_buildinfo_still_answer_ping() -> None:
    server = FakePrometheus(version="")
    async with _collector(server) as prom:
        await prom.ping()
        assert prom.version is None
    assert server.params("/api/v1/query") == [{"query": ["vector(1)"]}]


async def test_listing_groups_by_component_sorted_and_unique() -> None:
    server = FakePrometheus()
    server.series = [
        {"__name__": "kafkaCommitCount", "exported_job": "capture", "instance": "a"},
        {"__name__": "captureConnectionDuration", "exported_job": "capture"},
        {"__name__": "kafkaCommitCount", "exported_job": "capture", "instance": "b"},
        {"__name__": "kafkaCommitCount", "exported_job": "replay"},
        {"__name__": "rfsDocs", "exported_job": "backfill"},
    ]
    async with _collector(server) as prom:
        listing = await prom.list_metrics()
        await prom.list_metrics(recent=False)
    assert listing == {
        "backfill": ["rfsDocs"],
        "captureProxy": ["captureConnectionDuration", "kafkaCommitCount"],
        "replayer": ["kafkaCommitCount"],
    }
    recent, everything = server.params("/api/v1/series")
    assert recent["match[]"] == ['{exported_job=~".+"}']
    now = (T0 + timedelta(hours=1)).timestamp()
    assert recent["start"] == [f"{now - 3 * 3600:.3f}"]
    assert "start" not in everything


@pytest.mark.parametrize(
    ("response", "match", "transient"),
    [
        (
            HttpResponse.build(
                400,
                json={"status": "error", "errorType": "bad_data", "error": "parse error at char 3"},
            ),
            "bad_data: parse error at char 3",
            False,
        ),
        (
            HttpResponse.build(
                503, json={"status": "error", "errorType": "timeout", "error": "query timed out"}
            ),
            "timeout: query timed out",
            True,
        ),
        (
            HttpResponse.build(
                422, json={"status": "error", "errorType": "execution", "error": "too many samples"}
            ),
            "execution: too many samples",
            False,
        ),
        (HttpResponse.build(502, text="<html>Bad Gateway</html>"), "HTTP 502", True),
        (HttpResponse.build(200, text="not json"), "HTTP 200", False),
        (_ok({"resultType": "scalar", "result": [1, "1"]}), "unexpected Prometheus result", False),
    ],
)
async def test_error_answers_become_metrics_errors(
    response: HttpResponse, match: str, transient: bool
) -> None:
    server = FakePrometheus()
    server.override = response
    query = MetricQuery(name="m", component="replayer", start=T0, end=T0 + timedelta(minutes=1))
    async with _collector(server) as prom:
        with pytest.raises(MetricsError, match=match) as caught:
            await prom.get_metric_data(query)
    assert caught.value.transient is transient
    assert caught.value.query == 'avg_over_time(m{exported_job="replay"}[59999ms])'


async def test_validation_happens_before_any_request() -> None:
    server = FakePrometheus()
    async with _collector(server) as prom:
        with pytest.raises(MetricsError, match="exported_job"):
            await prom.get_metric_data(
                MetricQuery(
                    name="m", component="replayer", start=T0, dimensions={"exported_job": "x"}
                )
            )
        with pytest.raises(MetricsError, match="label name '__name__'"):
            await prom.get_metric_data(
                MetricQuery(name="m", component="replayer", start=T0, dimensions={"__name__": "x"})
            )
    assert server.requests == []


async def test_lifecycle_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        PrometheusMetricsCollector("prometheus:9090")
    prom = _collector(FakePrometheus())
    with pytest.raises(RuntimeError, match="not open"):
        await prom.ping()
    assert repr(prom) == "PrometheusMetricsCollector(endpoint='http://prom.invalid:9090')"


async def test_concurrent_first_queries_read_the_version_once() -> None:
    # A dashboard's first refresh runs its queries at once: each asked for the server's
    # version, 20 queries meant 20 extra requests to read one value.
    server = FakePrometheus()
    clock = FakeClock(T0 + timedelta(hours=1))
    http = FakeHttpClient(
        server, base_url="http://prom.invalid:9090", clock=clock, retry=False, latency=0.01
    )
    query = MetricQuery(name="m", component="replayer", start=T0, end=T0 + timedelta(minutes=2))
    async with (
        PrometheusMetricsCollector("http://prom.invalid:9090", http=http, clock=clock) as prom,
        asyncio.TaskGroup() as tasks,
    ):
        for _ in range(5):
            tasks.create_task(prom.get_metric_data(query))
    assert len(server.params("/api/v1/status/buildinfo")) == 1
    assert len(server.params("/api/v1/query_range")) == 5
