"""CloudWatchMetricsCollector against moto server, fed with PutMetricData."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import MetricsError
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.metrics import (
    CloudWatchMetricsCollector,
    MetricQuery,
    Point,
    Statistic,
)
from asyncconsole.infra.metrics._contract import Feed
from asyncconsole.testing import check_metrics_collector

pytestmark = pytest.mark.integration

NAMESPACE = "OpenSearchMigrations"


def _put_feed(endpoint: str, qualifier: str | None) -> Feed:
    async def feed(
        component: str, name: str, labels: Mapping[str, str], points: Sequence[Point]
    ) -> None:
        dims = {"OTelLib": component, **({"qualifier": qualifier} if qualifier else {}), **labels}
        options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
        async with open_aws_client("cloudwatch", options) as cw:
            await cw.put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[
                    {
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                        "Timestamp": ts,
                        "Value": value,
                    }
                    for ts, value in points
                ],
            )

    return feed


async def test_moto_cloudwatch_passes_the_contract(moto_endpoint: str) -> None:
    feed = _put_feed(moto_endpoint, "dev")
    await check_metrics_collector(
        lambda: CloudWatchMetricsCollector(
            region="us-east-1", qualifier="dev", endpoint_url=moto_endpoint
        ),
        feed,
    )


async def test_values_and_statistics_read_back_exactly(moto_endpoint: str) -> None:
    feed = _put_feed(moto_endpoint, "dev")
    base = datetime(2024, 5, 22, 20, 6, tzinfo=UTC)  # console_link's test data, far in the past
    points = [
        (base + timedelta(minutes=k, seconds=s), float(k * 10 + s))
        for k in range(5)
        for s in (0, 30)
    ]
    await feed("replayer", "kafkaCommitCount", {}, points)
    async with CloudWatchMetricsCollector(
        region="us-east-1", qualifier="dev", endpoint_url=moto_endpoint, discover_series=False
    ) as cw:
        for statistic, expected in {
            Statistic.SAMPLE_COUNT: [2.0] * 5,
            Statistic.SUM: [30.0 + 20 * k for k in range(5)],
            Statistic.AVERAGE: [15.0 + 10 * k for k in range(5)],
            Statistic.MINIMUM: [10.0 * k for k in range(5)],
            Statistic.MAXIMUM: [10.0 * k + 30 for k in range(5)],
        }.items():
            [series] = await cw.get_metric_data(
                MetricQuery(
                    name="kafkaCommitCount",
                    component="replayer",
                    statistic=statistic,
                    start=base,
                    end=base + timedelta(minutes=5),
                )
            )
            assert series.values == expected, statistic
            assert series.timestamps == [base + timedelta(minutes=k) for k in range(5)]
            assert series.labels == {"OTelLib": "replayer", "qualifier": "dev"}


async def test_listing_is_paginated_deduplicated_and_filtered_by_qualifier(
    moto_endpoint: str,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    names = [f"m{i:03d}" for i in range(510)]  # moto pages at 500 entries

    def datum(name: str, qualifier: str, component: str, ts: datetime) -> dict[str, object]:
        dims = [{"Name": "OTelLib", "Value": component}, {"Name": "qualifier", "Value": qualifier}]
        return {"MetricName": name, "Dimensions": dims, "Timestamp": ts, "Value": 1.0}

    options = AwsClientOptions(region="us-east-1", endpoint_url=moto_endpoint)
    async with open_aws_client("cloudwatch", options) as client:
        data = [datum(n, "dev", "replayer", now) for n in names]
        data += [datum("m000", "dev", "replayer", now - timedelta(minutes=1))]
        data += [datum("prodOnly", "prod", "captureProxy", now)]
        await client.put_metric_data(Namespace=NAMESPACE, MetricData=data)
    async with CloudWatchMetricsCollector(
        region="us-east-1", qualifier="dev", endpoint_url=moto_endpoint
    ) as cw:
        listing = await cw.list_metrics()
        assert listing == {"replayer": names}
        assert await cw.list_metrics(recent=False) == listing
    async with CloudWatchMetricsCollector(region="us-east-1", endpoint_url=moto_endpoint) as cw:
        assert (await cw.list_metrics())["captureProxy"] == ["prodOnly"]


async def test_errors_become_metrics_errors(moto_endpoint: str) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    async with CloudWatchMetricsCollector(
        region="us-east-1", qualifier="dev", endpoint_url=moto_endpoint
    ) as cw:
        with pytest.raises(MetricsError, match="qualifier") as clash:
            await cw.get_metric_data(
                MetricQuery(
                    name="m", component="replayer", start=start, dimensions={"qualifier": "x"}
                )
            )
        assert clash.value.query is not None
    from tests.fixtures.peers import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    async with CloudWatchMetricsCollector(
        region="us-east-1", endpoint_url=dead, retry=None, timeout=2
    ) as cw:
        with pytest.raises(MetricsError, match="CloudWatch") as unreachable:
            await cw.ping()
        assert unreachable.value.transient


async def test_not_open_is_a_clear_error(moto_endpoint: str) -> None:
    cw = CloudWatchMetricsCollector(region="us-east-1", endpoint_url=moto_endpoint)
    with pytest.raises(RuntimeError, match="not open"):
        await cw.list_metrics()
    async with cw:
        await cw.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await cw.ping()
