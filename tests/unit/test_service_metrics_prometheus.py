"""MetricsService end to end: the real PrometheusMetricsCollector against a real Prometheus,
fed exact samples by remote write (marked integration: it needs the prometheus binary)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from asyncconsole.infra.metrics import PrometheusMetricsCollector, Statistic
from asyncconsole.infra.metrics._types import bucketize
from asyncconsole.services.metrics import MetricsService
from asyncconsole.testing import PrometheusRemoteWriter

pytestmark = pytest.mark.integration


async def test_list_and_report_through_real_prometheus(prometheus_server: str) -> None:
    name = f"svc_{uuid.uuid4().hex[:8]}"
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=6)
    points = [(base + timedelta(seconds=20 * k), float(k)) for k in range(12)]
    async with PrometheusRemoteWriter(prometheus_server) as writer:
        await writer.feed("replayer", name, {"instance": "r-1"}, points)
        await writer.feed("replayer", name, {"instance": "r-2"}, points[:3])

    async with PrometheusMetricsCollector(endpoint=prometheus_server) as prom:
        service = MetricsService(prom)
        names = await service.list(recent=False)
        report = await service.get_data_report("replayer", name, "Sum", lookback_minutes=10)
        detail = await service.check()

    assert name in names["replayer"]
    assert detail.startswith("PrometheusMetricsCollector reachable; ")
    by_instance = {s.labels["instance"]: s for s in report.series}
    assert set(by_instance) == {"r-1", "r-2"}
    for instance, samples in (("r-1", points), ("r-2", points[:3])):
        expected = bucketize(samples, Statistic.SUM, report.start, report.end, 60)
        assert by_instance[instance].points == expected
    assert report.end - report.start == timedelta(minutes=10)
    assert report.source_type == "PrometheusMetricsCollector"
    shape = json.loads(json.dumps(report.to_dict()))
    assert sorted(s["labels"]["instance"] for s in shape["series"]) == ["r-1", "r-2"]
    assert all(p[0].endswith("+00:00") for s in shape["series"] for p in s["points"])
    assert "Series {" in report.render()
