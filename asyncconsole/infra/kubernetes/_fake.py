"""``FakeK8sManager``: a working in-memory cluster for unit tests (fake time, call log, faults).

Its public calls are :class:`~._base.BaseK8sManager`'s, as for the real manager; only its
exchanges differ: they act on a simulated cluster (:class:`~._sim.KubeCluster`, shared in kind
with ``asyncconsole.testing.FakeKubernetesApiServer``) instead of an API server.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..._clock import Clock, FakeClock
from ..._errors import KubernetesError
from ..._retry import RetryPolicy
from .._core import FaultPlan, PeerFailure
from ._base import DEFAULT_RETRY, BaseK8sManager, PodTarget
from ._sim import (
    ExecHandler,
    KubeCluster,
    PodScripter,
    exit_status,
    scale_of,
    version_info,
)

__all__ = ["FakeCall", "FakeK8sManager"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One recorded call: the method name and its arguments."""

    method: str
    args: Mapping[str, Any] = field(default_factory=dict, hash=False)


class FakeK8sManager(BaseK8sManager):
    """A :class:`K8sManager` over an in-memory cluster whose pods converge over (fake) time.

    New pods are Pending for ``converge_delay`` seconds, then Running and ready; deleted pods
    stay terminating for ``terminate_delay`` seconds. Time is the injected ``clock`` (a
    :class:`~asyncconsole.FakeClock` by default, so waits cost no real time). Waits follow
    simulated watch streams, as the real manager follows the API server's.

    Set up state with :meth:`add_deployment`, :meth:`add_pod`, :meth:`add_secret`,
    :meth:`add_config_map`, :meth:`set_pod_logs`, :meth:`append_pod_logs`,
    :attr:`exec_handler` and :attr:`pod_scripter` (what pods created through
    :meth:`create_pod` log and when they end); inspect :attr:`calls`; make the next calls
    fail with :meth:`fail`, or inject faults (hangs, lost answers, 503s, garbage) through
    :attr:`faults`. :attr:`cluster` is the underlying simulation, shared in kind with
    ``asyncconsole.testing.FakeKubernetesApiServer``.

    Args:
        clock: Time source for convergence, waits and deadlines.
        converge_delay: Seconds a new pod stays Pending.
        terminate_delay: Seconds a deleted pod stays terminating (``converge_delay`` if None).
        default_namespace: What :attr:`default_namespace` reports.
        poll_interval: Longest (fake) sleep of a simulated watch between looks at the cluster.
        seed: Seeds generated names and uids.
        request_timeout: Seconds for each call, retries included (as the real manager's).
        retry: Retry policy for calls safe to repeat.
        faults: The fault plan (a new, empty one by default).
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
        request_timeout: float | None = 30.0,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        faults: FaultPlan | None = None,
    ) -> None:
        self.clock: Clock = clock or FakeClock()
        super().__init__(
            endpoint="fake://kubernetes",
            namespace=default_namespace,
            request_timeout=request_timeout,
            retry=retry,
            clock=self.clock,
            faults=FaultPlan() if faults is None else faults,
        )
        self.cluster = KubeCluster(
            clock=self.clock,
            converge_delay=converge_delay,
            terminate_delay=terminate_delay,
            seed=seed,
        )
        self._poll = poll_interval
        self.calls: list[FakeCall] = []
        self.active_watches = 0
        """Simulated watch streams open now."""
        self.active_log_streams = 0
        """Simulated ``follow`` log streams open now."""

    def __repr__(self) -> str:
        return f"<FakeK8sManager namespace={self.default_namespace!r}>"

    # ------------------------------------------------------------------ test controls

    @property
    def faults(self) -> FaultPlan:
        """The fault plan the adapter core applies around every call (operations are named
        ``k8s.<method>``, plus ``k8s.read_deployment``, ``k8s.read_pod``, ``k8s.watch`` and
        ``k8s.wait_pod_gone`` inside the waits); :attr:`FaultPlan.reached` counts what got
        through to the simulated cluster."""
        plan = self._core.faults
        assert plan is not None
        return plan

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
        self.faults.add("error", operations=[f"k8s.{method}"], times=times, error=error)

    def calls_to(self, method: str) -> list[FakeCall]:
        """The recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------------ the exchanges

    def _called(self, method: str, **args: Any) -> None:
        self.calls.append(FakeCall(method, args))

    async def _act(self, step: Callable[[], T]) -> T:
        """One exchange with the simulated API server: the request travels, the cluster acts
        (its refusals are the API server's), the answer travels back."""
        await asyncio.sleep(0)
        try:
            result = step()
        except KubernetesError as exc:
            raise _refusal(exc) from None
        await asyncio.sleep(0)
        return result

    def _step(self) -> float:
        """How long a simulated stream sleeps before looking again: until the next
        transition, at most ``poll_interval``."""
        due = self.cluster.next_due()
        if due is None:
            return self._poll
        return min(self._poll, max(due - self.clock.monotonic(), 0.0))

    async def _version(self, limit: float | None) -> tuple[int, Any]:
        return 200, await self._act(version_info)

    async def _get(
        self, resource: str, namespace: str, name: str, limit: float | None
    ) -> tuple[int, Any]:
        return 200, await self._act(lambda: self.cluster.get(resource, namespace, name))

    async def _list(
        self, resource: str, namespace: str, selectors: Mapping[str, str], limit: float | None
    ) -> tuple[int, Any]:
        items = await self._act(
            lambda: self.cluster.select(
                resource,
                namespace,
                label_selector=selectors.get("label_selector"),
                field_selector=selectors.get("field_selector"),
            )
        )
        return 200, {"kind": "List", "metadata": {}, "items": items}

    async def _scale(
        self, namespace: str, name: str, replicas: int, limit: float | None
    ) -> tuple[int, Any]:
        dep = await self._act(lambda: self.cluster.set_replicas(namespace, name, replicas))
        return 200, scale_of(dep)

    async def _create_pod(
        self, namespace: str, body: Mapping[str, Any], limit: float | None
    ) -> tuple[int, Any]:
        return 201, await self._act(lambda: self.cluster.create("pods", namespace, body))

    async def _delete_pod(
        self, namespace: str, name: str, grace_period: int | None, limit: float | None
    ) -> tuple[int, Any]:
        deleted = await self._act(
            lambda: self.cluster.delete("pods", namespace, name, grace_period=grace_period)
        )
        return 200, deleted

    async def _log_text(
        self, target: PodTarget, tail_lines: int | None, limit: float | None
    ) -> bytes:
        text = await self._act(
            lambda: self.cluster.pod_logs(
                target.namespace, target.pod, container=target.container, tail_lines=tail_lines
            )
        )
        return text.encode()

    async def _watch(
        self, resource: str, namespace: str, name: str, version: str, limit: float | None
    ) -> _SimulatedWatch:
        await self._act(lambda: None)
        return _SimulatedWatch(self, resource, namespace, name, int(version))

    async def _follow_log(self, target: PodTarget, limit: float | None) -> _SimulatedLog:
        await self._act(
            lambda: self.cluster.check_followable(target.namespace, target.pod, target.container)
        )
        return _SimulatedLog(self, target.namespace, target.pod)

    async def _exec(
        self, target: PodTarget, argv: Sequence[str], limit: float | None
    ) -> _SimulatedExec:
        await self._act(
            lambda: self.cluster.exec_container(target.namespace, target.pod, target.container)
        )
        return _SimulatedExec(self.cluster, target, argv)


def _refusal(exc: KubernetesError) -> PeerFailure:
    """The simulated API server's refusal (not found, conflict, bad request...), as a real
    one's reaches the real manager."""
    reason = exc.context.get("reason")
    return PeerFailure("status", exc.message, status=exc.status or 500, code=reason or None)


class _SimulatedWatch:
    """The changes of one object after a resource version, as the API server streams them
    (an ``ERROR`` 410 when the history no longer reaches back); sleeps on the fake's clock
    until the next transition falls due."""

    def __init__(
        self, fake: FakeK8sManager, resource: str, namespace: str, name: str, version: int
    ) -> None:
        self._fake = fake
        self._key = (resource, namespace, name)
        self._version = version
        self._pending: deque[dict[str, Any]] = deque()
        self._open = True
        fake.active_watches += 1

    def __aiter__(self) -> _SimulatedWatch:
        return self

    async def __anext__(self) -> dict[str, Any]:
        cluster = self._fake.cluster
        while not self._pending:
            if not self._open:
                raise StopAsyncIteration
            cluster.settle()
            events = cluster.events_since(self._version)
            if events is None:
                gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
                self._pending.append({"type": "ERROR", "object": gone})
                await self.aclose()
                break
            for event in events:
                self._version = event.resource_version
                obj = event.object
                if (event.resource, event.namespace, obj["metadata"]["name"]) == self._key:
                    self._pending.append({"type": event.type, "object": obj})
            if not self._pending:
                await self._fake.clock.sleep(self._fake._step())
        return self._pending.popleft()

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._fake.active_watches -= 1


class _SimulatedLog:
    """A pod's log as it grows, in chunks, until the pod has ended (``follow=true``)."""

    def __init__(self, fake: FakeK8sManager, namespace: str, pod: str) -> None:
        self._fake = fake
        self._pod = (namespace, pod)
        self._sent = 0
        self._open = True
        fake.active_log_streams += 1

    def __aiter__(self) -> _SimulatedLog:
        return self

    async def __anext__(self) -> bytes:
        while self._open:
            text, complete = self._fake.cluster.log_follow_state(*self._pod)
            if len(text) > self._sent:
                chunk, self._sent = text[self._sent :], len(text)
                return chunk.encode()
            if complete:
                await self.aclose()
                break
            await self._fake.clock.sleep(self._fake._step())
        raise StopAsyncIteration

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._fake.active_log_streams -= 1


class _SimulatedExec:
    """An exec on the simulated cluster: the handler runs, then its output and ``Status``
    come as the kubelet sends them (channels 1, 2, 3)."""

    def __init__(self, cluster: KubeCluster, target: PodTarget, argv: Sequence[str]) -> None:
        self._cluster = cluster
        self._target = target
        self._argv = argv
        self._frames: deque[tuple[int, bytes]] | None = None

    def __aiter__(self) -> _SimulatedExec:
        return self

    async def __anext__(self) -> tuple[int, bytes]:
        if self._frames is None:
            t = self._target
            try:
                reply = await self._cluster.run_exec(t.namespace, t.pod, t.container, self._argv)
            except KubernetesError as exc:
                raise _refusal(exc) from None
            self._frames = deque(
                frame
                for frame in (
                    (1, reply.stdout.encode()),
                    (2, reply.stderr.encode()),
                    (3, json.dumps(exit_status(reply)).encode()),
                )
                if frame[1]
            )
        if not self._frames:
            raise StopAsyncIteration
        return self._frames.popleft()

    async def aclose(self) -> None:
        self._frames = deque()
