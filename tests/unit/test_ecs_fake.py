"""FakeECSManager: the contract suite, lifecycle over fake time, faults and retries."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import pytest

from asyncconsole import NO_RETRY, FakeClock, RetryPolicy
from asyncconsole._errors import ECSError, ECSNotFoundError, OperationTimeoutError
from asyncconsole.infra.ecs import ECSManager, FakeECSManager, TaskState
from asyncconsole.testing import FakeECSManager as PublicFake
from asyncconsole.testing import check_ecs_manager

FAST = RetryPolicy(attempts=3, wait_initial=0.5, wait_jitter=0.0, timeout=None)


def manual() -> tuple[FakeClock, FakeECSManager]:
    clock = FakeClock(auto_advance=False)
    return clock, FakeECSManager(clock=clock, step=1.0, stop_delay=2.0)


async def test_contract_on_the_fake() -> None:
    fake = FakeECSManager(step=1.0)

    async def create_service(cluster: str, service: str, desired: int) -> None:
        fake.add_service(cluster, service, desired=desired, task_definition="worker")

    def open_manager() -> AbstractAsyncContextManager[ECSManager]:
        return fake

    await check_ecs_manager(open_manager, create_service=create_service, task_definition="worker")
    assert PublicFake is FakeECSManager
    assert isinstance(fake, ECSManager)


async def test_running_count_converges_to_desired_over_fake_time() -> None:
    clock, ecs = manual()
    ecs.add_service("c", "s", desired=2)
    st = await ecs.get_service_status("c", "s")
    assert (st.running, st.pending, st.desired) == (0, 2, 2)
    await clock.advance(1.5)
    st = await ecs.get_service_status("c", "s")
    assert (st.running, st.pending) == (0, 2)
    await clock.advance(0.5)
    st = await ecs.get_service_status("c", "s")
    assert (st.running, st.pending) == (2, 0)
    assert st.stable
    assert st.deployments[0].rollout_state == "COMPLETED"


async def test_task_lifecycle_states_and_utc_times() -> None:
    clock, ecs = manual()
    ecs.register_task_definition("job")
    ecs.add_cluster("c")
    (task,) = await ecs.run_task("c", "job")
    seen = [task.last_status]
    for _ in range(2):
        await clock.advance(1.0)
        seen.append((await ecs.get_task("c", task.id)).last_status)
    assert seen == [TaskState.PROVISIONING, TaskState.PENDING, TaskState.RUNNING]
    running = await ecs.get_task("c", task.arn)
    assert running.created_at is not None
    assert running.started_at is not None
    assert running.created_at.tzinfo is not None
    assert running.started_at - running.created_at == timedelta(seconds=2)

    stopping = await ecs.stop_task("c", task.arn, reason="bye")
    assert (stopping.last_status, stopping.desired_status) == (
        TaskState.STOPPING,
        TaskState.STOPPED,
    )
    await clock.advance(2.0)
    stopped = await ecs.get_task("c", task.arn)
    assert stopped.last_status is TaskState.STOPPED
    assert stopped.stopped_reason == "bye"
    assert stopped.stopped_at is not None
    assert stopped.stopping_at is not None
    assert stopped.stopped_at - stopped.stopping_at == timedelta(seconds=2)


async def test_scale_in_reports_terminating_tasks_until_they_stop() -> None:
    clock, ecs = manual()
    ecs.add_service("c", "s", desired=3, started=True)
    await ecs.scale_service("c", "s", 1)
    st = await ecs.get_service_status("c", "s", count_terminating=True)
    assert (st.running, st.desired, st.terminating) == (1, 1, 2)
    assert len(await ecs.list_tasks("c", "s", TaskState.STOPPED)) == 2
    await clock.advance(2.0)
    st = await ecs.get_service_status("c", "s", count_terminating=True)
    assert st.terminating == 0


async def test_scale_in_removes_starting_tasks_first() -> None:
    _clock, ecs = manual()
    ecs.add_service("c", "s", desired=2, started=True)
    await ecs.scale_service("c", "s", 4)
    await ecs.scale_service("c", "s", 2)
    st = await ecs.get_service_status("c", "s")
    assert (st.running, st.pending) == (2, 0)


async def test_a_stopped_service_task_is_replaced() -> None:
    _clock, ecs = manual()
    ecs.add_service("c", "s", desired=2, started=True)
    victim = (await ecs.list_tasks("c", "s"))[0]
    await ecs.stop_task("c", victim.arn)
    st = await ecs.get_service_status("c", "s")
    assert (st.running, st.pending, st.desired) == (1, 1, 2)
    assert victim.arn not in {t.arn for t in await ecs.list_tasks("c", "s")}


async def test_deployment_rolls_over_and_wait_until_stable_sees_one_deployment() -> None:
    ecs = FakeECSManager(step=1.0)
    ecs.add_service("c", "s", desired=2, task_definition="app", started=True)
    new_td = ecs.register_task_definition("app")
    ecs.deploy("c", "s", new_td)
    st = await ecs.get_service_status("c", "s")
    assert [d.status for d in st.deployments] == ["PRIMARY", "ACTIVE"]
    assert st.deployments[0].rollout_state == "IN_PROGRESS"
    assert (st.running, st.pending) == (2, 2)
    started = ecs.clock.monotonic()
    done = await ecs.wait_until_stable("c", "s", timeout=60, poll_interval=0.5)
    assert len(done.deployments) == 1
    assert done.deployments[0].task_definition == new_td
    assert done.task_definition == new_td
    assert done.running == 2
    assert ecs.clock.monotonic() - started == pytest.approx(3.0)  # 2 steps up + 1 step down


async def test_wait_until_stable_times_out_on_the_clock() -> None:
    ecs = FakeECSManager(step=100.0)
    ecs.add_service("c", "s", desired=1)
    with pytest.raises(OperationTimeoutError) as caught:
        await ecs.wait_until_stable("c", "s", timeout=10, poll_interval=3)
    assert caught.value.timeout == 10
    assert "running=0 pending=1 desired=1" in str(caught.value)
    assert isinstance(ecs.clock, FakeClock)
    assert ecs.clock.sleeps == [3, 3, 3, 1]
    with pytest.raises(ValueError, match="poll_interval"):
        await ecs.wait_until_stable("c", "s", timeout=10, poll_interval=0)


async def test_throttling_is_retried_and_logged() -> None:
    ecs = FakeECSManager(retry=FAST)
    ecs.add_service("c", "s", desired=1)
    ecs.throttle_next("get_service_status", times=2)
    st = await ecs.get_service_status("c", "s")
    assert st.desired == 1
    attempts = ecs.calls_to("get_service_status")
    assert len(attempts) == 3
    codes = [getattr(a.error, "code", None) for a in attempts]
    assert codes == ["ThrottlingException", "ThrottlingException", None]
    assert isinstance(ecs.clock, FakeClock)
    assert ecs.clock.sleeps == [0.5, 1.0]


async def test_throttling_past_the_policy_surfaces_as_transient_ecs_error() -> None:
    ecs = FakeECSManager(retry=FAST)
    ecs.add_service("c", "s", desired=1)
    ecs.throttle_next("scale_service", times=5)
    with pytest.raises(ECSError) as caught:
        await ecs.scale_service("c", "s", 2)
    assert caught.value.code == "ThrottlingException"
    assert caught.value.transient
    assert len(ecs.calls_to("scale_service")) == 3
    assert (await ecs.get_service_status("c", "s")).desired == 1  # never applied


async def test_run_task_is_never_retried() -> None:
    ecs = FakeECSManager(retry=FAST)
    ecs.add_cluster("c")
    ecs.register_task_definition("job")
    ecs.throttle_next("run_task")
    with pytest.raises(ECSError, match="throttled"):
        await ecs.run_task("c", "job")
    assert len(ecs.calls_to("run_task")) == 1
    assert await ecs.list_tasks("c") == []


async def test_permanent_faults_are_not_retried_and_no_retry_policy_disables_retries() -> None:
    ecs = FakeECSManager(retry=FAST)
    ecs.add_service("c", "s", desired=1)
    ecs.fail_next("list_tasks", ECSNotFoundError("gone", code="MISSING"))
    with pytest.raises(ECSNotFoundError, match="gone"):
        await ecs.list_tasks("c")
    assert len(ecs.calls_to("list_tasks")) == 1

    once = FakeECSManager(retry=NO_RETRY)
    once.add_service("c", "s")
    once.throttle_next("ping")
    with pytest.raises(ECSError):
        await once.ping()
    await once.ping()
    assert [c.error is None for c in once.calls_to("ping")] == [False, True]
    with pytest.raises(ValueError, match="unknown FakeECSManager operation"):
        once.throttle_next("describe_everything")


async def test_injected_error_copies_keep_their_code() -> None:
    ecs = FakeECSManager(retry=NO_RETRY)
    ecs.add_cluster("c")
    ecs.fail_next("get_task", ECSError("denied", code="AccessDeniedException"), times=2)
    for _ in range(2):
        with pytest.raises(ECSError) as caught:
            await ecs.get_task("c", "x")
        assert caught.value.code == "AccessDeniedException"
    with pytest.raises(ECSNotFoundError):
        await ecs.get_task("c", "x")


async def test_many_concurrent_calls_on_one_manager() -> None:
    ecs = FakeECSManager(latency=0.01)
    for i in range(5):
        ecs.add_service("c", f"s{i}", desired=1)
    async with asyncio.TaskGroup() as tg:
        for _ in range(20):
            for i in range(5):
                tg.create_task(ecs.get_service_status("c", f"s{i}"))
                tg.create_task(ecs.scale_service("c", f"s{i}", 3))
            tg.create_task(ecs.list_tasks("c"))
    for i in range(5):
        st = await ecs.wait_until_stable("c", f"s{i}", timeout=60, poll_interval=0.5)
        assert (st.running, st.desired) == (3, 3)
    assert len(await ecs.list_tasks("c")) == 15


async def test_list_tasks_filters() -> None:
    ecs = FakeECSManager()
    ecs.add_service("c", "s", desired=2, started=True)
    (job,) = await ecs.run_task("c", "app", started_by="me", group="batch")
    assert job.group == "batch"
    assert {t.arn for t in await ecs.list_tasks("c", started_by="me")} == {job.arn}
    assert len(await ecs.list_tasks("c", "s")) == 2
    assert len(await ecs.list_tasks("c")) == 3
    assert await ecs.list_tasks("c", desired_status="PENDING") == []
    with pytest.raises(ECSNotFoundError):
        await ecs.list_tasks("c", "nope")
    with pytest.raises(ECSNotFoundError, match="TaskDefinition not found"):
        await ecs.run_task("c", "app:9")


async def test_closed_fake_refuses_calls() -> None:
    ecs = FakeECSManager()
    async with ecs:
        await ecs.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await ecs.ping()


def test_setup_validation() -> None:
    ecs = FakeECSManager()
    ecs.add_service("c", "s")
    with pytest.raises(ECSError, match="already exists"):
        ecs.add_service("c", "s")
    with pytest.raises(ValueError, match="desired count"):
        ecs.add_service("c", "t", desired=-1)
    with pytest.raises(ValueError, match=">= 0"):
        FakeECSManager(step=-1)
