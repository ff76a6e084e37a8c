"""PrometheusMetricsCollector against a real Prometheus server, fed by remote write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import MetricsError
from asyncconsole.infra.http import BasicAuth
from asyncconsole.infra.metrics import MetricQuery, PrometheusMetricsCollector, Statistic
from asyncconsole.testing import PrometheusRemoteWriter, check_metrics_collector
from tests.fixtures.prometheus import SecuredPrometheus

pytestmark = pytest.mark.integration


def _base(period: int = 60) -> datetime:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=6)
    return now - timedelta(seconds=int(now.timestamp()) % period)


async def test_real_prometheus_passes_the_contract(prometheus_server: str) -> None:
    async with PrometheusRemoteWriter(prometheus_server) as writer:
        await check_metrics_collector(
            lambda: PrometheusMetricsCollector(endpoint=prometheus_server), writer.feed
        )


async def test_reads_back_exactly_what_was_written(prometheus_server: str) -> None:
    name = f"exact_{uuid.uuid4().hex[:8]}"
    base = _base(10)
    values = [0.1, 1e-300, -7.5, 2.0**53 + 2, 123456.789]
    points = [(base + timedelta(seconds=10 * k), v) for k, v in enumerate(values)]
    async with PrometheusRemoteWriter(prometheus_server) as writer:
        await writer.feed("captureProxy", name, {"instance": "proxy-1"}, points)
    query = MetricQuery(
        name=name,
        component="captureProxy",
        statistic="Average",
        start=base,
        end=base + timedelta(seconds=50),
        period=10,
    )
    async with PrometheusMetricsCollector(endpoint=prometheus_server) as prom:
        [series] = await prom.get_metric_data(query)
        assert prom.version is not None
        assert prom.version.startswith("2.")
    assert series.points == tuple(points)
    assert series.labels["exported_job"] == "capture"
    assert series.labels["instance"] == "proxy-1"


async def test_long_windows_are_split_into_several_range_requests(prometheus_server: str) -> None:
    name = f"split_{uuid.uuid4().hex[:8]}"
    base = _base(1)
    points = [(base + timedelta(seconds=s), float(s)) for s in range(25)]
    async with PrometheusRemoteWriter(prometheus_server) as writer:
        await writer.feed("replayer", name, {}, points)
    query = MetricQuery(
        name=name,
        component="replayer",
        statistic=Statistic.SUM,
        start=base,
        end=base + timedelta(seconds=25),
        period=1,
    )
    async with PrometheusMetricsCollector(
        endpoint=prometheus_server, max_points_per_request=4
    ) as prom:
        [series] = await prom.get_metric_data(query)
    assert series.points == tuple(points)


async def test_bad_queries_give_clear_errors(prometheus_server: str) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    async with PrometheusMetricsCollector(endpoint=prometheus_server) as prom:
        with pytest.raises(MetricsError, match="invalid Prometheus metric name") as bad_name:
            await prom.get_metric_data(
                MetricQuery(name="no-dashes", component="replayer", start=start)
            )
        assert bad_name.value.query is not None
        assert "no-dashes" in bad_name.value.query
        with pytest.raises(MetricsError, match="invalid Prometheus label name"):
            await prom.get_metric_data(
                MetricQuery(name="m", component="replayer", start=start, dimensions={"a-b": "x"})
            )
        # A label value full of PromQL syntax is matched literally, never interpreted.
        hostile = 'x"} or vector(1) or m{a="'
        found = await prom.get_metric_data(
            MetricQuery(name="m", component=hostile, start=start, dimensions={"k": 'a\\"b\n'})
        )
        assert found == []
        # A query Prometheus itself rejects (bad_data): a 317-year range overflows its durations.
        with pytest.raises(MetricsError, match="bad_data") as rejected:
            await prom.get_metric_data(
                MetricQuery(
                    name="m",
                    component="replayer",
                    start=datetime(1700, 1, 1, tzinfo=UTC),
                    period=10**10,
                )
            )
        assert rejected.value.query is not None
        assert "_over_time(m{" in rejected.value.query


async def test_unreachable_server_is_a_metrics_error() -> None:
    from tests.fixtures.peers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    async with PrometheusMetricsCollector(endpoint=url, retry=False, timeout=2) as prom:
        with pytest.raises(MetricsError, match="status/buildinfo") as err:
            await prom.ping()
    assert err.value.transient


async def test_basic_auth_and_tls_options(secured_prometheus: SecuredPrometheus) -> None:
    sec = secured_prometheus
    auth = BasicAuth(sec.username, sec.password)
    name = f"secured_{uuid.uuid4().hex[:8]}"
    base = _base()
    points = [(base + timedelta(seconds=1), 5.0)]
    async with PrometheusRemoteWriter(sec.url, auth=auth, ca_bundle=sec.ca_bundle) as writer:
        await writer.feed("replayer", name, {}, points)
    query = MetricQuery(
        name=name, component="replayer", start=base, end=base + timedelta(minutes=1)
    )
    async with PrometheusMetricsCollector(
        endpoint=sec.url, auth=auth, ca_bundle=sec.ca_bundle
    ) as prom:
        await prom.ping()
        assert (await prom.get_metric_data(query))[0].values == [5.0]
        assert name in (await prom.list_metrics())["replayer"]
    async with PrometheusMetricsCollector(endpoint=sec.url, auth=auth, allow_insecure=True) as prom:
        assert (await prom.get_metric_data(query))[0].values == [5.0]
    async with PrometheusMetricsCollector(endpoint=sec.url, auth=auth, retry=False) as prom:
        with pytest.raises(MetricsError) as untrusted:
            await prom.ping()
        assert "certificate" in str(untrusted.value).lower()
    wrong = BasicAuth(sec.username, "wrong-password")
    async with PrometheusMetricsCollector(
        endpoint=sec.url, auth=wrong, ca_bundle=sec.ca_bundle
    ) as prom:
        with pytest.raises(MetricsError, match="401") as unauthorized:
            await prom.ping()
        assert "wrong-password" not in str(unauthorized.value)
