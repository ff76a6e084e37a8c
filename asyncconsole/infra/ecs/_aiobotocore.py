"""``AwsECSManager``: ECS through aiobotocore (imported lazily, via ``infra/_aws.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..._clock import Clock
from ..._errors import ECSError, ECSNotFoundError
from ..._observe import observe
from ..._retry import RetryPolicy
from ..._secret import Secret
from .._aws import AwsClientResource, aws_error_fields
from ._common import (
    DEFAULT_RETRY,
    MAX_RUN_TASK_COUNT,
    NOT_FOUND_CODES,
    check_count,
    check_name,
    desired_status_filter,
    failures_error,
    poll_until_stable,
    short_name,
)
from ._types import ContainerOverride, ECSDeployment, ServiceStatus, TaskInfo, TaskState

__all__ = ["AwsECSManager"]

logger = logging.getLogger("asyncconsole.infra.ecs")

_DESCRIBE_BATCH = 100  # DescribeTasks accepts at most 100 tasks per call


class AwsECSManager(AwsClientResource):
    """The :class:`ECSManager` for AWS ECS, on one pooled aiobotocore client.

    Region and credentials come from the arguments or the standard AWS chain (environment,
    shared config, container/instance role). botocore's own retries are off; idempotent calls
    are retried with ``retry`` (``RunTask`` never is), sleeping on ``clock``.

    Example::

        async with AwsECSManager(region="us-east-1") as ecs:
            await ecs.scale_service("cluster", "service", 4)
            st = await ecs.wait_until_stable("cluster", "service", timeout=300)
    """

    _service = "ecs"
    _title = "ECS"
    _error = ECSError
    _region_hint = "pass region= (backfill/replay ecs.aws_region) or set AWS_DEFAULT_REGION"
    _retry_log = logger

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        user_agent_extra: str | None = None,
        access_key: str | None = None,
        secret_key: Secret | str | None = None,
        session_token: Secret | str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Clock | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_pool_connections: int = 50,
    ) -> None:
        super().__init__(
            region,
            endpoint_url,
            user_agent_extra=user_agent_extra,
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            retry=retry,
            clock=clock,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
        )

    def _translate(self, exc: Exception, operation: str, target: str) -> ECSError:
        code, message, status, transient = aws_error_fields(exc)
        lowered = message.lower()
        not_found = code in NOT_FOUND_CODES or (
            code in ("InvalidParameterException", "ClientException") and "not found" in lowered
        )
        cls = ECSNotFoundError if not_found else ECSError
        what = f"{code}: {message}" if code else message
        err = cls(
            f"ECS {operation} {target} failed: {what}",
            code=code,
            status=status,
            operation=operation,
        )
        err.transient = transient
        return err

    async def ping(self) -> None:
        async with observe(logger, "ecs.ping", self._options.endpoint_url or "aws"):
            await self._call("list_clusters", "clusters", maxResults=1)

    async def get_service_status(
        self, cluster: str, service: str, *, count_terminating: bool = False
    ) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)
        target = f"{cluster}/{service}"
        async with observe(logger, "ecs.get_service_status", target) as info:
            resp = await self._call(
                "describe_services", target, cluster=cluster, services=[service]
            )
            if resp.get("failures"):
                raise failures_error(
                    resp["failures"],
                    operation="DescribeServices",
                    target=target,
                    cluster=cluster,
                    service=service,
                )
            services = resp.get("services") or []
            if not services:
                raise ECSNotFoundError(
                    f"ECS service {target} not found (DescribeServices returned no service)",
                    code="MISSING",
                    cluster=cluster,
                    service=service,
                )
            status = _service_status(cluster, service, services[0])
            if count_terminating:
                status = replace(
                    status, terminating=await self._count_terminating(cluster, service)
                )
            info.update(running=status.running, pending=status.pending, desired=status.desired)
            return status

    async def _count_terminating(self, cluster: str, service: str) -> int:
        tasks = await self.list_tasks(cluster, service, TaskState.STOPPED)
        return sum(1 for t in tasks if not t.last_status.finished)

    async def scale_service(self, cluster: str, service: str, desired: int) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)
        check_count("desired count", desired)
        target = f"{cluster}/{service}"
        async with observe(logger, "ecs.scale_service", target, desired=desired):
            resp = await self._call(
                "update_service", target, cluster=cluster, service=service, desiredCount=desired
            )
            svc = resp.get("service")
            if not svc:
                raise ECSError(f"ECS UpdateService {target} returned no service", cluster=cluster)
            return _service_status(cluster, service, svc)

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
        async with observe(logger, "ecs.wait_until_stable", f"{cluster}/{service}"):
            return await poll_until_stable(
                lambda: self.get_service_status(cluster, service),
                cluster=cluster,
                service=service,
                timeout=timeout,
                poll_interval=poll_interval,
                clock=self._clock,
            )

    async def list_tasks(
        self,
        cluster: str,
        service: str | None = None,
        desired_status: TaskState | str | None = None,
        *,
        started_by: str | None = None,
    ) -> list[TaskInfo]:
        check_name("cluster", cluster)
        params: dict[str, Any] = {"cluster": cluster, "maxResults": 100}
        if started_by is not None:
            params["startedBy"] = started_by
        if service is not None:
            params["serviceName"] = check_name("service", service)
        # Always explicit: ECS defaults to RUNNING, some endpoints (moto) to "all".
        params["desiredStatus"] = desired_status_filter(desired_status).value
        target = f"{cluster}/{service}" if service else cluster
        async with observe(logger, "ecs.list_tasks", target) as info:
            arns: list[str] = []
            while True:
                resp = await self._call("list_tasks", target, **params)
                arns.extend(resp.get("taskArns") or [])
                token = resp.get("nextToken")
                if not token:
                    break
                params["nextToken"] = token
            tasks = await self._describe_tasks(cluster, arns, target=target, missing_ok=True)
            if service is not None:
                # ECS filters by serviceName itself; checking the group too keeps the result
                # right on endpoints that ignore the filter (moto) and for ARNs as names.
                group = f"service:{short_name(service)}"
                tasks = [t for t in tasks if t.group == group]
            info["count"] = len(tasks)
            return tasks

    async def _describe_tasks(
        self, cluster: str, arns: Sequence[str], *, target: str, missing_ok: bool
    ) -> list[TaskInfo]:
        if not arns:
            return []
        batches = [arns[i : i + _DESCRIBE_BATCH] for i in range(0, len(arns), _DESCRIBE_BATCH)]
        results: list[list[TaskInfo]] = [[] for _ in batches]

        async def describe(index: int, batch: Sequence[str]) -> None:
            resp = await self._call("describe_tasks", target, cluster=cluster, tasks=list(batch))
            failures = [
                f
                for f in resp.get("failures") or []
                if not (missing_ok and f.get("reason") == "MISSING")
            ]
            if failures:
                raise failures_error(
                    failures, operation="DescribeTasks", target=target, cluster=cluster
                )
            results[index] = [_task_info(t) for t in resp.get("tasks") or []]

        async with asyncio.TaskGroup() as tg:
            for index, batch in enumerate(batches):
                tg.create_task(describe(index, batch))
        return [task for batch_result in results for task in batch_result]

    async def get_task(self, cluster: str, task: str) -> TaskInfo:
        check_name("cluster", cluster)
        check_name("task", task)
        target = f"{cluster}/{task}"
        async with observe(logger, "ecs.get_task", target):
            tasks = await self._describe_tasks(cluster, [task], target=target, missing_ok=False)
            if not tasks:
                raise ECSNotFoundError(
                    f"ECS task {target} not found", code="MISSING", cluster=cluster, task=task
                )
            return tasks[0]

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
        # A tag of our own lets a cancelled call find (and stop) tasks it may have started.
        tag = started_by or f"asyncconsole-{uuid.uuid4().hex[:16]}"
        params: dict[str, Any] = {
            "cluster": cluster,
            "taskDefinition": task_definition,
            "count": count,
            "startedBy": tag,
        }
        if launch_type:
            params["launchType"] = launch_type
        if subnets:
            params["networkConfiguration"] = {
                "awsvpcConfiguration": {
                    "subnets": list(subnets),
                    "securityGroups": list(security_groups),
                    "assignPublicIp": "ENABLED" if assign_public_ip else "DISABLED",
                }
            }
        if overrides:
            params["overrides"] = {"containerOverrides": [_override(o) for o in overrides]}
        if group:
            params["group"] = group
        target = f"{cluster}/{task_definition}"
        async with observe(logger, "ecs.run_task", target, count=count) as info:
            try:
                resp = await self._call("run_task", target, idempotent=False, **params)
            except asyncio.CancelledError:
                if started_by is None:
                    await self._stop_orphans(cluster, tag)
                raise
            tasks = [_task_info(t) for t in resp.get("tasks") or []]
            info["started"] = len(tasks)
            if resp.get("failures"):
                raise failures_error(
                    resp["failures"],
                    operation="RunTask",
                    target=target,
                    cluster=cluster,
                    tasks=tasks,
                )
            return tasks

    async def _stop_orphans(self, cluster: str, tag: str) -> None:
        """After a cancelled RunTask, stop whatever it started (best effort, bounded)."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._options.read_timeout):
                resp = await self._call(
                    "list_tasks", cluster, cluster=cluster, startedBy=tag, maxResults=100
                )
                async with asyncio.TaskGroup() as tg:
                    for arn in resp.get("taskArns") or []:
                        tg.create_task(
                            self._call(
                                "stop_task",
                                cluster,
                                cluster=cluster,
                                task=arn,
                                reason="asyncconsole: run_task was cancelled",
                            )
                        )

    async def stop_task(self, cluster: str, task: str, *, reason: str | None = None) -> TaskInfo:
        check_name("cluster", cluster)
        check_name("task", task)
        target = f"{cluster}/{task}"
        params: dict[str, Any] = {"cluster": cluster, "task": task}
        if reason:
            params["reason"] = reason
        async with observe(logger, "ecs.stop_task", target):
            resp = await self._call("stop_task", target, **params)
            raw = resp.get("task")
            if not raw:
                raise ECSNotFoundError(f"ECS task {target} not found", code="MISSING")
            return _task_info(raw)


def _override(o: ContainerOverride) -> dict[str, Any]:
    out: dict[str, Any] = {"name": o.name}
    if o.command is not None:
        out["command"] = list(o.command)
    if o.environment:
        out["environment"] = [{"name": k, "value": v} for k, v in o.environment.items()]
    return out


def _utc(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _service_status(cluster: str, service: str, raw: Mapping[str, Any]) -> ServiceStatus:
    deployments = tuple(
        ECSDeployment(
            id=str(d.get("id", "")),
            status=str(d.get("status", "")),
            rollout_state=d.get("rolloutState"),
            running=_int(d.get("runningCount")),
            pending=_int(d.get("pendingCount")),
            desired=_int(d.get("desiredCount")),
            task_definition=str(d.get("taskDefinition", "")),
            failed_tasks=_int(d.get("failedTasks")),
            created_at=_utc(d.get("createdAt")),
            updated_at=_utc(d.get("updatedAt")),
        )
        for d in raw.get("deployments") or []
    )
    # PRIMARY first, then newest: the order callers expect whatever the API returned.
    deployments = tuple(
        sorted(
            deployments,
            key=lambda d: (
                d.status != "PRIMARY",
                -(d.created_at.timestamp() if d.created_at else 0),
            ),
        )
    )
    return ServiceStatus(
        cluster=cluster,
        service=service,
        arn=str(raw.get("serviceArn", "")),
        status=str(raw.get("status", "")),
        running=_int(raw.get("runningCount")),
        pending=_int(raw.get("pendingCount")),
        desired=_int(raw.get("desiredCount")),
        deployments=deployments,
        task_definition=str(raw.get("taskDefinition", "")),
    )


def _task_info(raw: Mapping[str, Any]) -> TaskInfo:
    return TaskInfo(
        arn=str(raw.get("taskArn", "")),
        cluster_arn=str(raw.get("clusterArn", "")),
        task_definition=str(raw.get("taskDefinitionArn", "")),
        last_status=TaskState.parse(raw.get("lastStatus")),
        desired_status=TaskState.parse(raw.get("desiredStatus")),
        group=str(raw.get("group") or ""),
        started_by=raw.get("startedBy") or None,
        launch_type=raw.get("launchType") or None,
        created_at=_utc(raw.get("createdAt")),
        started_at=_utc(raw.get("startedAt")),
        stopping_at=_utc(raw.get("stoppingAt")),
        stopped_at=_utc(raw.get("stoppedAt")),
        stopped_reason=raw.get("stoppedReason") or None,
    )
