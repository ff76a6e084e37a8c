"""Metrics: list the migration's metrics and read one metric's data (``console metrics``).

``MetricsService(collector)`` wraps a :class:`~asyncconsole.infra.metrics.MetricsCollector`
(Prometheus, CloudWatch or the fake)::

    names = await metrics.list()                                     # MetricNames
    series = await metrics.get_data("replayer", "kafkaCommitCount")  # MetricSeriesList
    report = await metrics.get_data_report("replayer", "kafkaCommitCount", "Sum", 30)
    print(report)              # the query and a table;  report.to_dict() for JSON
"""

from ._service import COMPONENTS, MetricsService, parse_component, parse_statistic
from ._types import MetricData, MetricNames, MetricSeriesList

__all__ = [
    "COMPONENTS",
    "MetricData",
    "MetricNames",
    "MetricSeriesList",
    "MetricsService",
    "parse_component",
    "parse_statistic",
]
