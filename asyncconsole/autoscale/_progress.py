"""Where the work done comes from: the backfill's working-state index, the target's indexing
counter, or a metric (the replayer's commits)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from .._concurrency import gather
from .._decode import expect
from .._errors import NotFoundError
from ..infra.metrics import MetricsCollector
from ..services.backfill import count_queries
from ..services.clusters import Cluster
from ._counters import Counters
from ._observation import Progress
from ._pressure import MetricSpec

SHARD_SETUP_ID = "shard_setup"
"""The working-state document whose ``completedAt`` marks the end of shard setup."""

__all__ = ["IndexingProgress", "MetricProgress", "ProgressSource", "WorkingStateProgress"]


@runtime_checkable
class ProgressSource(Protocol):
    """Reads the work done once per period."""

    @property
    def source(self) -> str:
        """A short name for the origin of the figures."""
        ...

    async def read(self, since: datetime, until: datetime) -> Progress:
        """The work done from ``since`` to ``until`` (UTC).

        Raises:
            AsyncConsoleError: The figures could not be read.
        """
        ...


def _minutes(since: datetime, until: datetime) -> float:
    return max((until - since).total_seconds(), 1e-9) / 60.0


def _total(payload: Any) -> int:
    hits = expect(expect(payload, dict, "answer").get("hits"), dict, "hits")
    total = hits.get("total")
    if isinstance(total, dict):
        total = total.get("value")
    return expect(total, int, "hits.total")


class WorkingStateProgress:
    """Work items completed per minute, from the backfill's working-state index.

    An item counts when its ``completedAt`` falls in the interval, with the exclusions of the
    backfill's deep status (``shard_setup`` and split items, whose successors count instead);
    ``remaining`` is the incomplete items (None until the ``shard_setup`` document says the
    shards are set up). Two exact counts and one realtime get, sent concurrently.

    Args:
        cluster: The target cluster.
        index: The working-state index (``Backfill.index``).
    """

    source = "working state"

    def __init__(self, cluster: Cluster, index: str) -> None:
        self.cluster = cluster
        self.index = index

    def __repr__(self) -> str:
        return f"WorkingStateProgress({self.index!r})"

    async def read(self, since: datetime, until: datetime) -> Progress:
        first, last = math.floor(since.timestamp()), math.floor(until.timestamp())
        queries = count_queries(last)
        in_window = {
            "bool": {
                "must": [
                    queries["completed"],
                    {"range": {"completedAt": {"gte": first, "lt": last}}},
                ]
            }
        }
        try:
            done, remaining, set_up = await gather(
                self._count(in_window), self._count(queries["incomplete"]), self._set_up()
            )
        except NotFoundError:
            return Progress(None, "items", source=f"{self.source} (no index yet)")
        return Progress(
            per_minute=done / _minutes(since, until),
            unit="items",
            done=done,
            remaining=remaining if set_up else None,
            source=self.source,
        )

    async def _set_up(self) -> int:
        """1 once the shards are set up (the work items exist), else 0."""
        response = await self.cluster.call_api(
            f"/{self.index}/_doc/{SHARD_SETUP_ID}", raise_error=False
        )
        if response.status == 404:
            return 0
        response.raise_for_status()
        source = response.parse(lambda d: expect(d, dict, "answer").get("_source"), "shard_setup")
        return 1 if isinstance(source, dict) and "completedAt" in source else 0

    async def _count(self, query: dict[str, Any]) -> int:
        response = await self.cluster.call_api(
            f"/{self.index}/_search",
            "POST",
            json={"size": 0, "track_total_hits": True, "query": query},
            retry=True,
        )
        return response.parse(_total, "work item count")


class IndexingProgress:
    """Documents indexed per minute on the target: the increase of
    ``indices.indexing.index_total`` summed over its nodes (``_nodes/stats``).

    Everything written to the target counts, so it measures a replayer (or a backfill) only
    while nothing else writes there. The first reading has no rate yet.

    Args:
        cluster: The target cluster.
        timeout: Seconds for the request.
    """

    source = "_nodes/stats indexing"

    def __init__(self, cluster: Cluster, *, timeout: float | None = 10.0) -> None:
        self.cluster = cluster
        self.timeout = timeout
        self._indexed = Counters()

    def __repr__(self) -> str:
        return f"IndexingProgress({self.cluster.name!r})"

    async def read(self, since: datetime, until: datetime) -> Progress:
        response = await self.cluster.call_api(
            "/_nodes/stats/indices/indexing",
            params={"filter_path": "nodes.*.indices.indexing.index_total"},
            timeout=self.timeout,
        )
        totals = response.parse(_index_totals, "node indexing stats")
        done = self._indexed.increase(totals)
        return Progress(
            per_minute=None if done is None else done / _minutes(since, until),
            unit="docs",
            done=done,
            source=self.source,
        )


def _index_totals(payload: Any) -> dict[str, int]:
    nodes = expect(expect(payload, dict, "answer").get("nodes", {}), dict, "nodes")
    return {
        node_id: expect(node["indices"]["indexing"]["index_total"], int, "index_total")
        for node_id, node in nodes.items()
    }


class MetricProgress:
    """Work per minute from a metric, e.g. the replayer's ``kafkaCommitCount``.

    ``spec.kind`` says how to read it: ``delta`` (a count per period: summed over the
    interval), ``counter`` (cumulative: its increase) or ``gauge`` (already a rate per
    minute: its mean over the interval).

    Args:
        collector: The metrics backend.
        spec: The metric.
        unit: What it counts (``events``, ``docs``...).
        period: Seconds per bucket asked for.
    """

    def __init__(
        self,
        collector: MetricsCollector,
        spec: MetricSpec,
        *,
        unit: str = "events",
        period: int = 60,
    ) -> None:
        if period < 1:
            raise ValueError("period must be >= 1 second")
        self.collector = collector
        self.spec = spec
        self.unit = unit
        self.period = period
        self.source = f"metric {spec.component}/{spec.name}"
        self._counter = Counters()

    def __repr__(self) -> str:
        return f"MetricProgress({self.spec.component!r}, {self.spec.name!r})"

    async def read(self, since: datetime, until: datetime) -> Progress:
        start = min(since, until - timedelta(seconds=self.period))
        series = await self.collector.get_metric_data(self.spec.query(start, until, self.period))
        minutes = _minutes(since, until)
        if self.spec.kind == "counter":
            latest = {
                ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())): int(s.values[-1])
                for s in series
                if s.values
            }
            done: float | None = self._counter.increase(latest) if latest else None
            rate = None if done is None else done / minutes
        else:
            values = [v for s in series for v in s.values if not math.isnan(v)]
            if not values:
                return Progress(None, self.unit, source=self.source)
            if self.spec.kind == "delta":
                done = math.fsum(values)
                rate = done / minutes
            else:
                done = None
                rate = math.fsum(values) / len(values)
        return Progress(per_minute=rate, unit=self.unit, done=done, source=self.source)
