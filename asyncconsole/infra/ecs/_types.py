"""Values crossing the ECS protocol: service status, deployments, tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ..._display import DisplayMixin, Table, badge, fields, table

__all__ = ["ContainerOverride", "ECSDeployment", "ServiceStatus", "TaskInfo", "TaskState"]


class TaskState(StrEnum):
    """An ECS task's ``lastStatus``/``desiredStatus`` (the task lifecycle, in order)."""

    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str | None) -> TaskState:
        """The member for an API string; ``UNKNOWN`` for values newer than this SDK."""
        try:
            return cls(value or "UNKNOWN")
        except ValueError:
            return cls.UNKNOWN

    @property
    def starting(self) -> bool:
        """Provisioned but not running yet (ECS counts these as pending)."""
        return self in (TaskState.PROVISIONING, TaskState.PENDING, TaskState.ACTIVATING)

    @property
    def stopping(self) -> bool:
        """On its way to STOPPED."""
        return self in (TaskState.DEACTIVATING, TaskState.STOPPING, TaskState.DEPROVISIONING)

    @property
    def finished(self) -> bool:
        """STOPPED or DELETED."""
        return self in (TaskState.STOPPED, TaskState.DELETED)


@dataclass(frozen=True)
class ECSDeployment:
    """One deployment of a service (``PRIMARY`` is the newest; ``ACTIVE`` ones drain).

    Attributes:
        id: Deployment id (``ecs-svc/...``).
        status: ``PRIMARY``, ``ACTIVE`` or ``INACTIVE``.
        rollout_state: ``IN_PROGRESS``, ``COMPLETED`` or ``FAILED``; None when not reported.
        running / pending / desired: task counts of this deployment.
        task_definition: Task definition ARN this deployment runs.
        failed_tasks: Tasks that failed to start in this deployment.
        created_at / updated_at: UTC timestamps, when reported.
    """

    id: str
    status: str
    rollout_state: str | None
    running: int
    pending: int
    desired: int
    task_definition: str
    failed_tasks: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ServiceStatus(DisplayMixin):
    """A service's counts as ECS reports them (``DescribeServices``).

    Attributes:
        cluster / service: The names asked for.
        arn: The service ARN.
        status: ``ACTIVE``, ``DRAINING`` or ``INACTIVE``.
        running / pending / desired: Task counts of the whole service.
        terminating: Tasks told to stop that have not stopped yet; ``None`` unless asked for
            (``count_terminating=True``), because ECS does not report it and counting costs
            two more calls.
        deployments: Newest (``PRIMARY``) first.
        task_definition: The service's task definition ARN.
    """

    cluster: str
    service: str
    arn: str
    status: str
    running: int
    pending: int
    desired: int
    deployments: tuple[ECSDeployment, ...] = ()
    task_definition: str = ""
    terminating: int | None = None

    @property
    def stable(self) -> bool:
        """ECS's own ``services_stable`` rule: one deployment and running == desired."""
        return len(self.deployments) <= 1 and self.running == self.desired

    def _display_tables(self) -> list[Table]:
        summary = fields(
            [
                ("Status", badge(self.status)),
                ("Stable", badge(self.stable)),
                ("Running", self.running),
                ("Pending", self.pending),
                ("Desired", self.desired),
                ("Terminating", self.terminating),
                ("Task definition", self.task_definition or None),
            ],
            title=f"service {self.cluster}/{self.service}",
        )
        if not self.deployments:
            return [summary]
        deployments = table(
            ["Deployment", "Status", "Rollout", "Running", "Pending", "Desired", "Failed tasks"],
            [
                (
                    d.id,
                    d.status,
                    badge(d.rollout_state) if d.rollout_state else None,
                    d.running,
                    d.pending,
                    d.desired,
                    d.failed_tasks,
                )
                for d in self.deployments
            ],
            title="deployments",
        )
        return [summary, deployments]


@dataclass(frozen=True)
class TaskInfo:
    """One ECS task (``DescribeTasks``); times are timezone-aware UTC.

    Attributes:
        arn: Task ARN; ``id`` is its last path segment.
        cluster_arn: Cluster the task runs in.
        task_definition: Task definition ARN.
        last_status / desired_status: Where the task is and where ECS is taking it.
        group: ``service:<name>`` for service tasks, ``family:<name>`` for run_task by default.
        started_by: The ``startedBy`` tag, if any.
        launch_type: ``FARGATE``, ``EC2`` or ``EXTERNAL`` when reported.
        created_at / started_at / stopping_at / stopped_at: lifecycle times, when reported.
        stopped_reason: Why it stopped, when it did.
    """

    arn: str
    cluster_arn: str
    task_definition: str
    last_status: TaskState
    desired_status: TaskState
    group: str = ""
    started_by: str | None = None
    launch_type: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None

    @property
    def id(self) -> str:
        """The task id (last segment of the ARN)."""
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ContainerOverride:
    """Per-container changes for :meth:`ECSManager.run_task`.

    Attributes:
        name: Container name in the task definition.
        command: Replaces the container's command when given.
        environment: Extra environment variables.
    """

    name: str
    command: Sequence[str] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
