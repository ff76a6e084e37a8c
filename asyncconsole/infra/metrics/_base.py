"""``BaseMetricsCollector``: the :class:`MetricsCollector` methods, once, for every backend.

The argument checks, the operation of each call, the per-call deadline (``request_timeout``),
retries, typed errors (:class:`~asyncconsole.MetricsError`,
:class:`~asyncconsole.MetricsTimeoutError`, :class:`~asyncconsole.MalformedResponseError`) and
one event per call live here. :class:`PrometheusMetricsCollector` and
:class:`CloudWatchMetricsCollector` only move bytes to their backend;
:class:`FakeMetricsCollector` only reads its simulated series (and its fault plan).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from ..._errors import MetricsError, MetricsTimeoutError
from .._adapter import CoreAdapter
from .._core import ErrorTypes, Operation
from ._types import MetricQuery, MetricSeries

__all__ = ["METRICS_OPERATIONS", "BaseMetricsCollector", "metrics_errors"]

# Every metrics call only reads: repeating one after a lost answer is always safe.
_LIST: Final = Operation("metrics.list_metrics", idempotent=True)
_DATA: Final = Operation("metrics.get_metric_data", idempotent=True)
_PING: Final = Operation("metrics.ping", idempotent=True)

METRICS_OPERATIONS: Final = frozenset({"list_metrics", "get_metric_data", "ping"})
"""The public calls of a metrics collector (a fake's scripted failures name one)."""


def metrics_errors(system: str) -> ErrorTypes:
    """The metrics error classes, with messages naming ``system`` ("Prometheus server")."""
    return ErrorTypes(system, base=MetricsError, timeout=MetricsTimeoutError)


class BaseMetricsCollector(CoreAdapter):
    """The :class:`MetricsCollector` methods over one backend (see the module docstring).

    A backend implements :meth:`_list_metrics`, :meth:`_metric_data` and :meth:`_ping` (one
    attempt each, given the seconds left before the call's deadline), and may refuse a query
    it cannot express in :meth:`_check_query`, before any request.
    """

    _errors = metrics_errors("metrics backend")
    _log = logging.getLogger("asyncconsole.metrics")

    async def list_metrics(self, *, recent: bool = True) -> dict[str, list[str]]:
        """The metric names each component publishes (see :class:`MetricsCollector`).

        Args:
            recent: Only metrics with data in the last three hours.

        Returns:
            ``{component: [metric names]}``, names sorted and unique.

        Raises:
            MetricsError: The backend failed or refused (``MetricsTimeoutError`` when the call
                took longer than ``request_timeout``).
        """
        if not isinstance(recent, bool):
            raise TypeError(f"recent must be True or False, not {recent!r}")

        async def attempt(left: float | None) -> dict[str, list[str]]:
            return await self._list_metrics(recent, left)

        return await self._run(
            _LIST, self.endpoint, attempt, params={"recent": recent}, recent=recent
        )

    async def get_metric_data(self, query: MetricQuery) -> list[MetricSeries]:
        """Every series matching ``query``, summarised per period (see
        :class:`MetricsCollector`).

        Args:
            query: Metric, component, statistic, window, period and extra dimensions.

        Returns:
            One :class:`MetricSeries` per matching label/dimension set, points ascending.

        Raises:
            MetricsError: The backend failed, or refused the query (``.query`` names it).
            TypeError: ``query`` is not a :class:`MetricQuery`.
        """
        if not isinstance(query, MetricQuery):
            raise TypeError(f"query must be a MetricQuery, not {type(query).__name__}")
        start, end = query.window(self.clock.now())
        described = query.describe()
        # Refuse what the backend cannot express before any request: fast and clear.
        self._check_query(query)

        async def attempt(left: float | None) -> list[MetricSeries]:
            return await self._metric_data(query, start, end, left)

        return await self._run(_DATA, described, attempt, params={"query": query}, query=described)

    async def ping(self) -> None:
        """Check that the backend answers.

        Raises:
            MetricsError: It does not (``MetricsTimeoutError``: not within ``request_timeout``).
        """

        async def attempt(left: float | None) -> None:
            await self._ping(left)

        await self._run(_PING, self.endpoint, attempt)

    # -- what a backend implements ------------------------------------------------------------

    def _check_query(self, query: MetricQuery) -> None:
        """Raise :class:`MetricsError` for a query this backend cannot express."""

    async def _list_metrics(self, recent: bool, left: float | None) -> dict[str, list[str]]:
        """One attempt at :meth:`list_metrics`."""
        raise NotImplementedError

    async def _metric_data(
        self, query: MetricQuery, start: datetime, end: datetime, left: float | None
    ) -> list[MetricSeries]:
        """One attempt at :meth:`get_metric_data` over the window ``[start, end)``."""
        raise NotImplementedError

    async def _ping(self, left: float | None) -> None:
        """One attempt at :meth:`ping`."""
        raise NotImplementedError
