"""Where the autoscaler's figures come from: the target's ``_nodes/stats`` and working-state
index (a fake OpenSearch), and metrics backends (the fake collector)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole import FakeClock, MalformedResponseError
from asyncconsole.autoscale import (
    IndexingProgress,
    MetricProgress,
    MetricSpec,
    MetricsPressure,
    NodeStatsPressure,
    PressureSource,
    ProgressSource,
    WorkingStateProgress,
)
from asyncconsole.config import ClusterConfig
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.infra.metrics import FakeMetricsCollector, Statistic
from asyncconsole.services.clusters import Cluster
from asyncconsole.testing import FakeOpenSearch, LoadModel

START = datetime(2026, 1, 1, tzinfo=UTC)
INDEX = ".migrations_working_state"


def _cluster(http: FakeHttpClient, clock: FakeClock) -> Cluster:
    config = ClusterConfig.model_validate({"endpoint": "http://target:9200", "no_auth": None})
    return Cluster(config, http, name="target", clock=clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START, auto_advance=False)


@pytest.fixture
async def target(clock: FakeClock) -> AsyncIterator[tuple[FakeOpenSearch, Cluster]]:
    fake = FakeOpenSearch(clock=clock, load=LoadModel(capacity=10, queue_size=1, threads=1))
    async with fake.client(retry=False) as http:
        yield fake, _cluster(http, clock)


def _bulk(docs: int) -> str:
    line = json.dumps({"index": {"_index": "items"}}) + "\n" + '{"n": 1}\n'
    return line * docs


async def _send(cluster: Cluster, docs: int) -> None:
    await cluster.call_api(
        "/_bulk", "POST", data=_bulk(docs), headers={"Content-Type": "application/x-ndjson"}
    )


def _window(clock: FakeClock, seconds: float = 60) -> tuple[datetime, datetime]:
    now = clock.now()
    return now - timedelta(seconds=seconds), now


async def test_node_stats_report_cpu_queue_and_rejections_since_the_last_reading(
    clock: FakeClock, target: tuple[FakeOpenSearch, Cluster]
) -> None:
    fake, cluster = target
    source = NodeStatsPressure(cluster)
    assert isinstance(source, PressureSource)
    first = await source.read(*_window(clock))
    assert (first.write_rejected, first.write_completed) == (None, None)  # nothing to compare
    assert first.nodes == 1
    for _ in range(4):  # one runs, one waits, two are rejected
        await _send(cluster, 20)
    second = await source.read(*_window(clock))
    assert (second.write_rejected, second.write_completed, second.write_queue) == (2, 0, 1)
    await clock.advance(10)
    third = await source.read(*_window(clock))
    assert (third.write_rejected, third.write_completed, third.write_queue) == (0, 2, 0)
    assert third.cpu_percent == fake.load.os_cpu(clock.monotonic())
    assert third.cpu_percent is not None
    assert third.cpu_percent > 2
    assert third.source == "_nodes/stats"
    [request] = fake.requests_matching("GET", "^/_nodes/stats")[-1:]
    assert request.path == "/_nodes/stats/os,thread_pool"
    assert "thread_pool.write.rejected" in request.query["filter_path"]


def _nodes_handler(nodes: dict[str, Any]) -> Any:
    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse.build(200, json={"nodes": nodes})

    return handler


async def test_only_data_nodes_count_and_restarted_counters_count_from_zero(
    clock: FakeClock,
) -> None:
    def node(roles: list[str], cpu: int, queue: int, rejected: int) -> dict[str, Any]:
        return {
            "roles": roles,
            "os": {"cpu": {"percent": cpu}},
            "thread_pool": {"write": {"queue": queue, "rejected": rejected, "completed": 5}},
        }

    nodes = {
        "m": node(["cluster_manager"], 99, 99, 0),
        "d1": node(["data", "ingest"], 40, 3, 10),
        "d2": node(["data_hot"], 60, 1, 20),
    }
    http = FakeHttpClient(_nodes_handler(nodes), clock=clock)
    async with http:
        source = NodeStatsPressure(_cluster(http, clock))
        await source.read(*_window(clock))
        nodes["d1"]["thread_pool"]["write"]["rejected"] = 14
        nodes["d2"]["thread_pool"]["write"]["rejected"] = 3  # the node restarted
        pressure = await source.read(*_window(clock))
    assert (pressure.cpu_percent, pressure.write_queue) == (60.0, 3)  # the manager is left out
    assert pressure.write_rejected == 4 + 3
    assert pressure.write_completed == 0
    assert pressure.nodes == 3


async def test_a_garbled_answer_is_a_typed_error(clock: FakeClock) -> None:
    http = FakeHttpClient(_nodes_handler({"n": {"os": {"cpu": {"percent": "hot"}}}}), clock=clock)
    async with http:
        source = NodeStatsPressure(_cluster(http, clock))
        with pytest.raises(MalformedResponseError, match="node stats"):
            await source.read(*_window(clock))


async def test_working_state_progress_counts_items_completed_in_the_interval(
    clock: FakeClock, target: tuple[FakeOpenSearch, Cluster]
) -> None:
    fake, cluster = target
    source = WorkingStateProgress(cluster, INDEX)
    assert isinstance(source, ProgressSource)
    missing = await source.read(*_window(clock))
    assert (missing.per_minute, missing.remaining) == (None, None)
    fake.seed_working_state(completed=5, unclaimed=30, split=2)
    await clock.advance(10)
    fake.rfs_complete(6)
    await clock.advance(30)
    fake.rfs_complete(3)
    await clock.advance(20)
    progress = await source.read(*_window(clock, 60))
    assert progress.done == 9  # seeded ones completed before the interval do not count
    assert progress.per_minute == pytest.approx(9.0)
    assert progress.remaining == 30 - 9 + 2  # split items' successors are open work
    assert progress.unit == "items"
    half = await source.read(*_window(clock, 30))
    assert half.done == 3
    assert half.per_minute == pytest.approx(6.0)
    fake.rfs_complete(1)  # at the instant of the reading: it belongs to the next interval
    assert (await source.read(*_window(clock, 30))).done == 3


async def test_no_remaining_figure_before_the_shards_are_set_up(
    clock: FakeClock, target: tuple[FakeOpenSearch, Cluster]
) -> None:
    fake, cluster = target
    fake.seed_working_state(setup_completed=False)
    progress = await WorkingStateProgress(cluster, INDEX).read(*_window(clock))
    assert progress.remaining is None  # 0 open items now does not mean "complete"
    assert progress.done == 0


async def test_indexing_progress_is_the_target_indexing_rate(
    clock: FakeClock, target: tuple[FakeOpenSearch, Cluster]
) -> None:
    _, cluster = target
    source = IndexingProgress(cluster)
    assert (await source.read(*_window(clock))).per_minute is None
    await _send(cluster, 20)
    await clock.advance(30)
    progress = await source.read(*_window(clock, 30))
    assert (progress.done, progress.unit) == (20, "docs")
    assert progress.per_minute == pytest.approx(40.0)


async def test_metrics_pressure_reads_gauges_deltas_and_counters(clock: FakeClock) -> None:
    metrics = FakeMetricsCollector(clock=clock)
    labels_a, labels_b = {"node": "a"}, {"node": "b"}
    base = START - timedelta(minutes=2)
    for minute in range(4):
        at = base + timedelta(minutes=minute)
        metrics.add_points("target", "cpu", [(at, 30.0 + minute)], labels=labels_a)
        metrics.add_points("target", "cpu", [(at, 50.0 + minute)], labels=labels_b)
        metrics.add_points("target", "rejected_per_minute", [(at, 2.0)], labels=labels_a)
        metrics.add_points("target", "completed_total", [(at, 100.0 * minute)], labels=labels_a)
    source = MetricsPressure(
        metrics,
        cpu=MetricSpec("cpu", "target"),
        write_rejected=MetricSpec("rejected_per_minute", "target", Statistic.SUM, "delta"),
        write_completed=MetricSpec("completed_total", "target", Statistic.MAXIMUM, "counter"),
        source="fake metrics",
    )
    await clock.advance(60)
    first = await source.read(START - timedelta(minutes=1), START + timedelta(minutes=1))
    assert first.cpu_percent == 52.0  # the hottest series in the interval (end excluded)
    assert first.write_rejected == 4  # two per-minute counts summed
    assert first.write_completed is None  # a counter needs a previous reading
    assert first.write_queue is None
    assert first.source == "fake metrics"
    metrics.add_points(
        "target", "completed_total", [(START + timedelta(seconds=90), 450.0)], labels=labels_a
    )
    await clock.advance(60)
    second = await source.read(START + timedelta(minutes=1), START + timedelta(minutes=2))
    assert second.write_completed == 450 - 200  # since the latest value of the last reading
    assert second.write_rejected == 2
    await clock.advance(120)
    third = await source.read(START + timedelta(minutes=2), START + timedelta(minutes=3))
    assert third.write_rejected is None  # nothing published for the interval: unknown
    assert third.cpu_percent is None


def test_metrics_pressure_presets_name_the_published_metrics() -> None:
    collector = FakeMetricsCollector()
    aws = MetricsPressure.cloudwatch(collector, component="target", dimensions={"Domain": "d"})
    assert aws.cpu is not None
    assert (aws.cpu.name, aws.cpu.statistic) == ("CPUUtilization", Statistic.MAXIMUM)
    assert aws.write_rejected is not None
    assert (aws.write_rejected.name, aws.write_rejected.kind) == (
        "ThreadpoolWriteRejected",
        "delta",
    )
    assert aws.write_queue is not None
    assert aws.write_queue.dimensions == {"Domain": "d"}
    prom = MetricsPressure.prometheus(collector)
    assert prom.write_rejected is not None
    assert prom.write_rejected.kind == "counter"
    assert prom.source == "prometheus"
    with pytest.raises(ValueError, match="at least one"):
        MetricsPressure(collector)


async def test_metric_progress_rates(clock: FakeClock) -> None:
    metrics = FakeMetricsCollector(clock=clock)
    at = START - timedelta(seconds=30)
    metrics.add_points("replayer", "kafkaCommitCount", [(at, 120.0)])
    metrics.add_points("replayer", "events_total", [(at, 1000.0)])
    await clock.advance(0)
    delta = MetricProgress(metrics, MetricSpec("kafkaCommitCount", "replayer", "Sum", "delta"))
    progress = await delta.read(START - timedelta(minutes=1), START)
    assert (progress.done, progress.per_minute, progress.unit) == (120.0, 120.0, "events")
    counter = MetricProgress(
        metrics, MetricSpec("events_total", "replayer", "Maximum", "counter"), unit="docs"
    )
    assert (await counter.read(START - timedelta(minutes=1), START)).per_minute is None
    metrics.add_points("replayer", "events_total", [(START + timedelta(seconds=30), 1300.0)])
    await clock.advance(60)
    later = await counter.read(START, START + timedelta(minutes=1))
    assert (later.done, later.per_minute) == (300, 300.0)
    gauge = MetricProgress(metrics, MetricSpec("kafkaCommitCount", "replayer", "Average", "gauge"))
    assert (await gauge.read(START - timedelta(minutes=1), START)).per_minute == 120.0
    nothing = MetricProgress(metrics, MetricSpec("absent", "replayer", "Sum", "delta"))
    assert (await nothing.read(START - timedelta(minutes=1), START)).per_minute is None
