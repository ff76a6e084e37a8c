"""``metrics_source``: Prometheus or CloudWatch."""

from __future__ import annotations

from typing import ClassVar, Literal, TypeAlias

from .._errors import ConfigError
from ._base import ConfigModel, HttpEndpoint

__all__ = [
    "CloudWatchConfig",
    "MetricsKind",
    "MetricsSourceConfig",
    "PrometheusConfig",
]

MetricsKind = Literal["prometheus", "cloudwatch"]


class PrometheusConfig(ConfigModel):
    """A Prometheus server."""

    kind: ClassVar[MetricsKind] = "prometheus"

    endpoint: HttpEndpoint
    """Base URL, e.g. ``http://prometheus:9090``."""


class CloudWatchConfig(ConfigModel):
    """Amazon CloudWatch (namespace ``OpenSearchMigrations``).

    ``qualifier`` is required, so an empty ``cloudwatch:`` block fails when the file loads
    (console_link accepted it and failed on first use).
    """

    kind: ClassVar[MetricsKind] = "cloudwatch"

    aws_region: str | None = None
    """Region; ``None`` means the AWS SDK's usual region resolution."""
    qualifier: str
    """Value of the ``qualifier`` dimension of the metrics (the deployment stage)."""


MetricsBackendConfig: TypeAlias = PrometheusConfig | CloudWatchConfig


class MetricsSourceConfig(ConfigModel):
    """Where metrics come from: exactly one of ``prometheus`` or ``cloudwatch``."""

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (("prometheus", "cloudwatch"),)

    prometheus: PrometheusConfig | None = None
    """Prometheus settings."""
    cloudwatch: CloudWatchConfig | None = None
    """CloudWatch settings."""

    @property
    def source(self) -> MetricsBackendConfig:
        """The one configured backend (check ``.kind``)."""
        for found in (self.prometheus, self.cloudwatch):
            if found is not None:
                return found
        raise ConfigError("metrics_source has neither prometheus nor cloudwatch")

    @property
    def kind(self) -> MetricsKind:
        """``prometheus`` or ``cloudwatch``."""
        return self.source.kind
