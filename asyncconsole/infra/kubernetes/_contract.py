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
    KubernetesConflictError,
    KubernetesError,
    KubernetesNotFoundError,
    NotFoundError,
    OperationTimeoutError,
)
from ..._secret import Secret
from ._protocol import K8sManager
from ._sim import ExecHandler, ExecReply, PodScript, PodScripter
from ._types import PodInfo, PodPhase

__all__ = ["K8sClusterControl", "check_k8s_manager"]

_E = TypeVar("_E", bound=BaseException)


class K8sClusterControl(Protocol):
    """What the suite needs to arrange a cluster's state (``FakeK8sManager`` and
    ``FakeKubernetesApiServer`` both provide it)."""

    exec_handler: ExecHandler
    pod_scripter: PodScripter | None

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

    def append_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Add text to a pod's log."""
        ...

    def add_config_map(self, namespace: str, name: str, data: Mapping[str, str]) -> Any:
        """Create a ConfigMap."""
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
    active_log_streams: Callable[[], int] | None = None,
) -> None:
    """Check a K8sManager implementation end to end.

    Args:
        make_manager: Returns the manager under test as an async context manager (opened once).
        control: Arranges the cluster the manager talks to.
        sleep: How the suite waits between polls: ``asyncio.sleep`` for a real server,
            the fake clock's ``sleep`` for ``FakeK8sManager`` (so its fake time moves on).
        wait_timeout: Timeout for waits that must succeed.
        active_watches: Reports open watch streams, to check a cancelled wait closed its own.
        active_log_streams: Reports open log-follow streams, to check a consumer that stops
            early closes its own.

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
        await _pods_and_config_maps(k8s, control, ns, wait_timeout, nap, active_log_streams)
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
        ("read_config_map", k8s.read_config_map(ns, "missing")),
        ("wait_for_pod", k8s.wait_for_pod(ns, "missing", timeout=5)),
        ("follow_pod_logs", _drain(k8s.follow_pod_logs(ns, "missing"))),
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
        ("a bad condition", k8s.wait_for_pod(ns, "pod", condition="Happy")),
        ("a manifest that is no Pod", k8s.create_pod(ns, {"kind": "Service"})),
        ("a manifest without a name", k8s.create_pod(ns, {"spec": {"containers": [{}]}})),
        (
            "a manifest for another namespace",
            k8s.create_pod(ns, _manifest("p", namespace=ns + "-other")),
        ),
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


async def _drain(lines: Any) -> list[str]:
    return [line async for line in lines]


def _manifest(name: str, *, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app": "one-shot"}}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "job", "image": "busybox", "args": ["--mode", "x"]}],
        },
    }


async def _pods_and_config_maps(
    k8s: K8sManager,
    control: K8sClusterControl,
    ns: str,
    wait_timeout: float,
    nap: Callable[[float], Awaitable[None]],
    active_log_streams: Callable[[], int] | None,
) -> None:
    control.add_config_map(ns, "images", {"replayer": "repo/replayer:1", "policy": "Always"})
    assert await k8s.read_config_map(ns, "images") == {
        "replayer": "repo/replayer:1",
        "policy": "Always",
    }

    seen: list[tuple[str, str]] = []

    def scripter(namespace: str, manifest: Mapping[str, Any]) -> PodScript | None:
        name = manifest["metadata"]["name"]
        seen.append((namespace, name))
        if name == "finite":
            return PodScript(lines=("first ü", "", "third"), exit_code=0, duration=0.2)
        if name == "failing":
            return PodScript(lines=("boom",), exit_code=3)
        return PodScript(exit_code=None)  # runs until deleted

    previous = control.pod_scripter
    control.pod_scripter = scripter
    try:
        created = await k8s.create_pod(ns, _manifest("finite", namespace=ns))
        assert (created.namespace, created.name) == (ns, "finite"), created
        assert created.containers == ("job",), created
        assert created.labels.get("app") == "one-shot", created
        assert seen == [(ns, "finite")], seen
        exc = await _raises(
            KubernetesConflictError, k8s.create_pod(ns, _manifest("finite")), "a second create"
        )
        assert exc.status == 409, exc
        ready = await k8s.wait_for_pod(ns, "finite", timeout=wait_timeout)
        assert ready.name == "finite", ready
        assert ready.ready or ready.phase is PodPhase.SUCCEEDED, ready
        lines = await _drain(k8s.follow_pod_logs(ns, "finite"))
        assert lines == ["first ü", "", "third"], lines
        done = await k8s.wait_for_pod(ns, "finite", condition="Succeeded", timeout=wait_timeout)
        assert (done.phase, done.ready) == (PodPhase.SUCCEEDED, False), done
        assert await _drain(k8s.follow_pod_logs(ns, "finite", container="job")) == lines

        await k8s.create_pod(ns, _manifest("failing"))
        failed = await k8s.wait_for_pod(ns, "failing", condition="Failed", timeout=wait_timeout)
        assert (failed.phase, failed.ready) == (PodPhase.FAILED, False), failed
        ended = await k8s.wait_for_pod(ns, "failing", timeout=wait_timeout)
        assert (ended.phase, ended.ready) == (PodPhase.FAILED, False), (
            f"a wait for Ready ends when the pod has ended: {ended}"
        )
        assert await _drain(k8s.follow_pod_logs(ns, "failing")) == ["boom"]

        await k8s.create_pod(ns, _manifest("forever"))
        running = await k8s.wait_for_pod(ns, "forever", condition="Running", timeout=wait_timeout)
        assert (running.phase, running.ready) == (PodPhase.RUNNING, True), running
        await _raises(
            OperationTimeoutError,
            k8s.wait_for_pod(ns, "forever", condition="Succeeded", timeout=0.3),
            "a pod wait that cannot finish",
        )
        await _follow_while_growing(k8s, control, ns, nap)
        if active_log_streams is not None:
            for _ in range(200):
                if active_log_streams() == 0:
                    break
                await asyncio.sleep(0.01)
            assert active_log_streams() == 0, "a consumer that stops must close its log stream"

        await k8s.delete_pod(ns, "forever", wait=False)
        await k8s.delete_pod(ns, "failing", grace_period=0, wait=True, timeout=wait_timeout)
        assert not await k8s.list_pods(ns, field_selector="metadata.name=failing")
        await k8s.delete_pod(ns, "finite", wait=True, timeout=wait_timeout)
        assert not await k8s.list_pods(ns, field_selector="metadata.name=finite")
        await _raises(KubernetesNotFoundError, k8s.delete_pod(ns, "finite"), "a second delete")

        async def forever_gone() -> bool:
            return not await k8s.list_pods(ns, field_selector="metadata.name=forever")

        await _eventually(forever_gone, nap, "a pod deleted with wait=False is gone")
    finally:
        control.pod_scripter = previous


async def _follow_while_growing(
    k8s: K8sManager, control: K8sClusterControl, ns: str, nap: Callable[[float], Awaitable[None]]
) -> None:
    """A follower gets what was logged before it came and what is logged while it follows;
    leaving the loop early closes the stream."""
    control.append_pod_logs(ns, "forever", "before\n")
    got: list[str] = []
    stream = k8s.follow_pod_logs(ns, "forever")
    try:
        async for line in stream:
            got.append(line)
            if line == "before":
                control.append_pod_logs(ns, "forever", "after ")
                await nap(0.05)
                control.append_pod_logs(ns, "forever", "one\nafter two\n")
            if line == "after two":
                break
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert got == ["before", "after one", "after two"], got
