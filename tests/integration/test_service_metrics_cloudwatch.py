"""Metrics end to end on CloudWatch: an Environment built from a ``metrics_source.cloudwatch``
block, its real CloudWatchMetricsCollector talking to moto server (fed with PutMetricData)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import Environment
from asyncconsole.environment import Infrastructure
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.metrics import Statistic

pytestmark = pytest.mark.integration


async def put(
    endpoint: str, qualifier: str, component: str, name: str, points: list[float]
) -> None:
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=len(points) + 1)
    dims = [{"Name": "OTelLib", "Value": component}, {"Name": "qualifier", "Value": qualifier}]
    options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
    async with open_aws_client("cloudwatch", options) as cw:
        await cw.put_metric_data(
            Namespace="OpenSearchMigrations",
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": dims,
                    "Timestamp": base + timedelta(minutes=k, seconds=10),
                    "Value": value,
                }
                for k, value in enumerate(points)
            ],
        )


async def test_list_get_data_and_check_through_the_environment(moto_endpoint: str) -> None:
    await put(moto_endpoint, "dev", "replayer", "kafkaCommitCount", [1.0, 2.0, 3.0, 4.0])
    await put(moto_endpoint, "dev", "captureProxy", "captureConnectionDuration", [7.0])
    await put(moto_endpoint, "prod", "replayer", "otherStageOnly", [9.0])
    env = Environment.from_dict(
        {"metrics_source": {"cloudwatch": {"aws_region": "us-east-1", "qualifier": "dev"}}},
        infra=Infrastructure(aws_endpoint_url=moto_endpoint),
    )
    async with env:
        assert env.metrics is not None
        names = await env.metrics.list()
        report = await env.metrics.get_data_report(
            "replayer", "kafkaCommitCount", "Sum", lookback_minutes=10
        )
        checked = await env.check()

    assert dict(names) == {
        "captureProxy": ["captureConnectionDuration"],
        "replayer": ["kafkaCommitCount"],
    }
    assert report.statistic is Statistic.SUM
    assert report.source_type == "CloudWatchMetricsCollector"
    [series] = report.series
    assert series.labels == {"OTelLib": "replayer", "qualifier": "dev"}
    assert sorted(series.values) == [1.0, 2.0, 3.0, 4.0]
    assert series.timestamps == sorted(series.timestamps)
    assert all(ts.tzinfo is not None for ts in series.timestamps)
    assert checked["metrics"].ok, checked["metrics"].detail
    assert "CloudWatchMetricsCollector" in str(checked["metrics"].detail)


async def test_unknown_metric_is_an_empty_result(moto_endpoint: str) -> None:
    env = Environment.from_dict(
        {"metrics_source": {"cloudwatch": {"aws_region": "us-east-1", "qualifier": "dev"}}},
        infra=Infrastructure(aws_endpoint_url=moto_endpoint),
    )
    async with env:
        assert env.metrics is not None
        assert await env.metrics.get_data("captureProxy", "nothingHere", lookback_minutes=5) == []
