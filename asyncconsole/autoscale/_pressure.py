"""Where the target's pressure comes from: its own ``_nodes/stats``, or a metrics backend.

Both keep the previous reading of each counter (write tasks rejected and completed are
cumulative), so the first reading reports no rejections yet (None) and each later one the
increase since the one before. A counter that went down (a node restarted) counts from zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from .._concurrency import gather
from .._decode import expect
from ..infra.metrics import MetricQuery, MetricsCollector, MetricSeries, Statistic
from ..services.clusters import Cluster
from ._counters import Counters
from ._observation import Pressure

__all__ = [
    "NODE_STATS_PATH",
    "MetricSpec",
    "MetricsPressure",
    "NodeStatsPressure",
    "PressureSource",
]

NODE_STATS_PATH = "/_nodes/stats/os,thread_pool"
"""What :class:`NodeStatsPressure` asks the target for."""
_FILTER = ",".join(
    f"nodes.*.{field}"
    for field in (
        "name",
        "roles",
        "os.cpu.percent",
        "thread_pool.write.queue",
        "thread_pool.write.rejected",
        "thread_pool.write.completed",
    )
)


@runtime_checkable
class PressureSource(Protocol):
    """Reads the target cluster's load once per period."""

    @property
    def source(self) -> str:
        """A short name for the origin of the figures (``_nodes/stats``, ``prometheus``...)."""
        ...

    async def read(self, since: datetime, until: datetime) -> Pressure:
        """The target's load from ``since`` to ``until`` (UTC).

        Raises:
            AsyncConsoleError: The figures could not be read.
        """
        ...


class NodeStatsPressure:
    """Pressure from the target's ``GET _nodes/stats/os,thread_pool`` (any OpenSearch or
    Elasticsearch, Amazon OpenSearch Service domains included).

    CPU is the highest ``os.cpu.percent`` and the queue the longest ``thread_pool.write.queue``
    of the data nodes (of every node when none says it holds data); rejected and completed
    write tasks are the increases of ``thread_pool.write.rejected`` / ``.completed`` summed
    over the nodes since the previous reading.

    Args:
        cluster: The target cluster.
        timeout: Seconds for the request.
    """

    source = "_nodes/stats"

    def __init__(self, cluster: Cluster, *, timeout: float | None = 10.0) -> None:
        self.cluster = cluster
        self.timeout = timeout
        self._rejected = Counters()
        self._completed = Counters()

    def __repr__(self) -> str:
        return f"NodeStatsPressure({self.cluster.name!r})"

    async def read(self, since: datetime, until: datetime) -> Pressure:
        response = await self.cluster.call_api(
            NODE_STATS_PATH, params={"filter_path": _FILTER}, timeout=self.timeout
        )
        nodes = response.parse(_nodes, "node stats")
        data = [n for n in nodes.values() if n.data] or list(nodes.values())
        cpus = [n.cpu for n in data if n.cpu is not None]
        queues = [n.queue for n in data if n.queue is not None]
        return Pressure(
            cpu_percent=float(max(cpus)) if cpus else None,
            write_queue=max(queues) if queues else None,
            write_rejected=self._rejected.increase(
                {key: n.rejected for key, n in nodes.items() if n.rejected is not None}
            ),
            write_completed=self._completed.increase(
                {key: n.completed for key, n in nodes.items() if n.completed is not None}
            ),
            nodes=len(nodes),
            source=self.source,
        )


@dataclass(frozen=True, slots=True)
class _Node:
    data: bool
    cpu: float | None
    queue: int | None
    rejected: int | None
    completed: int | None


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} is not a number: {value!r}")
    return float(value)


def _count(value: Any, what: str) -> int | None:
    number = _number(value, what)
    return None if number is None else int(number)


def _nodes(payload: Any) -> dict[str, _Node]:
    # filter_path drops "nodes" altogether when no node matched
    nodes = expect(expect(payload, dict, "answer").get("nodes", {}), dict, "nodes")
    out: dict[str, _Node] = {}
    for node_id, raw in nodes.items():
        node = expect(raw, dict, f"node {node_id}")
        roles = node.get("roles")
        cpu = (node.get("os") or {}).get("cpu") or {}
        write = (node.get("thread_pool") or {}).get("write") or {}
        out[node_id] = _Node(
            data=roles is None or any(str(r).startswith("data") for r in roles),
            cpu=_number(cpu.get("percent"), "os.cpu.percent"),
            queue=_count(write.get("queue"), "thread_pool.write.queue"),
            rejected=_count(write.get("rejected"), "thread_pool.write.rejected"),
            completed=_count(write.get("completed"), "thread_pool.write.completed"),
        )
    return out


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One figure read from a metrics backend.

    Attributes:
        name: The metric name (``CPUUtilization``, ``opensearch_os_cpu_percent``).
        component: The component/job it belongs to (CloudWatch's ``OTelLib`` dimension,
            Prometheus' ``exported_job`` label).
        statistic: How samples of one period are summarised.
        kind: ``gauge`` (a level: the largest value in the interval), ``delta`` (a count per
            period: summed over the interval) or ``counter`` (a cumulative count: its
            increase since the previous reading).
        dimensions: Extra dimensions / labels to match.
    """

    name: str
    component: str
    statistic: Statistic | str = Statistic.MAXIMUM
    kind: Literal["gauge", "delta", "counter"] = "gauge"
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def query(self, start: datetime, end: datetime, period: int) -> MetricQuery:
        """The :class:`MetricQuery` for one interval."""
        return MetricQuery(
            name=self.name,
            component=self.component,
            statistic=self.statistic,
            start=start,
            end=end,
            period=period,
            dimensions=dict(self.dimensions),
        )


class MetricsPressure:
    """Pressure from a :class:`~asyncconsole.infra.metrics.MetricsCollector`: Prometheus,
    CloudWatch, or anything else behind that protocol.

    Each figure is a :class:`MetricSpec`; leave one out (None) when the backend does not
    have it. Series of several nodes combine as :class:`NodeStatsPressure` combines nodes:
    the highest CPU and queue, the summed rejections.

    Args:
        collector: The metrics backend.
        cpu: CPU percent of the target's nodes.
        write_rejected: Rejected write tasks.
        write_queue: Length of the write queue.
        write_completed: Completed write tasks.
        period: Seconds per bucket asked for (60 suits CloudWatch's standard resolution).
        lag: Seconds the backend takes to publish a sample; the interval read is shifted
            back by it.
        source: The name reported in :attr:`Pressure.source`.
    """

    def __init__(
        self,
        collector: MetricsCollector,
        *,
        cpu: MetricSpec | None = None,
        write_rejected: MetricSpec | None = None,
        write_queue: MetricSpec | None = None,
        write_completed: MetricSpec | None = None,
        period: int = 60,
        lag: float = 0.0,
        source: str = "metrics",
    ) -> None:
        if period < 1 or lag < 0:
            raise ValueError("period must be >= 1 second and lag >= 0")
        if cpu is None and write_rejected is None and write_queue is None:
            raise ValueError(
                "MetricsPressure needs at least one of cpu, write_rejected, write_queue"
            )
        self.collector = collector
        self.cpu = cpu
        self.write_rejected = write_rejected
        self.write_queue = write_queue
        self.write_completed = write_completed
        self.period = period
        self.lag = lag
        self.source = source
        self._counters = {"write_rejected": Counters(), "write_completed": Counters()}

    def __repr__(self) -> str:
        return f"MetricsPressure(source={self.source!r})"

    @classmethod
    def cloudwatch(
        cls,
        collector: MetricsCollector,
        *,
        component: str = "target",
        dimensions: Mapping[str, str] | None = None,
        period: int = 60,
        lag: float = 0.0,
    ) -> MetricsPressure:
        """Amazon OpenSearch Service's metric names: ``CPUUtilization`` (Maximum),
        ``ThreadpoolWriteRejected`` (rejections per period, summed) and
        ``ThreadpoolWriteQueue`` (Maximum)."""
        dims = dict(dimensions or {})
        return cls(
            collector,
            cpu=MetricSpec("CPUUtilization", component, Statistic.MAXIMUM, "gauge", dims),
            write_rejected=MetricSpec(
                "ThreadpoolWriteRejected", component, Statistic.SUM, "delta", dims
            ),
            write_queue=MetricSpec(
                "ThreadpoolWriteQueue", component, Statistic.MAXIMUM, "gauge", dims
            ),
            period=period,
            lag=lag,
            source="cloudwatch",
        )

    @classmethod
    def prometheus(
        cls,
        collector: MetricsCollector,
        *,
        component: str = "target",
        labels: Mapping[str, str] | None = None,
        period: int = 60,
        lag: float = 0.0,
    ) -> MetricsPressure:
        """The OpenSearch Prometheus exporter's names: ``opensearch_os_cpu_percent`` (gauge),
        ``opensearch_threadpool_write_rejected_count`` and
        ``opensearch_threadpool_write_completed_count`` (cumulative counters) and
        ``opensearch_threadpool_write_queue_count`` (gauge)."""
        dims = dict(labels or {})
        return cls(
            collector,
            cpu=MetricSpec(
                "opensearch_os_cpu_percent", component, Statistic.MAXIMUM, "gauge", dims
            ),
            write_rejected=MetricSpec(
                "opensearch_threadpool_write_rejected_count",
                component,
                Statistic.MAXIMUM,
                "counter",
                dims,
            ),
            write_queue=MetricSpec(
                "opensearch_threadpool_write_queue_count",
                component,
                Statistic.MAXIMUM,
                "gauge",
                dims,
            ),
            write_completed=MetricSpec(
                "opensearch_threadpool_write_completed_count",
                component,
                Statistic.MAXIMUM,
                "counter",
                dims,
            ),
            period=period,
            lag=lag,
            source="prometheus",
        )

    async def read(self, since: datetime, until: datetime) -> Pressure:
        end = until - timedelta(seconds=self.lag)
        start = min(since - timedelta(seconds=self.lag), end - timedelta(seconds=self.period))
        specs = {
            "cpu": self.cpu,
            "write_queue": self.write_queue,
            "write_rejected": self.write_rejected,
            "write_completed": self.write_completed,
        }
        wanted = {key: spec for key, spec in specs.items() if spec is not None}
        series = await gather(
            *(
                self.collector.get_metric_data(spec.query(start, end, self.period))
                for spec in wanted.values()
            )
        )
        figures: dict[str, float | None] = {}
        for (key, spec), found in zip(wanted.items(), series, strict=True):
            figures[key] = self._figure(key, spec, found)
        cpu = figures.get("cpu")
        queue = figures.get("write_queue")
        rejected = figures.get("write_rejected")
        completed = figures.get("write_completed")
        return Pressure(
            cpu_percent=cpu,
            write_queue=None if queue is None else int(queue),
            write_rejected=None if rejected is None else int(rejected),
            write_completed=None if completed is None else int(completed),
            nodes=None,
            source=self.source,
        )

    def _figure(self, key: str, spec: MetricSpec, found: list[MetricSeries]) -> float | None:
        if spec.kind == "counter":
            latest = {
                ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())): int(s.values[-1])
                for s in found
                if s.values
            }
            if not latest:
                return None
            increase = self._counters[key].increase(latest)
            return None if increase is None else float(increase)
        values = [v for s in found for v in s.values if not math.isnan(v)]
        if not values:
            return None  # nothing published for the interval (yet): unknown, not zero
        if spec.kind == "delta":
            return math.fsum(values)
        return max(values)
