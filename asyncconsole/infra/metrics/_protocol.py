"""The one interface every metrics backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ._types import MetricQuery, MetricSeries

__all__ = ["MetricsCollector"]


@runtime_checkable
class MetricsCollector(Protocol):
    """Reads the migration's metrics from Prometheus, CloudWatch or a fake."""

    async def list_metrics(self, *, recent: bool = True) -> dict[str, list[str]]:
        """The metric names each component publishes.

        Args:
            recent: Only metrics with data in the last three hours (CloudWatch's
                ``RecentlyActive=PT3H``); ``False`` lists everything the backend still holds.

        Returns:
            ``{component: [metric names]}``: components are ``captureProxy``, ``replayer`` or
            whatever other component/job published the metric; names are sorted and unique
            (JSON-ready).

        Raises:
            MetricsError: The backend failed or rejected the request.
        """
        ...

    async def get_metric_data(self, query: MetricQuery) -> list[MetricSeries]:
        """Every series matching ``query``, summarised per period.

        Args:
            query: Metric, component, statistic, window, period and extra dimensions.

        Returns:
            One :class:`MetricSeries` per matching label/dimension set (possibly none), points
            ascending with UTC timestamps; see :mod:`asyncconsole.infra.metrics._types` for the
            bucket semantics, which every backend follows.

        Raises:
            MetricsError: The backend failed or rejected the query (``.query`` names it).
        """
        ...

    async def ping(self) -> None:
        """Check that the backend answers.

        Raises:
            MetricsError: It does not.
        """
        ...
