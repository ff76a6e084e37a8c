"""PromQL building and Prometheus response parsing (pure functions, no I/O).

console_link maps components to the ``exported_job`` label the OpenTelemetry collector sets
(captureProxy -> ``capture``, replayer -> ``replay``); other component names are used as-is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..._errors import MetricsError
from ._types import MetricQuery, Point, Statistic

__all__ = [
    "COMPONENT_JOBS",
    "JOB_LABEL",
    "component_for_job",
    "job_for_component",
    "label_selector",
    "parse_matrix",
    "range_expression",
]

JOB_LABEL = "exported_job"
COMPONENT_JOBS: Mapping[str, str] = {"captureProxy": "capture", "replayer": "replay"}
_JOB_COMPONENTS = {job: component for component, job in COMPONENT_JOBS.items()}

_STAT_FUNCTIONS = {
    Statistic.AVERAGE: "avg_over_time",
    Statistic.SUM: "sum_over_time",
    Statistic.MINIMUM: "min_over_time",
    Statistic.MAXIMUM: "max_over_time",
    Statistic.SAMPLE_COUNT: "count_over_time",
}
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
MS = timedelta(milliseconds=1)


def job_for_component(component: str) -> str:
    """The ``exported_job`` value for ``component``."""
    return COMPONENT_JOBS.get(component, component)


def component_for_job(job: str) -> str:
    """The component name for an ``exported_job`` value."""
    return _JOB_COMPONENTS.get(job, job)


def _quote(value: str) -> str:
    # PromQL string literals follow Go's escaping; these are the characters that matter.
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def label_selector(name: str | None, labels: Mapping[str, str], *, query: str) -> str:
    """``name{k="v",...}`` with names validated and values escaped (no PromQL injection)."""
    if name is not None and not _METRIC_NAME.fullmatch(name):
        raise MetricsError(
            f"invalid Prometheus metric name {name!r} (allowed: [a-zA-Z_:][a-zA-Z0-9_:]*)",
            query=query,
        )
    parts = []
    for key, value in labels.items():
        if not _LABEL_NAME.fullmatch(key) or key.startswith("__"):
            raise MetricsError(
                f"invalid Prometheus label name {key!r} (allowed: [a-zA-Z_][a-zA-Z0-9_]*, "
                "not starting with '__')",
                query=query,
            )
        parts.append(f"{key}={_quote(value)}")
    return f"{name or ''}{{{','.join(parts)}}}"


def query_labels(query: MetricQuery) -> dict[str, str]:
    """The label matchers for ``query``: its job, then its extra dimensions."""
    if JOB_LABEL in query.dimensions:
        raise MetricsError(
            f"dimension {JOB_LABEL!r} is set from the component; pass component= instead",
            query=query.describe(),
        )
    return {JOB_LABEL: job_for_component(query.component), **query.dimensions}


def range_expression(query: MetricQuery, window: timedelta) -> str:
    """``<stat>_over_time(name{...}[<window>ms])``: the statistic over one bucket."""
    selector = label_selector(query.name, query_labels(query), query=query.describe())
    millis = int(window / MS)
    return f"{_STAT_FUNCTIONS[query.stat]}({selector}[{millis}ms])"


def epoch(ts: datetime) -> str:
    """Seconds since the epoch with millisecond precision, as Prometheus parses them."""
    millis = int((ts - datetime(1970, 1, 1, tzinfo=UTC)) // MS)
    return f"{millis // 1000}.{millis % 1000:03d}"


def from_epoch(value: float | str) -> datetime:
    """A UTC datetime from Prometheus' float seconds, rounded to the millisecond."""
    millis = round(float(value) * 1000)
    return datetime(1970, 1, 1, tzinfo=UTC) + millis * MS


def check_envelope(payload: Any, *, query: str) -> Any:
    """``payload["data"]``, or :class:`MetricsError` for an error or malformed answer."""
    if not isinstance(payload, dict):
        raise MetricsError(f"Prometheus answered with non-JSON-object for {query}", query=query)
    if payload.get("status") != "success":
        kind = payload.get("errorType") or "unknown"
        error = MetricsError(
            f"Prometheus rejected {query}: {kind}: {payload.get('error', 'no detail')}",
            query=query,
            error_type=kind,
        )
        error.transient = kind in ("timeout", "unavailable", "canceled")
        raise error
    return payload.get("data")


def parse_matrix(data: Any, *, query: str) -> list[tuple[dict[str, str], list[Point]]]:
    """``[(labels, [(ts, value), ...]), ...]`` from a ``query_range`` or instant answer."""
    if not isinstance(data, dict) or data.get("resultType") not in ("matrix", "vector"):
        raise MetricsError(f"unexpected Prometheus result for {query}: {data!r:.200}", query=query)
    out: list[tuple[dict[str, str], list[Point]]] = []
    for item in data.get("result") or []:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        raw = item.get("values") if "values" in item else [item.get("value")]
        points = [(from_epoch(ts), _float(v)) for ts, v in raw or [] if ts is not None]
        out.append((labels, points))
    return out


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
