"""Follow a metric as it grows: an async iterator of new, complete buckets."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta

from ..._clock import Clock, SystemClock
from ._protocol import MetricsCollector
from ._types import MetricQuery, MetricSeries

__all__ = ["watch"]


async def watch(
    collector: MetricsCollector,
    query: MetricQuery,
    *,
    every: float = 30.0,
    delay: float = 0.0,
    clock: Clock | None = None,
) -> AsyncGenerator[MetricSeries, None]:
    """Poll ``collector`` every ``every`` seconds and yield each series' new points.

    Only complete buckets are yielded (a bucket ``[T, T + period)`` once ``T + period + delay``
    has passed), so a point is never repeated or revised; ``delay`` leaves room for backends
    that ingest late (CloudWatch can lag by a minute or more). Buckets start on the grid of
    ``query.start``. Each poll yields one :class:`MetricSeries` per series with new points,
    holding only those points. With ``query.end`` set, the iterator ends after the last bucket
    before ``end``; otherwise it runs until the consumer stops (``break``, or ``aclose()``;
    wrap it in :func:`contextlib.aclosing` to stop it promptly). Errors from the collector
    propagate to the consumer.

    Example::

        async with aclosing(watch(prom, query, every=60)) as batches:
            async for batch in batches:
                for ts, value in batch.points:
                    print(ts, value)
    """
    if every <= 0:
        raise ValueError("every must be positive")
    clk = clock or SystemClock()
    step = timedelta(seconds=query.period)
    cursor = query.start
    while True:
        horizon = clk.now() - timedelta(seconds=delay)
        if query.end is not None:
            horizon = min(horizon, query.end)
        complete = (horizon - query.start) // step
        upto = query.start + complete * step
        if query.end is not None and upto < query.end and horizon >= query.end:
            upto = query.end  # the final, partial bucket is complete once end has passed
        if upto > cursor:
            for series in await collector.get_metric_data(query.replace(start=cursor, end=upto)):
                fresh = tuple(p for p in series.points if cursor <= p[0] < upto)
                if fresh:
                    yield MetricSeries(
                        name=series.name,
                        component=series.component,
                        statistic=series.statistic,
                        labels=series.labels,
                        points=fresh,
                    )
            cursor = upto
        if query.end is not None and cursor >= query.end:
            return
        await clk.sleep(every)
