"""The checks every metrics collector makes before any request, from its one base class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole import FakeClock, MetricsError
from asyncconsole.infra.http import HttpRequest, HttpResponse
from asyncconsole.infra.metrics import (
    CloudWatchMetricsCollector,
    FakeMetricsCollector,
    MetricQuery,
    PrometheusMetricsCollector,
)
from asyncconsole.testing import FakeHttpClient

START = datetime(2024, 5, 22, 20, 0, tzinfo=UTC)


def _query(**changes: Any) -> MetricQuery:
    query = MetricQuery(name="m", component="replayer", start=START, end=START + timedelta(hours=1))
    return query.replace(**changes) if changes else query


async def test_the_fake_and_prometheus_refuse_bad_arguments_alike() -> None:
    requests: list[str] = []

    def prometheus(request: HttpRequest) -> HttpResponse:
        requests.append(request.path)
        return HttpResponse.build(200, json={"status": "success", "data": []})

    clock = FakeClock(START + timedelta(hours=2))
    http = FakeHttpClient(prometheus, base_url="http://prom.invalid", clock=clock, retry=False)
    async with (
        FakeMetricsCollector(clock=clock) as fake,
        PrometheusMetricsCollector("http://prom.invalid", http=http, clock=clock) as prom,
    ):
        for collector in (fake, prom):
            with pytest.raises(TypeError, match="MetricQuery"):
                await collector.get_metric_data("m")  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="recent"):
                await collector.list_metrics(recent="yes")  # type: ignore[arg-type]
    assert fake.calls == []
    assert requests == []


async def test_a_query_the_backend_cannot_express_fails_before_any_request() -> None:
    # Neither collector is open: the refusal comes before any request could be made.
    prom = PrometheusMetricsCollector("http://prom.invalid")
    with pytest.raises(MetricsError, match="invalid Prometheus metric name"):
        await prom.get_metric_data(_query(name="not a name"))
    with pytest.raises(MetricsError, match="exported_job"):
        await prom.get_metric_data(_query(dimensions={"exported_job": "x"}))
    cloudwatch = CloudWatchMetricsCollector(region="us-east-1", qualifier="dev")
    with pytest.raises(MetricsError, match="qualifier"):
        await cloudwatch.get_metric_data(_query(dimensions={"qualifier": "prod"}))
