"""CloudWatchMetricsCollector's paging and status handling, with a scripted CloudWatch client.

moto never splits GetMetricData into pages nor reports PartialData/InternalError, so these
answers are scripted here; everything else is checked against moto in the integration tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from asyncconsole import FakeClock, MetricsError
from asyncconsole.infra.metrics import CloudWatchMetricsCollector, MetricQuery

T0 = datetime(2024, 5, 22, 20, 6, tzinfo=UTC)


class ScriptedCloudWatch:
    """Answers list_metrics/get_metric_data from queued pages and records the calls."""

    def __init__(self, metrics: list[dict[str, Any]], pages: list[dict[str, Any]]) -> None:
        self.metrics = metrics
        self.pages = pages
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def list_metrics(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("list_metrics", kwargs))
        return {"Metrics": self.metrics}

    async def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("get_metric_data", kwargs))
        return self.pages.pop(0)

    def get_paginator(self, operation: str) -> ScriptedPaginator:
        return ScriptedPaginator(getattr(self, operation))


class ScriptedPaginator:
    """Pages through a scripted operation by its NextToken, as botocore's paginators do."""

    def __init__(self, method: Any) -> None:
        self.method = method

    async def paginate(self, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        while True:
            page = await self.method(**kwargs)
            yield page
            if not page.get("NextToken"):
                return
            kwargs = {**kwargs, "NextToken": page["NextToken"]}


def _dims(**dims: str) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in dims.items()]


async def _collect(client: ScriptedCloudWatch, query: MetricQuery) -> list[Any]:
    cw = CloudWatchMetricsCollector(region="us-east-1", qualifier="dev", clock=FakeClock())
    cw._client = client  # the scripted client stands in for aiobotocore's
    cw._opened = True
    return await cw.get_metric_data(query)


QUERY = MetricQuery(
    name="kafkaCommitCount",
    component="replayer",
    statistic="Sum",
    start=T0,
    end=T0 + timedelta(minutes=5),
)


async def test_pages_are_merged_and_timestamps_made_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    metrics = [
        {
            "MetricName": "kafkaCommitCount",
            "Dimensions": _dims(OTelLib="replayer", qualifier="dev"),
        },
        {
            "MetricName": "kafkaCommitCount",
            "Dimensions": _dims(OTelLib="replayer", qualifier="dev", topic="t"),
        },
        {
            "MetricName": "kafkaCommitCount",
            "Dimensions": _dims(OTelLib="replayer", qualifier="dev"),
        },
    ]
    pages: list[dict[str, Any]] = [
        {
            "MetricDataResults": [
                {"Id": "m0", "StatusCode": "PartialData", "Timestamps": [T0], "Values": [1.0]},
                {"Id": "m1", "StatusCode": "PartialData", "Timestamps": [], "Values": []},
            ],
            "NextToken": "page-2",
        },
        {
            "MetricDataResults": [
                {
                    "Id": "m0",
                    "StatusCode": "Complete",
                    "Timestamps": [(T0 + timedelta(minutes=1)).astimezone(plus2)],
                    "Values": [2.0],
                },
                {"Id": "m1", "StatusCode": "Complete", "Timestamps": [T0], "Values": [7.0]},
            ]
        },
    ]
    client = ScriptedCloudWatch(metrics, pages)
    series = await _collect(client, QUERY)
    assert [dict(s.labels) for s in series] == [
        {"OTelLib": "replayer", "qualifier": "dev"},
        {"OTelLib": "replayer", "qualifier": "dev", "topic": "t"},
    ]
    assert series[0].points == ((T0, 1.0), (T0 + timedelta(minutes=1), 2.0))
    assert series[0].timestamps[1].tzinfo is UTC
    assert series[1].values == [7.0]
    listed, first, second = client.calls
    assert listed[1]["Dimensions"] == _dims(OTelLib="replayer", qualifier="dev")
    assert first[1]["ScanBy"] == "TimestampAscending"
    assert [q["Id"] for q in first[1]["MetricDataQueries"]] == ["m0", "m1"]
    assert first[1]["MetricDataQueries"][0]["MetricStat"]["Stat"] == "Sum"
    assert "NextToken" not in first[1]
    assert second[1]["NextToken"] == "page-2"


async def test_failed_results_raise_with_their_messages() -> None:
    pages: list[dict[str, Any]] = [
        {
            "MetricDataResults": [
                {
                    "Id": "m0",
                    "StatusCode": "Forbidden",
                    "Messages": [{"Code": "AccessDenied", "Value": "no cloudwatch:GetMetricData"}],
                }
            ]
        }
    ]
    with pytest.raises(MetricsError, match=r"Forbidden.*AccessDenied: no cloudwatch") as caught:
        await _collect(ScriptedCloudWatch([], pages), QUERY)
    assert caught.value.query == QUERY.describe()


def test_half_a_key_pair_is_refused_like_every_aws_adapter() -> None:
    import pytest

    from asyncconsole import ConfigError
    from asyncconsole.infra.metrics import CloudWatchMetricsCollector

    with pytest.raises(ConfigError, match="needs both access_key and secret_key"):
        CloudWatchMetricsCollector(region="us-east-1", qualifier="dev", access_key="AKIA")
