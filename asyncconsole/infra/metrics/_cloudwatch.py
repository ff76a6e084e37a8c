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
from typing import Any

from ..._clock import Clock
from ..._errors import AsyncConsoleError, MetricsError
from ..._observe import observe
from ..._retry import RetryPolicy
from ..._secret import Secret
from .._aws import AwsClientResource, aws_error_fields
from ._types import MetricQuery, MetricSeries, Point

__all__ = ["NAMESPACE", "CloudWatchMetricsCollector"]

NAMESPACE = "OpenSearchMigrations"
COMPONENT_DIMENSION = "OTelLib"
QUALIFIER_DIMENSION = "qualifier"
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit

logger = logging.getLogger("asyncconsole.metrics.cloudwatch")


class CloudWatchMetricsCollector(AwsClientResource):
    """Metrics from CloudWatch (namespace ``OpenSearchMigrations``), as the Migration Assistant
    publishes them: dimension ``OTelLib`` = component, ``qualifier`` = the deployment stage.

    Args:
        region: AWS region; ``None`` uses the standard chain (``AWS_DEFAULT_REGION``, config).
        qualifier: The ``qualifier`` dimension (the stage, e.g. ``dev``); ``None`` leaves it out.
        endpoint_url: Override the endpoint (moto server, VPC endpoint).
        user_agent_extra: Appended to the User-Agent.
        access_key / secret_key / session_token: Explicit credentials; ``None`` uses the
            standard chain (environment, shared files, container and instance roles).
        namespace: The CloudWatch namespace.
        discover_series: Find every dimension set that contains the query's dimensions with
            ListMetrics and query them all (``False``: query exactly these dimensions, one
            call fewer, as console_link did).
        retry: Retries for throttling and 5xx answers.
        timeout: Connect and read timeout in seconds.
        clock: Time source for ``end=None`` and retry waits.
    """

    _service = "cloudwatch"
    # asyncconsole's own errors and RuntimeErrors (a closed session) surface unchanged.
    _passthrough = (AsyncConsoleError, RuntimeError)

    def __init__(
        self,
        region: str | None = None,
        qualifier: str | None = None,
        endpoint_url: str | None = None,
        *,
        user_agent_extra: str | None = None,
        access_key: str | None = None,
        secret_key: Secret | str | None = None,
        session_token: Secret | str | None = None,
        namespace: str = NAMESPACE,
        discover_series: bool = True,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            region,
            endpoint_url,
            user_agent_extra=user_agent_extra,
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            retry=retry or RetryPolicy(),
            clock=clock,
            connect_timeout=min(timeout, 10.0),
            read_timeout=timeout,
        )
        self.region = region
        self.qualifier = qualifier
        self.endpoint_url = endpoint_url
        self.namespace = namespace
        self.discover_series = discover_series
        self._target = endpoint_url or f"cloudwatch:{region or 'default-region'}"

    def __repr__(self) -> str:
        return (
            f"CloudWatchMetricsCollector(region={self.region!r}, qualifier={self.qualifier!r}, "
            f"endpoint_url={self.endpoint_url!r})"
        )

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of every request."""
        return self._retry

    @retry.setter
    def retry(self, policy: RetryPolicy) -> None:
        self._retry = policy

    @property
    def clock(self) -> Clock:
        """The time source for ``end=None`` and retry waits."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock

    def _open_error(self, exc: Exception) -> Exception:
        return _metrics_error(exc, "open CloudWatch client", None)

    def _translate(self, exc: Exception, operation: str, target: str) -> Exception:
        # ``target`` says what was asked ("ListMetrics for ..."): the message and the query.
        return _metrics_error(exc, target, target)

    # -- MetricsCollector ------------------------------------------------------------------

    async def list_metrics(self, *, recent: bool = True) -> dict[str, list[str]]:
        kwargs: dict[str, Any] = {"Namespace": self.namespace}
        if self.qualifier is not None:
            kwargs["Dimensions"] = [{"Name": QUALIFIER_DIMENSION, "Value": self.qualifier}]
        if recent:
            kwargs["RecentlyActive"] = "PT3H"
        found: dict[str, set[str]] = {}
        async with observe(logger, "cloudwatch.list_metrics", self._target, recent=recent):
            for metric in await self._list(kwargs, what="ListMetrics"):
                dims = _dimensions(metric)
                component = dims.get(COMPONENT_DIMENSION)
                if component is not None and metric.get("MetricName"):
                    found.setdefault(component, set()).add(metric["MetricName"])
        return {component: sorted(names) for component, names in sorted(found.items())}

    async def get_metric_data(self, query: MetricQuery) -> list[MetricSeries]:
        start, end = query.window(self.clock.now())
        described = query.describe()
        wanted = self._dimensions_for(query)
        async with observe(logger, "cloudwatch.get_metric_data", self._target, query=described):
            dimension_sets = [wanted]
            if self.discover_series:
                listed = await self._list(
                    {
                        "Namespace": self.namespace,
                        "MetricName": query.name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in wanted.items()],
                    },
                    what=f"ListMetrics for {described}",
                )
                unique = {tuple(sorted(_dimensions(m).items())) for m in listed}
                dimension_sets = [dict(d) for d in sorted(unique)] or [wanted]
            series: list[MetricSeries] = []
            for first in range(0, len(dimension_sets), MAX_QUERIES_PER_CALL):
                chunk = dimension_sets[first : first + MAX_QUERIES_PER_CALL]
                points = await self._metric_data(query, chunk, start, end, described)
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

    async def ping(self) -> None:
        async with observe(logger, "cloudwatch.ping", self._target):
            # A filtered ListMetrics: cheap, and needs only the permission reading needs.
            await self._call(
                "list_metrics",
                "ping (ListMetrics)",
                Namespace=self.namespace,
                MetricName="asyncconsole-ping",
            )

    # -- internals -------------------------------------------------------------------------

    def _require(self) -> Any:
        if self._client is None:
            state = "closed" if self.closed else "not open"
            raise RuntimeError(
                f"CloudWatchMetricsCollector is {state}; use 'async with' or 'await open()'"
            )
        return self._client

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

    async def _list(self, kwargs: Mapping[str, Any], *, what: str) -> list[dict[str, Any]]:
        metrics: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_kwargs = dict(kwargs, NextToken=token) if token else dict(kwargs)
            page = await self._call("list_metrics", what, **page_kwargs)
            metrics.extend(page.get("Metrics") or [])
            token = page.get("NextToken")
            if not token:
                return metrics

    async def _metric_data(
        self,
        query: MetricQuery,
        dimension_sets: list[dict[str, str]],
        start: datetime,
        end: datetime,
        described: str,
    ) -> dict[str, list[Point]]:
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
        token: str | None = None
        while True:
            kwargs = dict(request, NextToken=token) if token else request
            page = await self._call("get_metric_data", f"GetMetricData for {described}", **kwargs)
            messages = [_message(m) for m in page.get("Messages") or []]
            for result in page.get("MetricDataResults") or []:
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
                stamps = result.get("Timestamps") or []
                values = result.get("Values") or []
                points.setdefault(result.get("Id", ""), []).extend(
                    (_utc(ts), float(v)) for ts, v in zip(stamps, values, strict=False)
                )
            token = page.get("NextToken")
            if not token:
                return points


def _dimensions(metric: Mapping[str, Any]) -> dict[str, str]:
    return {d["Name"]: d.get("Value", "") for d in metric.get("Dimensions") or []}


def _message(message: Mapping[str, Any]) -> str:
    return f"{message.get('Code', '')}: {message.get('Value', '')}".strip(": ")


def _utc(ts: Any) -> datetime:
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return datetime.fromisoformat(str(ts)).astimezone(UTC)


def _metrics_error(exc: BaseException, what: str, query: str | None) -> MetricsError:
    code, message, status, transient = aws_error_fields(exc)
    error = MetricsError(
        f"CloudWatch {what} failed: {code + ': ' if code else ''}{message}",
        query=query,
        code=code,
        status=status,
    )
    error.transient = transient
    return error
