"""What each resource's loop asks the SDK, and what it publishes.

Every round answers with the CLI's ``--json`` document of the same question (``document``),
built by the same functions the CLI calls, plus what the page draws from it (the overview's
live rows, the backfill's newest progress point, the clusters' totals).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._comparison import Comparison
from ._hub import Poll, Publish, Topic

if TYPE_CHECKING:
    from .._clock import Clock
    from ..environment import Environment
    from ..orchestrator import Event
    from ._settings import DashboardSettings

__all__ = ["ProgressHistory", "SeriesKey", "resource_topics", "series_topic"]

CHECK_TIMEOUT = 10.0
"""Seconds each component's check may take (``asyncconsole check``'s default)."""


class ProgressHistory:
    """The backfill's progress over time, one point per round (the chart's data)."""

    def __init__(self, limit: int = 1800) -> None:
        self.points: collections.deque[dict[str, Any]] = collections.deque(maxlen=limit)

    def add(self, time: datetime, status: dict[str, Any]) -> dict[str, Any]:
        """Append a point taken from a ``backfill status --deep-check --json`` document."""
        deep = status.get("deep") or {}
        workers = status.get("workers") or {}
        point = {
            "time": time.isoformat(),
            "percentage_completed": deep.get("percentage_completed"),
            "shard_complete": deep.get("shard_complete"),
            "shard_total": deep.get("shard_total"),
            "running": workers.get("running"),
            "desired": workers.get("desired"),
        }
        self.points.append(point)
        return point

    def to_dict(self) -> dict[str, Any]:
        """``{"points": [{"time", "percentage_completed", "shard_complete", "shard_total",
        "running", "desired"}]}``, oldest first."""
        return {"points": list(self.points)}


def _overview(env: Environment) -> Poll:
    rows: dict[str, dict[str, Any]] = {
        name: {"status": "pending", "detail": "", "duration": None, "checking": False}
        for name in env.components
    }
    last: dict[str, Any] = {}

    async def poll(publish: Publish) -> dict[str, Any]:
        def on_event(event: Event) -> None:
            row = rows.setdefault(event.name, {"status": "pending", "detail": "", "duration": None})
            if event.outcome is not None:
                row.update(
                    status=event.outcome.status.value,
                    detail=event.outcome.detail,
                    duration=round(event.outcome.duration, 6),
                    checking=False,
                )
            elif event.kind == "started":
                row["checking"] = True
            publish({"document": last.get("document"), "live": _copy(rows)})

        report = await env.check(timeout=CHECK_TIMEOUT, on_event=on_event)
        document = report.to_dict()
        for name, outcome in document["components"].items():
            rows[name] = {**outcome, "checking": False}
        last["document"] = document
        return {"document": document, "live": _copy(rows)}

    return poll


def _copy(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: dict(row) for name, row in rows.items()}


def _clusters(env: Environment) -> Poll:
    from ..cli._documents import cat_indices_document, json_ready

    async def poll(_publish: Publish) -> dict[str, Any]:
        chosen = {
            name: getattr(env, name)
            for name in ("source_cluster", "target_cluster")
            if getattr(env, name) is not None
        }
        found = await asyncio.gather(
            *(cluster.cat_indices() for cluster in chosen.values()), return_exceptions=True
        )
        for result in found:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result
        document = json_ready(cat_indices_document(dict(zip(chosen, found, strict=True))))
        comparison = Comparison(document.get("source_cluster"), document.get("target_cluster"))
        return {
            "document": document,
            "summary": comparison.summary(),
            "errors": document.get("errors", {}),
            "view": comparison,
        }

    return poll


def _snapshot(env: Environment) -> Poll:
    async def poll(_publish: Publish) -> dict[str, Any]:
        assert env.snapshot is not None
        status = await env.snapshot.deep_status()
        return {"document": status.to_dict()}

    return poll


def _backfill(env: Environment, history: ProgressHistory, clock: Clock) -> Poll:
    async def poll(_publish: Publish) -> dict[str, Any]:
        assert env.backfill is not None
        report = await env.backfill.status(deep=True)
        document = report.to_dict()
        point = history.add(clock.now(), document)
        return {"document": document, "point": point}

    return poll


def _replay(env: Environment) -> Poll:
    async def poll(_publish: Publish) -> dict[str, Any]:
        assert env.replay is not None
        return {"document": (await env.replay.status()).to_dict()}

    return poll


def _metric_names(env: Environment) -> Poll:
    async def poll(_publish: Publish) -> dict[str, Any]:
        assert env.metrics is not None
        return {"document": (await env.metrics.list()).to_dict()}

    return poll


def resource_topics(
    env: Environment, settings: DashboardSettings, history: ProgressHistory
) -> Iterable[Topic]:
    """A topic for every resource the environment has (clusters, snapshot, backfill...)."""
    clock = env.clock

    def topic(name: str, poll: Poll, **kwargs: Any) -> Topic:
        return Topic(name, poll, interval=settings.interval(name), clock=clock, **kwargs)

    yield topic("overview", _overview(env))
    if env.source_cluster is not None or env.target_cluster is not None:
        yield topic("clusters", _clusters(env), withheld=("document",))
    if env.snapshot is not None:
        yield topic("snapshot", _snapshot(env))
    if env.backfill is not None:
        yield topic("backfill", _backfill(env, history, clock))
    if env.replay is not None:
        yield topic("replay", _replay(env))
    if env.metrics is not None:
        yield topic("metrics", _metric_names(env))


class SeriesKey(tuple[str, str, str, float, int]):
    """``(component, metric, statistic, lookback minutes, period seconds)`` of one live series."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The topic name: ``series:<component>:<metric>:<statistic>:<lookback>:<period>``."""
        component, metric, statistic, lookback, period = self
        return f"series:{component}:{metric}:{statistic}:{lookback:g}:{period}"

    @classmethod
    def parse(cls, name: str) -> SeriesKey:
        """The key of a topic name.

        Raises:
            ValueError: Not a valid series name.
        """
        parts = name.split(":")
        if len(parts) != 6 or parts[0] != "series" or not all(parts[1:4]):
            raise ValueError(
                f"bad series {name!r}: series:<component>:<metric>:<statistic>:<lookback>:<period>"
            )
        lookback, period = float(parts[4]), int(parts[5])
        if not 0 < lookback <= 7 * 24 * 60 or not 0 < period <= 86400:
            raise ValueError(f"bad series {name!r}: lookback or period out of range")
        return cls((parts[1], parts[2], parts[3], lookback, period))


def series_topic(env: Environment, settings: DashboardSettings, key: SeriesKey) -> Topic:
    """A dynamic topic polling one metric (``metrics get-data --json`` documents)."""
    from ..services.metrics import parse_component, parse_statistic

    component, metric, statistic, lookback, period = key
    parse_component(component)  # raises ValueError for an unknown one, before any loop starts
    parse_statistic(statistic)

    async def poll(_publish: Publish) -> dict[str, Any]:
        assert env.metrics is not None
        minutes: float = int(lookback) if lookback.is_integer() else lookback
        report = await env.metrics.get_data_report(component, metric, statistic, minutes, period)
        return {"document": report.to_dict()}

    return Topic(
        key.name, poll, interval=settings.interval("series"), clock=env.clock, dynamic=True
    )
