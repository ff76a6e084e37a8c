"""The fault contract for CloudWatchMetricsCollector: moto's CloudWatch behind a FaultProxy.

The proxy counts requests per operation whichever protocol botocore speaks: the JSON protocol
names it in ``X-Amz-Target`` (``GraniteServiceVersion20100801.ListMetrics``), the query
protocol in the form field ``Action`` (``ListMetrics``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import RetryPolicy
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.metrics import CloudWatchMetricsCollector, MetricQuery
from asyncconsole.testing import FaultCall, FaultProxy, ProxyInjector, check_fault_contract

pytestmark = pytest.mark.integration

TIMEOUT = 2.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)


def _query() -> MetricQuery:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    return MetricQuery(
        name="latency", component="replayer", start=start, end=start + timedelta(minutes=3)
    )


async def _operation_names(endpoint: str) -> tuple[str, str]:
    """How this botocore names ListMetrics and GetMetricData on the wire."""
    options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
    async with open_aws_client("cloudwatch", options) as cw:
        protocol = cw.meta.service_model.resolved_protocol
        prefix = cw.meta.service_model.metadata.get("targetPrefix", "")
    if protocol == "query":
        return "ListMetrics", "GetMetricData"
    return f"{prefix}.ListMetrics", f"{prefix}.GetMetricData"


async def _seed(endpoint: str) -> None:
    options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
    now = datetime.now(UTC)
    async with open_aws_client("cloudwatch", options) as cw:
        await cw.put_metric_data(
            Namespace="OpenSearchMigrations",
            MetricData=[
                {
                    "MetricName": "latency",
                    "Dimensions": [{"Name": "OTelLib", "Value": "replayer"}],
                    "Timestamp": now - timedelta(minutes=4),
                    "Value": 1.0,
                }
            ],
        )


async def test_cloudwatch_collector_keeps_the_fault_contract(moto_endpoint: str) -> None:
    await _seed(moto_endpoint)
    listing, data = await _operation_names(moto_endpoint)
    calls: list[FaultCall[CloudWatchMetricsCollector]] = [
        FaultCall("list_metrics", lambda cw: cw.list_metrics(), True, dict, peer_operation=listing),
        FaultCall(
            "get_metric_data",
            lambda cw: cw.get_metric_data(_query()),
            True,
            list,
            peer_operation=data,
        ),
        FaultCall("ping", lambda cw: cw.ping(), True, peer_operation=listing),
    ]
    async with FaultProxy(
        moto_endpoint, seed=7, operation_header="X-Amz-Target", operation_field="Action"
    ) as proxy:

        @asynccontextmanager
        async def open_collector() -> AsyncIterator[CloudWatchMetricsCollector]:
            async with CloudWatchMetricsCollector(
                region="us-east-1", endpoint_url=proxy.url, timeout=TIMEOUT, retry=PATIENT
            ) as cw:
                yield cw

        await check_fault_contract(open_collector, calls, ProxyInjector(proxy), timeout=TIMEOUT)
        assert proxy.forwarded_operations[data] > 0
