"""KubernetesManager (kubernetes_asyncio) against FakeKubernetesApiServer through real HTTP."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import yaml

from asyncconsole import (
    NO_RETRY,
    ConfigError,
    FakeClock,
    KubernetesError,
    OperationTimeoutError,
    RetryPolicy,
)
from asyncconsole._errors import KubernetesConflictError, KubernetesNotFoundError
from asyncconsole.infra.kubernetes import K8sManager, KubernetesManager
from asyncconsole.testing import FakeKubernetesApiServer, check_k8s_manager

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("converge_delay", [0.0, 0.05])
async def test_contract_against_fake_api_server(converge_delay: float, tmp_path: Path) -> None:
    async with FakeKubernetesApiServer(converge_delay=converge_delay) as kube:
        path = kube.write_kubeconfig(tmp_path / "config")
        await check_k8s_manager(
            lambda: KubernetesManager(kubeconfig=path),
            kube,
            wait_timeout=10,
            active_watches=lambda: kube.active_watches,
            active_log_streams=lambda: kube.active_log_streams,
        )


async def test_call_shape_from_the_design(tmp_path: Path) -> None:
    async with FakeKubernetesApiServer() as kube:
        kube.add_deployment("ns", "web", replicas=1, labels={"app": "web"})
        path = tmp_path / "config"
        kube.write_kubeconfig(path)
        async with KubernetesManager(kubeconfig=path) as k8s:
            assert isinstance(k8s, K8sManager)
            await k8s.scale_deployment("ns", "web", 3)
            st = await k8s.get_deployment_status("ns", "web")
            assert (st.desired, st.ready) == (3, 3)
            pods = await k8s.list_pods("ns", label_selector="app=web")
            assert len(pods) == 3
        assert kube.deployment("ns", "web")["spec"]["replicas"] == 3
        patch = [r for r in kube.requests if r.method == "PATCH"]
        assert [(r.path, r.content_type) for r in patch] == [
            ("/apis/apps/v1/namespaces/ns/deployments/web/scale", "application/merge-patch+json")
        ]


async def test_namespace_and_context_from_kubeconfig(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    async with KubernetesManager(kubeconfig=kubeconfig) as k8s:
        assert k8s.default_namespace == "ma"
        assert k8s.host == kube_server.url
        assert "kubeconfig" in repr(k8s)
    async with KubernetesManager(kubeconfig=kubeconfig, namespace="other") as k8s:
        assert k8s.default_namespace == "other"
    # a second context that points nowhere; selecting it by name is honoured
    config = kube_server.kubeconfig(namespace="ma")
    config["clusters"].append({"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}})
    config["contexts"].append({"name": "dead", "context": {"cluster": "dead", "user": "fake"}})
    multi = tmp_path / "multi"
    multi.write_text(yaml.safe_dump(config))
    async with KubernetesManager(kubeconfig=multi, context="dead") as k8s:
        assert k8s.default_namespace == "default"
        with pytest.raises(KubernetesError, match="unreachable") as info:
            await k8s.ping()
        assert info.value.transient
        assert info.value.status is None
    with pytest.raises(ConfigError, match="nope"):
        await KubernetesManager(kubeconfig=multi, context="nope").open()


async def test_a_kubeconfig_whose_path_holds_a_colon(
    kube_server: FakeKubernetesApiServer, tmp_path: Path
) -> None:
    path = kube_server.write_kubeconfig(tmp_path / "ctx:prod" / "config", namespace="ma")
    async with KubernetesManager(kubeconfig=path) as k8s:
        await k8s.ping()
        assert k8s.default_namespace == "ma"
    bad = tmp_path / "not:yaml"
    bad.write_text("- a list, not a kubeconfig\n")
    with pytest.raises(ConfigError, match="not a kubeconfig"):
        await KubernetesManager(kubeconfig=bad).open()


async def test_kubeconfig_from_environment(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    # KUBECONFIG wins over an in-cluster environment: the user pointed at a file on purpose
    environ = {
        "KUBECONFIG": str(kubeconfig),
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": "9",
    }
    async with KubernetesManager(environ=environ) as k8s:
        await k8s.ping()
        assert k8s.host == kube_server.url


async def test_in_cluster_service_account_over_tls(tmp_path: Path) -> None:
    async with FakeKubernetesApiServer(tls=True, token="sa-token-123") as kube:
        kube.add_deployment("ma", "replayer", replicas=2)
        environ = kube.write_service_account(tmp_path / "sa", namespace="ma")
        async with KubernetesManager(environ=environ, service_account_dir=tmp_path / "sa") as k8s:
            assert k8s.default_namespace == "ma"
            assert k8s.host is not None
            assert k8s.host.startswith("https://")
            assert "sa-token-123" not in repr(k8s)
            st = await k8s.get_deployment_status(k8s.default_namespace, "replayer")
            assert st.ready == 2
        # the same server refuses a client without the token
        no_token = tmp_path / "anon"
        config = kube.kubeconfig()
        config["users"][0]["user"] = {}
        no_token.write_text(yaml.safe_dump(config))
        async with KubernetesManager(kubeconfig=no_token) as k8s:
            with pytest.raises(KubernetesError, match="Unauthorized") as info:
                await k8s.get_deployment_status("ma", "replayer")
            assert info.value.status == 401
        # and a client that does not trust its certificate
        untrusted = tmp_path / "untrusted"
        config = kube.kubeconfig()
        del config["clusters"][0]["cluster"]["certificate-authority-data"]
        untrusted.write_text(yaml.safe_dump(config))
        async with KubernetesManager(kubeconfig=untrusted) as k8s:
            with pytest.raises(KubernetesError, match="TLS"):
                await k8s.ping()


async def test_in_cluster_requested_but_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="in-cluster") as info:
        await KubernetesManager(in_cluster=True, environ={}, service_account_dir=tmp_path).open()
    assert any("KUBERNETES_SERVICE_HOST" in str(i) for i in info.value.issues)


async def test_status_errors_are_translated(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    kube_server.add_deployment("ma", "w", replicas=1)
    async with KubernetesManager(kubeconfig=kubeconfig) as k8s:
        kube_server.fail_next(409, "the object has been modified", path_contains="/scale")
        with pytest.raises(KubernetesConflictError, match="has been modified") as conflict:
            await k8s.scale_deployment("ma", "w", 2)
        assert conflict.value.status == 409
        for _ in range(3):  # one more than the default policy's retries
            kube_server.fail_next(503, "etcd is sad")
        with pytest.raises(KubernetesError, match="etcd is sad") as unavailable:
            await k8s.get_deployment_status("ma", "w")
        assert (unavailable.value.status, unavailable.value.transient) == (503, True)
        kube_server.fail_next(404, 'pods "p" not found', path_contains="/exec")
        with pytest.raises(KubernetesNotFoundError):
            await k8s.exec_in_pod("ma", "p", ["true"])
        assert (await k8s.get_deployment_status("ma", "w")).desired == 1


async def test_idempotent_calls_are_retried_and_deletes_are_not(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncconsole.infra.kubernetes")
    kube_server.add_deployment("ma", "w", replicas=1, labels={"app": "w"})
    clock = FakeClock()
    policy = RetryPolicy(attempts=3, wait_initial=1.0, wait_jitter=0, timeout=None)
    async with KubernetesManager(kubeconfig=kubeconfig, retry=policy, clock=clock) as k8s:
        pod = (await k8s.list_pods("ma", label_selector="app=w"))[0].name
        before = len(kube_server.requests)
        kube_server.fail_next(503, "busy", path_contains="/scale")
        kube_server.fail_next(429, "slow down", path_contains="/scale")
        await k8s.scale_deployment("ma", "w", 2)
        scales = [r for r in kube_server.requests[before:] if r.path.endswith("/scale")]
        assert len(scales) == 3, f"two failures then success, got {len(scales)} requests"
        assert clock.sleeps == [1.0, 2.0], f"backoff on the injected clock: {clock.sleeps}"
        assert kube_server.deployment("ma", "w")["spec"]["replicas"] == 2
        events = [r.asyncconsole for r in caplog.records if hasattr(r, "asyncconsole")]
        scale_events = [e for e in events if e["operation"] == "k8s.scale_deployment"]
        assert len(scale_events) == 1, f"one event per call, however many attempts: {events}"
        assert scale_events[0]["attempts"] == 3, scale_events
        assert scale_events[0]["outcome"] == "ok", scale_events
        assert scale_events[0]["target"] == "scale deployment ma/w to 2", scale_events

        before = len(kube_server.requests)
        kube_server.fail_next(503, "busy", path_contains=f"/pods/{pod}")
        with pytest.raises(KubernetesError, match="busy") as caught:
            await k8s.delete_pod("ma", pod)
        assert caught.value.transient, "the error says a retry may help"
        deletes = [r for r in kube_server.requests[before:] if r.method == "DELETE"]
        assert len(deletes) == 1, f"a delete must not be repeated, saw {len(deletes)}"

        kube_server.fail_next(503, "busy", path_contains="/version")
        with pytest.raises(KubernetesError, match="busy"):
            await k8s.ping()  # a health check reports at once
    async with KubernetesManager(kubeconfig=kubeconfig, retry=NO_RETRY) as k8s:
        kube_server.fail_next(503, "once")
        with pytest.raises(KubernetesError, match="once"):
            await k8s.get_deployment_status("ma", "w")


async def test_closed_or_unopened_manager_refuses(kubeconfig: Path) -> None:
    k8s = KubernetesManager(kubeconfig=kubeconfig)
    with pytest.raises(RuntimeError, match="not open"):
        await k8s.ping()
    async with k8s:
        await k8s.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await k8s.ping()


async def test_wait_follows_a_watch_stream(tmp_path: Path) -> None:
    async with FakeKubernetesApiServer(converge_delay=0.2) as kube:
        kube.add_deployment("ma", "w", replicas=0)
        path = kube.write_kubeconfig(tmp_path / "config")
        async with KubernetesManager(kubeconfig=path) as k8s:
            await k8s.scale_deployment("ma", "w", 3)
            st = await k8s.wait_for_replicas("ma", "w", ready=3, timeout=10)
            assert (st.ready, st.running, st.pending) == (3, 3, 0)
        watches = [r for r in kube.requests if "watch=true" in r.query.lower()]
        assert len(watches) == 1, "one watch stream, no polling"
        assert "fieldSelector=metadata.name%3Dw" in watches[0].query
        gets = [r for r in kube.requests if r.path.endswith("/deployments/w") and r.method == "GET"]
        assert len(gets) == 1


async def test_cancelled_wait_closes_its_watch(tmp_path: Path) -> None:
    async with FakeKubernetesApiServer() as kube:
        kube.add_deployment("ma", "w", replicas=1)
        path = kube.write_kubeconfig(tmp_path / "config")
        async with KubernetesManager(kubeconfig=path) as k8s:
            with pytest.raises(OperationTimeoutError):
                await k8s.wait_for_replicas("ma", "w", ready=5, timeout=0.2)
            task = asyncio.ensure_future(k8s.wait_for_replicas("ma", "w", ready=5))
            for _ in range(200):
                if kube.active_watches:
                    break
                await asyncio.sleep(0.01)
            assert kube.active_watches == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for _ in range(200):
                if not kube.active_watches:
                    break
                await asyncio.sleep(0.01)
            assert kube.active_watches == 0


async def test_many_concurrent_calls_on_one_manager(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    for i in range(5):
        kube_server.add_deployment("ma", f"d{i}", replicas=1, labels={"app": f"d{i}"})
    async with KubernetesManager(kubeconfig=kubeconfig, max_connections=20) as k8s:
        async with asyncio.TaskGroup() as tg:
            scales = [tg.create_task(k8s.scale_deployment("ma", f"d{i % 5}", 2)) for i in range(50)]
            statuses = [
                tg.create_task(k8s.get_deployment_status("ma", f"d{i % 5}")) for i in range(100)
            ]
            lists = [
                tg.create_task(k8s.list_pods("ma", label_selector=f"app=d{i % 5}"))
                for i in range(50)
            ]
        assert all(t.result() is None for t in scales)
        assert all(t.result().desired in (1, 2) for t in statuses)
        assert all(len(t.result()) in (1, 2) for t in lists)
        for i in range(5):
            st = await k8s.get_deployment_status("ma", f"d{i}")
            assert (st.desired, st.ready) == (2, 2)


async def test_deployment_recreated_with_another_selector(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    kube_server.add_deployment("ma", "w", replicas=1, labels={"app": "a"})
    kube_server.add_pod("ma", "stray", labels={"app": "b"})
    async with KubernetesManager(kubeconfig=kubeconfig) as k8s:
        assert (await k8s.get_deployment_status("ma", "w")).running == 1
        kube_server.cluster.delete("deployments", "ma", "w")
        with pytest.raises(KubernetesNotFoundError):
            await k8s.get_deployment_status("ma", "w")
        kube_server.add_deployment("ma", "w", replicas=3, labels={"app": "b"})
        st = await k8s.get_deployment_status("ma", "w")
        assert (st.desired, st.running) == (3, 4)  # its own 3 pods and the stray one it selects


async def test_exec_timeout_closes_the_stream(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    from asyncconsole import CommandTimeoutError
    from asyncconsole.infra.kubernetes import ExecReply

    kube_server.add_pod("ma", "slow")
    finished: list[bool] = []

    async def stuck(ns: str, pod: str, container: str, argv: object) -> ExecReply:
        try:
            await asyncio.sleep(30)
        finally:
            finished.append(True)  # cancelled when the client hangs up
        return ExecReply()

    kube_server.exec_handler = stuck
    async with KubernetesManager(kubeconfig=kubeconfig) as k8s:
        with pytest.raises(CommandTimeoutError, match=r"did not finish within 0\.2s") as info:
            await k8s.exec_in_pod("ma", "slow", ["sleep", "30"], timeout=0.2)
        assert info.value.argv == ["sleep", "30"]
        for _ in range(200):
            if finished:
                break
            await asyncio.sleep(0.01)
        assert finished == [True]
        kube_server.exec_handler = lambda ns, pod, c, argv: ExecReply(0, "still fine\n")
        assert (await k8s.exec_in_pod("ma", "slow", ["x"])).stdout == "still fine\n"


async def test_proxy_from_the_environment_is_resolved_once(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    kube_server.add_deployment("ma", "w", replicas=1)
    dead_proxy = {"HTTP_PROXY": "http://127.0.0.1:9", "KUBECONFIG": str(kubeconfig)}
    async with KubernetesManager(environ=dead_proxy) as k8s:
        with pytest.raises(KubernetesError, match="unreachable"):
            await k8s.ping()
    bypassed = {**dead_proxy, "no_proxy": "localhost,127.0.0.1"}
    async with KubernetesManager(environ=bypassed) as k8s:
        assert (await k8s.get_deployment_status("ma", "w")).ready == 1
