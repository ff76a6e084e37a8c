"""The behaviour every :class:`MetricsCollector` must show, runnable against any implementation.

The suite writes known samples through a ``feed`` hook (each backend has its own way in:
remote write for Prometheus, ``PutMetricData`` for CloudWatch, ``add_points`` for the fake),
then reads them back through the collector and checks values, bucket boundaries, statistics,
series selection and listing. Metric names are unique per run, so a long-lived backend can be
reused.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, aclosing
from datetime import UTC, datetime, timedelta

from ._protocol import MetricsCollector
from ._types import (
    Component,
    MetricQuery,
    MetricSeries,
    Point,
    Statistic,
    bucketize,
)
from ._watch import watch

__all__ = ["Feed", "check_metrics_collector"]

Feed = Callable[[str, str, Mapping[str, str], Sequence[Point]], Awaitable[None]]
"""``await feed(component, metric_name, labels, points)`` stores raw samples in the backend."""

OTHER_COMPONENT = "contractOther"


async def check_metrics_collector(
    make: Callable[[], AbstractAsyncContextManager[MetricsCollector]],
    feed: Feed,
    *,
    now: Callable[[], datetime] | None = None,
    period: int = 60,
) -> None:
    """Check a metrics collector against the shared behaviour; raise ``AssertionError`` if not.

    Args:
        make: Returns the collector as an async context manager (it is entered once).
        feed: Stores raw samples ``(timestamp, value)`` for ``component/name{labels}``. Points
            of one call are ascending; the suite feeds each series once.
        now: The backend's current time (the fake's clock); defaults to the system clock. The
            samples lie within the last ten minutes before it (Prometheus' remote-write
            receiver refuses much older samples).
        period: Bucket length used by the checks.
    """
    current = now or (lambda: datetime.now(UTC))
    step = timedelta(seconds=period)
    origin = current().replace(microsecond=0) - 8 * step
    base = origin - timedelta(seconds=int(origin.timestamp()) % period)
    run = uuid.uuid4().hex[:8]
    names = {key: f"contract_{key}_{run}" for key in ("exact", "stats", "shards", "others")}
    replayer = Component.REPLAYER.value
    capture = Component.CAPTURE_PROXY.value

    exact = [(base + k * step + timedelta(seconds=5), v) for k, v in enumerate(_EXACT_VALUES)]
    stats = [
        (base + timedelta(seconds=s), v)
        for s, v in (
            (0, 1.0),
            (20, 2.0),
            (period - 1, 4.0),  # last second of bucket 0
            (period, 10.0),  # first second of bucket 1
            (3 * period + 1, -1.0),
            (3 * period + 9, 5.0),
            (3 * period + period // 2 + 10, 7.0),  # beyond the partial window's end
        )
    ]
    shard_a = [(base + k * step + timedelta(seconds=7), 100.0 + k) for k in range(3)]
    shard_b = [(base + k * step + timedelta(seconds=7), 200.0 + k) for k in range(3)]
    others = [(base + timedelta(seconds=3), 42.0)]

    await feed(replayer, names["exact"], {}, exact)
    await feed(replayer, names["stats"], {}, stats)
    await feed(replayer, names["shards"], {"shard": "a"}, shard_a)
    await feed(replayer, names["shards"], {"shard": "b"}, shard_b)
    await feed(capture, names["others"], {}, others)
    await feed(OTHER_COMPONENT, names["others"], {}, others)

    async with make() as collector:
        await collector.ping()
        await _check_exact(collector, names["exact"], exact, base, period)
        await _check_statistics(collector, names["stats"], stats, base, period)
        await _check_series_selection(collector, names["shards"], shard_a, shard_b, base, period)
        await _check_components(collector, names["others"], others, base, period)
        await _check_listing(collector, names)
        await _check_watch(collector, names["exact"], exact, base, period)
        await _check_query_validation()


_EXACT_VALUES = (0.0, 1.5, -2.25, 1234567.890625, 3.0e-5)


def _query(
    name: str,
    component: str,
    statistic: Statistic | str,
    start: datetime,
    end: datetime,
    period: int,
    **dims: str,
) -> MetricQuery:
    return MetricQuery(
        name=name,
        component=component,
        statistic=statistic,
        start=start,
        end=end,
        period=period,
        dimensions=dims,
    )


def _only(series: list[MetricSeries], what: str) -> MetricSeries:
    assert len(series) == 1, f"{what}: expected exactly one series, got {len(series)}: {series!r}"
    return series[0]


def _check_shape(series: MetricSeries, query: MetricQuery) -> None:
    assert series.name == query.name, f"series name {series.name!r} != {query.name!r}"
    assert series.component == query.component, f"component {series.component!r}"
    assert series.statistic is query.stat, f"statistic {series.statistic!r} != {query.stat!r}"
    stamps = series.timestamps
    for ts in stamps:
        assert ts.utcoffset() == timedelta(0), f"{ts!r} is not UTC"
    assert stamps == sorted(stamps), "points not ascending"
    assert len(set(stamps)) == len(stamps), "points repeat a timestamp"
    json.dumps(series.to_json())


def _same(
    actual: tuple[Point, ...], expected: tuple[Point, ...], what: str, *, exact: bool
) -> None:
    assert [ts for ts, _ in actual] == [ts for ts, _ in expected], (
        f"{what}: bucket timestamps {[t.isoformat() for t, _ in actual]} != "
        f"{[t.isoformat() for t, _ in expected]}"
    )
    for (ts, got), (_, want) in zip(actual, expected, strict=True):
        ok = got == want if exact else math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
        assert ok, f"{what}: value at {ts.isoformat()} is {got!r}, expected {want!r}"


async def _check_exact(
    collector: MetricsCollector, name: str, fed: list[Point], base: datetime, period: int
) -> None:
    end = base + len(fed) * timedelta(seconds=period)
    for statistic in Statistic:
        query = _query(name, Component.REPLAYER, statistic, base, end, period)
        series = _only(await collector.get_metric_data(query), f"exact read-back ({statistic})")
        _check_shape(series, query)
        expected = bucketize(fed, statistic, base, end, period)
        assert [v for _, v in expected] == (
            [1.0] * len(fed) if statistic is Statistic.SAMPLE_COUNT else [v for _, v in fed]
        )
        _same(series.points, expected, f"exact read-back ({statistic})", exact=True)
    # The statistic may be given by name, as the CLI does.
    named = _query(name, "replayer", "Maximum", base, end, period)
    assert (await collector.get_metric_data(named))[0].values == [v for _, v in fed]


async def _check_statistics(
    collector: MetricsCollector, name: str, fed: list[Point], base: datetime, period: int
) -> None:
    step = timedelta(seconds=period)
    windows = {
        "aligned window": (base, base + 5 * step),
        "partial last bucket": (base, base + 3 * step + timedelta(seconds=period // 2)),
        "window starting mid-stream": (base + step, base + 4 * step),
    }
    for what, (start, end) in windows.items():
        for statistic in Statistic:
            query = _query(name, Component.REPLAYER, statistic, start, end, period)
            series = _only(await collector.get_metric_data(query), f"{what} ({statistic})")
            _check_shape(series, query)
            expected = bucketize(fed, statistic, start, end, period)
            _same(
                series.points,
                expected,
                f"{what} ({statistic})",
                exact=statistic is not Statistic.AVERAGE,
            )
    # Bucket 0 holds 1, 2, 4: the statistic really is applied (console_link ignored it).
    first = {
        statistic: (
            await collector.get_metric_data(
                _query(name, Component.REPLAYER, statistic, base, base + step, period)
            )
        )[0].values[0]
        for statistic in Statistic
    }
    assert first[Statistic.SAMPLE_COUNT] == 3.0, first
    assert first[Statistic.SUM] == 7.0, first
    assert first[Statistic.MINIMUM] == 1.0, first
    assert first[Statistic.MAXIMUM] == 4.0, first
    assert math.isclose(first[Statistic.AVERAGE], 7.0 / 3.0, rel_tol=1e-12), first


async def _check_series_selection(
    collector: MetricsCollector,
    name: str,
    shard_a: list[Point],
    shard_b: list[Point],
    base: datetime,
    period: int,
) -> None:
    end = base + 3 * timedelta(seconds=period)
    query = _query(name, Component.REPLAYER, Statistic.SUM, base, end, period, shard="a")
    series = _only(await collector.get_metric_data(query), "dimension filter shard=a")
    assert series.labels.get("shard") == "a", f"labels {dict(series.labels)}"
    assert series.values == [v for _, v in shard_a], series.values

    everything = await collector.get_metric_data(query.replace(dimensions={}))
    by_shard = {s.labels.get("shard"): s.values for s in everything}
    assert by_shard == {"a": [v for _, v in shard_a], "b": [v for _, v in shard_b]}, (
        f"every matching series must be returned, got {by_shard}"
    )
    none = await collector.get_metric_data(query.replace(dimensions={"shard": "zzz"}))
    assert none == [], f"no series has shard=zzz, got {none!r}"


async def _check_components(
    collector: MetricsCollector, name: str, fed: list[Point], base: datetime, period: int
) -> None:
    end = base + timedelta(seconds=period)
    for component in (Component.CAPTURE_PROXY.value, OTHER_COMPONENT):
        query = _query(name, component, Statistic.MAXIMUM, base, end, period)
        series = _only(await collector.get_metric_data(query), f"component {component}")
        assert series.component == component
        assert series.values == [v for _, v in fed]
    missing = _query(name, Component.REPLAYER, Statistic.MAXIMUM, base, end, period)
    assert await collector.get_metric_data(missing) == [], "the replayer never sent this metric"
    unknown = missing.replace(name=f"{name}_never_written")
    assert await collector.get_metric_data(unknown) == [], "an unknown metric has no series"


async def _check_listing(collector: MetricsCollector, names: Mapping[str, str]) -> None:
    for recent in (True, False):
        listing = await collector.list_metrics(recent=recent)
        json.dumps(listing)
        for component, metrics in listing.items():
            assert isinstance(metrics, list), f"{component}: {type(metrics).__name__} not list"
            assert metrics == sorted(set(metrics)), f"{component}: not sorted/unique: {metrics}"
        replayer = set(listing.get(Component.REPLAYER.value, []))
        wanted = {names["exact"], names["stats"], names["shards"]}
        assert wanted <= replayer, f"recent={recent}: replayer lists {sorted(replayer)}"
        assert names["others"] not in replayer
        for component in (Component.CAPTURE_PROXY.value, OTHER_COMPONENT):
            assert names["others"] in listing.get(component, []), (
                f"recent={recent}: {component} lists {listing.get(component)}"
            )


async def _check_watch(
    collector: MetricsCollector, name: str, fed: list[Point], base: datetime, period: int
) -> None:
    end = base + len(fed) * timedelta(seconds=period)
    query = _query(name, Component.REPLAYER, Statistic.MAXIMUM, base, end, period)
    seen: list[Point] = []
    async with aclosing(watch(collector, query, every=1.0)) as batches:
        async for batch in batches:
            seen.extend(batch.points)
    assert [v for _, v in seen] == [v for _, v in fed], f"watch yielded {seen}"
    assert len({ts for ts, _ in seen}) == len(seen), "watch repeated a point"


async def _check_query_validation() -> None:
    now = datetime.now(UTC)
    _rejects(
        lambda: MetricQuery(name="m", component="replayer", start=now.replace(tzinfo=None)),
        "timezone-aware",
        "a naive start time must be rejected",
    )
    _rejects(
        lambda: MetricQuery(name="m", component="replayer", statistic="Median", start=now),
        "Median",
        "an unknown statistic must be rejected",
    )
    _rejects(
        lambda: MetricQuery(name="m", component="replayer", start=now, end=now),
        "must be after",
        "an empty window must be rejected",
    )


def _rejects(make: Callable[[], object], needle: str, why: str) -> None:
    message = None
    try:
        make()
    except ValueError as exc:
        message = str(exc)
    if message is None:
        raise AssertionError(why)
    assert needle in message, f"{why}: unclear message {message!r}"
