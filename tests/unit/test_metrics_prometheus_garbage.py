"""Issue 10: garbage from Prometheus is a typed error naming the endpoint and the status,
never an AttributeError, JSONDecodeError, RecursionError or TypeError."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole import FakeClock, MalformedResponseError, MetricsError
from asyncconsole.infra.http import HttpRequest, HttpResponse
from asyncconsole.infra.metrics import MetricQuery, PrometheusMetricsCollector
from asyncconsole.testing import MALFORMED_ANSWERS, FakeHttpClient

ENDPOINT = "http://prom.invalid:9090"
T0 = datetime(2024, 5, 22, 20, 0, tzinfo=UTC)

# Each garbage answer as the whole body, and (where it is JSON) as the "data" of a success.
BODIES: dict[str, tuple[int, bytes, str]] = {
    name: (answer.status, answer.body, answer.content_type)
    for name, answer in MALFORMED_ANSWERS.items()
}
for name in ("list", "null", "string", "wrong_types", "deep"):
    data = MALFORMED_ANSWERS[name].body
    BODIES[f"success with {name} data"] = (
        200,
        b'{"status": "success", "data": ' + data + b"}",
        "application/json",
    )
BODIES["matrix of garbage"] = (
    200,
    json.dumps(
        {
            "status": "success",
            "data": {"resultType": "matrix", "result": [1, {"values": 7}, {"metric": []}]},
        }
    ).encode(),
    "application/json",
)
BODIES["series of garbage"] = (
    200,
    json.dumps({"status": "success", "data": [1, None, ["__name__"]]}).encode(),
    "application/json",
)

Call = Callable[[PrometheusMetricsCollector], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "list_metrics": lambda prom: prom.list_metrics(),
    "get_metric_data": lambda prom: prom.get_metric_data(
        MetricQuery(name="m", component="replayer", start=T0, end=T0 + timedelta(minutes=2))
    ),
    "ping": lambda prom: prom.ping(),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("garbage", sorted(BODIES))
async def test_garbage_is_a_typed_error_naming_endpoint_and_status(garbage: str, call: str) -> None:
    status, body, content_type = BODIES[garbage]

    def answer(request: HttpRequest) -> HttpResponse:
        if request.path == "/api/v1/status/buildinfo" and call != "ping":
            return HttpResponse.build(200, json={"status": "success", "data": {"version": "2"}})
        return HttpResponse.build(status, body=body, headers={"Content-Type": content_type})

    clock = FakeClock(T0 + timedelta(hours=1))
    http = FakeHttpClient(answer, base_url=ENDPOINT, clock=clock, retry=False)
    async with PrometheusMetricsCollector(ENDPOINT, http=http, clock=clock) as prom:
        error: MetricsError | MalformedResponseError | None = None
        try:
            result = await CALLS[call](prom)
        except (MetricsError, MalformedResponseError) as exc:
            error = exc
    if error is None:
        # A garbage answer that still decodes must decode to the documented type.
        assert result is None or isinstance(result, dict | list), result
    else:
        assert ENDPOINT in str(error) or error.context.get("endpoint") == ENDPOINT, repr(error)
        assert error.context.get("status") == status, error.context
