"""CloudWatch metrics through aiobotocore (via the shared ``infra._aws`` client factory).

Fixes over console_link: ListMetrics and GetMetricData are paginated; list entries are
de-duplicated and sorted; ``recent=False`` sends no ``RecentlyActive`` (console_link sent
``None``); per-result ``StatusCode``/``Messages`` are checked; timestamps are UTC-aware; query
ids are generated (console_link used the metric name, which CloudWatch rejects unless it starts
with a lower-case letter); every series matching the dimensions is returned, not only the one
with exactly these dimensions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Unpack

from ..._decode import expect
from ..._errors import MetricsError
from ..._retry import RetryPolicy
from .._aws import AiobotocoreAdapter, AwsDefaults, AwsOptions, decoded
from ._base import BaseMetricsCollector, metrics_errors
from ._types import MetricQuery, MetricSeries, Point

__all__ = ["NAMESPACE", "CloudWatchMetricsCollector"]

NAMESPACE = "OpenSearchMigrations"
COMPONENT_DIMENSION = "OTelLib"
QUALIFIER_DIMENSION = "qualifier"
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit


class CloudWatchMetricsCollector(AiobotocoreAdapter, BaseMetricsCollector):
    """Metrics from CloudWatch (namespace ``OpenSearchMigrations``), as the Migration Assistant
    publishes them: dimension ``OTelLib`` = component, ``qualifier`` = the deployment stage.

    Args:
        region: AWS region; ``None`` uses the standard chain (``AWS_DEFAULT_REGION``, config).
        qualifier: The ``qualifier`` dimension (the stage, e.g. ``dev``); ``None`` leaves it out.
        endpoint_url: Override the endpoint (moto server, VPC endpoint).
        namespace: The CloudWatch namespace.
        discover_series: Find every dimension set that contains the query's dimensions with
            ListMetrics and query them all (``False``: query exactly these dimensions, one
            call fewer, as console_link did).
        timeout: Seconds each call may take (every page and retry included); also botocore's
            read timeout.
        options: :class:`~asyncconsole.infra._aws.AiobotocoreAdapter`'s keyword options
            (``user_agent_extra``, credentials, ``retry``, ``clock``...).
    """

    _service = "cloudwatch"
    _title = "CloudWatch"
    _defaults = AwsDefaults(retry=RetryPolicy())
    _errors = metrics_errors("CloudWatch API")
    _log = logging.getLogger("asyncconsole.metrics.cloudwatch")

    def __init__(
        self,
        region: str | None = None,
        qualifier: str | None = None,
        endpoint_url: str | None = None,
        *,
        namespace: str = NAMESPACE,
        discover_series: bool = True,
        timeout: float = 30.0,
        **options: Unpack[AwsOptions],
    ) -> None:
        options.setdefault("read_timeout", timeout)
        options.setdefault("connect_timeout", min(timeout, 10.0))
        super().__init__(region, endpoint_url, request_timeout=timeout, **options)
        self.region = region
        self.qualifier = qualifier
        self.endpoint_url = endpoint_url
        self.namespace = namespace
        self.discover_series = discover_series

    def __repr__(self) -> str:
        return (
            f"CloudWatchMetricsCollector(region={self.region!r}, qualifier={self.qualifier!r}, "
            f"endpoint_url={self.endpoint_url!r})"
        )

    # -- BaseMetricsCollector ----------------------------------------------------------------

    def _check_query(self, query: MetricQuery) -> None:
        self._dimensions_for(query)

    async def _list_metrics(self, recent: bool, left: float | None) -> dict[str, list[str]]:
        kwargs: dict[str, Any] = {"Namespace": self.namespace}
        if self.qualifier is not None:
            kwargs["Dimensions"] = [{"Name": QUALIFIER_DIMENSION, "Value": self.qualifier}]
        if recent:
            kwargs["RecentlyActive"] = "PT3H"
        found: dict[str, set[str]] = {}
        for metric in await self._list(kwargs, left):
            component = _dimensions(metric).get(COMPONENT_DIMENSION)
            name = metric.get("MetricName")
            if component is not None and isinstance(name, str) and name:
                found.setdefault(component, set()).add(name)
        return {component: sorted(names) for component, names in sorted(found.items())}

    async def _metric_data(
        self, query: MetricQuery, start: datetime, end: datetime, left: float | None
    ) -> list[MetricSeries]:
        wanted = self._dimensions_for(query)
        dimension_sets = [wanted]
        if self.discover_series:
            listed = await self._list(
                {
                    "Namespace": self.namespace,
                    "MetricName": query.name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in wanted.items()],
                },
                left,
            )
            unique = {tuple(sorted(_dimensions(m).items())) for m in listed}
            dimension_sets = [dict(d) for d in sorted(unique)] or [wanted]
        series: list[MetricSeries] = []
        for first in range(0, len(dimension_sets), MAX_QUERIES_PER_CALL):
            chunk = dimension_sets[first : first + MAX_QUERIES_PER_CALL]
            points = await self._metric_points(query, chunk, start, end, left)
            for index, dims in enumerate(chunk):
                found = sorted(points.get(f"m{index}", []))
                if found:
                    series.append(
                        MetricSeries(
                            name=query.name,
                            component=query.component,
                            statistic=query.stat,
                            labels=dims,
                            points=tuple(found),
                        )
                    )
        return series

    async def _ping(self, left: float | None) -> None:
        # A filtered ListMetrics: cheap, and needs only the permission reading needs.
        answer = await self._send(
            "list_metrics", {"Namespace": self.namespace, "MetricName": "asyncconsole-ping"}, left
        )
        decoded(answer, _metrics, "ListMetrics")

    # -- internals -------------------------------------------------------------------------

    def _dimensions_for(self, query: MetricQuery) -> dict[str, str]:
        dims = {COMPONENT_DIMENSION: query.component}
        if self.qualifier is not None:
            dims[QUALIFIER_DIMENSION] = self.qualifier
        for key, value in query.dimensions.items():
            if key in dims and dims[key] != value:
                raise MetricsError(
                    f"dimension {key!r} is set by the collector/component ({dims[key]!r}); "
                    f"the query asked for {value!r}",
                    query=query.describe(),
                )
            dims[key] = value
        return dims

    async def _list(self, kwargs: Mapping[str, Any], left: float | None) -> list[dict[str, Any]]:
        pages = await self._paginate("list_metrics", kwargs, left)
        return [metric for page in pages for metric in decoded(page, _metrics, "ListMetrics")]

    async def _metric_points(
        self,
        query: MetricQuery,
        dimension_sets: list[dict[str, str]],
        start: datetime,
        end: datetime,
        left: float | None,
    ) -> dict[str, list[Point]]:
        """GetMetricData's points per query id (``m0``, ``m1``...), every page read."""
        described = query.describe()
        request: dict[str, Any] = {
            "MetricDataQueries": [
                {
                    "Id": f"m{index}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": self.namespace,
                            "MetricName": query.name,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                        },
                        "Period": query.period,
                        "Stat": query.stat.value,
                    },
                    "ReturnData": True,
                }
                for index, dims in enumerate(dimension_sets)
            ],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        points: dict[str, list[Point]] = {}
        for page in await self._paginate("get_metric_data", request, left):
            results, messages = decoded(page, _results, "GetMetricData")
            for result in results:
                status = result.get("StatusCode", "Complete")
                if status in ("InternalError", "Forbidden"):
                    detail = "; ".join(
                        [_message(m) for m in result.get("Messages") or []] + messages
                    )
                    raise MetricsError(
                        f"CloudWatch answered {status} for {described}"
                        + (f": {detail}" if detail else ""),
                        query=described,
                        code=status,
                    )
                points.setdefault(str(result.get("Id", "")), []).extend(result["points"])
        return points


def _metrics(answer: Any) -> list[dict[str, Any]]:
    metrics = expect(expect(answer, dict, "the answer")["Metrics"], list, "Metrics")
    return [expect(m, dict, "metric") for m in metrics]


def _results(answer: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """``MetricDataResults`` (each with its ``points`` decoded) and the page's messages."""
    answer = expect(answer, dict, "the answer")
    results = []
    for raw in expect(answer["MetricDataResults"], list, "MetricDataResults"):
        result = dict(expect(raw, dict, "result"))
        stamps = expect(result.get("Timestamps") or [], list, "Timestamps")
        values = expect(result.get("Values") or [], list, "Values")
        result["points"] = [(_utc(ts), float(v)) for ts, v in zip(stamps, values, strict=False)]
        results.append(result)
    messages = [_message(expect(m, dict, "message")) for m in answer.get("Messages") or []]
    return results, messages


def _dimensions(metric: Mapping[str, Any]) -> dict[str, str]:
    dims = expect(metric.get("Dimensions") or [], list, "Dimensions")
    return {str(d["Name"]): str(d.get("Value", "")) for d in dims}


def _message(message: Mapping[str, Any]) -> str:
    return f"{message.get('Code', '')}: {message.get('Value', '')}".strip(": ")


def _utc(ts: Any) -> datetime:
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return datetime.fromisoformat(str(ts)).astimezone(UTC)
