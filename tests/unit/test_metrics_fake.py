"""FakeMetricsCollector over fake time, and the watch() helper."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime, timedelta

import pytest

from asyncconsole import FakeClock, MetricsError
from asyncconsole.infra.metrics import (
    FakeMetricsCollector,
    MetricQuery,
    MetricsCollector,
    MetricSeries,
    Statistic,
    watch,
)

MINUTE = timedelta(minutes=1)


async def test_fake_is_a_metrics_collector() -> None:
    async with FakeMetricsCollector(clock=FakeClock()) as fake:
        assert isinstance(fake, MetricsCollector)
        await fake.ping()
        assert fake.calls == [("ping", None)]


async def test_counter_grows_with_fake_time() -> None:
    clock = FakeClock()
    fake = FakeMetricsCollector(clock=clock)
    start = clock.now()
    fake.add_counter("replayer", "kafkaCommitCount", rate=2.0, every=10.0)
    await clock.sleep(180)
    query = MetricQuery(
        name="kafkaCommitCount", component="replayer", statistic="Maximum", start=start
    )
    [series] = await fake.get_metric_data(query)
    # samples every 10 s at 2/s: the last sample of each minute is 50 s in -> +100
    assert series.values == [100.0, 220.0, 340.0]
    assert series.timestamps == [start, start + MINUTE, start + 2 * MINUTE]
    counts = await fake.get_metric_data(query.replace(statistic=Statistic.SAMPLE_COUNT))
    assert counts[0].values == [6.0, 6.0, 6.0]
    await clock.sleep(60)
    assert (await fake.get_metric_data(query))[0].values[-1] == 460.0


async def test_generated_gauge_and_dimensions() -> None:
    clock = FakeClock()
    fake = FakeMetricsCollector(clock=clock)
    start = clock.now()

    def seconds_since_start_plus(offset: float) -> Callable[[datetime], float]:
        return lambda t: offset + (t - start).total_seconds()

    for shard, offset in (("a", 0.0), ("b", 100.0)):
        fake.add_generated(
            "captureProxy",
            "lag",
            seconds_since_start_plus(offset),
            every=30.0,
            labels={"shard": shard},
        )
    await clock.sleep(120)
    query = MetricQuery(name="lag", component="captureProxy", statistic="Average", start=start)
    both = await fake.get_metric_data(query)
    assert [dict(s.labels) for s in both] == [{"shard": "a"}, {"shard": "b"}]
    assert both[0].values == [15.0, 75.0]
    assert both[1].values == [115.0, 175.0]
    [only_b] = await fake.get_metric_data(query.replace(dimensions={"shard": "b"}))
    assert only_b.values == both[1].values
    with pytest.raises(ValueError, match="already generated"):
        fake.add_generated("captureProxy", "lag", lambda t: 0.0, labels={"shard": "a"})


async def test_listing_respects_recency() -> None:
    clock = FakeClock()
    fake = FakeMetricsCollector(clock=clock)
    fake.add_points("replayer", "old", [(clock.now() - timedelta(hours=4), 1.0)])
    fake.add_points("replayer", "new", [(clock.now() - MINUTE, 1.0)])
    fake.add_counter("captureProxy", "bytes", rate=1.0)
    assert await fake.list_metrics() == {"captureProxy": ["bytes"], "replayer": ["new"]}
    assert await fake.list_metrics(recent=False) == {
        "captureProxy": ["bytes"],
        "replayer": ["new", "old"],
    }


async def test_injected_failures_then_recovery() -> None:
    fake = FakeMetricsCollector(clock=FakeClock())
    boom = MetricsError("throttled", query="q")
    fake.fail("list_metrics", boom, times=2)
    for _ in range(2):
        with pytest.raises(MetricsError, match="throttled"):
            await fake.list_metrics()
    assert await fake.list_metrics() == {}
    fake.fail("ping")
    with pytest.raises(MetricsError, match="injected failure in ping"):
        await fake.ping()
    with pytest.raises(ValueError, match="unknown method"):
        fake.fail("scale")


async def test_watch_yields_each_complete_bucket_once() -> None:
    clock = FakeClock()
    fake = FakeMetricsCollector(clock=clock)
    start = clock.now()
    fake.add_counter("replayer", "docs", rate=1.0, every=15.0)
    query = MetricQuery(name="docs", component="replayer", statistic="Maximum", start=start)
    batches: list[MetricSeries] = []
    async with aclosing(watch(fake, query, every=25.0, clock=clock)) as stream:
        async for batch in stream:
            batches.append(batch)
            if sum(len(b.points) for b in batches) >= 4:
                break
    points = [p for b in batches for p in b.points]
    assert points == [(start + k * MINUTE, 45.0 + 60 * k) for k in range(4)]
    assert all(len(b.points) == 1 for b in batches)  # polls every 25 s see at most one new bucket
    polls = [args for name, args in fake.calls if name == "get_metric_data"]
    assert [q.start for q in polls] == [start + k * MINUTE for k in range(4)]


async def test_watch_with_an_end_stops_and_honours_delay() -> None:
    clock = FakeClock()
    fake = FakeMetricsCollector(clock=clock)
    start = clock.now()
    fake.add_counter("replayer", "docs", rate=1.0, every=30.0)
    end = start + 2 * MINUTE + timedelta(seconds=30)
    query = MetricQuery(
        name="docs", component="replayer", statistic="SampleCount", start=start, end=end
    )
    seen = [
        p
        async for batch in watch(fake, query, every=20.0, delay=30.0, clock=clock)
        for p in batch.points
    ]
    assert seen == [(start, 2.0), (start + MINUTE, 2.0), (start + 2 * MINUTE, 1.0)]
    # The last (partial) bucket was only read once `end + delay` had passed.
    assert clock.now() >= end + timedelta(seconds=30)


async def test_watch_propagates_errors_and_rejects_bad_interval() -> None:
    clock = FakeClock()
    fake = FakeMetricsCollector(clock=clock)
    query = MetricQuery(name="m", component="replayer", start=clock.now() - 2 * MINUTE)
    fake.fail("get_metric_data")
    with pytest.raises(MetricsError):
        async for _ in watch(fake, query, clock=clock):
            pass
    with pytest.raises(ValueError, match="every"):
        async for _ in watch(fake, query, every=0, clock=clock):
            pass
