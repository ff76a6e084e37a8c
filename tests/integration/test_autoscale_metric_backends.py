"""The autoscaler's loop with its pressure read from a real Prometheus and from CloudWatch (moto
server) instead of ``_nodes/stats``.

The simulated backfill of ``tests/autoscale_scenario.py`` runs on fake time; an exporter
publishes the fake target's CPU, write queue and write-task counters to the real backend every
10 s of fake time (as a metrics agent beside a real cluster would), and ``MetricsPressure``
reads them back through the real collectors. Fake time stands still during each real request
(``HoldingClock``), so the backends see samples in the order the simulation makes them.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole.autoscale import MetricsPressure
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.metrics import (
    CloudWatchMetricsCollector,
    MetricQuery,
    MetricsCollector,
    MetricSeries,
    PrometheusMetricsCollector,
)
from asyncconsole.infra.metrics._promql import JOB_LABEL, job_for_component
from asyncconsole.testing import FakeOpenSearch, PrometheusRemoteWriter
from tests.autoscale_scenario import HoldingClock, Scenario, describe, simulate

pytestmark = pytest.mark.integration

Publish = Callable[[datetime, dict[str, float]], Awaitable[None]]


class HeldCollector:
    """A collector whose requests happen while ``clock`` stands still."""

    def __init__(self, inner: MetricsCollector, clock: HoldingClock) -> None:
        self.inner = inner
        self.clock = clock

    async def list_metrics(self, *, recent: bool = True) -> dict[str, list[str]]:
        with self.clock.hold():
            return await self.inner.list_metrics(recent=recent)

    async def get_metric_data(self, query: MetricQuery) -> list[MetricSeries]:
        with self.clock.hold():
            return await self.inner.get_metric_data(query)

    async def ping(self) -> None:
        with self.clock.hold():
            await self.inner.ping()


def exporter(
    publish: Publish, *, every: float = 10.0, offset: float = 5.0
) -> Callable[[FakeOpenSearch, Any], Awaitable[None]]:
    """Publish the target's figures at ``offset + k * every`` seconds: always before the
    autoscaler's reading on the minute, so a period's samples are all there when it reads."""

    async def run(target: FakeOpenSearch, clock: Any) -> None:
        load = target.load
        rejected_before = load.rejected
        await clock.sleep(offset)
        while True:
            now = clock.monotonic()
            load.advance(now)
            figures = {
                "cpu": float(load.os_cpu(now)),
                "queue": float(load.queued),
                "rejected_total": float(load.rejected),
                "completed_total": float(load.completed),
                "rejected_delta": float(load.rejected - rejected_before),
            }
            rejected_before = load.rejected
            with clock.hold():
                await publish(clock.now(), figures)
            await clock.sleep(every)

    return run


def _start(minutes_ago: int) -> datetime:
    """A whole minute ``minutes_ago`` in the past (Prometheus keeps recent samples only)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=minutes_ago)


@pytest.mark.parametrize(
    ("start", "periods", "within", "crossings"),
    # One period later than with _nodes/stats: a counter read from a backend needs two
    # readings with samples before it gives an increase.
    [(20, 10, 6, 0), (2, 30, 21, 1)],
    ids=["from-too-many", "from-too-few"],
)
async def test_prometheus_as_the_pressure_source(
    prometheus_server: str, start: int, periods: int, within: int, crossings: int
) -> None:
    component = f"target-{uuid.uuid4().hex[:8]}"
    scenario = Scenario(start_workers=start, periods=periods, start=_start(periods + 5))
    clock = HoldingClock(scenario.start)
    names = {
        "cpu": "opensearch_os_cpu_percent",
        "queue": "opensearch_threadpool_write_queue_count",
        "rejected_total": "opensearch_threadpool_write_rejected_count",
        "completed_total": "opensearch_threadpool_write_completed_count",
    }
    job = {JOB_LABEL: job_for_component(component), "node": "fake-node-1"}
    async with (
        PrometheusRemoteWriter(prometheus_server) as writer,
        PrometheusMetricsCollector(endpoint=prometheus_server) as prometheus,
    ):

        async def publish(at: datetime, figures: dict[str, float]) -> None:
            await writer.write(
                [({**job, "__name__": name}, [(at, figures[key])]) for key, name in names.items()]
            )

        run = await simulate(
            scenario,
            clock=clock,
            pressure=lambda _cluster: MetricsPressure.prometheus(
                HeldCollector(prometheus, clock), component=component
            ),
            extra=exporter(publish),
        )
    best = scenario.best
    converged = run.first_period_at(best)
    assert converged is not None, describe(run)
    assert converged <= within, describe(run)
    assert run.crossings(best) <= crossings, describe(run)
    sources = {
        p.decision.observation.pressure.source for p in run.trace if p.decision.observation.pressure
    }
    assert sources == {"prometheus"}
    judged = [p for p in run.trace[1:] if p.rejected is not None]
    assert judged, describe(run)  # the counters were read back and differenced
    assert all(p.cpu is not None and p.cpu > 2 for p in run.trace[1:]), describe(run)


async def test_cloudwatch_as_the_pressure_source(moto_endpoint: str) -> None:
    component = "target"
    scenario = Scenario(start_workers=20, periods=18, start=datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
    clock = HoldingClock(scenario.start)
    names = {
        "cpu": "CPUUtilization",
        "queue": "ThreadpoolWriteQueue",
        "rejected_delta": "ThreadpoolWriteRejected",
    }
    options = AwsClientOptions(region="us-east-1", endpoint_url=moto_endpoint)
    async with (
        open_aws_client("cloudwatch", options) as cloudwatch,
        CloudWatchMetricsCollector(
            region="us-east-1", endpoint_url=moto_endpoint, discover_series=False
        ) as collector,
    ):

        async def publish(at: datetime, figures: dict[str, float]) -> None:
            await cloudwatch.put_metric_data(
                Namespace="OpenSearchMigrations",
                MetricData=[
                    {
                        "MetricName": name,
                        "Dimensions": [{"Name": "OTelLib", "Value": component}],
                        "Timestamp": at,
                        "Value": figures[key],
                    }
                    for key, name in names.items()
                ],
            )

        run = await simulate(
            scenario,
            clock=clock,
            pressure=lambda _cluster: MetricsPressure.cloudwatch(
                HeldCollector(collector, clock), component=component
            ),
            extra=exporter(publish),
        )
    best = scenario.best
    converged = run.first_period_at(best)
    assert converged is not None, describe(run)
    # CloudWatch has no completed-task count to size the cuts with: they bisect (20 → 10 → 8),
    # then one step up finds the limit (8 → 9 → 8).
    assert converged <= 15, describe(run)
    assert run.crossings(best) == 0, describe(run)
    assert max(run.counts[converged - 1 :]) == best
    first_cut = next(p.decision for p in run.trace if p.decision.changes)
    assert first_cut.reason.startswith("20 → 10: ")
    assert "write rejections" in first_cut.reason
    pressure = first_cut.observation.pressure
    assert pressure is not None
    assert pressure.source == "cloudwatch"
    assert pressure.cpu_percent is not None
    assert not math.isnan(pressure.cpu_percent)
