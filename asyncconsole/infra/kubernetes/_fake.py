"""``FakeK8sManager``: a working in-memory cluster for unit tests (fake time, call log, faults)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..._clock import Clock, FakeClock
from ..._errors import CommandTimeoutError, OperationTimeoutError
from ..._resource import AsyncResource
from ..._secret import Secret
from ..commands._result import CommandResult
from ._convert import (
    config_map_data,
    decode_secret,
    deployment_status,
    pod_info,
    pod_timeout,
    pod_wait_over,
    replicas_reached,
    replicas_timeout,
)
from ._selectors import selector_from_spec
from ._sim import ExecHandler, ExecReply, KubeCluster, PodScripter
from ._types import DeploymentStatus, PodInfo
from ._validate import (
    check_argv,
    check_condition,
    check_count,
    check_name,
    check_pod_manifest,
)

__all__ = ["FakeCall", "FakeK8sManager"]


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One recorded call: the method name and its arguments."""

    method: str
    args: Mapping[str, Any] = field(default_factory=dict, hash=False)


class FakeK8sManager(AsyncResource):
    """A :class:`K8sManager` over an in-memory cluster whose pods converge over (fake) time.

    New pods are Pending for ``converge_delay`` seconds, then Running and ready; deleted pods
    stay terminating for ``terminate_delay`` seconds. Time is the injected ``clock`` (a
    :class:`~asyncconsole.FakeClock` by default, so waits cost no real time).

    Set up state with :meth:`add_deployment`, :meth:`add_pod`, :meth:`add_secret`,
    :meth:`add_config_map`, :meth:`set_pod_logs`, :meth:`append_pod_logs`,
    :attr:`exec_handler` and :attr:`pod_scripter` (what pods created through
    :meth:`create_pod` log and when they end); inspect :attr:`calls`; make the next calls
    fail with :meth:`fail`. :attr:`cluster` is the underlying simulation, shared in kind with
    ``asyncconsole.testing.FakeKubernetesApiServer``.

    Args:
        clock: Time source for convergence and waits.
        converge_delay: Seconds a new pod stays Pending.
        terminate_delay: Seconds a deleted pod stays terminating (``converge_delay`` if None).
        default_namespace: What :attr:`default_namespace` reports.
        poll_interval: Longest (fake) sleep between checks while waiting.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        converge_delay: float = 2.0,
        terminate_delay: float | None = None,
        default_namespace: str = "default",
        poll_interval: float = 1.0,
        seed: int | None = 0,
    ) -> None:
        self.clock: Clock = clock or FakeClock()
        self.cluster = KubeCluster(
            clock=self.clock,
            converge_delay=converge_delay,
            terminate_delay=terminate_delay,
            seed=seed,
        )
        self._namespace = default_namespace
        self._poll = poll_interval
        self.calls: list[FakeCall] = []
        self._faults: dict[str, deque[tuple[BaseException, int | None]]] = defaultdict(deque)

    def __repr__(self) -> str:
        return f"<FakeK8sManager namespace={self._namespace!r}>"

    # ------------------------------------------------------------------ test controls

    @property
    def exec_handler(self) -> ExecHandler:
        """``handler(namespace, pod, container, argv) -> ExecReply`` run by :meth:`exec_in_pod`."""
        return self.cluster.exec_handler

    @exec_handler.setter
    def exec_handler(self, handler: ExecHandler) -> None:
        self.cluster.exec_handler = handler

    def add_deployment(
        self,
        namespace: str,
        name: str,
        *,
        replicas: int = 1,
        labels: Mapping[str, str] | None = None,
        containers: Sequence[str] = ("main",),
        ready: bool = True,
    ) -> None:
        """Create a Deployment (its pods ready at once unless ``ready=False``)."""
        self.cluster.add_deployment(
            namespace, name, replicas=replicas, labels=labels, containers=containers, ready=ready
        )

    def add_pod(
        self,
        namespace: str,
        name: str,
        *,
        labels: Mapping[str, str] | None = None,
        containers: Sequence[str] = ("main",),
        phase: str = "Running",
        ready: bool | None = None,
        node: str | None = None,
    ) -> None:
        """Add a pod without a controller."""
        self.cluster.add_pod(
            namespace,
            name,
            labels=labels,
            containers=containers,
            phase=phase,
            ready=ready,
            node=node,
        )

    @property
    def pod_scripter(self) -> PodScripter | None:
        """``scripter(namespace, manifest) -> PodScript | None`` for pods created through
        :meth:`create_pod`: their log lines, exit code and run time."""
        return self.cluster.pod_scripter

    @pod_scripter.setter
    def pod_scripter(self, scripter: PodScripter | None) -> None:
        self.cluster.pod_scripter = scripter

    def add_secret(self, namespace: str, name: str, data: Mapping[str, str | bytes]) -> None:
        """Create a Secret with ``data`` (plain values; stored base64-encoded)."""
        self.cluster.add_secret(namespace, name, data)

    def add_config_map(self, namespace: str, name: str, data: Mapping[str, str]) -> None:
        """Create a ConfigMap with ``data``."""
        self.cluster.add_config_map(namespace, name, data)

    def set_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Set the log text of a pod."""
        self.cluster.set_pod_logs(namespace, pod, text)

    def append_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Add text to a pod's log (a follower sees it)."""
        self.cluster.append_pod_logs(namespace, pod, text)

    def fail(self, method: str, error: BaseException, *, times: int | None = 1) -> None:
        """Make the next ``times`` calls of ``method`` raise ``error`` (``None``: every call)."""
        if not hasattr(self, method) or method.startswith("_"):
            raise ValueError(f"FakeK8sManager has no method {method!r}")
        self._faults[method].append((error, times))

    def calls_to(self, method: str) -> list[FakeCall]:
        """The recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------------ plumbing

    def _enter(self, method: str, **args: Any) -> None:
        if self.closed:
            raise RuntimeError("FakeK8sManager is closed")
        self.calls.append(FakeCall(method, args))
        faults = self._faults.get(method)
        if faults:
            error, times = faults[0]
            if times is not None:
                if times <= 1:
                    faults.popleft()
                else:
                    faults[0] = (error, times - 1)
            raise error

    @property
    def default_namespace(self) -> str:
        return self._namespace

    # ------------------------------------------------------------------ K8sManager

    async def ping(self) -> None:
        self._enter("ping")
        await asyncio.sleep(0)

    async def get_deployment_status(self, namespace: str, name: str) -> DeploymentStatus:
        check_name("namespace", namespace)
        check_name("name", name)
        self._enter("get_deployment_status", namespace=namespace, name=name)
        await asyncio.sleep(0)
        return self._status(namespace, name)

    def _status(self, namespace: str, name: str) -> DeploymentStatus:
        dep = self.cluster.get("deployments", namespace, name)
        selector = selector_from_spec(dep["spec"].get("selector"))
        return deployment_status(
            dep, self.cluster.select("pods", namespace, label_selector=selector)
        )

    async def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        check_name("namespace", namespace)
        check_name("name", name)
        check_count("replicas", replicas)
        self._enter("scale_deployment", namespace=namespace, name=name, replicas=replicas)
        await asyncio.sleep(0)
        self.cluster.set_replicas(namespace, name, replicas)

    async def wait_for_replicas(
        self,
        namespace: str,
        name: str,
        *,
        ready: int,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> DeploymentStatus:
        check_name("namespace", namespace)
        check_name("name", name)
        check_count("ready", ready)
        self._enter(
            "wait_for_replicas", namespace=namespace, name=name, ready=ready, timeout=timeout
        )
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        while True:
            dep = self.cluster.get("deployments", namespace, name)
            if replicas_reached(dep, ready):
                return self._status(namespace, name)
            now = self.clock.monotonic()
            if deadline is not None and now >= deadline:
                raise replicas_timeout(namespace, name, ready, timeout, dep)
            step = self._poll
            due = self.cluster.next_due()
            if due is not None:
                step = min(step, max(due - now, 0.0))
            if deadline is not None:
                step = min(step, deadline - now)
            await self.clock.sleep(step)

    async def list_pods(
        self,
        namespace: str,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[PodInfo]:
        check_name("namespace", namespace)
        self._enter(
            "list_pods",
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
        )
        await asyncio.sleep(0)
        pods = self.cluster.select(
            "pods", namespace, label_selector=label_selector, field_selector=field_selector
        )
        return sorted((pod_info(p) for p in pods), key=lambda p: p.name)

    def _step(self, deadline: float | None) -> float:
        """How long to sleep before looking again: until the next transition, at most
        ``poll_interval``, never past ``deadline``."""
        now = self.clock.monotonic()
        step = self._poll
        due = self.cluster.next_due()
        if due is not None:
            step = min(step, max(due - now, 0.0))
        if deadline is not None:
            step = min(step, max(deadline - now, 0.0))
        return step

    async def delete_pod(
        self,
        namespace: str,
        name: str,
        *,
        grace_period: int | None = None,
        wait: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds wait=True
    ) -> None:
        check_name("namespace", namespace)
        check_name("name", name)
        self._enter(
            "delete_pod",
            namespace=namespace,
            name=name,
            grace_period=grace_period,
            wait=wait,
            timeout=timeout,
        )
        await asyncio.sleep(0)
        deleted = self.cluster.delete("pods", namespace, name, grace_period=grace_period)
        if not wait:
            return
        uid = deleted["metadata"]["uid"]
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        while True:
            current = self.cluster.select(
                "pods", namespace, field_selector=f"metadata.name={name}", copy_out=False
            )
            if not current or current[0]["metadata"]["uid"] != uid:
                return
            if deadline is not None and self.clock.monotonic() >= deadline:
                raise OperationTimeoutError(
                    f"pod {namespace}/{name} was not gone within {timeout}s",
                    timeout=timeout,
                    namespace=namespace,
                    name=name,
                )
            await self.clock.sleep(self._step(deadline))

    async def create_pod(self, namespace: str, manifest: Mapping[str, Any]) -> PodInfo:
        check_name("namespace", namespace)
        body = check_pod_manifest(namespace, manifest)
        self._enter("create_pod", namespace=namespace, manifest=body)
        await asyncio.sleep(0)
        return pod_info(self.cluster.create("pods", namespace, body))

    async def wait_for_pod(
        self,
        namespace: str,
        name: str,
        *,
        condition: str = "Ready",
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> PodInfo:
        check_name("namespace", namespace)
        check_name("name", name)
        condition = check_condition(condition)
        self._enter(
            "wait_for_pod", namespace=namespace, name=name, condition=condition, timeout=timeout
        )
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        while True:
            pod = self.cluster.get("pods", namespace, name)
            if pod_wait_over(pod, condition):
                return pod_info(pod)
            if deadline is not None and self.clock.monotonic() >= deadline:
                raise pod_timeout(namespace, name, condition, timeout, pod)
            await self.clock.sleep(self._step(deadline))

    async def follow_pod_logs(
        self, namespace: str, pod: str, *, container: str | None = None
    ) -> AsyncIterator[str]:
        check_name("namespace", namespace)
        check_name("pod", pod)
        self._enter("follow_pod_logs", namespace=namespace, pod=pod, container=container)
        self.cluster.check_followable(namespace, pod, container)
        await asyncio.sleep(0)
        sent = 0
        while True:
            text, complete = self.cluster.log_follow_state(namespace, pod)
            end = len(text) if complete else text.rfind("\n", sent) + 1
            if end > sent:
                for line in text[sent:end].splitlines():
                    yield line
                sent = end
            if complete:
                return
            await self.clock.sleep(self._step(None))

    async def read_config_map(self, namespace: str, name: str) -> dict[str, str]:
        check_name("namespace", namespace)
        check_name("name", name)
        self._enter("read_config_map", namespace=namespace, name=name)
        await asyncio.sleep(0)
        return config_map_data(self.cluster.get("configmaps", namespace, name))

    async def exec_in_pod(
        self,
        namespace: str,
        pod: str,
        argv: Sequence[str],
        *,
        container: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> CommandResult:
        check_name("namespace", namespace)
        check_name("pod", pod)
        argv = check_argv(argv)
        self._enter("exec_in_pod", namespace=namespace, pod=pod, argv=argv, container=container)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout) as scope:
                reply: ExecReply = await self.cluster.run_exec(namespace, pod, container, argv)
        except TimeoutError as exc:
            if not scope.expired():
                raise
            raise CommandTimeoutError(
                f"exec in pod {namespace}/{pod}: {' '.join(argv)!r} did not finish within {timeout}s",
                argv=argv,
                timeout=timeout,
            ) from exc
        return CommandResult(
            argv=argv,
            exit_code=reply.exit_code,
            stdout=reply.stdout,
            stderr=reply.stderr,
            duration=time.perf_counter() - started,
        )

    async def pod_logs(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
    ) -> str:
        check_name("namespace", namespace)
        check_name("pod", pod)
        if tail_lines is not None:
            check_count("tail_lines", tail_lines)
        self._enter(
            "pod_logs", namespace=namespace, pod=pod, container=container, tail_lines=tail_lines
        )
        await asyncio.sleep(0)
        return self.cluster.pod_logs(namespace, pod, container=container, tail_lines=tail_lines)

    async def read_secret(self, namespace: str, name: str) -> dict[str, Secret]:
        check_name("namespace", namespace)
        check_name("name", name)
        self._enter("read_secret", namespace=namespace, name=name)
        await asyncio.sleep(0)
        return decode_secret(self.cluster.get("secrets", namespace, name))
