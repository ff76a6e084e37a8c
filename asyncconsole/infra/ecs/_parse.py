"""ECS answers (as botocore returns them) into the protocol's values, with shape checks.

Every parser here raises ``ShapeError`` (through :func:`~asyncconsole._decode.expect`) or a
``KeyError``/``TypeError`` for an answer of the wrong shape; callers run them under
:func:`~asyncconsole.infra._aws.decoded`, which reports a malformed answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..._decode import expect
from ._types import ContainerOverride, ECSDeployment, ServiceStatus, TaskInfo, TaskState

__all__ = ["items", "override", "service_status", "task_info"]


def items(answer: Any, key: str, *, required: bool = False) -> list[Any]:
    """``answer[key]`` as a list; absent, an empty list unless ``required`` (an answer that
    lacks what the API always sends is not an empty result)."""
    value = expect(answer, dict, "the answer").get(key)
    if value is None and not required:
        return []
    return expect(value, list, key)


def override(o: ContainerOverride) -> dict[str, Any]:
    """A ``containerOverrides`` entry for ``RunTask``."""
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
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _deployment(raw: Any) -> ECSDeployment:
    d: Mapping[str, Any] = expect(raw, dict, "deployment")
    return ECSDeployment(
        id=_str(d.get("id")),
        status=_str(d.get("status")),
        rollout_state=d.get("rolloutState") if isinstance(d.get("rolloutState"), str) else None,
        running=_int(d.get("runningCount")),
        pending=_int(d.get("pendingCount")),
        desired=_int(d.get("desiredCount")),
        task_definition=_str(d.get("taskDefinition")),
        failed_tasks=_int(d.get("failedTasks")),
        created_at=_utc(d.get("createdAt")),
        updated_at=_utc(d.get("updatedAt")),
    )


def service_status(cluster: str, service: str, raw: Any) -> ServiceStatus:
    """A ``services[]`` entry of ``DescribeServices`` (or ``UpdateService``'s ``service``)."""
    svc: Mapping[str, Any] = expect(raw, dict, "service")
    # PRIMARY first, then newest: the order callers expect whatever the API returned.
    deployments = sorted(
        (_deployment(d) for d in items(svc, "deployments")),
        key=lambda d: (d.status != "PRIMARY", -(d.created_at.timestamp() if d.created_at else 0)),
    )
    return ServiceStatus(
        cluster=cluster,
        service=service,
        arn=expect(svc.get("serviceArn"), str, "serviceArn"),
        status=_str(svc.get("status")),
        running=_int(svc.get("runningCount")),
        pending=_int(svc.get("pendingCount")),
        desired=_int(svc.get("desiredCount")),
        deployments=tuple(deployments),
        task_definition=_str(svc.get("taskDefinition")),
    )


def task_info(raw: Any) -> TaskInfo:
    """A ``tasks[]`` entry of ``DescribeTasks``/``RunTask`` (or ``StopTask``'s ``task``)."""
    t: Mapping[str, Any] = expect(raw, dict, "task")
    return TaskInfo(
        arn=expect(t.get("taskArn"), str, "taskArn"),
        cluster_arn=_str(t.get("clusterArn")),
        task_definition=_str(t.get("taskDefinitionArn")),
        last_status=TaskState.parse(_str(t.get("lastStatus"))),
        desired_status=TaskState.parse(_str(t.get("desiredStatus"))),
        group=_str(t.get("group")),
        started_by=_str(t.get("startedBy")) or None,
        launch_type=_str(t.get("launchType")) or None,
        created_at=_utc(t.get("createdAt")),
        started_at=_utc(t.get("startedAt")),
        stopping_at=_utc(t.get("stoppingAt")),
        stopped_at=_utc(t.get("stoppedAt")),
        stopped_reason=_str(t.get("stoppedReason")) or None,
    )
