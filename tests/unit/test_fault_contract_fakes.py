"""The fault contract for the fakes: the adapter core applies each fake's fault plan."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.infra.http._client import should_retry
from asyncconsole.infra.metrics import FakeMetricsCollector, MetricQuery
from asyncconsole.testing import FaultCall, FaultPlan, PlanInjector, check_fault_contract

TIMEOUT = 5.0
PATIENT = RetryPolicy(
    attempts=8, wait_initial=0.01, wait_max=0.05, timeout=None, retry_on=should_retry
)
_names = itertools.count()


def _items(request: HttpRequest) -> HttpResponse:
    return HttpResponse.build(200, json=[request.path])


async def _decoded(http: FakeHttpClient) -> Any:
    return (await http.request("GET", "/items")).json()


async def test_fake_http_client_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan()

    @asynccontextmanager
    async def open_client() -> AsyncIterator[FakeHttpClient]:
        async with FakeHttpClient(
            _items, timeout=TIMEOUT, retry=PATIENT, clock=clock, faults=plan
        ) as http:
            yield http

    op = "http.request"
    calls: list[FaultCall[FakeHttpClient]] = [
        FaultCall(
            "GET", lambda http: http.request("GET", "/items"), True, HttpResponse, operation=op
        ),
        FaultCall("GET + json()", _decoded, True, operation=op),
        FaultCall(
            "PUT create",
            lambda http: http.request("PUT", f"/items/{next(_names)}", json={}),
            False,
            HttpResponse,
            operation=op,
        ),
    ]
    await check_fault_contract(open_client, calls, PlanInjector(plan), timeout=TIMEOUT, clock=clock)


async def test_fake_metrics_collector_keeps_the_fault_contract() -> None:
    # Before the metrics fake shared the real collectors' base class it had no fault plan:
    # no deadline, no typed timeout, nothing to check the contract against.
    clock, plan = FakeClock(), FaultPlan()
    retry = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, timeout=None)
    fake = FakeMetricsCollector(clock=clock, timeout=TIMEOUT, retry=retry, faults=plan)
    fake.add_counter("replayer", "docs", rate=1.0, since=clock.now() - timedelta(minutes=10))
    query = MetricQuery(name="docs", component="replayer", start=clock.now() - timedelta(minutes=5))

    @asynccontextmanager
    async def open_collector() -> AsyncIterator[FakeMetricsCollector]:
        async with fake:
            yield fake

    calls: list[FaultCall[FakeMetricsCollector]] = [
        FaultCall("list_metrics", lambda m: m.list_metrics(), True, dict, "metrics.list_metrics"),
        FaultCall(
            "get_metric_data",
            lambda m: m.get_metric_data(query),
            True,
            list,
            "metrics.get_metric_data",
        ),
        FaultCall("ping", lambda m: m.ping(), True, operation="metrics.ping"),
    ]
    await check_fault_contract(
        open_collector, calls, PlanInjector(plan), timeout=TIMEOUT, clock=clock
    )
    assert plan.reached["metrics.get_metric_data"] > 0
