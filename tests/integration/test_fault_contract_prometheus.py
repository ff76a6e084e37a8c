"""The fault contract for PrometheusMetricsCollector: a real Prometheus behind a FaultProxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole import RetryPolicy
from asyncconsole.infra.http._client import should_retry
from asyncconsole.infra.metrics import MetricQuery, PrometheusMetricsCollector
from asyncconsole.testing import FaultCall, FaultProxy, ProxyInjector, check_fault_contract

pytestmark = pytest.mark.integration

TIMEOUT = 2.0
PATIENT = RetryPolicy(
    attempts=8,
    wait_initial=0.01,
    wait_max=0.05,
    wait_jitter=0.0,
    timeout=None,
    retry_on=should_retry,
)


def _query() -> MetricQuery:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    return MetricQuery(
        name="up", component="replayer", start=start, end=start + timedelta(minutes=3)
    )


CALLS: list[FaultCall[PrometheusMetricsCollector]] = [
    FaultCall("list_metrics", lambda p: p.list_metrics(), True, dict, path=r"^/api/v1/series$"),
    FaultCall(
        "get_metric_data",
        lambda p: p.get_metric_data(_query()),
        True,
        list,
        path=r"^/api/v1/query",
    ),
    FaultCall("ping", lambda p: p.ping(), True, path=r"^/api/v1/status/buildinfo$"),
]


async def test_prometheus_collector_keeps_the_fault_contract(prometheus_server: str) -> None:
    async with FaultProxy(prometheus_server, seed=5) as proxy:

        @asynccontextmanager
        async def open_collector() -> AsyncIterator[PrometheusMetricsCollector]:
            async with PrometheusMetricsCollector(
                proxy.url, timeout=TIMEOUT, retry=PATIENT
            ) as prom:
                yield prom

        await check_fault_contract(open_collector, CALLS, ProxyInjector(proxy), timeout=TIMEOUT)
