"""The shared metrics contract, run against the in-memory fake."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from asyncconsole import FakeClock
from asyncconsole.infra.metrics import FakeMetricsCollector, Point
from asyncconsole.testing import check_metrics_collector


async def test_fake_passes_the_contract() -> None:
    fake = FakeMetricsCollector(clock=FakeClock())

    async def feed(
        component: str, name: str, labels: Mapping[str, str], points: Sequence[Point]
    ) -> None:
        fake.add_points(component, name, points, labels=labels)

    await check_metrics_collector(lambda: fake, feed, now=fake.clock.now)
    assert [call for call, _ in fake.calls].count("ping") == 1
