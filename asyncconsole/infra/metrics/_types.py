"""The query model shared by every metrics backend: what to ask for and what comes back.

Bucket semantics are the same everywhere: with ``period`` P, a point ``(T, v)`` summarises the
samples whose timestamp ``t`` satisfies ``T <= t < min(T + P, end)``, where
``T = start + k * P`` and ``T < end``. Buckets without samples are left out. Timestamps are
timezone-aware UTC and points are in ascending time order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ..._display import DisplayMixin, Table

__all__ = [
    "Component",
    "MetricQuery",
    "MetricSeries",
    "Point",
    "Statistic",
    "aggregate",
    "bucketize",
    "require_utc",
]

Point = tuple[datetime, float]
"""One point of a series: (timezone-aware UTC timestamp, value)."""


class Statistic(StrEnum):
    """How the samples of one period are summarised (CloudWatch's names)."""

    SAMPLE_COUNT = "SampleCount"
    AVERAGE = "Average"
    SUM = "Sum"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"

    @classmethod
    def parse(cls, value: Statistic | str) -> Statistic:
        """The statistic named ``value`` (exact name, e.g. ``"Average"``; case-insensitive)."""
        if isinstance(value, Statistic):
            return value
        for member in cls:
            if member.value.lower() == str(value).lower():
                return member
        names = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown statistic {value!r}; expected one of {names}")


class Component(StrEnum):
    """The well-known migration components that publish metrics; any other name is allowed too."""

    CAPTURE_PROXY = "captureProxy"
    REPLAYER = "replayer"


def require_utc(value: datetime, what: str) -> datetime:
    """``value`` converted to UTC; naive datetimes are rejected (their zone is unknowable)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} must be timezone-aware (e.g. datetime.now(UTC)); got naive {value.isoformat()}"
        )
    return value.astimezone(UTC)


def _whole(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _frozen(mapping: Mapping[str, str] | None, what: str) -> Mapping[str, str]:
    items: dict[str, str] = {}
    for key, value in (mapping or {}).items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{what}: names must be non-empty strings, got {key!r}")
        if not isinstance(value, str):
            raise ValueError(f"{what}[{key!r}] must be a string, got {type(value).__name__}")
        items[key] = value
    return MappingProxyType(dict(sorted(items.items())))


@dataclass(frozen=True, eq=False)
class MetricQuery:
    """One metric of one component, summarised per period over a time window.

    Attributes:
        name: The metric name (``kafkaCommitCount``).
        component: ``captureProxy``, ``replayer`` (see :class:`Component`) or any other
            component/job name.
        statistic: A :class:`Statistic` or its name (``"Average"``).
        start: Window start, timezone-aware (converted to UTC, truncated to whole seconds as
            CloudWatch does).
        end: Window end (exclusive), timezone-aware (likewise); ``None`` means "now" when the
            query runs.
        period: Bucket length in whole seconds.
        dimensions: Extra dimensions (CloudWatch) / label matchers (Prometheus) to filter by.
    """

    name: str
    component: str
    statistic: Statistic | str = Statistic.AVERAGE
    start: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=1))
    end: datetime | None = None
    period: int = 60
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("MetricQuery.name must be a non-empty string")
        if not isinstance(self.component, str) or not self.component.strip():
            raise ValueError("MetricQuery.component must be a non-empty string")
        set_ = object.__setattr__
        set_(self, "component", str(self.component))
        set_(self, "statistic", Statistic.parse(self.statistic))
        set_(self, "start", _whole(require_utc(self.start, "MetricQuery.start")))
        if self.end is not None:
            set_(self, "end", _whole(require_utc(self.end, "MetricQuery.end")))
            if self.end <= self.start:
                raise ValueError(
                    f"MetricQuery.end ({self.end.isoformat()}) must be after "
                    f"start ({self.start.isoformat()})"
                )
        if isinstance(self.period, bool) or not isinstance(self.period, int) or self.period < 1:
            raise ValueError(
                f"MetricQuery.period must be a positive whole number of seconds, got {self.period!r}"
            )
        set_(self, "dimensions", _frozen(self.dimensions, "MetricQuery.dimensions"))

    @property
    def stat(self) -> Statistic:
        """``statistic`` typed as a :class:`Statistic` (it always is after construction)."""
        return Statistic.parse(self.statistic)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """``(start, end)`` with ``end=None`` resolved to ``now``."""
        end = self.end if self.end is not None else _whole(require_utc(now, "now"))
        if end <= self.start:
            raise ValueError(
                f"MetricQuery window is empty: start {self.start.isoformat()} is not before now"
            )
        return self.start, end

    def replace(self, **changes: Any) -> MetricQuery:
        """A copy with some fields changed (validated again)."""
        fields: dict[str, Any] = {
            "name": self.name,
            "component": self.component,
            "statistic": self.statistic,
            "start": self.start,
            "end": self.end,
            "period": self.period,
            "dimensions": dict(self.dimensions),
        }
        fields.update(changes)
        return MetricQuery(**fields)

    def describe(self) -> str:
        """A short human description used in errors and logs."""
        dims = ",".join(f"{k}={v}" for k, v in self.dimensions.items())
        return f"{self.stat.value}({self.component}/{self.name}{'{' + dims + '}' if dims else ''}, period={self.period}s)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricQuery):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.component,
            self.statistic,
            self.start,
            self.end,
            self.period,
            tuple(self.dimensions.items()),
        )


@dataclass(frozen=True, eq=False)
class MetricSeries(DisplayMixin):
    """The points of one series (one label/dimension set) answering a :class:`MetricQuery`.

    Draws itself as a table in Jupyter and rich terminals; :meth:`to_dataframe` and
    :meth:`plot` need the ``notebook`` extra (pandas, matplotlib).

    Attributes:
        name: Metric name.
        component: Component the series belongs to (``captureProxy``, ``replayer``, ...).
        statistic: The statistic applied per period.
        labels: The series' labels (Prometheus) or dimensions (CloudWatch), read-only.
        points: ``((timestamp_utc, value), ...)`` in ascending time order, one per bucket.
    """

    name: str
    component: str
    statistic: Statistic
    labels: Mapping[str, str] = field(default_factory=dict)
    points: tuple[Point, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels, "MetricSeries.labels"))
        points = tuple(
            (require_utc(ts, "MetricSeries point timestamp"), float(v)) for ts, v in self.points
        )
        object.__setattr__(self, "points", points)

    @property
    def timestamps(self) -> list[datetime]:
        """The points' timestamps."""
        return [ts for ts, _ in self.points]

    @property
    def values(self) -> list[float]:
        """The points' values."""
        return [v for _, v in self.points]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO-8601 UTC timestamps)."""
        return {
            "name": self.name,
            "component": self.component,
            "statistic": self.statistic.value,
            "labels": dict(self.labels),
            "points": [[ts.isoformat(), v] for ts, v in self.points],
        }

    def to_dataframe(self) -> Any:
        """The points as a ``pandas.DataFrame`` with a UTC ``DatetimeIndex`` (see
        :func:`asyncconsole.notebook.to_dataframe`).

        Raises:
            ImportError: pandas is not installed (``pip install 'asyncconsole[notebook]'``).
        """
        from ._frames import to_dataframe

        return to_dataframe(self)

    def plot(self, *, ax: Any = None, title: str | None = None) -> Any:
        """Plot the series against time; returns the matplotlib ``Axes`` (see
        :func:`asyncconsole.notebook.plot`).

        Raises:
            ImportError: pandas or matplotlib is not installed
                (``pip install 'asyncconsole[notebook]'``).
        """
        from ._frames import plot

        return plot(self, ax=ax, title=title)

    def _display_tables(self) -> Table:
        from ._frames import _series_table

        return _series_table(self, title=f"{self.statistic.value} per period")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricSeries):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.component,
            self.statistic,
            tuple(self.labels.items()),
            tuple((ts, v if not math.isnan(v) else "nan") for ts, v in self.points),
        )


def aggregate(statistic: Statistic, values: list[float]) -> float:
    """Summarise one bucket's samples the way every backend does."""
    if statistic is Statistic.SAMPLE_COUNT:
        return float(len(values))
    if not values:
        raise ValueError("cannot aggregate an empty bucket")
    if statistic is Statistic.SUM:
        return math.fsum(values)
    if statistic is Statistic.AVERAGE:
        return math.fsum(values) / len(values)
    if statistic is Statistic.MINIMUM:
        return min(values)
    return max(values)


def bucketize(
    samples: list[Point], statistic: Statistic, start: datetime, end: datetime, period: int
) -> tuple[Point, ...]:
    """Apply the module's bucket semantics to raw ``samples`` (any order)."""
    step = timedelta(seconds=period)
    buckets: dict[int, list[float]] = {}
    for ts, value in samples:
        if start <= ts < end:
            index = int((ts - start) // step)
            buckets.setdefault(index, []).append(value)
    return tuple(
        (start + index * step, aggregate(statistic, buckets[index])) for index in sorted(buckets)
    )
