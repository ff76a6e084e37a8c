"""Migration metrics from Prometheus or CloudWatch behind one async interface.

:class:`MetricsCollector` is the protocol; :class:`PrometheusMetricsCollector` and
:class:`CloudWatchMetricsCollector` are the real backends (loaded on first use so importing
this package stays cheap); :class:`FakeMetricsCollector` simulates one in memory. A
:class:`MetricQuery` asks for one metric of one component, summarised per period; every backend
answers with :class:`MetricSeries` whose buckets mean the same thing (see
:mod:`asyncconsole.infra.metrics._types`). :func:`watch` follows a metric as it grows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_names
from ._fake import FakeMetricsCollector
from ._protocol import MetricsCollector
from ._types import Component, MetricQuery, MetricSeries, Point, Statistic
from ._watch import watch

if TYPE_CHECKING:
    from ._cloudwatch import CloudWatchMetricsCollector
    from ._prometheus import PrometheusMetricsCollector

__all__ = [
    "CloudWatchMetricsCollector",
    "Component",
    "FakeMetricsCollector",
    "MetricQuery",
    "MetricSeries",
    "MetricsCollector",
    "Point",
    "PrometheusMetricsCollector",
    "Statistic",
    "watch",
]

_LAZY = {
    "CloudWatchMetricsCollector": "._cloudwatch",
    "PrometheusMetricsCollector": "._prometheus",
}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
