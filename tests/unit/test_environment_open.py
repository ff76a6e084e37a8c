"""Environment: opening only what is used (subsets, dependencies, on demand), per-component
open failures in check(), and cancellation while opening."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import ConfigError, Environment, InfrastructureError
from asyncconsole.config import ClusterConfig
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.commands import FakeCommandExecutor
from asyncconsole.infra.docker import FakeDockerManager
from asyncconsole.infra.http import FakeHttpClient, HttpAuth, HttpClient
from asyncconsole.infra.kubernetes import FakeK8sManager
from asyncconsole.infra.metrics import FakeMetricsCollector
from tests.unit.test_environment import OS_ROOT, SOURCE, TARGET

K8S_BACKFILL = {"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}

EVERYTHING: dict[str, Any] = {
    "source_cluster": {**SOURCE, "proxy": {"endpoint": "http://proxy:9201"}},
    "target_cluster": TARGET,
    "snapshot": {"snapshot_name": "s1", "fs": {"repo_path": "/snapshots"}},
    "backfill": K8S_BACKFILL,
    "replay": {"docker": None},
    "metrics_source": {"prometheus": {"endpoint": "http://prometheus:9090"}},
    "metadata_migration": {"from_snapshot": None},
    "kafka": {"broker_endpoints": "k:9092", "standard": None},
}


class Opens:
    """Remembers which resources opened (and how often), by the environment's names."""

    def __init__(self) -> None:
        self.log: list[str] = []


class CountingClient(FakeHttpClient):
    def __init__(self, *args: Any, opens: Opens, label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opens = opens
        self._label = label

    async def _open(self) -> None:
        self._opens.log.append(self._label)
        await super()._open()


class CountingK8s(FakeK8sManager):
    def __init__(self, opens: Opens) -> None:
        super().__init__()
        self._opens = opens

    async def _open(self) -> None:
        self._opens.log.append("k8s")
        await super()._open()


class FailingOpen(FakeHttpClient):
    attempts = 0

    async def _open(self) -> None:
        self.attempts += 1
        raise ConnectionRefusedError("cannot open this one")


class HangingOpen(FakeHttpClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opening = asyncio.Event()

    async def _open(self) -> None:
        self.opening.set()
        await asyncio.Event().wait()


class Clients:
    """Fake cluster clients (counting opens); ``special`` maps an endpoint part to a class."""

    def __init__(self, opens: Opens, special: dict[str, type[FakeHttpClient]] | None = None):
        self.opens = opens
        self.special = special or {}
        self.built: dict[str, FakeHttpClient] = {}

    def __call__(self, config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
        label = config.endpoint.split("//")[1].split(":")[0]
        client: FakeHttpClient
        for part, cls in self.special.items():
            if part in config.endpoint:
                client = cls(base_url=config.endpoint, auth=auth, retry=False)
                break
        else:
            client = CountingClient(
                base_url=config.endpoint, auth=auth, retry=False, opens=self.opens, label=label
            )
        client.route("GET", "/", json=OS_ROOT)
        self.built[label] = client
        return client


def build(
    config: dict[str, Any], special: dict[str, type[FakeHttpClient]] | None = None
) -> tuple[Environment, Opens, Clients, CountingK8s]:
    opens = Opens()
    clients = Clients(opens, special)
    k8s = CountingK8s(opens)
    k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
    infra = Infrastructure(
        http=clients,
        k8s=k8s,
        docker=FakeDockerManager(),
        metrics=FakeMetricsCollector(),
        executor=FakeCommandExecutor(),
    )
    return Environment.from_dict(config, infra=infra), opens, clients, k8s


def opened(env: Environment) -> set[str]:
    return {name for name, _ in env.opened_resources}


# -- (b) a subset opens nothing else ------------------------------------------------------------


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        ((), set()),
        (("source_cluster",), {"source http"}),
        (("source_cluster", "target_cluster"), {"source http", "target http"}),
        (("proxy",), {"proxy http"}),
        (("snapshot",), {"source http"}),  # the snapshot is taken of the source
        (("backfill",), {"target http", "k8s"}),  # workers + the target's working state
        (("replay",), {"docker"}),
        (("metrics",), {"metrics"}),
        (("metadata",), {"source http", "target http"}),  # its executor has nothing to open
        (("kafka",), set()),
    ],
)
async def test_opening_a_subset_opens_only_its_resources(
    components: tuple[str, ...], expected: set[str]
) -> None:
    env, opens, _, _ = build(EVERYTHING)
    async with env.using(*components) as same:
        assert same is env
        assert opened(env) == expected
    counted = {"source http", "target http", "proxy http", "k8s"}
    assert {label if label == "k8s" else f"{label} http" for label in opens.log} == (
        expected & counted
    )
    assert len(opens.log) == len(set(opens.log))  # each opened once
    # everything the environment manages is closed, opened or not
    assert env.closed
    assert all(getattr(obj, "closed", True) for _, obj in env.resources)


async def test_async_with_opens_nothing_until_used() -> None:
    env, opens, clients, k8s = build(EVERYTHING)
    async with env:
        assert env.opened_resources == []
        assert opens.log == []
        assert env.target_cluster is not None
        await env.target_cluster.call_api("/")
        assert opened(env) == {"target http"}
        assert opens.log == ["target"]
    assert clients.built["target"].closed
    assert k8s.closed


# -- (c) on-demand opening of a component not opened ahead --------------------------------------


async def test_a_component_opens_on_first_use() -> None:
    env, opens, _, k8s = build(EVERYTHING)
    async with env.using("source_cluster"):
        assert opens.log == ["source"]
        assert env.backfill is not None
        await env.backfill.scale(2)  # Kubernetes was not open: it opens now, once
        await env.backfill.scale(3)
        assert opens.log == ["source", "k8s"]
        assert [c.args["replicas"] for c in k8s.calls_to("scale_deployment")] == [2, 3]
        # naming it later opens what is still missing (the target), nothing twice
        await env.open(components=["backfill"])
        assert opens.log == ["source", "k8s", "target"]
    assert k8s.closed
    assert env.closed


async def test_concurrent_first_uses_share_one_open() -> None:
    env, opens, _, _ = build({"target_cluster": TARGET})
    async with env:
        assert env.target_cluster is not None
        target = env.target_cluster
        await asyncio.gather(*(target.call_api("/") for _ in range(10)))
    assert opens.log == ["target"]


async def test_using_inside_an_open_environment_leaves_it_open() -> None:
    env, _, clients, _ = build(EVERYTHING)
    async with env:
        async with env.using("target_cluster"):
            pass
        assert not env.closed
        assert not clients.built["target"].closed
        assert opened(env) == {"target http"}
    assert clients.built["target"].closed


async def test_using_names_are_checked_before_anything_opens() -> None:
    env, opens, _, _ = build({"target_cluster": TARGET})
    with pytest.raises(ValueError, match="unknown component"):
        async with env.using("nope"):
            pytest.fail("must not run")  # pragma: no cover
    with pytest.raises(ValueError, match="not configured: backfill"):
        await env.open(components=["backfill"])
    assert opens.log == []
    # a single name as a string is one name, not its letters
    await env.open(components="target_cluster")
    assert opens.log == ["target"]
    await env.aclose()


async def test_use_after_close_is_a_clear_error() -> None:
    env, opens, _, _ = build({"target_cluster": TARGET})
    async with env:
        pass
    assert env.target_cluster is not None
    with pytest.raises(RuntimeError, match="closed"):
        await env.target_cluster.call_api("/")
    assert opens.log == []


# -- open failures ------------------------------------------------------------------------------


async def test_an_open_failure_belongs_to_the_components_using_it() -> None:
    env, opens, clients, _ = build(
        {"source_cluster": SOURCE, "target_cluster": TARGET, "backfill": K8S_BACKFILL},
        special={"target": FailingOpen},
    )
    async with env:
        assert env.source_cluster is not None
        assert env.target_cluster is not None
        await env.source_cluster.call_api("/")
        with pytest.raises(ConnectionRefusedError, match="cannot open this one"):
            await env.target_cluster.call_api("/")
        # the failure is remembered: not retried on a client that closed itself
        with pytest.raises(ConnectionRefusedError, match="cannot open this one"):
            await env.target_cluster.call_api("/")
        report = await env.check()
    assert report["source_cluster"].ok
    assert report["target_cluster"].status == "failed"
    assert "cannot open this one" in report["target_cluster"].detail
    # the backfill works on the target, so it cannot run without it either
    assert report["backfill"].status == "failed"
    assert "cannot open this one" in report["backfill"].detail
    failing = clients.built["target"]
    assert isinstance(failing, FailingOpen)
    assert failing.attempts == 1
    assert opens.log == ["source", "k8s"]  # the others opened once, for their checks
    assert all(getattr(obj, "closed", True) for _, obj in env.resources)


def _no_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    missing = tmp_path / "no-such-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    return missing


async def test_k8s_backfill_without_kubeconfig_fails_only_the_backfill(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = _no_kubeconfig(monkeypatch, tmp_path)
    config = {"source_cluster": SOURCE, "target_cluster": TARGET, "backfill": K8S_BACKFILL}
    # the real KubernetesManager, built from the config (nothing injected for Kubernetes)
    async with Environment.from_dict(config, infra=Infrastructure(http=Clients(Opens()))) as env:
        report = await env.check()
        assert env.backfill is not None
        with pytest.raises(ConfigError, match="no Kubernetes configuration found") as caught:
            await env.backfill.status()
    assert report["source_cluster"].ok, report["source_cluster"].detail
    assert report["target_cluster"].ok, report["target_cluster"].detail
    assert report["backfill"].status == "failed"
    detail = report["backfill"].detail
    assert detail.startswith("ConfigError: no Kubernetes configuration found (kubeconfig: ")
    assert str(missing) in detail
    assert report.exit_code == 1
    assert [issue.path for issue in caught.value.issues] == ["kubeconfig"]
    assert all(getattr(obj, "closed", True) for _, obj in env.resources)

    # the clusters alone never touch Kubernetes
    env = Environment.from_dict(config, infra=Infrastructure(http=Clients(Opens())))
    async with env.using("source_cluster", "target_cluster"):
        assert opened(env) == {"source http", "target http"}
    kinds = {type(obj).__name__ for _, obj in env.resources}
    assert "KubernetesManager" in kinds


# -- (d) cancellation while opening -------------------------------------------------------------


async def test_cancelled_during_a_partial_open_leaves_nothing_open() -> None:
    env, opens, clients, k8s = build(
        {"source_cluster": SOURCE, "target_cluster": TARGET, "backfill": K8S_BACKFILL},
        special={"target": HangingOpen},
    )
    hanging = clients.built["target"]
    assert isinstance(hanging, HangingOpen)

    async def use() -> None:
        async with env.using("source_cluster", "backfill"):
            pytest.fail("the block must not run")  # pragma: no cover

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(use())
        await hanging.opening.wait()
        while len(opens.log) < 2:  # the source and Kubernetes opened meanwhile
            await asyncio.sleep(0)
        task.cancel()
    assert task.cancelled()
    assert sorted(opens.log) == ["k8s", "source"]
    assert env.closed
    assert all(getattr(obj, "closed", True) for _, obj in env.resources)
    assert hanging.closed
    assert k8s.closed
    assert clients.built["source"].closed


async def test_a_check_timing_out_while_opening_reports_and_closes() -> None:
    env, _, clients, _ = build(
        {"source_cluster": SOURCE, "target_cluster": TARGET}, special={"target": HangingOpen}
    )
    async with env:
        report = await env.check(timeout=0.05)
        assert report["source_cluster"].ok
        assert report["target_cluster"].status == "timed_out"
        assert env.target_cluster is not None
        # the interrupted client closed itself: later uses say so
        with pytest.raises(InfrastructureError, match="opening it was interrupted"):
            await env.target_cluster.call_api("/")
    assert clients.built["target"].closed
    assert all(getattr(obj, "closed", True) for _, obj in env.resources)
