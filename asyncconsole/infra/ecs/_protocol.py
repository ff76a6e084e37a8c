"""The ECS manager protocol: what services need from AWS ECS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ._types import ContainerOverride, ServiceStatus, TaskInfo, TaskState

__all__ = ["ECSManager"]


@runtime_checkable
class ECSManager(Protocol):
    """Read, scale and wait on ECS services; list, run and stop tasks.

    Every method raises :class:`~asyncconsole.ECSError` (``ECSNotFoundError`` for a missing
    cluster, service or task); ``failures[]`` in a 200 response count as errors. Throttling and
    lost connections are transient and retried for idempotent calls.
    """

    async def ping(self) -> None:
        """Cheap health check: the ECS API answers with these credentials.

        Raises:
            ECSError: the API is unreachable or refuses the credentials.
        """
        ...

    async def get_service_status(
        self, cluster: str, service: str, *, count_terminating: bool = False
    ) -> ServiceStatus:
        """The service's running, pending and desired counts and its deployments.

        Args:
            cluster: Cluster name or ARN.
            service: Service name or ARN.
            count_terminating: Also count the service's tasks that are stopping (two more
                calls: ``ListTasks`` + ``DescribeTasks``); otherwise ``terminating`` is None.

        Raises:
            ECSNotFoundError: no such cluster or service.
        """
        ...

    async def scale_service(self, cluster: str, service: str, desired: int) -> ServiceStatus:
        """Set the service's desired count (``UpdateService``); returns the updated status.

        Raises:
            ValueError: ``desired`` is not an int >= 0.
            ECSNotFoundError: no such cluster or service (or it is not active).
        """
        ...

    async def wait_until_stable(
        self,
        cluster: str,
        service: str,
        *,
        timeout: float = 600.0,  # noqa: ASYNC109 - a deadline on the injected clock
        poll_interval: float = 5.0,
    ) -> ServiceStatus:
        """Poll until the service is stable: one deployment and running == desired.

        Args:
            timeout: Seconds (on the manager's clock) before giving up; 0 checks once.
            poll_interval: Seconds between status reads.

        Returns:
            The first stable status.

        Raises:
            OperationTimeoutError: not stable in time (``context["last_status"]`` has the
                last status seen).
        """
        ...

    async def list_tasks(
        self,
        cluster: str,
        service: str | None = None,
        desired_status: TaskState | str | None = None,
        *,
        started_by: str | None = None,
    ) -> list[TaskInfo]:
        """The cluster's tasks, optionally only a service's and only those with a desired status.

        Args:
            cluster: Cluster name or ARN.
            service: Only tasks this service started (group ``service:<name>``).
            desired_status: ``RUNNING``, ``PENDING`` or ``STOPPED``; None means ``RUNNING``, as
                in ECS itself (stopped tasks are listed only when asked for).
            started_by: Only tasks started with this ``started_by`` tag.

        Raises:
            ECSNotFoundError: no such cluster.
        """
        ...

    async def get_task(self, cluster: str, task: str) -> TaskInfo:
        """One task by ARN or id.

        Raises:
            ECSNotFoundError: no such cluster or task.
        """
        ...

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
        """Start ``count`` tasks of a task definition (``RunTask``). Never retried.

        Args:
            task_definition: ``family``, ``family:revision`` or ARN.
            launch_type: ``FARGATE``, ``EC2`` or ``EXTERNAL``; None uses the cluster default.
            subnets / security_groups / assign_public_ip: the awsvpc network configuration
                (required by FARGATE).
            overrides: Per-container command/environment overrides.
            started_by: Tag to find these tasks again (``list_tasks(started_by=...)``). When
                omitted, a unique tag is used, and a cancelled call stops whatever tasks its
                request may already have started; with your own tag, they are yours to find.
            group: Task group (defaults to ``family:<family>``).

        Raises:
            ValueError: ``count`` is not between 1 and 10.
            ECSError: the request failed, or some tasks could not be placed; then
                ``context["tasks"]`` lists the tasks that did start, so nothing runs unseen.
        """
        ...

    async def stop_task(self, cluster: str, task: str, *, reason: str | None = None) -> TaskInfo:
        """Tell a task to stop (``StopTask``); returns it with ``desired_status`` STOPPED.

        Raises:
            ECSNotFoundError: no such cluster or task.
        """
        ...
