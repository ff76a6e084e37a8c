"""``check_k8s_manager``: the behaviour every K8sManager must show, runnable against any of them.

Like trio's conformance checks it is a plain async function that raises ``AssertionError`` on
a violation; it runs against ``FakeK8sManager`` and against ``KubernetesManager`` talking to
``FakeKubernetesApiServer``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from ..._errors import (
    KubernetesError,
    KubernetesNotFoundError,
    NotFoundError,
    OperationTimeoutError,
)
from ..._secret import Secret
from ._protocol import K8sManager
from ._sim import ExecHandler, ExecReply
from ._types import PodInfo, PodPhase

__all__ = ["K8sClusterControl", "check_k8s_manager"]

_E = TypeVar("_E", bound=BaseException)


class K8sClusterControl(Protocol):
    """What the suite needs to arrange a cluster's state (``FakeK8sManager`` and
    ``FakeKubernetesApiServer`` both provide it)."""

    exec_handler: ExecHandler

    def add_deployment(
        self,
        namespace: str,
        name: str,
        *,
        replicas: int = 1,
        labels: Mapping[str, str] | None = None,
        containers: Sequence[str] = ("main",),
        ready: bool = True,
    ) -> Any:
        """Create a Deployment whose pods carry ``labels``."""
        ...

    def add_secret(self, namespace: str, name: str, data: Mapping[str, str | bytes]) -> Any:
        """Create a Secret."""
        ...

    def set_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Set a pod's log text."""
        ...


async def _raises(kind: type[_E], aw: Awaitable[Any], what: str) -> _E:
    try:
        await aw
    except kind as exc:
        return exc
    except BaseException as exc:
        raise AssertionError(f"{what}: expected {kind}, got {type(exc).__name__}: {exc}") from exc
    raise AssertionError(f"{what}: expected {kind}, nothing was raised")


async def check_k8s_manager(
    make_manager: Callable[[], AbstractAsyncContextManager[K8sManager]],
    control: K8sClusterControl,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    wait_timeout: float = 20.0,
    active_watches: Callable[[], int] | None = None,
) -> None:
    """Check a K8sManager implementation end to end.

    Args:
        make_manager: Returns the manager under test as an async context manager (opened once).
        control: Arranges the cluster the manager talks to.
        sleep: How the suite waits between polls: ``asyncio.sleep`` for a real server,
            the fake clock's ``sleep`` for ``FakeK8sManager`` (so its fake time moves on).
        wait_timeout: Timeout for waits that must succeed.
        active_watches: Reports open watch streams, to check a cancelled wait closed its own.

    Raises:
        AssertionError: The implementation broke the contract (the message says how).
    """
    nap = sleep or asyncio.sleep
    ns = f"contract-{secrets.token_hex(3)}"
    web, other = "web", "other"
    manager_cm = make_manager()
    async with manager_cm as k8s:
        assert isinstance(k8s, K8sManager), "manager does not implement K8sManager"
        await _basics(k8s)
        await _not_found(k8s, ns)
        await _bad_input(k8s, ns)
        control.add_deployment(ns, web, replicas=2, labels={"app": web, "tier": "worker"})
        control.add_deployment(ns, other, replicas=1, labels={"app": other})
        await _lifecycle(k8s, ns, web, wait_timeout, nap)
        await _selectors(k8s, ns, web, other)
        await _delete_pod(k8s, ns, web, wait_timeout, nap)
        await _exec(k8s, control, ns, web)
        await _logs_and_secrets(k8s, control, ns, web)
        await _timeouts_and_cancellation(k8s, ns, web, nap, active_watches)
        await _concurrency(k8s, ns, web, other, wait_timeout)
    await _raises(RuntimeError, k8s.ping(), "a call after aclose()")


async def _basics(k8s: K8sManager) -> None:
    await k8s.ping()
    assert isinstance(k8s.default_namespace, str), "default_namespace must be a string"
    assert k8s.default_namespace, "default_namespace must not be empty"


async def _not_found(k8s: K8sManager, ns: str) -> None:
    calls: list[tuple[str, Awaitable[Any]]] = [
        ("get_deployment_status", k8s.get_deployment_status(ns, "missing")),
        ("scale_deployment", k8s.scale_deployment(ns, "missing", 1)),
        ("wait_for_replicas", k8s.wait_for_replicas(ns, "missing", ready=1, timeout=5)),
        ("delete_pod", k8s.delete_pod(ns, "missing")),
        ("pod_logs", k8s.pod_logs(ns, "missing")),
        ("exec_in_pod", k8s.exec_in_pod(ns, "missing", ["true"])),
        ("read_secret", k8s.read_secret(ns, "missing")),
    ]
    for what, aw in calls:
        exc = await _raises(KubernetesNotFoundError, aw, f"{what} of a missing object")
        assert isinstance(exc, NotFoundError), f"{what}: not a NotFoundError"
        assert isinstance(exc, KubernetesError), f"{what}: not a KubernetesError"
        assert exc.status == 404, f"{what}: status {exc.status}, expected 404"
        assert "missing" in str(exc), f"{what}: the error should name the object: {exc}"
    assert await k8s.list_pods(ns) == [], "an empty namespace lists no pods"


async def _bad_input(k8s: K8sManager, ns: str) -> None:
    bad: list[tuple[str, Awaitable[Any]]] = [
        ("negative replicas", k8s.scale_deployment(ns, "web", -1)),
        ("empty namespace", k8s.get_deployment_status("", "web")),
        ("empty argv", k8s.exec_in_pod(ns, "pod", [])),
        ("argv as a string", k8s.exec_in_pod(ns, "pod", "echo hi")),
        ("negative ready", k8s.wait_for_replicas(ns, "web", ready=-1)),
    ]
    for what, aw in bad:
        await _raises(ValueError, aw, what)
    exc = await _raises(
        KubernetesError, k8s.list_pods(ns, label_selector="app in ("), "bad selector"
    )
    assert exc.status == 400, f"a malformed selector is HTTP 400, got {exc.status}"


def _live(pods: list[PodInfo]) -> list[PodInfo]:
    return [p for p in pods if not p.terminating]


async def _eventually(
    check: Callable[[], Awaitable[bool]], nap: Callable[[float], Awaitable[None]], what: str
) -> None:
    for _ in range(400):
        if await check():
            return
        await nap(0.05)
    raise AssertionError(f"timed out waiting until {what}")


async def _lifecycle(
    k8s: K8sManager, ns: str, web: str, wait_timeout: float, nap: Callable[[float], Awaitable[None]]
) -> None:
    st = await k8s.wait_for_replicas(ns, web, ready=2, timeout=wait_timeout)
    assert (st.namespace, st.name) == (ns, web)
    assert (st.desired, st.ready, st.running, st.pending) == (2, 2, 2, 0), st
    st = await k8s.get_deployment_status(ns, web)
    assert (st.desired, st.ready, st.available, st.updated, st.current) == (2, 2, 2, 2, 2), st
    assert st.settled, f"a converged deployment is settled: {st}"
    pods = await k8s.list_pods(ns, label_selector=f"app={web}")
    assert len(pods) == 2, pods
    for pod in pods:
        assert (pod.namespace, pod.name[: len(web)]) == (ns, web), pod
        assert (pod.phase, pod.ready, pod.terminating) == (PodPhase.RUNNING, True, False), pod
        assert (pod.labels.get("app"), pod.labels.get("tier")) == (web, "worker"), pod.labels
        assert pod.node, f"a running pod has a node: {pod}"
        assert pod.containers == ("main",), pod.containers
    assert [p.name for p in pods] == sorted(p.name for p in pods), "pods are sorted by name"

    await k8s.scale_deployment(ns, web, 4)
    st = await k8s.get_deployment_status(ns, web)
    assert st.desired == 4, f"scale sets desired at once: {st}"
    st = await k8s.wait_for_replicas(ns, web, ready=4, timeout=wait_timeout)
    assert (st.desired, st.ready, st.running, st.pending) == (4, 4, 4, 0), st
    assert len(_live(await k8s.list_pods(ns, label_selector=f"app={web}"))) == 4

    await k8s.scale_deployment(ns, web, 1)
    st = await k8s.wait_for_replicas(ns, web, ready=1, timeout=wait_timeout)
    assert (st.desired, st.ready) == (1, 1), st
    assert st.running + st.terminating >= 1, st

    async def drained() -> bool:
        s = await k8s.get_deployment_status(ns, web)
        return s.terminating == 0 and s.running == 1

    await _eventually(drained, nap, "the scaled-down pods are gone")
    assert len(await k8s.list_pods(ns, label_selector=f"app={web}")) == 1

    await k8s.scale_deployment(ns, web, 0)
    st = await k8s.wait_for_replicas(ns, web, ready=0, timeout=wait_timeout)
    assert (st.desired, st.ready) == (0, 0), st
    await _eventually(
        lambda: _empty(k8s, ns, f"app={web}"), nap, "a deployment scaled to 0 has no pods"
    )
    st = await k8s.get_deployment_status(ns, web)
    assert (st.desired, st.running, st.pending, st.terminating) == (0, 0, 0, 0), st
    await k8s.scale_deployment(ns, web, 2)
    await k8s.wait_for_replicas(ns, web, ready=2, timeout=wait_timeout)


async def _empty(k8s: K8sManager, ns: str, selector: str) -> bool:
    return not await k8s.list_pods(ns, label_selector=selector)


async def _selectors(k8s: K8sManager, ns: str, web: str, other: str) -> None:
    def names(pods: list[PodInfo]) -> set[str]:
        return {p.labels["app"] for p in pods}

    everything = await k8s.list_pods(ns)
    assert names(everything) == {web, other}, everything
    assert names(await k8s.list_pods(ns, label_selector=f"app={other}")) == {other}
    assert names(await k8s.list_pods(ns, label_selector=f"app!={other}")) == {web}
    assert names(await k8s.list_pods(ns, label_selector=f"app in ({web},{other})")) == {web, other}
    assert names(await k8s.list_pods(ns, label_selector="tier")) == {web}
    assert names(await k8s.list_pods(ns, label_selector="!tier")) == {other}
    assert await k8s.list_pods(ns, label_selector="app=nothing-here") == []
    one = everything[0]
    by_name = await k8s.list_pods(ns, field_selector=f"metadata.name={one.name}")
    assert [p.name for p in by_name] == [one.name], by_name
    running = await k8s.list_pods(ns, field_selector="status.phase=Running")
    assert {p.name for p in running} == {p.name for p in everything if p.phase is PodPhase.RUNNING}


async def _delete_pod(
    k8s: K8sManager, ns: str, web: str, wait_timeout: float, nap: Callable[[float], Awaitable[None]]
) -> None:
    victim = (await k8s.list_pods(ns, label_selector=f"app={web}"))[0]
    await k8s.delete_pod(ns, victim.name)

    async def replaced() -> bool:
        pods = await k8s.list_pods(ns, label_selector=f"app={web}")
        live = [p for p in _live(pods) if p.ready]
        return victim.name not in {p.name for p in pods} and len(live) == 2

    await _eventually(replaced, nap, "the deleted pod is gone and replaced")
    st = await k8s.wait_for_replicas(ns, web, ready=2, timeout=wait_timeout)
    assert (st.desired, st.ready, st.running) == (2, 2, 2), st


async def _exec(k8s: K8sManager, control: K8sClusterControl, ns: str, web: str) -> None:
    pod = (await k8s.list_pods(ns, label_selector=f"app={web}"))[0].name
    seen: list[tuple[str, str, str, tuple[str, ...]]] = []

    def handler(namespace: str, name: str, container: str, argv: Sequence[str]) -> ExecReply:
        seen.append((namespace, name, container, tuple(argv)))
        if argv[0] == "fail":
            return ExecReply(3, "partial ü\n", "boom\n")
        return ExecReply(0, " ".join(argv[1:]) + "\n", "")

    previous = control.exec_handler
    control.exec_handler = handler
    try:
        ok = await k8s.exec_in_pod(ns, pod, ["say", "hello world", "ü"])
        assert (ok.exit_code, ok.stdout, ok.stderr, ok.ok) == (0, "hello world ü\n", "", True), ok
        assert ok.argv == ("say", "hello world", "ü"), ok.argv
        assert ok.duration >= 0
        bad = await k8s.exec_in_pod(ns, pod, ["fail", "x"], container="main")
        assert (bad.exit_code, bad.stdout, bad.stderr, bad.ok) == (
            3,
            "partial ü\n",
            "boom\n",
            False,
        )
        await _raises(Exception, _check(bad), "CommandResult.check() of a failed exec")
        assert seen == [
            (ns, pod, "main", ("say", "hello world", "ü")),
            (ns, pod, "main", ("fail", "x")),
        ], seen
        exc = await _raises(
            KubernetesError, k8s.exec_in_pod(ns, pod, ["true"], container="nope"), "a bad container"
        )
        assert exc.status == 400, exc
    finally:
        control.exec_handler = previous


async def _check(result: Any) -> None:
    result.check()


async def _logs_and_secrets(k8s: K8sManager, control: K8sClusterControl, ns: str, web: str) -> None:
    pod = (await k8s.list_pods(ns, label_selector=f"app={web}"))[0].name
    control.set_pod_logs(ns, pod, "one\ntwo\nthree ü\n")
    assert await k8s.pod_logs(ns, pod) == "one\ntwo\nthree ü\n"
    assert await k8s.pod_logs(ns, pod, tail_lines=2) == "two\nthree ü\n"
    assert await k8s.pod_logs(ns, pod, container="main", tail_lines=0) == ""
    control.add_secret(ns, "creds", {"username": "admin", "password": "s3cr3t ü"})
    data = await k8s.read_secret(ns, "creds")
    assert set(data) == {"username", "password"}, data
    assert all(isinstance(v, Secret) for v in data.values()), data
    assert (data["password"].get(), data["username"].get()) == ("s3cr3t ü", "admin")
    assert "s3cr3t" not in repr(data) + str(data), "secret values must be masked"


async def _timeouts_and_cancellation(
    k8s: K8sManager,
    ns: str,
    web: str,
    nap: Callable[[float], Awaitable[None]],
    active_watches: Callable[[], int] | None,
) -> None:
    exc = await _raises(
        OperationTimeoutError,
        k8s.wait_for_replicas(ns, web, ready=7, timeout=0.3),
        "a wait that cannot finish",
    )
    assert isinstance(exc, TimeoutError), "OperationTimeoutError is also a TimeoutError"
    assert web in str(exc), exc

    started = asyncio.Event()

    async def waiter() -> None:
        started.set()
        await k8s.wait_for_replicas(ns, web, ready=9)

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(waiter())
        await started.wait()
        for _ in range(5):
            await asyncio.sleep(0.02)
        task.cancel()
    assert task.cancelled(), "a cancelled wait ends cancelled"
    if active_watches is not None:
        for _ in range(200):
            if active_watches() == 0:
                break
            await asyncio.sleep(0.01)
        assert active_watches() == 0, "a cancelled wait must close its watch stream"
    st = await k8s.get_deployment_status(ns, web)
    assert st.desired == 2, f"the manager still works after a cancelled wait: {st}"


async def _concurrency(k8s: K8sManager, ns: str, web: str, other: str, wait_timeout: float) -> None:
    async with asyncio.TaskGroup() as tg:
        statuses = [tg.create_task(k8s.get_deployment_status(ns, web)) for _ in range(20)]
        lists = [
            tg.create_task(k8s.list_pods(ns, label_selector=f"app={other}")) for _ in range(20)
        ]
        scales = [tg.create_task(k8s.scale_deployment(ns, other, 3)) for _ in range(10)]
    assert all(t.result().desired == 2 for t in statuses)
    assert all(t.result() and t.result()[0].labels["app"] == other for t in lists)
    assert all(t.result() is None for t in scales)
    st = await k8s.wait_for_replicas(ns, other, ready=3, timeout=wait_timeout)
    assert (st.desired, st.ready) == (3, 3), st
