"""FaultProxy counts requests per operation for APIs that send every operation to one path."""

from __future__ import annotations

import pytest

from asyncconsole.infra.http import AiohttpClient, HttpRequest, HttpResponse
from asyncconsole.testing import FaultProxy, HttpHandlerServer

pytestmark = pytest.mark.integration


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse.build(200, json={})


async def test_operations_are_counted_by_header_or_by_form_field() -> None:
    # An AWS query API (CloudWatch before its JSON protocol, STS) names the operation in the
    # form body's Action field; a JSON API in X-Amz-Target. Both count, per operation.
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    async with (
        HttpHandlerServer(_ok) as server,
        FaultProxy(server.url, operation_header="X-Amz-Target", operation_field="Action") as proxy,
        AiohttpClient(proxy.url) as http,
    ):
        await http.request("POST", "/", data=b"Action=ListMetrics&Version=2010-08-01", headers=form)
        await http.request("POST", "/", data=b"Version=1&Action=GetMetricData", headers=form)
        await http.request("POST", "/", data=b"{}", headers={"X-Amz-Target": "Svc.RunTask"})
        await http.request("POST", "/", data=b"Action=Ignored", headers={"X-Amz-Target": "S.Op"})
    assert proxy.forwarded_operations == {
        "ListMetrics": 1,
        "GetMetricData": 1,
        "Svc.RunTask": 1,
        "S.Op": 1,
    }
    assert proxy.forwarded[("POST", "/")] == 4
