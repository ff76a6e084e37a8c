"""The fault contract for AwsECSManager: moto's ECS behind a FaultProxy (botocore's requests,
signed for the proxy's host, pass through it unchanged)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from asyncconsole import ECSTimeoutError, InfrastructureError, RetryPolicy
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.ecs import AwsECSManager, ServiceStatus, TaskInfo
from asyncconsole.testing import (
    FaultCall,
    FaultProxy,
    MuteServer,
    ProxyInjector,
    check_fault_contract,
)
from tests.integration.test_ecs_moto import FAMILY, MotoECS, _manual_task_transitions

pytestmark = pytest.mark.integration

TIMEOUT = 2.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)
TARGET = "AmazonEC2ContainerServiceV20141113."


class RunTasks:
    """``run_task`` as the contract calls it, remembering the tags of the tasks each call
    started or may have started (a failed call names its tag), so that only tasks nobody
    was told about count as left behind."""

    def __init__(self, subnet: str) -> None:
        self.subnet = subnet
        self.told: set[str] = set()

    async def __call__(self, ecs: AwsECSManager) -> list[TaskInfo]:
        try:
            tasks = await ecs.run_task(
                "faults", FAMILY, launch_type="FARGATE", subnets=[self.subnet]
            )
        except InfrastructureError as exc:
            self.told.add(str(exc.context.get("started_by")))
            raise
        self.told.update(str(t.started_by) for t in tasks)
        return tasks

    async def left_running(self, endpoint: str) -> Sequence[str]:
        options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
        async with open_aws_client("ecs", options) as ecs:
            arns = (await ecs.list_tasks(cluster="faults", desiredStatus="RUNNING"))["taskArns"]
            if not arns:
                return []
            tasks = (await ecs.describe_tasks(cluster="faults", tasks=arns))["tasks"]
        return [
            f"{t['taskArn']} (startedBy {t.get('startedBy')})"
            for t in tasks
            if str(t.get("startedBy", "")).startswith("asyncconsole-")
            and t.get("startedBy") not in self.told
        ]


def _calls(run: RunTasks) -> list[FaultCall[AwsECSManager]]:
    def op(name: str) -> str:
        return TARGET + name

    return [
        FaultCall(
            "get_service_status",
            lambda ecs: ecs.get_service_status("faults", "svc"),
            True,
            ServiceStatus,
            peer_operation=op("DescribeServices"),
        ),
        FaultCall(
            "scale_service",
            lambda ecs: ecs.scale_service("faults", "svc", 2),
            True,
            ServiceStatus,
            peer_operation=op("UpdateService"),
        ),
        FaultCall(
            "list_tasks",
            lambda ecs: ecs.list_tasks("faults"),
            True,
            list,
            peer_operation=op("ListTasks"),
        ),
        FaultCall("run_task", run, False, list, peer_operation=op("RunTask")),
    ]


async def test_aws_ecs_manager_keeps_the_fault_contract(moto_endpoint: str) -> None:
    _manual_task_transitions(moto_endpoint)
    moto = MotoECS(moto_endpoint)
    await moto.create_service("faults", "svc", 1)
    run = RunTasks(await moto.subnet())
    async with FaultProxy(moto_endpoint, seed=3, operation_header="X-Amz-Target") as proxy:

        @asynccontextmanager
        async def open_manager() -> AsyncIterator[AwsECSManager]:
            async with AwsECSManager(
                region="us-east-1",
                endpoint_url=proxy.url,
                request_timeout=TIMEOUT,
                retry=PATIENT,
            ) as ecs:
                yield ecs

        async def leftovers() -> Sequence[str]:
            return await run.left_running(moto_endpoint)

        await check_fault_contract(
            open_manager,
            _calls(run),
            ProxyInjector(proxy),
            timeout=TIMEOUT,
            leftovers=leftovers,
        )
        assert proxy.forwarded_operations[TARGET + "RunTask"] > 0


async def test_a_mute_peer_ends_get_service_status_within_its_timeout(
    aws_env: dict[str, Any],
) -> None:
    # Issue 10: with request_timeout=2 it took 9.6-12.2 s (four attempts of botocore's read
    # timeout, plus waits). One deadline now covers every attempt.
    async with (
        MuteServer() as mute,
        AwsECSManager(
            region="us-east-1", endpoint_url=mute.url, request_timeout=2, read_timeout=2
        ) as ecs,
    ):
        started = time.monotonic()
        with pytest.raises(ECSTimeoutError) as caught:
            await ecs.get_service_status("cluster", "service")
        elapsed = time.monotonic() - started
    assert elapsed <= 3.0, f"returned after {elapsed:.1f}s"
    assert caught.value.timeout == 2
    assert mute.url in str(caught.value)
