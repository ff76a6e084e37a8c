"""Pure parts of the Kubernetes component: selectors, conversions, connection choice, patches, tables."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import ConfigError, KubernetesError
from asyncconsole.infra.kubernetes import DeploymentStatus, PodPhase
from asyncconsole.infra.kubernetes._auth import plan_connection, read_namespace_file
from asyncconsole.infra.kubernetes._convert import (
    count_pods,
    decode_secret,
    deployment_status,
    pod_info,
)
from asyncconsole.infra.kubernetes._selectors import (
    FieldSelector,
    LabelSelector,
    selector_from_spec,
)
from asyncconsole.testing._kube_discovery import aggregated, resource_list, wants_aggregated
from asyncconsole.testing._kube_patch import PatchError, apply_patch
from asyncconsole.testing._kube_tables import human_duration, table, wants_table

# ---------------------------------------------------------------- selectors


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("app in (web, db)", {"app": "db"}, True),
        ("app in (web,db)", {}, False),
        ("app notin (web,db)", {}, True),
        ("app notin (web,db)", {"app": "x"}, True),
        ("app notin (web,db)", {"app": "web"}, False),
        ("tier", {"tier": ""}, True),
        ("!tier", {"tier": "a"}, False),
        ("app=web,tier in (a,b),!canary", {"app": "web", "tier": "b"}, True),
        ("app=web,tier in (a,b),!canary", {"app": "web", "tier": "b", "canary": "1"}, False),
        ("example.com/role=worker", {"example.com/role": "worker"}, True),
    ],
)
def test_label_selector(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert LabelSelector(selector).matches(labels) is expected


@pytest.mark.parametrize("bad", ["app in (", "=web", "app=we b", "-app"])
def test_label_selector_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        LabelSelector(bad)


def test_field_selector() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "ma"},
        "spec": {"nodeName": "n1"},
        "status": {"phase": "Running"},
    }
    assert FieldSelector("metadata.name=p,status.phase=Running", "pods").matches(pod)
    assert not FieldSelector("spec.nodeName!=n1", "pods").matches(pod)
    with pytest.raises(ValueError, match="field label not supported"):
        FieldSelector("status.phase=Running", "deployments")
    with pytest.raises(ValueError, match="invalid field selector"):
        FieldSelector("nonsense", "pods")


def test_selector_from_spec_round_trips() -> None:
    spec = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "t", "operator": "In", "values": ["x", "y"]},
            {"key": "u", "operator": "NotIn", "values": ["z"]},
            {"key": "v", "operator": "Exists"},
            {"key": "w", "operator": "DoesNotExist"},
        ],
    }
    text = selector_from_spec(spec)
    assert text == "a=1,b=2,t in (x,y),u notin (z),v,!w"
    assert LabelSelector(text).matches({"a": "1", "b": "2", "t": "y", "v": ""})
    assert selector_from_spec(None) == ""


# ---------------------------------------------------------------- conversions


def _pod(phase: str, *, deleting: bool = False, ready: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": f"p-{phase}",
        "namespace": "ma",
        "creationTimestamp": "2026-01-01T00:00:00Z",
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    return {
        "metadata": meta,
        "spec": {"containers": [{"name": "main"}], "nodeName": "n1"},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "main", "restartCount": 2}],
        },
    }


def test_console_link_pod_counting() -> None:
    # console_link test 33: phases Running + Pending with 2 replicas -> 1/1/0/2
    dep: dict[str, Any] = {"metadata": {"name": "rfs", "namespace": "ma"}, "spec": {"replicas": 2}}
    st = deployment_status(dep, [_pod("Running"), _pod("Pending")])
    assert (st.running, st.pending, st.terminating, st.desired) == (1, 1, 0, 2)
    # a pod with a deletion timestamp and 0 replicas -> terminating 1, whatever its phase
    dep["spec"]["replicas"] = 0
    st = deployment_status(dep, [_pod("Running", deleting=True)])
    assert (st.running, st.pending, st.terminating, st.desired) == (0, 0, 1, 0)
    assert count_pods([_pod("Succeeded"), _pod("Failed")]) == (0, 0, 0)


def test_deployment_status_reads_missing_counts_as_zero() -> None:
    st = deployment_status(
        {"metadata": {"name": "d", "namespace": "n", "generation": 3}, "spec": {}}, []
    )
    assert st == DeploymentStatus("n", "d", desired=1, generation=3)
    assert not st.settled


def test_pod_info() -> None:
    info = pod_info(
        _pod("Running", ready=True)
        | {"metadata": {"name": "x", "namespace": "ma", "labels": {"a": "b"}}}
    )
    assert (info.name, info.phase, info.ready, info.terminating, info.node) == (
        "x",
        PodPhase.RUNNING,
        True,
        False,
        "n1",
    )
    assert (info.labels, info.restarts, info.containers) == ({"a": "b"}, 2, ("main",))
    assert pod_info(_pod("Weird")).phase is PodPhase.UNKNOWN
    assert pod_info(_pod("Pending")).created_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_decode_secret() -> None:
    secret = {
        "metadata": {"name": "s"},
        "data": {"p": base64.b64encode("ü".encode()).decode()},
        "stringData": {"q": "v"},
    }
    out = decode_secret(secret)
    assert {k: v.get() for k, v in out.items()} == {"p": "ü", "q": "v"}
    with pytest.raises(KubernetesError, match="'p' is not valid base64") as info:
        decode_secret({"metadata": {"name": "s"}, "data": {"p": "!!!"}})
    assert "!!!" not in str(info.value)


# ---------------------------------------------------------------- connection choice


def _service_account(tmp_path: Path, *, namespace: str = "ma") -> Path:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("t")
    (sa / "ca.crt").write_text("c")
    (sa / "namespace").write_text(namespace + "\n")
    return sa


IN_POD = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def test_in_cluster_when_the_pod_environment_is_present(tmp_path: Path) -> None:
    sa = _service_account(tmp_path)
    plan = plan_connection(
        kubeconfig=None, context=None, in_cluster=None, environ=IN_POD, service_account_dir=sa
    )
    assert (plan.mode, plan.host) == ("in-cluster", "https://10.0.0.1:443")
    assert read_namespace_file(sa) == "ma"
    ipv6 = plan_connection(
        kubeconfig=None,
        context=None,
        in_cluster=None,
        environ={"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"},
        service_account_dir=sa,
    )
    assert ipv6.host == "https://[fd00::1]:443"


def test_explicit_kubeconfig_or_env_wins_over_in_cluster(tmp_path: Path) -> None:
    sa = _service_account(tmp_path)
    config = tmp_path / "config"
    config.write_text("{}")
    explicit = plan_connection(
        kubeconfig=config, context=None, in_cluster=None, environ=IN_POD, service_account_dir=sa
    )
    assert (explicit.mode, explicit.kubeconfig) == ("kubeconfig", str(config))
    env = plan_connection(
        kubeconfig=None,
        context=None,
        in_cluster=None,
        environ={**IN_POD, "KUBECONFIG": f"/nope:{config}"},
        service_account_dir=sa,
    )
    assert (env.mode, env.kubeconfig) == ("kubeconfig", str(config))
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text("{}")
    fallback = plan_connection(
        kubeconfig=None,
        context=None,
        in_cluster=False,
        environ={**IN_POD, "HOME": str(home)},
        service_account_dir=sa,
    )
    assert fallback.kubeconfig == str(home / ".kube" / "config")
    assert "kubeconfig" in fallback.describe()


def test_a_kubeconfig_path_may_contain_a_colon(tmp_path: Path) -> None:
    # Measured (issue 10): an explicit kubeconfig path holding ":" was refused as missing.
    config = tmp_path / "cluster:prod" / "config"
    config.parent.mkdir()
    config.write_text("{}")
    plan = plan_connection(
        kubeconfig=config, context=None, in_cluster=None, environ={}, service_account_dir=tmp_path
    )
    assert (plan.mode, plan.files) == ("kubeconfig", (str(config),))
    # KUBECONFIG stays a list, as for kubectl
    other = tmp_path / "other"
    other.write_text("{}")
    listed = plan_connection(
        kubeconfig=None,
        context=None,
        in_cluster=None,
        environ={"KUBECONFIG": f"{other}:/nope"},
        service_account_dir=tmp_path,
    )
    assert listed.files == (str(other),)


def test_nothing_configured_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Kubernetes configuration") as info:
        plan_connection(
            kubeconfig=None,
            context=None,
            in_cluster=None,
            environ={"HOME": str(tmp_path)},
            service_account_dir=tmp_path / "sa",
        )
    assert "not running in a cluster" in str(info.value)
    with pytest.raises(ConfigError, match="cannot be combined"):
        plan_connection(
            kubeconfig="x", context=None, in_cluster=True, environ={}, service_account_dir=tmp_path
        )
    # the token file is what proves we are in a pod
    assert read_namespace_file(tmp_path / "missing") is None


# ---------------------------------------------------------------- patches


def test_merge_and_strategic_merge_patches() -> None:
    doc: dict[str, Any] = {
        "metadata": {"labels": {"a": "1", "b": "2"}},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "containers": [{"name": "x", "image": "i:1"}, {"name": "y", "image": "j:1"}]
                }
            },
        },
    }
    merged = apply_patch(
        doc,
        {"spec": {"replicas": 3}, "metadata": {"labels": {"b": None}}},
        "application/merge-patch+json",
    )
    assert merged["spec"]["replicas"] == 3
    assert merged["metadata"]["labels"] == {"a": "1"}
    containers = {"spec": {"template": {"spec": {"containers": [{"name": "y", "image": "j:2"}]}}}}
    replaced = apply_patch(doc, containers, "application/merge-patch+json")
    assert replaced["spec"]["template"]["spec"]["containers"] == [{"name": "y", "image": "j:2"}]
    strategic = apply_patch(
        doc, containers | {"$setElementOrder/x": []}, "application/strategic-merge-patch+json"
    )
    assert strategic["spec"]["template"]["spec"]["containers"] == [
        {"name": "x", "image": "i:1"},
        {"name": "y", "image": "j:2"},
    ]
    assert "$setElementOrder/x" not in strategic
    assert doc["spec"]["replicas"] == 1, "patching never changes its input"


def test_json_patch() -> None:
    doc = {"spec": {"replicas": 1, "list": [1, 2]}, "metadata": {"labels": {"a/b": "x"}}}
    ops = [
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/spec/list/-", "value": 3},
        {"op": "add", "path": "/spec/list/0", "value": 0},
        {"op": "remove", "path": "/metadata/labels/a~1b"},
        {"op": "copy", "from": "/spec/replicas", "path": "/spec/copy"},
        {"op": "move", "from": "/spec/copy", "path": "/spec/moved"},
    ]
    out = apply_patch(doc, ops, "application/json-patch+json; charset=utf-8")
    assert out == {
        "spec": {"replicas": 4, "list": [0, 1, 2, 3], "moved": 4},
        "metadata": {"labels": {}},
    }
    with pytest.raises(PatchError, match="test failed") as failed:
        apply_patch(
            doc,
            [{"op": "test", "path": "/spec/replicas", "value": 9}],
            "application/json-patch+json",
        )
    assert failed.value.status == 422
    with pytest.raises(PatchError, match="does not exist"):
        apply_patch(
            doc, [{"op": "replace", "path": "/nope", "value": 1}], "application/json-patch+json"
        )
    with pytest.raises(PatchError, match="unknown format") as unsupported:
        apply_patch(doc, {}, "application/yaml")
    assert unsupported.value.status == 415


# ---------------------------------------------------------------- discovery and tables


def test_discovery_documents() -> None:
    assert wants_aggregated(
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    )
    assert not wants_aggregated(
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    )
    assert not wants_aggregated("application/json, */*")
    apps = aggregated(core=False)["items"]
    assert [g["metadata"]["name"] for g in apps] == ["apps"]
    deployments = apps[0]["versions"][0]["resources"][0]
    assert deployments["resource"] == "deployments"
    assert {s["subresource"] for s in deployments["subresources"]} == {"scale", "status"}
    legacy = resource_list("apps", "v1")
    assert legacy is not None
    scale = next(r for r in legacy["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert resource_list("batch", "v1") is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 3600, "3d1h"),
        (40 * 86400, "40d"),
        (3 * 365 * 86400 + 86400, "3y1d"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_pod_table_rows() -> None:
    now = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    running = _pod("Running", ready=True) | {
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.9",
            "containerStatuses": [
                {"name": "main", "ready": True, "restartCount": 1, "state": {"running": {}}}
            ],
        }
    }
    creating = _pod("Pending") | {
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": False,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                }
            ],
        }
    }
    leaving = _pod("Running", deleting=True)
    out = table("pods", [running, creating, leaving], now=now, resource_version="7")
    cells = [row["cells"][:5] for row in out["rows"]]
    assert cells == [
        ["p-Running", "1/1", "Running", 1, "30s"],
        ["p-Pending", "0/1", "ContainerCreating", 0, "30s"],
        ["p-Running", "0/1", "Terminating", 2, "30s"],
    ]
    assert out["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    assert not wants_table("application/json")
    assert now - timedelta(seconds=30) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ({"https_proxy": "http://p:3128", "NO_PROXY": "*"}, None),
        ({"https_proxy": "http://p:3128", "no_proxy": "example.com:443"}, None),
        ({"https_proxy": "http://p:3128", "no_proxy": ".example.com"}, None),
        ({"https_proxy": "http://p:3128", "no_proxy": "other.com"}, "http://p:3128"),
        ({"HTTP_PROXY": "http://p:3128"}, None),  # the API URL is https
    ],
)
def test_environment_proxy(environ: dict[str, str], expected: str | None) -> None:
    from asyncconsole.infra.kubernetes._client_config import environment_proxy

    assert environment_proxy("https://api.example.com:443", environ) == expected
