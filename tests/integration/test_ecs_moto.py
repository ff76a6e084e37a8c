"""AwsECSManager against moto server: the contract suite, plus what only a real client shows."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from asyncconsole import ConfigError
from asyncconsole._errors import ECSNotFoundError
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.ecs import AwsECSManager, ECSManager, TaskState
from asyncconsole.testing import check_ecs_manager

pytestmark = pytest.mark.integration

CLUSTER = "contract"
FAMILY = "worker"


def _manual_task_transitions(endpoint: str) -> None:
    """Stop moto from moving a task one state further on every DescribeTasks."""
    body = json.dumps(
        {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000}}
    ).encode()
    req = urllib.request.Request(
        f"{endpoint}/moto-api/state-manager/set-transition", data=body, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status in (200, 201)


class MotoECS:
    """Creates clusters, task definitions and services in moto for a test."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
        self.families: set[tuple[str, str]] = set()

    async def subnet(self) -> str:
        async with open_aws_client("ec2", self.options) as ec2:
            subnets = (await ec2.describe_subnets())["Subnets"]
        return str(subnets[0]["SubnetId"])

    async def create_service(self, cluster: str, service: str, desired: int) -> None:
        async with open_aws_client("ecs", self.options) as ecs:
            if (cluster, FAMILY) not in self.families:
                await ecs.create_cluster(clusterName=cluster)
                await ecs.register_task_definition(
                    family=FAMILY,
                    networkMode="awsvpc",
                    requiresCompatibilities=["FARGATE"],
                    cpu="256",
                    memory="512",
                    containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}],
                )
                self.families.add((cluster, FAMILY))
            await ecs.create_service(
                cluster=cluster, serviceName=service, taskDefinition=FAMILY, desiredCount=desired
            )


@pytest.fixture
def moto_ecs(moto_endpoint: str) -> MotoECS:
    _manual_task_transitions(moto_endpoint)
    return MotoECS(moto_endpoint)


def _opener(endpoint: str, **kwargs: Any) -> Callable[[], AbstractAsyncContextManager[ECSManager]]:
    def open_manager() -> AbstractAsyncContextManager[ECSManager]:
        return AwsECSManager(region="us-east-1", endpoint_url=endpoint, **kwargs)

    return open_manager


async def test_contract_on_moto(moto_ecs: MotoECS) -> None:
    subnet = await moto_ecs.subnet()
    await check_ecs_manager(
        _opener(moto_ecs.endpoint),
        create_service=moto_ecs.create_service,
        task_definition=FAMILY,
        cluster=CLUSTER,
        run_task_options={"launch_type": "FARGATE", "subnets": [subnet]},
        poll_interval=0.01,
        stable_timeout=10,
    )


async def test_fixed_call_shape(moto_ecs: MotoECS) -> None:
    await moto_ecs.create_service("cluster", "service", 1)
    async with AwsECSManager(region="us-east-1", endpoint_url=moto_ecs.endpoint) as ecs:
        st = await ecs.get_service_status("cluster", "service")
        assert (st.running, st.pending, st.desired) == (0, 1, 1)
        await ecs.scale_service("cluster", "service", 4)
        st = await ecs.get_service_status("cluster", "service")
        assert (st.running, st.pending, st.desired) == (4, 0, 4)


async def test_each_call_logs_one_event(
    moto_ecs: MotoECS, caplog: pytest.LogCaptureFixture
) -> None:
    await moto_ecs.create_service("c", "s", 1)
    caplog.set_level(logging.DEBUG, logger="asyncconsole")
    async with AwsECSManager(region="us-east-1", endpoint_url=moto_ecs.endpoint) as ecs:
        await ecs.get_service_status("c", "s")
        await ecs.scale_service("c", "s", 2)
        with pytest.raises(ECSNotFoundError):
            await ecs.get_service_status("c", "missing")
    events = [getattr(r, "asyncconsole", None) for r in caplog.records]
    got = [(e["operation"], e["target"], e["outcome"]) for e in events if e]
    assert got == [
        ("ecs.get_service_status", "c/s", "ok"),
        ("ecs.scale_service", "c/s", "ok"),
        ("ecs.get_service_status", "c/missing", "error: ECSNotFoundError"),
    ], got


async def test_region_and_credentials_from_the_environment(moto_ecs: MotoECS) -> None:
    # aws_env sets AWS_DEFAULT_REGION and fake keys: nothing passed explicitly.
    await moto_ecs.create_service("c", "s", 2)
    async with AwsECSManager(endpoint_url=moto_ecs.endpoint) as ecs:
        assert (await ecs.get_service_status("c", "s")).desired == 2


async def test_explicit_credentials_are_used_and_masked(moto_ecs: MotoECS) -> None:
    ecs = AwsECSManager(
        region="us-east-1",
        endpoint_url=moto_ecs.endpoint,
        access_key="AKIDEXAMPLE",
        secret_key="very-secret-key",
    )
    assert "very-secret-key" not in repr(ecs)
    async with ecs:
        await ecs.ping()


async def test_no_region_anywhere_is_a_config_error(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ConfigError, match="region"):
        async with AwsECSManager(endpoint_url=moto_endpoint):
            pass


async def test_missing_cluster_and_service_are_not_found(moto_ecs: MotoECS) -> None:
    await moto_ecs.create_service("c", "s", 1)
    async with AwsECSManager(region="us-east-1", endpoint_url=moto_ecs.endpoint) as ecs:
        with pytest.raises(ECSNotFoundError) as missing:
            await ecs.get_service_status("c", "nope")
        assert missing.value.code == "MISSING"  # a failures[] entry, not an exception in moto
        with pytest.raises(ECSNotFoundError) as no_cluster:
            await ecs.get_service_status("no-cluster", "s")
        assert no_cluster.value.code == "ClusterNotFoundException"
        with pytest.raises(ECSNotFoundError) as update:
            await ecs.scale_service("c", "nope", 1)
        assert update.value.code == "ServiceNotFoundException"


async def test_count_terminating_counts_stopping_service_tasks(moto_ecs: MotoECS) -> None:
    # moto starts no service tasks, so the count is 0; the fake's tests cover non-zero counts.
    await moto_ecs.create_service("c", "s", 1)
    async with AwsECSManager(region="us-east-1", endpoint_url=moto_ecs.endpoint) as ecs:
        st = await ecs.get_service_status("c", "s", count_terminating=True)
        assert st.terminating == 0


async def test_tasks_carry_utc_times_and_stop_state(moto_ecs: MotoECS) -> None:
    await moto_ecs.create_service("c", "s", 0)
    subnet = await moto_ecs.subnet()
    async with AwsECSManager(region="us-east-1", endpoint_url=moto_ecs.endpoint) as ecs:
        (task,) = await ecs.run_task("c", FAMILY, launch_type="FARGATE", subnets=[subnet])
        assert task.started_by is not None
        assert task.started_by.startswith("asyncconsole-")
        assert task.launch_type == "FARGATE"
        stopped = await ecs.stop_task("c", task.id, reason="done")
        assert stopped.last_status is TaskState.STOPPED
        fetched = await ecs.get_task("c", task.arn)
        assert fetched.stopped_reason == "done"
