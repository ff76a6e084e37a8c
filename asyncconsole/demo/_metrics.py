"""Metrics the demo publishes: the capture proxy's and the replayer's, as the OpenTelemetry
collector would export them (``exported_job`` ``capture`` and ``replay``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from .._clock import Clock, SystemClock
from ._prometheus import DemoPrometheusServer

__all__ = ["DEMO_METRICS", "MetricsFeed"]

DEMO_METRICS: dict[str, tuple[str, ...]] = {
    "captureProxy": ("kafkaSendCount", "captureBytes"),
    "replayer": ("kafkaCommitCount", "bytesWrittenToTarget", "sourceStatusCode"),
}
"""Metric names per component that the demo publishes."""

_JOBS = {"captureProxy": "capture", "replayer": "replay"}


def _values(moment: datetime) -> dict[tuple[str, str], float]:
    """Deterministic, gently varying values for every demo metric at ``moment``."""
    t = moment.timestamp()
    wave = 1.0 + 0.35 * math.sin(t / 47.0) + 0.15 * math.sin(t / 11.0)
    requests = round(40 * wave)
    return {
        ("captureProxy", "kafkaSendCount"): float(requests),
        ("captureProxy", "captureBytes"): float(requests * 820),
        ("replayer", "kafkaCommitCount"): float(max(requests - 2, 0)),
        ("replayer", "bytesWrittenToTarget"): float(requests * 790),
        ("replayer", "sourceStatusCode"): 200.0,
    }


class MetricsFeed:
    """Publish the demo's metrics into a :class:`DemoPrometheusServer`.

    :meth:`backfill_history` records ``minutes`` of past samples so queries have data at once;
    :meth:`run` records one sample per metric every ``interval`` seconds.
    """

    def __init__(self, server: DemoPrometheusServer, *, clock: Clock | None = None) -> None:
        self.server = server
        self.clock: Clock = clock or SystemClock()
        self.samples = 0

    def record(self, moment: datetime) -> None:
        """One sample of every metric, stamped ``moment``."""
        for (component, name), value in _values(moment).items():
            self.server.record(name, value, job=_JOBS[component], at=moment)
            self.samples += 1

    def backfill_history(self, minutes: int = 15, every: float = 2.0) -> None:
        """Samples for the last ``minutes`` minutes, one per ``every`` seconds."""
        now = self.clock.now()
        steps = int(minutes * 60 / every)
        for step in range(steps, 0, -1):
            self.record(now - timedelta(seconds=step * every))

    async def run(self, *, interval: float = 1.0) -> None:
        """Record live samples until cancelled."""
        while True:
            self.record(self.clock.now())
            await self.clock.sleep(interval)
