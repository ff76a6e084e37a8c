"""The shared metrics contract, run against the in-memory fake."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from asyncconsole import FakeClock
from asyncconsole.infra.metrics import (
    FakeMetricsCollector,
    MetricQuery,
    MetricSeries,
    Point,
    Statistic,
)
from asyncconsole.testing import check_metrics_collector


async def test_fake_passes_the_contract() -> None:
    fake = FakeMetricsCollector(clock=FakeClock())

    async def feed(
        component: str, name: str, labels: Mapping[str, str], points: Sequence[Point]
    ) -> None:
        fake.add_points(component, name, points, labels=labels)

    await check_metrics_collector(lambda: fake, feed, now=fake.clock.now)
    assert [call for call, _ in fake.calls].count("ping") == 1


class _IgnoresStatistic(FakeMetricsCollector):
    """console_link's Prometheus bug: every statistic answered as the raw average."""

    async def get_metric_data(self, query: MetricQuery) -> list[MetricSeries]:
        return await super().get_metric_data(query.replace(statistic=Statistic.AVERAGE))


class _FirstSeriesOnly(FakeMetricsCollector):
    """console_link's other Prometheus bug: only the first series is returned."""

    async def get_metric_data(self, query: MetricQuery) -> list[MetricSeries]:
        return (await super().get_metric_data(query))[:1]


class _SetsInListing(FakeMetricsCollector):
    """Unsorted, duplicated metric lists (console_link returned sets)."""

    async def list_metrics(self, *, recent: bool = True) -> dict[str, list[str]]:
        listing = await super().list_metrics(recent=recent)
        return {c: names[::-1] + names for c, names in listing.items()}


@pytest.mark.parametrize("broken", [_IgnoresStatistic, _FirstSeriesOnly, _SetsInListing])
async def test_the_contract_catches_console_link_bugs(broken: type[FakeMetricsCollector]) -> None:
    fake = broken(clock=FakeClock())

    async def feed(
        component: str, name: str, labels: Mapping[str, str], points: Sequence[Point]
    ) -> None:
        fake.add_points(component, name, points, labels=labels)

    with pytest.raises(AssertionError):
        await check_metrics_collector(lambda: fake, feed, now=fake.clock.now)
