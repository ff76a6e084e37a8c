"""``FakeECSManager``: an in-memory ECS whose tasks live and die on an injected clock.

It answers ECS's API requests (``DescribeServices``, ``RunTask``...) from its simulated state,
in botocore's shapes, and refuses as ECS does (``ClusterNotFoundException``, ``failures[]``
with ``MISSING``); everything else (checks, decoding, deadlines, retries, errors) is
:class:`BaseECSManager`'s, shared with :class:`AwsECSManager`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..._clock import Clock, FakeClock
from ..._errors import ECSError
from ..._retry import RetryPolicy
from .._core import FaultPlan, PeerFailure
from .._fake_peer import FakeAwsPeer
from ._base import BaseECSManager
from ._common import DEFAULT_RETRY, check_count, check_name, short_name
from ._types import TaskState

__all__ = ["FakeECSCall", "FakeECSManager"]

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
        error: What the attempt raised (a scripted fault or a real refusal), or None.
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


def _refused(code: str, message: str) -> PeerFailure:
    """ECS's answer to a request it refuses (HTTP 400 with an error code)."""
    return PeerFailure("status", f"{code}: {message}", status=400, code=code)


class FakeECSManager(FakeAwsPeer[FakeECSCall], BaseECSManager):
    """A working in-memory ECS: clusters, services, deployments and tasks over fake time.

    Tasks go PROVISIONING → PENDING → RUNNING, ``step`` seconds per transition, and when
    stopped STOPPING → STOPPED after ``stop_delay``; a service's running count therefore
    converges to its desired count ``2 * step`` seconds after a scale. Time is ``clock``
    (a :class:`~asyncconsole.FakeClock` by default, so waits cost no real time).

    Every attempt that reaches the simulated ECS is logged in :attr:`calls`;
    :meth:`fail_next` and :meth:`throttle_next` script its refusals per operation, and calls
    safe to repeat retry them with ``retry`` exactly as :class:`AwsECSManager` does
    (``run_task`` never retries). :attr:`faults` injects network faults (hangs, resets,
    garbage) through the adapter core; ``request_timeout`` bounds each call on ``clock``.

    Example::

        ecs = FakeECSManager()
        ecs.add_service("cluster", "svc", desired=2)
        await ecs.scale_service("cluster", "svc", 4)
        st = await ecs.wait_until_stable("cluster", "svc", timeout=60, poll_interval=1)
    """

    _operations = OPERATIONS

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
        request_timeout: float | None = 60.0,
        faults: FaultPlan | None = None,
    ) -> None:
        if step < 0 or (stop_delay is not None and stop_delay < 0) or latency < 0:
            raise ValueError("step, stop_delay and latency must be >= 0")
        super().__init__(
            endpoint=f"fake ECS ({region})",
            clock=clock or FakeClock(),
            timeout=request_timeout,
            retry=retry,
            faults=faults,
            latency=latency,
        )
        self.step = step
        self.stop_delay = step if stop_delay is None else stop_delay
        self.region = region
        self.account_id = account_id
        self.calls: list[FakeECSCall] = []
        self._clusters: dict[str, _Cluster] = {}
        self._task_definitions: dict[str, list[str]] = {}  # family -> ARNs by revision
        self._api = {
            "list_clusters": self._list_clusters,
            "describe_services": self._describe_services,
            "update_service": self._update_service,
            "list_tasks": self._list_task_arns,
            "describe_tasks": self._describe_tasks,
            "run_task": self._run_task,
            "stop_task": self._stop_task,
        }

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

    # -- the simulated ECS API --------------------------------------------------------------

    def _record(
        self, operation: str, params: Mapping[str, Any], result: Any, error: BaseException | None
    ) -> None:
        self.calls.append(FakeECSCall(operation, dict(params), error))

    def _list_clusters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"clusterArns": [c.arn for c in self._clusters.values()]}

    def _describe_services(self, params: Mapping[str, Any]) -> dict[str, Any]:
        c = self._cluster(params["cluster"])
        services, failures = [], []
        now = self.clock.monotonic()
        for name in params["services"]:
            svc = c.services.get(short_name(name))
            if svc is None:
                arn = f"arn:aws:ecs:{self.region}:{self.account_id}:service/{c.name}/{name}"
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                services.append(self._service_answer(svc, now))
        return {"services": services, "failures": failures}

    def _update_service(self, params: Mapping[str, Any]) -> dict[str, Any]:
        c, svc = self._service(params["cluster"], params["service"])
        desired = params["desiredCount"]
        svc.desired = desired
        svc.deployments[0].desired = desired
        now = self.clock.monotonic()
        self._reconcile(c, svc, born=now)
        return {"service": self._service_answer(svc, now)}

    def _list_task_arns(self, params: Mapping[str, Any]) -> dict[str, Any]:
        c = self._cluster(params["cluster"])
        service = params.get("serviceName")
        group = None
        if service is not None:
            self._service(c.name, service)
            group = f"service:{short_name(service)}"
        started_by = params.get("startedBy")
        wanted = TaskState(params.get("desiredStatus", "RUNNING"))
        now = self.clock.monotonic()
        return {
            "taskArns": [
                t.arn
                for t in c.tasks.values()
                if (group is None or t.group == group)
                and (started_by is None or t.started_by == started_by)
                and self._desired(t, now) is wanted
            ]
        }

    def _describe_tasks(self, params: Mapping[str, Any]) -> dict[str, Any]:
        c = self._cluster(params["cluster"])
        now = self.clock.monotonic()
        tasks, failures = [], []
        for ref in params["tasks"]:
            t = self._find_task(c, ref)
            if t is None:
                failures.append({"arn": ref, "reason": "MISSING"})
            else:
                tasks.append(self._task_answer(t, now))
        return {"tasks": tasks, "failures": failures}

    def _run_task(self, params: Mapping[str, Any]) -> dict[str, Any]:
        c = self._cluster(params["cluster"])
        td = self._resolve_task_definition(params["taskDefinition"], create=False)
        family = short_name(td).rsplit(":", 1)[0]
        now = self.clock.monotonic()
        group = params.get("group") or f"family:{family}"
        launch_type = params.get("launchType") or "EC2"
        tasks = [
            self._new_task(c, td, group, params.get("startedBy"), launch_type, now)
            for _ in range(params["count"])
        ]
        return {"tasks": [self._task_answer(t, now) for t in tasks], "failures": []}

    def _stop_task(self, params: Mapping[str, Any]) -> dict[str, Any]:
        c = self._cluster(params["cluster"])
        t = self._find_task(c, params["task"])
        if t is None:
            raise _refused("InvalidParameterException", "The referenced task was not found.")
        now = self.clock.monotonic()
        if t.stop_at is None or t.stop_at > now:
            t.stop_at = now
            t.stopped_reason = params.get("reason") or "Task stopped by user"
            # The service scheduler replaces a stopped task of a service.
            for svc in c.services.values():
                if t.group == f"service:{svc.name}":
                    self._reconcile(c, svc, born=now)
        return {"task": self._task_answer(t, now)}

    # -- machinery ------------------------------------------------------------------------

    def _cluster(self, cluster: str) -> _Cluster:
        c = self._clusters.get(short_name(cluster))
        if c is None:
            raise _refused("ClusterNotFoundException", "Cluster not found.")
        return c

    def _service(self, cluster: str, service: str) -> tuple[_Cluster, _Service]:
        c = self._cluster(cluster)
        svc = c.services.get(short_name(service))
        if svc is None:
            raise _refused("ServiceNotFoundException", "Service not found.")
        return c, svc

    def _find_task(self, c: _Cluster, task: str) -> _Task | None:
        return c.tasks.get(task) or next(
            (t for arn, t in c.tasks.items() if short_name(arn) == short_name(task)), None
        )

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
        raise _refused("ClientException", "TaskDefinition not found.")

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

    def _task_answer(self, t: _Task, now: float) -> dict[str, Any]:
        """``t`` as ECS describes a task (absent fields left out, as ECS does)."""
        last = self._last(t, now)
        running_from = t.created + 2 * self.step
        stopping = t.stop_at is not None and now >= t.stop_at
        answer: dict[str, Any] = {
            "taskArn": t.arn,
            "clusterArn": t.cluster_arn,
            "taskDefinitionArn": t.task_definition,
            "lastStatus": last.value,
            "desiredStatus": self._desired(t, now).value,
            "group": t.group,
            "launchType": t.launch_type,
            "createdAt": self._wall(t.created, now),
        }
        if t.started_by:
            answer["startedBy"] = t.started_by
        if now >= running_from and (t.stop_at is None or t.stop_at > running_from):
            answer["startedAt"] = self._wall(running_from, now)
        if stopping and t.stop_at is not None:
            answer["stoppingAt"] = self._wall(t.stop_at, now)
            answer["stoppedReason"] = t.stopped_reason
            if last is TaskState.STOPPED:
                answer["stoppedAt"] = self._wall(t.stop_at + self.stop_delay, now)
        return answer

    def _service_answer(self, svc: _Service, now: float) -> dict[str, Any]:
        """``svc`` as ECS describes a service; drained old deployments disappear."""
        deployments: list[dict[str, Any]] = []
        live: list[_Deployment] = []
        for index, dep in enumerate(svc.deployments):
            states = [self._last(t, now) for t in dep.tasks]
            if index > 0 and all(s.finished for s in states):
                continue
            live.append(dep)
            pending = sum(
                1
                for t, s in zip(dep.tasks, states, strict=True)
                if s.starting and self._desired(t, now) is TaskState.RUNNING
            )
            deployments.append(
                {
                    "id": dep.id,
                    "status": "PRIMARY" if index == 0 else "ACTIVE",
                    "rolloutState": "IN_PROGRESS",
                    "runningCount": sum(1 for s in states if s is TaskState.RUNNING),
                    "pendingCount": pending,
                    "desiredCount": dep.desired,
                    "taskDefinition": dep.task_definition,
                    "createdAt": self._wall(dep.created, now),
                    "updatedAt": self._wall(dep.created, now),
                }
            )
        svc.deployments = live
        primary = deployments[0]
        if len(deployments) == 1 and primary["runningCount"] == primary["desiredCount"]:
            primary["rolloutState"] = "COMPLETED"
        return {
            "serviceArn": svc.arn,
            "serviceName": svc.name,
            "status": "ACTIVE",
            "runningCount": sum(d["runningCount"] for d in deployments),
            "pendingCount": sum(d["pendingCount"] for d in deployments),
            "desiredCount": svc.desired,
            "deployments": deployments,
            "taskDefinition": svc.deployments[0].task_definition,
            "launchType": svc.launch_type,
        }
