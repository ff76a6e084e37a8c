"""The fault contract for the fakes: the adapter core applies each fake's fault plan."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole.infra.http import FakeHttpClient, HttpRequest, HttpResponse
from asyncconsole.infra.http._client import should_retry
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
