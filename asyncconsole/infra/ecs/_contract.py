"""``check_ecs_manager``: the behaviour every :class:`ECSManager` must show (fake and real)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from ..._errors import ECSNotFoundError, NotFoundError, OperationTimeoutError
from ._common import short_name
from ._protocol import ECSManager
from ._types import ServiceStatus, TaskState

__all__ = ["check_ecs_manager"]

CreateService = Callable[[str, str, int], Awaitable[None]]


async def check_ecs_manager(
    open_manager: Callable[[], AbstractAsyncContextManager[ECSManager]],
    *,
    create_service: CreateService,
    task_definition: str,
    cluster: str = "contract",
    run_task_options: Mapping[str, Any] | None = None,
    poll_interval: float = 0.05,
    stable_timeout: float = 60.0,
) -> None:
    """Check an ECS manager against the protocol; raises AssertionError on a violation.

    Args:
        open_manager: Returns a fresh, unopened manager (an async context manager).
        create_service: ``await create_service(cluster, service, desired)`` makes a service
            (and the cluster, first time) running ``task_definition`` in the peer. A new
            service must not be running its tasks instantly (real ECS and moto never are).
        task_definition: Family (or ARN) that ``run_task`` may start in ``cluster``.
        cluster: A cluster name the check may use; it must not hold services named
            ``contract-*`` yet.
        run_task_options: Extra ``run_task`` keywords the peer needs (launch type, subnets).
        poll_interval / stable_timeout: for ``wait_until_stable`` (manager's clock).
    """
    family = short_name(task_definition).split(":")[0]
    async with open_manager() as ecs:
        await ecs.ping()
        await create_service(cluster, "contract-a", 2)
        await _check_status(ecs, cluster, family)
        await _check_scaling(ecs, cluster, poll_interval, stable_timeout)
        await _check_concurrency(ecs, cluster, poll_interval, stable_timeout)
        await _check_errors(ecs, cluster, task_definition)
        await _check_tasks(ecs, cluster, task_definition, family, dict(run_task_options or {}))


async def _check_status(ecs: ECSManager, cluster: str, family: str) -> None:
    st = await ecs.get_service_status(cluster, "contract-a")
    assert isinstance(st, ServiceStatus), st
    assert (st.cluster, st.service) == (cluster, "contract-a"), st
    assert st.desired == 2, st
    assert st.status == "ACTIVE", st
    assert st.arn.endswith("contract-a"), st.arn
    assert family in st.task_definition, st.task_definition
    assert 0 <= st.running + st.pending <= 2, st
    assert st.terminating is None, "terminating is only counted when asked for"
    assert st.deployments, "a service has at least one deployment"
    assert st.deployments[0].status == "PRIMARY", st.deployments
    assert family in st.deployments[0].task_definition, st.deployments[0]

    by_arn = await ecs.get_service_status(cluster, st.arn)
    assert by_arn.arn == st.arn, by_arn
    assert by_arn.desired == 2, by_arn

    # A new service is not running yet, so a zero-second wait reads once and times out.
    timed_out = await _raises(
        OperationTimeoutError,
        ecs.wait_until_stable(cluster, "contract-a", timeout=0, poll_interval=1),
        "wait_until_stable(timeout=0) on a starting service",
    )
    assert isinstance(timed_out, TimeoutError)
    last = timed_out.context.get("last_status")
    assert isinstance(last, ServiceStatus), last
    assert last.desired == 2, last


async def _check_scaling(
    ecs: ECSManager, cluster: str, poll_interval: float, stable_timeout: float
) -> None:
    scaled = await ecs.scale_service(cluster, "contract-a", 3)
    assert scaled.desired == 3, scaled
    stable = await ecs.wait_until_stable(
        cluster, "contract-a", timeout=stable_timeout, poll_interval=poll_interval
    )
    assert stable.stable, stable
    assert (stable.running, stable.desired) == (3, 3), stable
    assert len(stable.deployments) == 1, stable.deployments

    counted = await ecs.get_service_status(cluster, "contract-a", count_terminating=True)
    assert isinstance(counted.terminating, int), counted
    assert counted.terminating >= 0, counted

    await ecs.scale_service(cluster, "contract-a", 0)
    stopped = await ecs.wait_until_stable(
        cluster, "contract-a", timeout=stable_timeout, poll_interval=poll_interval
    )
    assert (stopped.running, stopped.desired) == (0, 0), stopped


async def _check_concurrency(
    ecs: ECSManager, cluster: str, poll_interval: float, stable_timeout: float
) -> None:
    async with asyncio.TaskGroup() as tg:
        reads = [tg.create_task(ecs.get_service_status(cluster, "contract-a")) for _ in range(20)]
        scales = [tg.create_task(ecs.scale_service(cluster, "contract-a", 1)) for _ in range(5)]
    assert all(r.result().arn == reads[0].result().arn for r in reads)
    assert all(s.result().desired == 1 for s in scales), [s.result() for s in scales]
    final = await ecs.wait_until_stable(
        cluster, "contract-a", timeout=stable_timeout, poll_interval=poll_interval
    )
    assert (final.running, final.desired) == (1, 1), final


E = TypeVar("E", bound=BaseException)


async def _raises(kind: type[E], call: Awaitable[object], what: str) -> E:
    """The ``kind`` error ``call`` raises; AssertionError when it raises none."""
    try:
        await call
    except kind as exc:
        return exc
    raise AssertionError(f"{what} must raise {kind.__name__}")


async def _expect_not_found(what: str, call: Awaitable[object]) -> None:
    error = await _raises(ECSNotFoundError, call, what)
    assert isinstance(error, NotFoundError), error


async def _expect_value_error(what: str, call: Awaitable[object]) -> None:
    await _raises(ValueError, call, what)


async def _check_errors(ecs: ECSManager, cluster: str, task_definition: str) -> None:
    await _expect_not_found(
        "status of a missing service", ecs.get_service_status(cluster, "contract-missing")
    )
    await _expect_not_found(
        "scaling a missing service", ecs.scale_service(cluster, "contract-missing", 1)
    )
    await _expect_not_found(
        "status in a missing cluster",
        ecs.get_service_status("contract-no-such-cluster", "contract-a"),
    )
    await _expect_not_found(
        "listing tasks of a missing cluster", ecs.list_tasks("contract-no-such-cluster")
    )
    await _expect_value_error("a negative desired count", ecs.scale_service(cluster, "x", -1))
    await _expect_value_error("an empty cluster name", ecs.get_service_status("", "x"))
    await _expect_value_error(
        "run_task with count 0", ecs.run_task(cluster, task_definition, count=0)
    )
    await _expect_value_error(
        "an unknown desired status", ecs.list_tasks(cluster, desired_status="SLEEPING")
    )


async def _check_tasks(
    ecs: ECSManager,
    cluster: str,
    task_definition: str,
    family: str,
    options: dict[str, Any],
) -> None:
    started = await ecs.run_task(
        cluster, task_definition, count=2, started_by="contract-run", **options
    )
    assert len(started) == 2, started
    arns = {t.arn for t in started}
    assert len(arns) == 2, arns
    for t in started:
        assert t.desired_status is TaskState.RUNNING, t
        assert not t.last_status.finished, t
        assert family in t.task_definition, t
        assert t.started_by == "contract-run", t
        assert t.group == f"family:{family}", t
        assert t.id, t
        assert t.arn.endswith(t.id), t

    listed = {t.arn for t in await ecs.list_tasks(cluster)}
    assert arns <= listed, (arns, listed)
    tagged = {t.arn for t in await ecs.list_tasks(cluster, started_by="contract-run")}
    assert tagged == arns, (tagged, arns)
    service_tasks = await ecs.list_tasks(cluster, "contract-a")
    assert all(t.group == "service:contract-a" for t in service_tasks), service_tasks
    assert not arns & {t.arn for t in service_tasks}

    first, second = sorted(arns)
    fetched = await ecs.get_task(cluster, first)
    assert fetched.arn == first, fetched
    await _expect_not_found(
        "a missing task", ecs.get_task(cluster, "00000000000000000000000000000000")
    )

    stopping = await ecs.stop_task(cluster, first, reason="contract stop")
    assert stopping.arn == first, stopping
    assert stopping.desired_status is TaskState.STOPPED, stopping
    assert stopping.stopped_reason == "contract stop", stopping

    stopped = {t.arn for t in await ecs.list_tasks(cluster, desired_status="STOPPED")}
    running = {t.arn for t in await ecs.list_tasks(cluster, desired_status=TaskState.RUNNING)}
    assert first in stopped, (stopped, running)
    assert first not in running, (stopped, running)
    assert second in running, (stopped, running)
    assert second not in stopped, (stopped, running)
    await ecs.stop_task(cluster, second)
