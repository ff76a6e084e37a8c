"""``BaseECSManager``: every :class:`ECSManager` method, once, for the real manager and the fake.

Argument checks, the ECS requests each method makes, decoding their answers, ``failures[]``,
the per-call deadline, retries, typed errors, events and the cleanup of a cancelled
``RunTask`` live here. :class:`AwsECSManager` sends the requests through aiobotocore;
:class:`FakeECSManager` answers them from its simulated ECS.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from ..._concurrency import gather
from ..._decode import expect
from ..._errors import ECSError, ECSNotFoundError, ECSTimeoutError, InfrastructureError
from .._aws import AwsApi, decoded
from .._core import DEFAULT, ErrorTypes, Operation, undo
from ._common import (
    MAX_RUN_TASK_COUNT,
    NOT_FOUND_CODES,
    check_count,
    check_name,
    desired_status_filter,
    failures_error,
    poll_until_stable,
    short_name,
)
from ._parse import items, override, service_status, task_info
from ._types import ContainerOverride, ServiceStatus, TaskInfo, TaskState

__all__ = ["ECS_ERRORS", "BaseECSManager"]

_log = logging.getLogger("asyncconsole.infra.ecs")

_DESCRIBE_BATCH = 100  # DescribeTasks accepts at most 100 tasks per call


def _ecs_error(cls: type[ECSError], message: str, *, action: str, **context: Any) -> ECSError:
    # AWS says "not found" with a 400 and an error code, not a 404.
    code = context.get("code")
    if cls is ECSError and (
        code in NOT_FOUND_CODES
        or (
            code in ("InvalidParameterException", "ClientException")
            and "not found" in message.lower()
        )
    ):
        cls = ECSNotFoundError
    return cls(message, **context)


ECS_ERRORS: Final = ErrorTypes(
    "ECS API", base=ECSError, timeout=ECSTimeoutError, not_found=ECSNotFoundError, build=_ecs_error
)

_PING = Operation("ecs.ping", idempotent=True)
_STATUS = Operation("ecs.get_service_status", idempotent=True)
_SCALE = Operation("ecs.scale_service", idempotent=True)
_WAIT = Operation("ecs.wait_until_stable", idempotent=True)
_LIST = Operation("ecs.list_tasks", idempotent=True)
_GET = Operation("ecs.get_task", idempotent=True)
_RUN = Operation("ecs.run_task", idempotent=False)
_STOP = Operation("ecs.stop_task", idempotent=True)  # stopping a stopped task answers the task


class BaseECSManager(AwsApi):
    """The :class:`ECSManager` methods over ECS's API (see the module docstring)."""

    _errors = ECS_ERRORS
    _log = _log

    async def ping(self) -> None:
        async def attempt(left: float | None) -> None:
            answer = await self._send("list_clusters", {"maxResults": 1}, left)
            decoded(answer, lambda a: items(a, "clusterArns", required=True), "ListClusters")

        await self._run(_PING, self.endpoint, attempt)

    async def get_service_status(
        self, cluster: str, service: str, *, count_terminating: bool = False
    ) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)
        return await self._status(cluster, service, count_terminating=count_terminating)

    async def _status(
        self,
        cluster: str,
        service: str,
        *,
        count_terminating: bool = False,
        timeout: Any = DEFAULT,  # noqa: ASYNC109 - DEFAULT: the request timeout
    ) -> ServiceStatus:
        target = f"{cluster}/{service}"

        async def attempt(left: float | None) -> ServiceStatus:
            answer = await self._send(
                "describe_services", {"cluster": cluster, "services": [service]}, left
            )
            failures, services = decoded(answer, _services, "DescribeServices")
            if failures:
                raise failures_error(
                    failures,
                    operation="DescribeServices",
                    target=target,
                    cluster=cluster,
                    service=service,
                )
            if not services:
                raise ECSNotFoundError(
                    f"ECS service {target} not found (DescribeServices returned no service)",
                    code="MISSING",
                    cluster=cluster,
                    service=service,
                )
            status = decoded(
                services[0], lambda raw: service_status(cluster, service, raw), "DescribeServices"
            )
            if count_terminating:
                stopping = await self._tasks(cluster, service, TaskState.STOPPED, None, left)
                terminating = sum(1 for t in stopping if not t.last_status.finished)
                status = replace(status, terminating=terminating)
            return status

        params = {"cluster": cluster, "service": service, "count_terminating": count_terminating}
        return await self._run(
            _STATUS, target, attempt, params=params, timeout=timeout, describe=_counts
        )

    async def scale_service(self, cluster: str, service: str, desired: int) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)
        check_count("desired count", desired)
        target = f"{cluster}/{service}"
        request = {"cluster": cluster, "service": service, "desiredCount": desired}

        async def attempt(left: float | None) -> ServiceStatus:
            answer = await self._send("update_service", request, left)
            return decoded(
                answer,
                lambda a: service_status(cluster, service, a["service"]),
                "UpdateService",
            )

        params = {"cluster": cluster, "service": service, "desired": desired}
        return await self._run(_SCALE, target, attempt, params=params, desired=desired)

    async def wait_until_stable(
        self,
        cluster: str,
        service: str,
        *,
        timeout: float = 600.0,  # noqa: ASYNC109 - a deadline on the injected clock
        poll_interval: float = 5.0,
    ) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)

        async def attempt(left: float | None) -> ServiceStatus:
            return await poll_until_stable(
                lambda limit: self._status(cluster, service, timeout=limit),
                cluster=cluster,
                service=service,
                timeout=timeout,
                poll_interval=poll_interval,
                clock=self.clock,
                request_timeout=self.request_timeout,
            )

        # The wait bounds itself (its timeout, and each read's); no retry of the whole wait.
        return await self._run(_WAIT, f"{cluster}/{service}", attempt, timeout=None, retry=None)

    async def list_tasks(
        self,
        cluster: str,
        service: str | None = None,
        desired_status: TaskState | str | None = None,
        *,
        started_by: str | None = None,
    ) -> list[TaskInfo]:
        check_name("cluster", cluster)
        if service is not None:
            check_name("service", service)
        wanted = desired_status_filter(desired_status)
        target = f"{cluster}/{service}" if service else cluster

        async def attempt(left: float | None) -> list[TaskInfo]:
            return await self._tasks(cluster, service, wanted, started_by, left)

        params = {
            "cluster": cluster,
            "service": service,
            "desired_status": wanted.value,
            "started_by": started_by,
        }
        return await self._run(_LIST, target, attempt, params=params, describe=_count)

    async def _tasks(
        self,
        cluster: str,
        service: str | None,
        wanted: TaskState,
        started_by: str | None,
        left: float | None,
    ) -> list[TaskInfo]:
        """One listing (every page of ``ListTasks``) and the ``DescribeTasks`` it needs."""
        arns = await self._arns(cluster, service, wanted, started_by, left)
        tasks = await self._describe(cluster, arns, cluster, missing_ok=True, left=left)
        if service is not None:
            # ECS filters by serviceName itself; checking the group too keeps the result
            # right on endpoints that ignore the filter (moto) and for ARNs as names.
            group = f"service:{short_name(service)}"
            tasks = [t for t in tasks if t.group == group]
        return tasks

    async def _arns(
        self,
        cluster: str,
        service: str | None,
        wanted: TaskState,
        started_by: str | None,
        left: float | None,
    ) -> list[str]:
        """Every page of ``ListTasks``."""
        # desiredStatus always explicit: ECS defaults to RUNNING, some endpoints (moto) to all.
        request: dict[str, Any] = {
            "cluster": cluster,
            "desiredStatus": wanted.value,
            "maxResults": 100,
        }
        if service is not None:
            request["serviceName"] = service
        if started_by is not None:
            request["startedBy"] = started_by
        pages = await self._paginate("list_tasks", request, left)
        return [arn for page in pages for arn in decoded(page, _task_arns, "ListTasks")]

    async def _describe(
        self,
        cluster: str,
        arns: Sequence[str],
        target: str,
        *,
        missing_ok: bool,
        left: float | None,
    ) -> list[TaskInfo]:
        async def describe(batch: Sequence[str]) -> list[TaskInfo]:
            answer = await self._send(
                "describe_tasks", {"cluster": cluster, "tasks": list(batch)}, left
            )
            failures, tasks = decoded(answer, _described_tasks, "DescribeTasks")
            failures = [f for f in failures if not (missing_ok and f.get("reason") == "MISSING")]
            if failures:
                raise failures_error(
                    failures, operation="DescribeTasks", target=target, cluster=cluster
                )
            return tasks

        batches = [arns[i : i + _DESCRIBE_BATCH] for i in range(0, len(arns), _DESCRIBE_BATCH)]
        return [task for found in await gather(*map(describe, batches)) for task in found]

    async def get_task(self, cluster: str, task: str) -> TaskInfo:
        check_name("cluster", cluster)
        check_name("task", task)
        target = f"{cluster}/{task}"

        async def attempt(left: float | None) -> TaskInfo:
            tasks = await self._describe(cluster, [task], target, missing_ok=False, left=left)
            if not tasks:
                raise ECSNotFoundError(
                    f"ECS task {target} not found", code="MISSING", cluster=cluster, task=task
                )
            return tasks[0]

        return await self._run(_GET, target, attempt, params={"cluster": cluster, "task": task})

    async def run_task(
        self,
        cluster: str,
        task_definition: str,
        *,
        count: int = 1,
        launch_type: str | None = None,
        subnets: Sequence[str] = (),
        security_groups: Sequence[str] = (),
        assign_public_ip: bool = False,
        overrides: Sequence[ContainerOverride] = (),
        started_by: str | None = None,
        group: str | None = None,
    ) -> list[TaskInfo]:
        check_name("cluster", cluster)
        check_name("task definition", task_definition)
        check_count("task count", count, low=1, high=MAX_RUN_TASK_COUNT)
        # A tag of our own finds the tasks a lost answer started, and those a cancelled call
        # may have started (to stop them).
        tag = started_by or f"asyncconsole-{uuid.uuid4().hex[:16]}"
        request: dict[str, Any] = {
            "cluster": cluster,
            "taskDefinition": task_definition,
            "count": count,
            "startedBy": tag,
        }
        if launch_type:
            request["launchType"] = launch_type
        if subnets:
            request["networkConfiguration"] = {
                "awsvpcConfiguration": {
                    "subnets": list(subnets),
                    "securityGroups": list(security_groups),
                    "assignPublicIp": "ENABLED" if assign_public_ip else "DISABLED",
                }
            }
        if overrides:
            request["overrides"] = {"containerOverrides": [override(o) for o in overrides]}
        if group:
            request["group"] = group
        target = f"{cluster}/{task_definition}"

        async def attempt(left: float | None) -> list[TaskInfo]:
            answer = await self._send("run_task", request, left)
            failures, tasks = decoded(answer, _described_tasks, "RunTask")
            if failures:
                raise failures_error(
                    failures, operation="RunTask", target=target, cluster=cluster, tasks=tasks
                )
            return tasks

        async def reconcile() -> list[TaskInfo] | None:
            # The answer was lost: the tasks carrying our tag are the ones this call started.
            found = await self.list_tasks(cluster, started_by=tag)
            return found if len(found) == count else None

        params = {
            "cluster": cluster,
            "task_definition": task_definition,
            "count": count,
            "launch_type": launch_type,
            "subnets": list(subnets),
            "security_groups": list(security_groups),
            "assign_public_ip": assign_public_ip,
            "overrides": list(overrides),
            "started_by": tag,
            "group": group,
        }
        try:
            return await self._run(
                _RUN,
                target,
                attempt,
                params=params,
                reconcile=reconcile,
                describe=_started,
                count=count,
            )
        except asyncio.CancelledError:
            if started_by is None:
                await undo(
                    f"stop the tasks of a cancelled run_task ({tag})",
                    self._stop_tagged(cluster, tag),
                    limit=self.request_timeout or 30.0,
                    logger=self._log,
                )
            raise
        except InfrastructureError as exc:
            # Say where to find what the request may have started.
            exc.context.setdefault("started_by", tag)
            raise

    async def _stop_tagged(self, cluster: str, tag: str) -> None:
        """Stop every task started with ``tag`` (after a cancelled RunTask)."""

        async def attempt(left: float | None) -> list[str]:
            return await self._arns(cluster, None, TaskState.RUNNING, tag, left)

        arns = await self._run(_LIST, cluster, attempt, params={"started_by": tag})
        reason = "asyncconsole: run_task was cancelled"
        await gather(*(self.stop_task(cluster, arn, reason=reason) for arn in arns))

    async def stop_task(self, cluster: str, task: str, *, reason: str | None = None) -> TaskInfo:
        check_name("cluster", cluster)
        check_name("task", task)
        target = f"{cluster}/{task}"
        request: dict[str, Any] = {"cluster": cluster, "task": task}
        if reason:
            request["reason"] = reason

        async def attempt(left: float | None) -> TaskInfo:
            answer = await self._send("stop_task", request, left)
            return decoded(answer, lambda a: task_info(a["task"]), "StopTask")

        params = {"cluster": cluster, "task": task, "reason": reason}
        return await self._run(_STOP, target, attempt, params=params)


def _task_arns(answer: Any) -> list[str]:
    return [expect(v, str, "ARN") for v in items(answer, "taskArns", required=True)]


def _failures(answer: Any) -> list[Mapping[str, Any]]:
    return [expect(f, dict, "failure") for f in items(answer, "failures")]


def _services(answer: Any) -> tuple[list[Mapping[str, Any]], list[Any]]:
    return _failures(answer), items(answer, "services", required=True)


def _described_tasks(answer: Any) -> tuple[list[Mapping[str, Any]], list[TaskInfo]]:
    return _failures(answer), [task_info(t) for t in items(answer, "tasks", required=True)]


def _counts(status: ServiceStatus) -> dict[str, int]:
    return {"running": status.running, "pending": status.pending, "desired": status.desired}


def _count(tasks: list[TaskInfo]) -> dict[str, int]:
    return {"count": len(tasks)}


def _started(tasks: list[TaskInfo]) -> dict[str, int]:
    return {"started": len(tasks)}
