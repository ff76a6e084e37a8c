"""The fault contract for the AWS fakes (ECS, S3, Secrets Manager): the adapter core applies
each fake's fault plan, exactly as it types the real adapters' failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from asyncconsole import FakeClock, InfrastructureError, RetryPolicy
from asyncconsole.infra.ecs import FakeECSManager, ServiceStatus, TaskInfo
from asyncconsole.infra.s3 import FakeObjectStore
from asyncconsole.infra.secrets import FakeSecretStore
from asyncconsole.testing import FaultCall, FaultPlan, PlanInjector, check_fault_contract

TIMEOUT = 5.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)


async def test_fake_ecs_manager_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan()
    ecs = FakeECSManager(clock=clock, retry=PATIENT, request_timeout=TIMEOUT, faults=plan, step=1.0)
    ecs.add_service("faults", "svc", desired=1, task_definition="job")
    told: set[str] = set()

    async def run(manager: FakeECSManager) -> list[TaskInfo]:
        try:
            tasks = await manager.run_task("faults", "job")
        except InfrastructureError as exc:
            told.add(str(exc.context.get("started_by")))
            raise
        told.update(str(t.started_by) for t in tasks)
        return tasks

    @asynccontextmanager
    async def open_manager() -> AsyncIterator[FakeECSManager]:
        yield ecs  # kept open: leftovers reads its state after the contract

    async def leftovers() -> Sequence[str]:
        running = await ecs.list_tasks("faults")
        return [
            t.arn
            for t in running
            if (t.started_by or "").startswith("asyncconsole-") and t.started_by not in told
        ]

    calls: list[FaultCall[FakeECSManager]] = [
        FaultCall(
            "get_service_status",
            lambda m: m.get_service_status("faults", "svc", count_terminating=True),
            True,
            ServiceStatus,
            operation="ecs.get_service_status",
        ),
        FaultCall(
            "scale_service",
            lambda m: m.scale_service("faults", "svc", 2),
            True,
            ServiceStatus,
            operation="ecs.scale_service",
        ),
        FaultCall(
            "list_tasks", lambda m: m.list_tasks("faults"), True, list, operation="ecs.list_tasks"
        ),
        FaultCall("run_task", run, False, list, operation="ecs.run_task"),
    ]
    await check_fault_contract(
        open_manager,
        calls,
        PlanInjector(plan),
        timeout=TIMEOUT,
        clock=clock,
        leftovers=leftovers,
    )
    assert plan.reached["ecs.run_task"] > 0


async def test_fake_object_store_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan()
    store = FakeObjectStore(buckets=["b"], clock=clock, request_timeout=TIMEOUT, faults=plan)
    store.retry = PATIENT
    await store.put_object("b", "k", b"value")

    @asynccontextmanager
    async def open_store() -> AsyncIterator[FakeObjectStore]:
        yield store

    async def listed(s: FakeObjectStore) -> list[str]:
        return [o.key async for o in s.list_objects("b")]

    calls: list[FaultCall[FakeObjectStore]] = [
        FaultCall("get_object", lambda s: s.get_object("b", "k"), True, bytes, "s3.get_object"),
        FaultCall("list_objects", listed, True, list, "s3.list_objects"),
        FaultCall(
            "put_object", lambda s: s.put_object("b", "k", b"v"), True, None, "s3.put_object"
        ),
        FaultCall(
            "delete_objects",
            lambda s: s.delete_objects("b", ["gone"]),
            True,
            int,
            "s3.delete_objects",
        ),
    ]
    await check_fault_contract(open_store, calls, PlanInjector(plan), timeout=TIMEOUT, clock=clock)


async def test_fake_secret_store_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan()
    store = FakeSecretStore(
        {"s": "value"}, clock=clock, retry=PATIENT, request_timeout=TIMEOUT, faults=plan
    )

    @asynccontextmanager
    async def open_store() -> AsyncIterator[FakeSecretStore]:
        yield store

    calls: list[FaultCall[FakeSecretStore]] = [
        FaultCall(
            "get_secret_string",
            lambda s: s.get_secret_string("s"),
            True,
            operation="secrets.get_secret_string",
        ),
        FaultCall("ping", lambda s: s.ping(), True, operation="secrets.ping"),
    ]
    await check_fault_contract(open_store, calls, PlanInjector(plan), timeout=TIMEOUT, clock=clock)
