"""The fake API server speaks Kubernetes: the real kubectl and the raw kubernetes_asyncio client agree."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from asyncconsole.infra.kubernetes import ExecReply
from asyncconsole.testing import FakeKubernetesApiServer

pytestmark = pytest.mark.integration


class Kubectl:
    def __init__(self, binary: str, kubeconfig: Path, cache: Path) -> None:
        self.base = [binary, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache)]

    async def __call__(self, *args: str, check: bool = True) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            *self.base, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            async with asyncio.timeout(30):
                out, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        code = proc.returncode
        assert code is not None
        if check:
            assert code == 0, f"kubectl {' '.join(args)} failed ({code}): {err.decode()}"
        return code, out.decode(), err.decode()


def _table(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


@pytest.fixture
def kctl(
    kubectl: str, kube_server: FakeKubernetesApiServer, kubeconfig: Path, tmp_path: Path
) -> Kubectl:
    return Kubectl(kubectl, kubeconfig, tmp_path / "kube-cache")


async def test_kubectl_get_scale_and_see_the_change(
    kctl: Kubectl, kube_server: FakeKubernetesApiServer
) -> None:
    kube_server.add_deployment("ma", "rfs", replicas=1, labels={"app": "rfs"})
    kube_server.add_deployment("ma", "replayer", replicas=2, labels={"app": "replayer"})

    _, out, _ = await kctl("get", "deploy")  # namespace "ma" comes from the kubeconfig context
    rows = _table(out)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert [r[:4] for r in rows[1:]] == [["replayer", "2/2", "2", "2"], ["rfs", "1/1", "1", "1"]]

    _, out, _ = await kctl("get", "pods", "-l", "app=replayer")
    rows = _table(out)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(rows) == 3
    assert all(r[0].startswith("replayer-") and r[1:4] == ["1/1", "Running", "0"] for r in rows[1:])

    _, out, _ = await kctl("scale", "deploy/rfs", "--replicas=3")
    assert out.strip() == "deployment.apps/rfs scaled"
    assert kube_server.deployment("ma", "rfs")["spec"]["replicas"] == 3
    assert len(kube_server.pods("ma", label_selector="app=rfs")) == 3
    scale_patch = [r for r in kube_server.requests if r.method == "PATCH"][-1]
    assert scale_patch.path == "/apis/apps/v1/namespaces/ma/deployments/rfs/scale"
    assert scale_patch.content_type == "application/merge-patch+json"

    _, out, _ = await kctl("get", "deploy", "rfs", "-o", "wide")
    rows = _table(out)
    assert rows[0] == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert rows[1][:4] == ["rfs", "3/3", "3", "3"]
    assert rows[1][5:] == ["main", "busybox:latest", "app=rfs"]
    assert any("as=Table" in r.accept for r in kube_server.requests), "kubectl asked for Tables"
    assert any("APIGroupDiscoveryList" in r.accept for r in kube_server.requests)


async def test_kubectl_scale_down_terminates_pods(kubectl: str, tmp_path: Path) -> None:
    async with FakeKubernetesApiServer(converge_delay=0.2, terminate_delay=30) as kube:
        kube.add_deployment("ma", "w", replicas=2)
        path = kube.write_kubeconfig(tmp_path / "config", namespace="ma")
        kctl = Kubectl(kubectl, path, tmp_path / "cache")
        await kctl("scale", "deployment", "w", "--replicas=1")
        _, out, _ = await kctl("get", "pods")
        statuses = sorted(row[2] for row in _table(out)[1:])
        assert statuses == ["Running", "Terminating"]
        await kctl("scale", "deployment", "w", "--replicas=3")
        _, out, _ = await kctl("rollout", "status", "deployment/w", "--timeout=20s")
        assert 'deployment "w" successfully rolled out' in out


async def test_kubectl_json_output_exec_logs_and_errors(
    kctl: Kubectl, kube_server: FakeKubernetesApiServer
) -> None:
    kube_server.add_deployment("ma", "w", replicas=1)
    pod = kube_server.pods("ma")[0]["metadata"]["name"]
    kube_server.set_pod_logs("ma", pod, "first\nsecond\n")
    kube_server.exec_handler = lambda ns, p, c, argv: ExecReply(
        5 if argv[0] == "fail" else 0, f"{p}:{' '.join(argv)}\n", "warned\n"
    )
    kube_server.add_secret("ma", "creds", {"password": "pw"})

    _, out, _ = await kctl("get", "deploy", "w", "-o", "json")
    obj: dict[str, Any] = json.loads(out)
    assert (obj["kind"], obj["spec"]["replicas"], obj["status"]["readyReplicas"]) == (
        "Deployment",
        1,
        1,
    )

    _, out, _ = await kctl("logs", pod, "--tail=1")
    assert out == "second\n"
    _, out, err = await kctl("exec", pod, "--", "echo", "hi")
    assert (out, err) == (f"{pod}:echo hi\n", "warned\n")
    code, _, err = await kctl("exec", pod, "--", "fail", check=False)
    assert code == 5
    assert "exit code 5" in err

    _, out, _ = await kctl("get", "secret", "creds", "-o", "jsonpath={.data.password}")
    assert out == "cHc="  # base64("pw")

    code, _, err = await kctl("get", "deploy", "missing", check=False)
    assert code == 1
    assert 'Error from server (NotFound): deployments.apps "missing" not found' in err

    _, out, _ = await kctl("delete", "pod", pod, "--wait=false")
    assert f'pod "{pod}" deleted' in out
    replacement = [p["metadata"]["name"] for p in kube_server.pods("ma")]
    assert pod not in replacement
    assert len(replacement) == 1


async def test_raw_kubernetes_asyncio_typed_api(
    kube_server: FakeKubernetesApiServer, kubeconfig: Path
) -> None:
    from kubernetes_asyncio import client, config

    kube_server.add_deployment("ma", "w", replicas=1, labels={"app": "w"})
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        dep = await apps.read_namespaced_deployment("w", "ma")
        assert (dep.spec.replicas, dep.status.ready_replicas) == (1, 1)
        # a dict body is sent as a strategic merge patch
        await apps.patch_namespaced_deployment_scale("w", "ma", {"spec": {"replicas": 2}})
        scale = await apps.read_namespaced_deployment_scale("w", "ma")
        assert (scale.spec.replicas, scale.status.selector) == (2, "app=w")
        scale.spec.replicas = 3
        await apps.replace_namespaced_deployment_scale("w", "ma", scale)
        # a list body is a JSON patch
        await apps.patch_namespaced_deployment(
            "w", "ma", [{"op": "replace", "path": "/spec/replicas", "value": 4}]
        )
        pods = await core.list_namespaced_pod("ma", label_selector="app=w")
        assert len(pods.items) == 4
        assert all(p.status.phase == "Running" for p in pods.items)
        stale = scale.metadata.resource_version
        scale.spec.replicas = 1
        scale.metadata.resource_version = stale
        with pytest.raises(client.ApiException) as info:
            await apps.replace_namespaced_deployment_scale("w", "ma", scale)
        assert info.value.status == 409
        with pytest.raises(client.ApiException) as missing:
            await apps.read_namespaced_deployment("nope", "ma")
        assert missing.value.status == 404
        assert missing.value.body is not None
        assert json.loads(missing.value.body)["reason"] == "NotFound"

        from kubernetes_asyncio import watch

        seen = []
        w = watch.Watch()
        async with w.stream(
            apps.list_namespaced_deployment,
            "ma",
            field_selector="metadata.name=w",
            timeout_seconds=2,
        ) as stream:
            async for event in stream:
                seen.append((event["type"], event["object"].spec.replicas))
                if len(seen) == 1:
                    await apps.patch_namespaced_deployment_scale(
                        "w", "ma", {"spec": {"replicas": 5}}
                    )
                if event["object"].spec.replicas == 5:
                    break
        assert seen[0] == ("ADDED", 4)
        assert seen[-1] == ("MODIFIED", 5)


async def test_raw_kubernetes_asyncio_dynamic_client_uses_legacy_discovery(
    kube_server: FakeKubernetesApiServer,
    kubeconfig: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kubernetes_asyncio import config
    from kubernetes_asyncio.dynamic import DynamicClient

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # its discovery cache file
    kube_server.add_deployment("ma", "w", replicas=2)
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        dyn = await DynamicClient(api)
        deployments = await dyn.resources.get(api_version="apps/v1", kind="Deployment")
        found = await dyn.get(deployments, name="w", namespace="ma")
        assert found.spec.replicas == 2
        pods = await dyn.resources.get(api_version="v1", kind="Pod")
        listed = await dyn.get(pods, namespace="ma")
        assert len(listed.items) == 2
    paths = {r.path for r in kube_server.requests}
    assert {"/api/v1", "/apis/apps/v1"} <= paths
