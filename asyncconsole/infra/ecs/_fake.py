"""``FakeECSManager``: an in-memory ECS whose tasks live and die on an injected clock."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ..._clock import Clock, FakeClock
from ..._errors import ECSError, ECSNotFoundError
from ..._resource import AsyncResource
from ..._retry import NO_RETRY, RetryPolicy
from ._common import (
    DEFAULT_RETRY,
    MAX_RUN_TASK_COUNT,
    check_count,
    check_name,
    desired_status_filter,
    poll_until_stable,
    short_name,
    throttling_error,
)
from ._types import ContainerOverride, ECSDeployment, ServiceStatus, TaskInfo, TaskState

__all__ = ["FakeECSCall", "FakeECSManager"]

T = TypeVar("T")

OPERATIONS = frozenset(
    {
        "ping",
        "get_service_status",
        "scale_service",
        "list_tasks",
        "get_task",
        "run_task",
        "stop_task",
    }
)


@dataclass(frozen=True)
class FakeECSCall:
    """One attempt at an operation on a :class:`FakeECSManager` (retries log one each).

    Attributes:
        operation: The manager method (``"scale_service"``...).
        params: Its arguments.
        error: What the attempt raised (an injected fault or a real refusal), or None.
    """

    operation: str
    params: dict[str, Any]
    error: BaseException | None = None


@dataclass
class _Task:
    arn: str
    cluster_arn: str
    task_definition: str
    group: str
    started_by: str | None
    launch_type: str
    created: float
    stop_at: float | None = None
    stopped_reason: str | None = None


@dataclass
class _Deployment:
    id: str
    task_definition: str
    desired: int
    created: float
    tasks: list[_Task] = field(default_factory=list)


@dataclass
class _Service:
    name: str
    arn: str
    desired: int
    launch_type: str
    deployments: list[_Deployment] = field(default_factory=list)  # newest (PRIMARY) first


@dataclass
class _Cluster:
    name: str
    arn: str
    services: dict[str, _Service] = field(default_factory=dict)
    tasks: dict[str, _Task] = field(default_factory=dict)


@dataclass
class _Fault:
    remaining: int
    make: Callable[[], BaseException]


class FakeECSManager(AsyncResource):
    """A working in-memory ECS: clusters, services, deployments and tasks over fake time.

    Tasks go PROVISIONING → PENDING → RUNNING, ``step`` seconds per transition, and when
    stopped STOPPING → STOPPED after ``stop_delay``; a service's running count therefore
    converges to its desired count ``2 * step`` seconds after a scale. Time is ``clock``
    (a :class:`~asyncconsole.FakeClock` by default, so waits cost no real time).

    Every attempt is logged in :attr:`calls`; :meth:`fail_next` and :meth:`throttle_next`
    inject faults per operation, and idempotent operations retry them with ``retry`` exactly
    as :class:`AwsECSManager` does (``run_task`` never retries).

    Example::

        ecs = FakeECSManager()
        ecs.add_service("cluster", "svc", desired=2)
        await ecs.scale_service("cluster", "svc", 4)
        st = await ecs.wait_until_stable("cluster", "svc", timeout=60, poll_interval=1)
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        step: float = 1.0,
        stop_delay: float | None = None,
        latency: float = 0.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        if step < 0 or (stop_delay is not None and stop_delay < 0) or latency < 0:
            raise ValueError("step, stop_delay and latency must be >= 0")
        self.clock: Clock = clock or FakeClock()
        self.step = step
        self.stop_delay = step if stop_delay is None else stop_delay
        self.latency = latency
        self.retry = retry
        self.region = region
        self.account_id = account_id
        self.calls: list[FakeECSCall] = []
        self._clusters: dict[str, _Cluster] = {}
        self._task_definitions: dict[str, list[str]] = {}  # family -> ARNs by revision
        self._faults: dict[str, list[_Fault]] = {}

    # -- setting the scene (synchronous, not logged) --------------------------------------

    def add_cluster(self, name: str) -> str:
        """Create a cluster (idempotent); returns its ARN."""
        check_name("cluster", name)
        if name not in self._clusters:
            arn = f"arn:aws:ecs:{self.region}:{self.account_id}:cluster/{name}"
            self._clusters[name] = _Cluster(name, arn)
        return self._clusters[name].arn

    def register_task_definition(self, family: str) -> str:
        """Register a new revision of ``family``; returns its ARN."""
        check_name("task definition family", family)
        revisions = self._task_definitions.setdefault(family, [])
        arn = f"arn:aws:ecs:{self.region}:{self.account_id}:task-definition/{family}:{len(revisions) + 1}"
        revisions.append(arn)
        return arn

    def add_service(
        self,
        cluster: str,
        service: str,
        *,
        desired: int = 0,
        task_definition: str = "app",
        launch_type: str = "FARGATE",
        started: bool = False,
    ) -> str:
        """Create a service (and its cluster and task definition if absent); returns its ARN.

        Its tasks start now, or are already running when ``started``.
        """
        check_count("desired count", desired)
        self.add_cluster(cluster)
        c = self._clusters[cluster]
        if service in c.services:
            raise ECSError(
                f"ECS service {cluster}/{service} already exists", code="InvalidParameterException"
            )
        td = self._resolve_task_definition(task_definition, create=True)
        arn = f"arn:aws:ecs:{self.region}:{self.account_id}:service/{cluster}/{service}"
        svc = _Service(service, arn, desired, launch_type)
        c.services[service] = svc
        now = self.clock.monotonic()
        born = now - 2 * self.step if started else now
        svc.deployments.append(_Deployment(self._deployment_id(), td, desired, now))
        self._reconcile(c, svc, born=born)
        return arn

    def deploy(self, cluster: str, service: str, task_definition: str) -> str:
        """Roll out a new task definition: a new PRIMARY deployment starts its tasks now and
        the old tasks stop once the new ones run (two deployments until then). Returns the
        new deployment's id."""
        c, svc = self._service(cluster, service)
        td = self._resolve_task_definition(task_definition, create=True)
        now = self.clock.monotonic()
        for old in svc.deployments:
            old.desired = 0
            for task in old.tasks:
                if task.stop_at is None:
                    task.stop_at = now + 2 * self.step
                    task.stopped_reason = "Scaling activity initiated by deployment"
        dep = _Deployment(self._deployment_id(), td, svc.desired, now)
        svc.deployments.insert(0, dep)
        self._reconcile(c, svc, born=now)
        return dep.id

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` attempts at ``operation`` raise (a copy of) ``error``."""

        def make() -> BaseException:
            try:
                return copy.copy(error)
            except Exception:  # exotic constructors: reuse the instance
                return error

        self._add_fault(operation, times, make)

    def throttle_next(self, operation: str, *, times: int = 1) -> None:
        """Make the next ``times`` attempts at ``operation`` fail as AWS throttling does:
        ``ECSError(code="ThrottlingException")``, transient (so retried)."""
        self._add_fault(operation, times, lambda: throttling_error(operation))

    def calls_to(self, operation: str) -> list[FakeECSCall]:
        """The logged attempts at one operation."""
        return [c for c in self.calls if c.operation == operation]

    def _add_fault(self, operation: str, times: int, make: Callable[[], BaseException]) -> None:
        if operation not in OPERATIONS:
            raise ValueError(
                f"unknown FakeECSManager operation {operation!r}; one of {sorted(OPERATIONS)}"
            )
        check_count("fault times", times, low=1)
        self._faults.setdefault(operation, []).append(_Fault(times, make))

    # -- the protocol -------------------------------------------------------------------

    async def ping(self) -> None:
        await self._op("ping", {}, lambda: None)

    async def get_service_status(
        self, cluster: str, service: str, *, count_terminating: bool = False
    ) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)
        params = {"cluster": cluster, "service": service, "count_terminating": count_terminating}
        return await self._op(
            "get_service_status", params, lambda: self._status(cluster, service, count_terminating)
        )

    async def scale_service(self, cluster: str, service: str, desired: int) -> ServiceStatus:
        check_name("cluster", cluster)
        check_name("service", service)
        check_count("desired count", desired)

        def scale() -> ServiceStatus:
            c, svc = self._service(cluster, service)
            svc.desired = desired
            svc.deployments[0].desired = desired
            self._reconcile(c, svc, born=self.clock.monotonic())
            return self._status(cluster, service, False)

        params = {"cluster": cluster, "service": service, "desired": desired}
        return await self._op("scale_service", params, scale)

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
        return await poll_until_stable(
            lambda: self.get_service_status(cluster, service),
            cluster=cluster,
            service=service,
            timeout=timeout,
            poll_interval=poll_interval,
            clock=self.clock,
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
        if service is not None:
            check_name("service", service)
        wanted = desired_status_filter(desired_status)

        def list_() -> list[TaskInfo]:
            c = self._cluster(cluster)
            if service is not None:
                self._service(cluster, service)
            now = self.clock.monotonic()
            group = f"service:{short_name(service)}" if service is not None else None
            return [
                self._info(t, now)
                for t in c.tasks.values()
                if (group is None or t.group == group)
                and (started_by is None or t.started_by == started_by)
                and self._desired(t, now) is wanted
            ]

        params = {
            "cluster": cluster,
            "service": service,
            "desired_status": wanted.value,
            "started_by": started_by,
        }
        return await self._op("list_tasks", params, list_)

    async def get_task(self, cluster: str, task: str) -> TaskInfo:
        check_name("cluster", cluster)
        check_name("task", task)
        return await self._op(
            "get_task",
            {"cluster": cluster, "task": task},
            lambda: self._info(self._task(cluster, task), self.clock.monotonic()),
        )

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
        tag = started_by or f"asyncconsole-{uuid.uuid4().hex[:16]}"

        def run() -> list[TaskInfo]:
            c = self._cluster(cluster)
            td = self._resolve_task_definition(task_definition, create=False)
            family = short_name(td).rsplit(":", 1)[0]
            now = self.clock.monotonic()
            tasks = [
                self._new_task(c, td, group or f"family:{family}", tag, launch_type or "EC2", now)
                for _ in range(count)
            ]
            return [self._info(t, now) for t in tasks]

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
        return await self._op("run_task", params, run, idempotent=False)

    async def stop_task(self, cluster: str, task: str, *, reason: str | None = None) -> TaskInfo:
        check_name("cluster", cluster)
        check_name("task", task)

        def stop() -> TaskInfo:
            c = self._cluster(cluster)
            t = self._task(cluster, task)
            now = self.clock.monotonic()
            if t.stop_at is None or t.stop_at > now:
                t.stop_at = now
                t.stopped_reason = reason or "Task stopped by user"
                # The service scheduler replaces a stopped task of a service.
                for svc in c.services.values():
                    if t.group == f"service:{svc.name}":
                        self._reconcile(c, svc, born=now)
            return self._info(t, now)

        return await self._op(
            "stop_task", {"cluster": cluster, "task": task, "reason": reason}, stop
        )

    # -- machinery ------------------------------------------------------------------------

    async def _op(
        self,
        operation: str,
        params: dict[str, Any],
        fn: Callable[[], T],
        *,
        idempotent: bool = True,
    ) -> T:
        if self.closed:
            raise RuntimeError("FakeECSManager is closed")

        async def attempt() -> T:
            if self.latency:
                await self.clock.sleep(self.latency)
            try:
                fault = self._take_fault(operation)
                if fault is not None:
                    raise fault
                result = fn()
            except Exception as exc:
                self.calls.append(FakeECSCall(operation, dict(params), exc))
                raise
            self.calls.append(FakeECSCall(operation, dict(params)))
            return result

        policy = self.retry if idempotent else NO_RETRY
        return await policy.run(attempt, clock=self.clock)

    def _take_fault(self, operation: str) -> BaseException | None:
        queue = self._faults.get(operation)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault.make()

    def _cluster(self, cluster: str) -> _Cluster:
        c = self._clusters.get(short_name(cluster))
        if c is None:
            raise ECSNotFoundError(
                f"ECS cluster {cluster} failed: ClusterNotFoundException: Cluster not found.",
                code="ClusterNotFoundException",
            )
        return c

    def _service(self, cluster: str, service: str) -> tuple[_Cluster, _Service]:
        c = self._cluster(cluster)
        svc = c.services.get(short_name(service))
        if svc is None:
            raise ECSNotFoundError(
                f"ECS service {cluster}/{service}: {service} MISSING",
                code="MISSING",
                cluster=cluster,
                service=service,
            )
        return c, svc

    def _task(self, cluster: str, task: str) -> _Task:
        c = self._cluster(cluster)
        t = c.tasks.get(task) or next(
            (t for arn, t in c.tasks.items() if short_name(arn) == short_name(task)), None
        )
        if t is None:
            raise ECSNotFoundError(
                f"ECS task {cluster}/{task}: {task} MISSING",
                code="MISSING",
                cluster=cluster,
                task=task,
            )
        return t

    def _resolve_task_definition(self, ref: str, *, create: bool) -> str:
        name = short_name(ref)
        family, _, revision = name.partition(":")
        revisions = self._task_definitions.get(family)
        if not revisions:
            if create:
                return self.register_task_definition(family)
        elif not revision:
            return revisions[-1]
        elif revision.isdigit() and 1 <= int(revision) <= len(revisions):
            return revisions[int(revision) - 1]
        raise ECSNotFoundError(
            f"ECS task definition {ref} failed: ClientException: TaskDefinition not found.",
            code="ClientException",
        )

    def _deployment_id(self) -> str:
        return f"ecs-svc/{uuid.uuid4().int % 10**19:019d}"

    def _new_task(
        self,
        c: _Cluster,
        td: str,
        group: str,
        started_by: str | None,
        launch_type: str,
        born: float,
    ) -> _Task:
        arn = f"arn:aws:ecs:{self.region}:{self.account_id}:task/{c.name}/{uuid.uuid4().hex}"
        task = _Task(arn, c.arn, td, group, started_by, launch_type, born)
        c.tasks[arn] = task
        return task

    def _reconcile(self, c: _Cluster, svc: _Service, *, born: float) -> None:
        """Start or stop PRIMARY tasks until as many are wanted as the desired count."""
        now = self.clock.monotonic()
        primary = svc.deployments[0]
        alive = [t for t in primary.tasks if t.stop_at is None]
        for _ in range(primary.desired - len(alive)):
            task = self._new_task(
                c,
                primary.task_definition,
                f"service:{svc.name}",
                f"ecs-svc/{svc.name}",
                svc.launch_type,
                born,
            )
            primary.tasks.append(task)
        # Scale in the youngest first: those still starting go before running ones.
        for task in sorted(alive, key=lambda t: t.created, reverse=True)[
            : max(0, len(alive) - primary.desired)
        ]:
            task.stop_at = now
            task.stopped_reason = "Scaling activity initiated by service"

    # Task state is a pure function of its timestamps and the clock.
    def _last(self, t: _Task, now: float) -> TaskState:
        if t.stop_at is not None and now >= t.stop_at:
            return TaskState.STOPPED if now >= t.stop_at + self.stop_delay else TaskState.STOPPING
        age = now - t.created
        if age < self.step:
            return TaskState.PROVISIONING
        if age < 2 * self.step:
            return TaskState.PENDING
        return TaskState.RUNNING

    def _desired(self, t: _Task, now: float) -> TaskState:
        return (
            TaskState.STOPPED if t.stop_at is not None and now >= t.stop_at else TaskState.RUNNING
        )

    def _wall(self, at: float, now: float) -> datetime:
        return self.clock.now() - timedelta(seconds=now - at)

    def _info(self, t: _Task, now: float) -> TaskInfo:
        last = self._last(t, now)
        running_from = t.created + 2 * self.step
        stopping = t.stop_at is not None and now >= t.stop_at
        return TaskInfo(
            arn=t.arn,
            cluster_arn=t.cluster_arn,
            task_definition=t.task_definition,
            last_status=last,
            desired_status=self._desired(t, now),
            group=t.group,
            started_by=t.started_by,
            launch_type=t.launch_type,
            created_at=self._wall(t.created, now),
            started_at=(
                self._wall(running_from, now)
                if now >= running_from and (t.stop_at is None or t.stop_at > running_from)
                else None
            ),
            stopping_at=self._wall(t.stop_at, now) if stopping and t.stop_at is not None else None,
            stopped_at=(
                self._wall(t.stop_at + self.stop_delay, now)
                if last is TaskState.STOPPED and t.stop_at is not None
                else None
            ),
            stopped_reason=t.stopped_reason if stopping else None,
        )

    def _status(self, cluster: str, service: str, count_terminating: bool) -> ServiceStatus:
        _, svc = self._service(cluster, service)
        now = self.clock.monotonic()
        deployments: list[ECSDeployment] = []
        live: list[_Deployment] = []
        for index, dep in enumerate(svc.deployments):
            states = [self._last(t, now) for t in dep.tasks]
            if index > 0 and all(s.finished for s in states):
                continue  # a drained old deployment disappears
            live.append(dep)
            running = sum(1 for s in states if s is TaskState.RUNNING)
            pending = sum(
                1
                for t, s in zip(dep.tasks, states, strict=True)
                if s.starting and self._desired(t, now) is TaskState.RUNNING
            )
            deployments.append(
                ECSDeployment(
                    id=dep.id,
                    status="PRIMARY" if index == 0 else "ACTIVE",
                    rollout_state="IN_PROGRESS",
                    running=running,
                    pending=pending,
                    desired=dep.desired,
                    task_definition=dep.task_definition,
                    created_at=self._wall(dep.created, now),
                    updated_at=self._wall(dep.created, now),
                )
            )
        svc.deployments = live
        primary = deployments[0]
        if len(deployments) == 1 and primary.running == primary.desired:
            deployments[0] = replace(primary, rollout_state="COMPLETED")
        terminating = None
        if count_terminating:
            terminating = sum(
                1
                for dep in svc.deployments
                for t in dep.tasks
                if self._desired(t, now) is TaskState.STOPPED and not self._last(t, now).finished
            )
        return ServiceStatus(
            cluster=cluster,
            service=service,
            arn=svc.arn,
            status="ACTIVE",
            running=sum(d.running for d in deployments),
            pending=sum(d.pending for d in deployments),
            desired=svc.desired,
            deployments=tuple(deployments),
            task_definition=svc.deployments[0].task_definition,
            terminating=terminating,
        )
