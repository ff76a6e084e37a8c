"""An in-memory metrics backend: seeded and generated series over (fake) time.

:class:`FakeMetricsCollector` shares every public method with the real collectors
(:class:`~asyncconsole.infra.metrics._base.BaseMetricsCollector`); it only answers from its
simulated series, and its :class:`~asyncconsole.testing.FaultPlan` injects network faults.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from ..._clock import Clock, SystemClock
from ..._errors import MetricsError
from ..._retry import NO_RETRY, RetryPolicy
from .._core import FaultPlan
from .._fake_peer import FakePeer
from ._base import METRICS_OPERATIONS, BaseMetricsCollector
from ._types import MetricQuery, MetricSeries, Point, bucketize, require_utc

__all__ = ["FakeMetricsCollector"]

RECENT = timedelta(hours=3)

ValueAt = Callable[[datetime], float]


@dataclass
class _Series:
    component: str
    name: str
    labels: Mapping[str, str]
    samples: list[Point] = field(default_factory=list)
    generator: ValueAt | None = None
    since: datetime | None = None
    every: float = 10.0

    def samples_between(self, start: datetime, end: datetime, now: datetime) -> list[Point]:
        """Samples with ``start <= t < end`` that exist by ``now``."""
        found = [(ts, v) for ts, v in self.samples if start <= ts < end and ts <= now]
        if self.generator is not None and self.since is not None:
            step = timedelta(seconds=self.every)
            first = max(0, math.ceil((start - self.since) / step))
            k = first
            while True:
                ts = self.since + k * step
                if ts >= end or ts > now:
                    break
                found.append((ts, float(self.generator(ts))))
                k += 1
        return found

    def latest(self, now: datetime) -> datetime | None:
        stamps = [ts for ts, _ in self.samples if ts <= now]
        if self.generator is not None and self.since is not None and self.since <= now:
            step = timedelta(seconds=self.every)
            stamps.append(self.since + ((now - self.since) // step) * step)
        return max(stamps, default=None)


class FakeMetricsCollector(FakePeer, BaseMetricsCollector):
    """A working metrics backend in memory, for tests and demos.

    Seed raw samples with :meth:`add_points`, or let series grow with (fake) time with
    :meth:`add_generated` / :meth:`add_counter`. Queries aggregate samples into buckets exactly
    as Prometheus and CloudWatch do (see :mod:`asyncconsole.infra.metrics._types`). Query
    dimensions match series whose labels contain them. Every attempt that reaches the fake is
    logged in :attr:`calls`; :meth:`fail` makes the next calls raise; :attr:`faults` injects
    network faults (hangs, resets, 503s, garbage) as a real backend's network would.

    Args:
        clock: The source of "now" (for ``end=None``, recency, generated series, deadlines).
        timeout: Seconds each call may take, retries included (None: unbounded).
        retry: Retries of transient failures (none by default).
        latency: Seconds each attempt takes on ``clock``.
        faults: The fault plan (a new, empty one by default).
    """

    _errors = replace(BaseMetricsCollector._errors, system="fake metrics backend")
    _log = logging.getLogger("asyncconsole.metrics.fake")
    _operations = METRICS_OPERATIONS

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeout: float | None = 30.0,
        retry: RetryPolicy = NO_RETRY,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(
            endpoint="in memory",
            clock=clock or SystemClock(),
            timeout=timeout,
            retry=retry,
            faults=faults,
            latency=latency,
        )
        self.calls: list[tuple[str, Any]] = []
        self._series: list[_Series] = []

    # -- seeding ---------------------------------------------------------------------------

    def add_points(
        self,
        component: str,
        name: str,
        points: Sequence[tuple[datetime, float]],
        *,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Add raw samples to the series ``component/name{labels}`` (created when new)."""
        series = self._get_or_create(component, name, labels)
        for ts, value in points:
            series.samples.append((require_utc(ts, "sample timestamp"), float(value)))
        series.samples.sort(key=lambda p: p[0])

    def add_generated(
        self,
        component: str,
        name: str,
        value_at: ValueAt,
        *,
        every: float = 10.0,
        since: datetime | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """A series sampled every ``every`` seconds from ``since`` (default now) while time runs.

        ``value_at(t)`` gives the value at sample time ``t`` (a gauge as a function of time).
        """
        if every <= 0:
            raise ValueError("every must be positive")
        series = self._get_or_create(component, name, labels)
        if series.generator is not None:
            raise ValueError(f"series {component}/{name}{dict(series.labels)} already generated")
        series.generator = value_at
        series.since = require_utc(since, "since") if since is not None else self.clock.now()
        series.every = every

    def add_counter(
        self,
        component: str,
        name: str,
        *,
        rate: float,
        initial: float = 0.0,
        every: float = 10.0,
        since: datetime | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """A counter that starts at ``initial`` and grows by ``rate`` per second."""
        origin = require_utc(since, "since") if since is not None else self.clock.now()
        self.add_generated(
            component,
            name,
            lambda t: initial + rate * (t - origin).total_seconds(),
            every=every,
            since=origin,
            labels=labels,
        )

    def fail(
        self,
        method: str = "get_metric_data",
        error: BaseException | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` raise ``error`` (a ``MetricsError``),
        as the backend's answer (they are logged in :attr:`calls`)."""
        if method not in METRICS_OPERATIONS:
            raise ValueError(f"unknown method {method!r}; one of {sorted(METRICS_OPERATIONS)}")
        self.fail_next(
            method, error or MetricsError(f"injected failure in {method}", query=None), times=times
        )

    # -- the simulated backend ------------------------------------------------------------------

    async def _list_metrics(self, recent: bool, left: float | None) -> dict[str, list[str]]:
        now = self.clock.now()
        found: dict[str, set[str]] = {}
        for series in self._series:
            latest = series.latest(now)
            if latest is None or (recent and latest < now - RECENT):
                continue
            found.setdefault(series.component, set()).add(series.name)
        return {component: sorted(names) for component, names in sorted(found.items())}

    async def _metric_data(
        self, query: MetricQuery, start: datetime, end: datetime, left: float | None
    ) -> list[MetricSeries]:
        now = self.clock.now()
        result: list[MetricSeries] = []
        for series in self._series:
            if series.component != query.component or series.name != query.name:
                continue
            if any(series.labels.get(k) != v for k, v in query.dimensions.items()):
                continue
            samples = series.samples_between(start, end, now)
            if not samples:
                continue
            points = bucketize(samples, query.stat, start, end, query.period)
            result.append(
                MetricSeries(
                    name=query.name,
                    component=query.component,
                    statistic=query.stat,
                    labels=series.labels,
                    points=points,
                )
            )
        result.sort(key=lambda s: tuple(s.labels.items()))
        return result

    async def _ping(self, left: float | None) -> None:
        return None

    def _record(
        self, operation: str, params: Mapping[str, Any], result: Any, error: BaseException | None
    ) -> None:
        # (method, its argument): the query itself, list_metrics' options, None for ping.
        args = params["query"] if operation == "get_metric_data" else (dict(params) or None)
        self.calls.append((operation, args))

    def _get_or_create(
        self, component: str, name: str, labels: Mapping[str, str] | None
    ) -> _Series:
        frozen = MappingProxyType(dict(sorted((labels or {}).items())))
        for series in self._series:
            if (series.component, series.name, dict(series.labels)) == (
                component,
                name,
                dict(frozen),
            ):
                return series
        series = _Series(component=str(component), name=name, labels=frozen)
        self._series.append(series)
        return series
