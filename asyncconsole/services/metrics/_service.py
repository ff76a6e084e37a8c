"""``MetricsService``: list metrics and read one metric's data through a collector."""

from __future__ import annotations

import builtins
import logging
import math
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

from ..._clock import Clock, SystemClock
from ..._concurrency import gather_pair
from ..._errors import AsyncConsoleError, InvalidArgumentError
from ..._observe import observe
from ..._redact import mask_url
from ...infra.metrics import (
    Component,
    MetricQuery,
    MetricsCollector,
    MetricSeries,
    Statistic,
    watch,
)
from ._types import MetricData, MetricNames, MetricSeriesList

__all__ = ["COMPONENTS", "MetricsService", "parse_component", "parse_statistic"]

_log = logging.getLogger("asyncconsole.services.metrics")

COMPONENTS: tuple[str, ...] = tuple(c.value for c in Component)
"""The components console_link accepts: ``captureProxy`` and ``replayer``."""

# Attributes of the known collectors that say where they read from (never secrets).
_DESCRIBED = ("endpoint", "region", "qualifier", "endpoint_url", "namespace")


def parse_component(component: str) -> str:
    """The canonical name of ``component``, matched case-insensitively as console_link does.

    Raises:
        InvalidArgumentError: Not ``captureProxy`` or ``replayer``.
    """
    for known in COMPONENTS:
        if isinstance(component, str) and component.lower() == known.lower():
            return known
    raise InvalidArgumentError(
        f"Invalid component {component!r}: expected one of {', '.join(COMPONENTS)}",
        argument="component",
    )


def parse_statistic(statistic: Statistic | str) -> Statistic:
    """The :class:`Statistic` named ``statistic`` (``Average``, ``Sum``...; case-insensitive).

    Raises:
        InvalidArgumentError: No such statistic.
    """
    try:
        return Statistic.parse(statistic)
    except ValueError:
        names = ", ".join(s.value for s in Statistic)
        raise InvalidArgumentError(
            f"Invalid statistic {statistic!r}: expected one of {names}", argument="statistic"
        ) from None


class MetricsService:
    """The migration's metrics (capture proxy and replayer) from Prometheus or CloudWatch.

    Wraps a :class:`~asyncconsole.infra.metrics.MetricsCollector` with console_link's
    ``metrics`` commands::

        names = await env.metrics.list()          # MetricNames: {component: [names]}
        data = await env.metrics.get_data_report("replayer", "kafkaCommitCount")
        print(data)                                # console_link's get-data text

    Fixes over console_link: times are UTC from the injected clock (console_link used naive
    local time, which CloudWatch reads as UTC), the statistic is applied on Prometheus too,
    every matching series is returned (not just the first), and listings are JSON-ready lists.

    Args:
        collector: Where the metrics live (its lifecycle belongs to the caller).
        clock: Time source for the lookback window and :meth:`watch`.
    """

    def __init__(self, collector: MetricsCollector, *, clock: Clock | None = None) -> None:
        self.collector = collector
        self.clock: Clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"MetricsService(collector={self.source_type})"

    @property
    def source_type(self) -> str:
        """The collector's class name, as ``metrics get-data`` prints it."""
        # __class__, not type(): an Environment hands services an on-demand view of the
        # collector whose __class__ is the collector's own.
        return self.collector.__class__.__name__

    def describe(self) -> dict[str, Any]:
        """The collector's kind and where it reads from (no credentials)."""
        data: dict[str, Any] = {"source_type": self.source_type}
        for name in _DESCRIBED:
            value = getattr(self.collector, name, None)
            if isinstance(value, str):
                data[name] = mask_url(value)
        return data

    async def list(self, *, recent: bool = True) -> MetricNames:
        """The metric names each component publishes (``metrics list``).

        Args:
            recent: Only metrics with data in the last three hours.
        """
        async with observe(_log, "metrics.list", self.source_type):
            return MetricNames(await self.collector.list_metrics(recent=recent))

    def query(
        self,
        component: str,
        metric: str,
        statistic: Statistic | str = "Average",
        lookback_minutes: float = 60,
        period: int = 60,
    ) -> MetricQuery:
        """The validated :class:`MetricQuery` for a lookback window ending now.

        Raises:
            InvalidArgumentError: Unknown component or statistic, empty metric name, a
                lookback that is not positive, or a period that is not a positive whole number.
        """
        name = parse_component(component)
        stat = parse_statistic(statistic)
        if not isinstance(metric, str) or not metric.strip():
            raise InvalidArgumentError("metric name must not be empty", argument="metric")
        if (
            isinstance(lookback_minutes, bool)
            or not isinstance(lookback_minutes, int | float)
            or not math.isfinite(lookback_minutes)
            or lookback_minutes <= 0
        ):
            raise InvalidArgumentError(
                f"lookback must be a positive number of minutes, got {lookback_minutes!r}",
                argument="lookback_minutes",
            )
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            raise InvalidArgumentError(
                f"period must be a positive whole number of seconds, got {period!r}",
                argument="period",
            )
        now = self.clock.now()
        start = now - timedelta(minutes=lookback_minutes)
        if start.replace(microsecond=0) >= now.replace(microsecond=0):
            raise InvalidArgumentError(
                f"lookback of {lookback_minutes!r} minutes is shorter than a second",
                argument="lookback_minutes",
            )
        return MetricQuery(
            name=metric, component=name, statistic=stat, start=start, end=now, period=period
        )

    async def get_data(
        self,
        component: str,
        metric: str,
        statistic: Statistic | str = "Average",
        lookback_minutes: float = 60,
        period: int = 60,
    ) -> MetricSeriesList:
        """One metric's series over the last ``lookback_minutes`` (``metrics get-data``).

        Args:
            component: ``captureProxy`` or ``replayer`` (case-insensitive).
            metric: The metric name.
            statistic: ``SampleCount``, ``Average``, ``Sum``, ``Minimum`` or ``Maximum``.
            lookback_minutes: How far back the window starts.
            period: Bucket length in seconds.

        Returns:
            Every matching series, points ascending with UTC timestamps: a list that draws
            as a table in notebooks and has ``to_dataframe()`` and ``plot()``.

        Raises:
            InvalidArgumentError: A bad argument (see :meth:`query`).
            MetricsError: The backend failed.
        """
        query = self.query(component, metric, statistic, lookback_minutes, period)
        return MetricSeriesList((await self._fetch(query))[1])

    async def get_data_report(
        self,
        component: str,
        metric: str,
        statistic: Statistic | str = "Average",
        lookback_minutes: float = 60,
        period: int = 60,
    ) -> MetricData:
        """Like :meth:`get_data`, with the query kept for rendering (text and JSON)."""
        query = self.query(component, metric, statistic, lookback_minutes, period)
        end, series = await self._fetch(query)
        return MetricData(
            component=query.component,
            metric=query.name,
            statistic=query.stat,
            lookback_minutes=lookback_minutes,
            period=query.period,
            start=query.start,
            end=end,
            source_type=self.source_type,
            series=tuple(series),
        )

    async def _fetch(self, query: MetricQuery) -> tuple[datetime, builtins.list[MetricSeries]]:
        async with observe(
            _log, "metrics.get_data", self.source_type, query=query.describe()
        ) as info:
            series = await self.collector.get_metric_data(query)
            info["series"] = len(series)
        end = query.end if query.end is not None else self.clock.now()
        return end, series

    def watch(
        self,
        component: str,
        metric: str,
        statistic: Statistic | str = "Average",
        lookback_minutes: float = 60,
        period: int = 60,
        *,
        every: float = 30.0,
        delay: float = 0.0,
    ) -> AsyncGenerator[MetricSeries, None]:
        """Follow a metric live: the last ``lookback_minutes`` first, then each new complete
        bucket as it fills (see :func:`asyncconsole.infra.metrics.watch`).

        Runs until the consumer stops; wrap it in :func:`contextlib.aclosing`.
        """
        query = self.query(component, metric, statistic, lookback_minutes, period).replace(end=None)
        return watch(self.collector, query, every=every, delay=delay, clock=self.clock)

    async def check(self) -> str:
        """Ping the backend and list its metrics, both at once (one round trip); a one-line
        summary.

        Raises:
            MetricsError: The backend does not answer (the ping's error, when it failed) or
                fails to list.
        """
        ping_error: AsyncConsoleError | None = None

        async def ping() -> None:
            nonlocal ping_error
            try:
                await self.collector.ping()
            except AsyncConsoleError as exc:
                ping_error = exc  # reported first: it says the backend is not there

        try:
            _, names = await gather_pair(ping(), self.list())
        except AsyncConsoleError:
            if ping_error is not None:
                raise ping_error from None
            raise
        if ping_error is not None:
            raise ping_error
        components = ", ".join(f"{c}: {len(found)}" for c, found in names.items()) or "none"
        return f"{self.source_type} reachable; {names.total} metrics ({components})"
