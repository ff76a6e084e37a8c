"""AwsECSManager's real botocore client against a scripted ECS endpoint (aiohttp).

Here the server decides what ECS answers (throttling, failures[] in a 200, an empty service
list, a slow RunTask) and records exactly what the client sent: headers and every attempt.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole._errors import ECSError, ECSNotFoundError
from asyncconsole.infra.ecs import AwsECSManager

pytestmark = pytest.mark.integration

Reply = tuple[int, dict[str, Any]]
SERVICE = {
    "serviceArn": "arn:aws:ecs:us-east-1:1:service/c/s",
    "serviceName": "s",
    "status": "ACTIVE",
    "desiredCount": 5,
    "runningCount": 1,
    "pendingCount": 2,
    "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/app:3",
    "deployments": [
        {
            "id": "ecs-svc/1",
            "status": "ACTIVE",
            "desiredCount": 0,
            "runningCount": 1,
            "pendingCount": 0,
            "taskDefinition": "td:2",
            "createdAt": 1700000000,
        },
        {
            "id": "ecs-svc/2",
            "status": "PRIMARY",
            "desiredCount": 5,
            "runningCount": 0,
            "pendingCount": 2,
            "taskDefinition": "td:3",
            "rolloutState": "IN_PROGRESS",
            "createdAt": 1700000100,
        },
    ],
}
TASK = {
    "taskArn": "arn:aws:ecs:us-east-1:1:task/c/abc",
    "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/c",
    "taskDefinitionArn": "td:3",
    "lastStatus": "PROVISIONING",
    "desiredStatus": "RUNNING",
    "group": "family:app",
    "createdAt": 1700000000.5,
}


def throttled() -> Reply:
    return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}


@dataclass
class ScriptedECS:
    """Answers each ECS operation from a queue of scripted replies (the last one repeats)."""

    url: str = ""
    script: dict[str, list[Reply | Callable[[dict[str, Any]], Any]]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def ops(self) -> list[str]:
        return [op for op, _, _ in self.seen]

    async def handle(self, request: web.Request) -> web.Response:
        op = request.headers["X-Amz-Target"].rsplit(".", 1)[-1]
        body = json.loads(await request.read() or b"{}")
        self.seen.append((op, body, dict(request.headers)))
        queue = self.script.get(op) or [(200, {})]
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(reply):
            reply = await reply(body)
        status, payload = reply
        return web.Response(
            status=status, body=json.dumps(payload), content_type="application/x-amz-json-1.1"
        )


@pytest.fixture
async def scripted(aws_env: dict[str, str]) -> AsyncIterator[ScriptedECS]:
    server = ScriptedECS()
    app = web.Application()
    app.router.add_post("/", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


def manager(server: ScriptedECS, **kwargs: Any) -> AwsECSManager:
    kwargs.setdefault(
        "retry", RetryPolicy(attempts=3, wait_initial=1.0, wait_jitter=0, timeout=None)
    )
    kwargs.setdefault("clock", FakeClock())
    return AwsECSManager(region="us-east-1", endpoint_url=server.url, **kwargs)


async def test_user_agent_extra_reaches_the_wire(scripted: ScriptedECS) -> None:
    scripted.script["ListClusters"] = [(200, {"clusterArns": []})]
    async with manager(scripted, user_agent_extra="asyncconsole-test/1.2") as ecs:
        await ecs.ping()
    op, _, headers = scripted.seen[0]
    assert op == "ListClusters"
    assert headers["User-Agent"].endswith("asyncconsole-test/1.2")
    assert headers["User-Agent"].startswith("aiobotocore/")


async def test_status_parses_counts_and_orders_deployments(scripted: ScriptedECS) -> None:
    scripted.script["DescribeServices"] = [(200, {"services": [SERVICE], "failures": []})]
    async with manager(scripted) as ecs:
        st = await ecs.get_service_status("c", "s")
    assert (st.running, st.pending, st.desired, st.status) == (1, 2, 5, "ACTIVE")
    assert [d.id for d in st.deployments] == ["ecs-svc/2", "ecs-svc/1"]
    primary = st.deployments[0]
    assert (primary.rollout_state, primary.desired, primary.task_definition) == (
        "IN_PROGRESS",
        5,
        "td:3",
    )
    assert primary.created_at is not None
    assert primary.created_at.utcoffset() is not None
    assert not st.stable
    assert scripted.seen[0][1] == {"cluster": "c", "services": ["s"]}


async def test_throttling_is_retried_by_asyncconsole_not_botocore(scripted: ScriptedECS) -> None:
    scripted.script["DescribeServices"] = [
        throttled(),
        throttled(),
        (200, {"services": [SERVICE], "failures": []}),
    ]
    clock = FakeClock()
    async with manager(scripted, clock=clock) as ecs:
        st = await ecs.get_service_status("c", "s")
    assert st.desired == 5
    assert scripted.ops() == ["DescribeServices"] * 3
    assert clock.sleeps == [1.0, 2.0]  # our backoff, on the injected clock
    assert {h["amz-sdk-request"] for _, _, h in scripted.seen} == {"attempt=1"}


async def test_throttling_beyond_the_policy_is_a_transient_ecs_error(scripted: ScriptedECS) -> None:
    scripted.script["UpdateService"] = [throttled()]
    async with manager(scripted) as ecs:
        with pytest.raises(ECSError) as caught:
            await ecs.scale_service("c", "s", 2)
    assert caught.value.code == "ThrottlingException"
    assert caught.value.transient
    assert scripted.ops() == ["UpdateService"] * 3
    assert scripted.seen[0][1] == {"cluster": "c", "service": "s", "desiredCount": 2}


async def test_server_errors_are_retried(scripted: ScriptedECS) -> None:
    scripted.script["ListClusters"] = [
        (500, {"__type": "ServerException", "message": "boom"}),
        (200, {"clusterArns": []}),
    ]
    async with manager(scripted) as ecs:
        await ecs.ping()
    assert scripted.ops() == ["ListClusters", "ListClusters"]


async def test_failures_in_a_200_response_are_errors(scripted: ScriptedECS) -> None:
    scripted.script["DescribeServices"] = [
        (200, {"services": [], "failures": [{"arn": "arn:s", "reason": "MISSING"}]}),
        (200, {"services": [], "failures": [{"arn": "arn:s", "reason": "AGENT", "detail": "x"}]}),
        (200, {"services": [], "failures": []}),
    ]
    async with manager(scripted) as ecs:
        with pytest.raises(ECSNotFoundError) as missing:
            await ecs.get_service_status("c", "s")
        assert missing.value.code == "MISSING"
        with pytest.raises(ECSError) as other:
            await ecs.get_service_status("c", "s")
        assert other.value.code == "AGENT"
        assert not isinstance(other.value, ECSNotFoundError)
        assert "(x)" in str(other.value)
        with pytest.raises(ECSNotFoundError, match="no service"):
            await ecs.get_service_status("c", "s")
    assert len(scripted.seen) == 3  # permanent errors: no retries


async def test_access_denied_is_permanent(scripted: ScriptedECS) -> None:
    scripted.script["ListTasks"] = [
        (400, {"__type": "AccessDeniedException", "message": "not allowed"})
    ]
    async with manager(scripted) as ecs:
        with pytest.raises(ECSError, match="not allowed") as caught:
            await ecs.list_tasks("c")
    assert caught.value.code == "AccessDeniedException"
    assert not caught.value.transient
    assert scripted.ops() == ["ListTasks"]


async def test_list_tasks_paginates_and_filters_the_service_group(scripted: ScriptedECS) -> None:
    other = {**TASK, "taskArn": "arn:aws:ecs:us-east-1:1:task/c/def", "group": "service:other"}
    mine = {**TASK, "group": "service:s"}
    scripted.script["ListTasks"] = [
        (200, {"taskArns": [mine["taskArn"]], "nextToken": "t1"}),
        (200, {"taskArns": [other["taskArn"]]}),
    ]
    scripted.script["DescribeTasks"] = [(200, {"tasks": [mine, other], "failures": []})]
    async with manager(scripted) as ecs:
        tasks = await ecs.list_tasks("c", "s")
    assert [t.arn for t in tasks] == [mine["taskArn"]]
    first, second = scripted.seen[0][1], scripted.seen[1][1]
    assert first == {
        "cluster": "c",
        "serviceName": "s",
        "desiredStatus": "RUNNING",
        "maxResults": 100,
    }
    assert second["nextToken"] == "t1"


async def test_run_task_is_not_retried_and_reports_partial_failures(scripted: ScriptedECS) -> None:
    scripted.script["RunTask"] = [
        throttled(),
        (200, {"tasks": [TASK], "failures": [{"arn": "a", "reason": "RESOURCE:CPU"}]}),
    ]
    async with manager(scripted) as ecs:
        with pytest.raises(ECSError) as throttle:
            await ecs.run_task("c", "app", count=2)
        assert throttle.value.transient
        assert scripted.ops() == ["RunTask"]
        with pytest.raises(ECSError) as partial:
            await ecs.run_task("c", "app", count=2, subnets=["sn-1"], security_groups=["sg-1"])
    assert partial.value.code == "RESOURCE:CPU"
    started = partial.value.context["tasks"]
    assert [t.arn for t in started] == [TASK["taskArn"]]
    sent = scripted.seen[1][1]
    assert sent["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["sn-1"],
        "securityGroups": ["sg-1"],
        "assignPublicIp": "DISABLED",
    }
    assert sent["startedBy"].startswith("asyncconsole-")


async def test_cancelled_run_task_stops_what_it_started(scripted: ScriptedECS) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def slow_run(body: dict[str, Any]) -> Reply:
        arrived.set()
        await release.wait()
        return 200, {"tasks": [], "failures": []}

    scripted.script["RunTask"] = [slow_run]
    scripted.script["ListTasks"] = [(200, {"taskArns": [TASK["taskArn"]]})]
    scripted.script["StopTask"] = [(200, {"task": {**TASK, "desiredStatus": "STOPPED"}})]
    async with manager(scripted) as ecs, asyncio.TaskGroup() as tg:
        run = tg.create_task(ecs.run_task("c", "app"))
        await arrived.wait()
        run.cancel()
    release.set()
    assert run.cancelled()
    assert scripted.ops() == ["RunTask", "ListTasks", "StopTask"]
    tag = scripted.seen[0][1]["startedBy"]
    assert scripted.seen[1][1]["startedBy"] == tag
    assert scripted.seen[2][1]["task"] == TASK["taskArn"]


async def test_not_open_is_a_clear_error(scripted: ScriptedECS) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await manager(scripted).ping()
