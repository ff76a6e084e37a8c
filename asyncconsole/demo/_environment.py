"""The demo's local migration environment: every server on 127.0.0.1 and a config file for it.

``async with DemoEnvironment() as demo:`` starts a source and a target ``FakeOpenSearchServer``
(the source loaded with :data:`~._sample.SAMPLE_INDICES`), a ``FakeKubernetesApiServer``
hosting the backfill and replay deployments, and a :class:`~._prometheus.DemoPrometheusServer`
with live metrics; it writes ``migration_services.yaml`` and a kubeconfig into its working
directory. While it is open, RFS workers make progress: simulated ones (one work item leased
per ready pod of the backfill deployment), or, with ``use_docker=True``, real busybox
containers that the backfill starts on the local Docker daemon. Closing it stops every server
and background task and removes the demo's containers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from .._clock import Clock, SystemClock
from .._resource import AsyncResource
from ._autoscale import AutoscaleDemo
from ._metrics import MetricsFeed
from ._prometheus import DemoPrometheusServer
from ._sample import SAMPLE_INDICES, sample_documents, work_item_documents, work_item_ids
from ._workers import DocumentMirror, SimulatedWorkers, docker_worker_command, ready_pods

if TYPE_CHECKING:
    from ..environment import Environment
    from ..infra.docker import DockerManager
    from ..testing import FakeKubernetesApiServer, FakeOpenSearchServer

__all__ = [
    "BACKFILL_DEPLOYMENT",
    "NAMESPACE",
    "REPLAY_DEPLOYMENT",
    "SNAPSHOT_NAME",
    "SNAPSHOT_REPO",
    "DemoEnvironment",
    "docker_unavailable_reason",
]

_log = logging.getLogger("asyncconsole.demo")

NAMESPACE = "ma"
"""Kubernetes namespace of the demo's deployments (the Migration Assistant's)."""
BACKFILL_DEPLOYMENT = "bulk-document-loader"
"""The backfill (RFS) deployment, named as in the Migration Assistant."""
REPLAY_DEPLOYMENT = "replayer"
"""The traffic replayer deployment."""
SNAPSHOT_NAME = "demo-snapshot"
"""The snapshot the demo takes of the source."""
SNAPSHOT_REPO = "demo-repo"
"""The snapshot repository on the source."""

WorkerMode = Literal["simulated", "docker"]


async def docker_unavailable_reason(timeout: float = 5.0) -> str | None:  # noqa: ASYNC109
    """Why real Docker workers cannot run here (no daemon, no static busybox), or None."""
    from ..infra.docker import DockerEngineManager
    from ..infra.docker._busybox import find_busybox

    try:
        find_busybox()
    except Exception as exc:
        return str(exc)
    try:
        async with asyncio.timeout(timeout), DockerEngineManager(connect_timeout=timeout) as docker:
            await docker.ping()
    except Exception as exc:
        return f"no Docker daemon reachable ({type(exc).__name__}: {exc})"
    return None


class DemoEnvironment(AsyncResource):
    """A complete local migration environment on loopback, for the demo, examples and notebooks.

    Args:
        workdir: Where the config file, kubeconfig and archives go (kept); default a
            temporary directory removed on close.
        use_docker: Run the backfill's workers as real containers on the local Docker daemon
            (host network, the busybox image built locally) instead of simulated ones.
        speed: Time factor (2.0 runs the workers, pod start-up and the snapshot twice as fast).
        session: The backfill session name (working-state index suffix and container label);
            default a fresh ``demo-xxxxxx``.
        clock: Time source of the servers and simulations.
        autoscale: Give the target a write capacity (a ``LoadModel``) for the autoscaled
            backfill step (:attr:`autoscale`, its settings).

    Attributes (once open):
        source, target: The ``FakeOpenSearchServer`` clusters.
        kube: The ``FakeKubernetesApiServer``.
        prometheus: The metrics endpoint.
        config_path: ``migration_services.yaml`` for this environment.
        kubeconfig_path: The kubeconfig pointing at :attr:`kube` (``KUBECONFIG``).
        worker_mode: ``"simulated"`` or ``"docker"``.
    """

    source: FakeOpenSearchServer
    target: FakeOpenSearchServer
    kube: FakeKubernetesApiServer
    prometheus: DemoPrometheusServer

    def __init__(
        self,
        *,
        workdir: str | os.PathLike[str] | None = None,
        use_docker: bool = False,
        speed: float = 1.0,
        session: str | None = None,
        clock: Clock | None = None,
        autoscale: bool = False,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, not {speed!r}")
        self.speed = speed
        self.autoscale = AutoscaleDemo(speed=speed) if autoscale else None
        self.session = session or f"demo-{secrets.token_hex(3)}"
        self.clock: Clock = clock or SystemClock()
        self.worker_mode: WorkerMode = "docker" if use_docker else "simulated"
        self._given_workdir = Path(workdir) if workdir is not None else None
        self.workdir = self._given_workdir or Path("/nonexistent-until-open")
        self._stack = contextlib.AsyncExitStack()
        self._docker: DockerManager | None = None
        self.docker_image: str | None = None
        self.documents = work_item_documents()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open" if self._opened else "not opened"
        return f"<DemoEnvironment {self.worker_mode} workers, session {self.session} ({state})>"

    # -- tuning ---------------------------------------------------------------------------------

    @property
    def seconds_per_item(self) -> float:
        """How long one worker takes per work item."""
        return 1.4 / self.speed

    @property
    def pod_start_delay(self) -> float:
        """Seconds a new pod of the fake deployments stays Pending."""
        return 1.0 / self.speed

    @property
    def snapshot_duration(self) -> float:
        """Seconds the source takes for a snapshot."""
        return 3.0 / self.speed

    @property
    def working_state_index(self) -> str:
        """``.migrations_working_state_<session>`` on the target."""
        return f".migrations_working_state_{self.session}"

    @property
    def config_path(self) -> Path:
        """The ``migration_services.yaml`` of this environment."""
        return self.workdir / "migration_services.yaml"

    @property
    def kubeconfig_path(self) -> Path:
        """The kubeconfig pointing at the fake Kubernetes API server."""
        return self.workdir / "kubeconfig"

    @property
    def archive_dir(self) -> Path:
        """Where the demo archives the backfill's working state."""
        return self.workdir / "backfill_working_state"

    @property
    def env_vars(self) -> dict[str, str]:
        """Environment variables a shell needs to use the config file (``KUBECONFIG``)."""
        return {"KUBECONFIG": str(self.kubeconfig_path)}

    # -- lifecycle ------------------------------------------------------------------------------

    async def _open(self) -> None:
        from ..testing import FakeKubernetesApiServer, FakeOpenSearchServer

        if self._given_workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="asyncconsole-demo-"))
            self._stack.callback(shutil.rmtree, self.workdir, True)
        else:
            self.workdir.mkdir(parents=True, exist_ok=True)
        self.archive_dir.mkdir(exist_ok=True)
        self.source = FakeOpenSearchServer(
            cluster_name="demo-source",
            version="7.10.2",
            distribution="elasticsearch",
            clock=self.clock,
            snapshot_duration=self.snapshot_duration,
        )
        self.target = FakeOpenSearchServer(
            cluster_name="demo-target",
            version="2.15.0",
            clock=self.clock,
            load=self.autoscale.load() if self.autoscale is not None else None,
        )
        self.kube = FakeKubernetesApiServer(converge_delay=self.pod_start_delay, clock=self.clock)
        self.prometheus = DemoPrometheusServer(clock=self.clock)
        servers: list[AsyncResource] = [self.source, self.target, self.kube, self.prometheus]
        for server in servers:
            self._stack.push_async_callback(server.aclose)
        async with asyncio.TaskGroup() as opening:
            for server in servers:
                opening.create_task(server.open())
        if self.worker_mode == "docker":
            await self._open_docker()
        self._load_sample_data()
        for name in (BACKFILL_DEPLOYMENT, REPLAY_DEPLOYMENT):
            self.kube.add_deployment(NAMESPACE, name, replicas=0, labels={"app": name})
        self.kube.write_kubeconfig(self.kubeconfig_path, namespace=NAMESPACE)
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        feed = MetricsFeed(self.prometheus, clock=self.clock)
        feed.backfill_history()
        tasks = await self._stack.enter_async_context(asyncio.TaskGroup())
        self._stack.callback(self._cancel_all, tasks)
        self._tasks: list[asyncio.Task[None]] = [
            tasks.create_task(feed.run(), name="demo metrics"),
            tasks.create_task(self._coordinate(), name="demo rfs coordinator"),
        ]
        mirror = DocumentMirror(
            self.target, self.working_state_index, self.documents, clock=self.clock
        )
        self.mirror = mirror
        self._tasks.append(tasks.create_task(mirror.run(), name="demo document mirror"))
        if self.worker_mode == "simulated":
            self.simulation = SimulatedWorkers(
                self.kube,
                self.target,
                namespace=NAMESPACE,
                selector=f"app={BACKFILL_DEPLOYMENT}",
                session=self.session,
                items_per_pod_second=1.0 / self.seconds_per_item,
                clock=self.clock,
            )
            self._tasks.append(tasks.create_task(self.simulation.run(), name="demo rfs workers"))

    def _cancel_all(self, _tasks: Any) -> None:
        for task in self._tasks:
            task.cancel()

    async def _close(self) -> None:
        await self._stack.aclose()

    async def _open_docker(self) -> None:
        from ..infra.docker import DockerEngineManager
        from ..infra.docker._busybox import ensure_busybox_image

        docker = DockerEngineManager(clock=self.clock)
        self._stack.push_async_callback(docker.aclose)
        await docker.open()
        self._docker = docker
        self.docker_image = await ensure_busybox_image(docker)
        # Registered after docker.aclose, so it runs before it: no container outlives the demo.
        self._stack.push_async_callback(self.remove_containers)

    async def remove_containers(self) -> int:
        """Remove every container of this demo's backfill session; returns how many."""
        from ..services.workers import ROLE_LABEL, SESSION_LABEL

        docker = self._docker
        if docker is None:
            return 0
        found = await docker.list_containers(
            labels={ROLE_LABEL: "backfill", SESSION_LABEL: self.session}, all=True
        )

        async def remove(container_id: str) -> None:
            with contextlib.suppress(Exception):
                await docker.remove_container(container_id, force=True)

        async with asyncio.TaskGroup() as removing:
            for container in found:
                removing.create_task(remove(container.id))
        return len(found)

    def _load_sample_data(self) -> None:
        for index in SAMPLE_INDICES:
            self.source.create_index(
                index.name,
                sample_documents(index),
                shards=index.shards,
                replicas=0,
                mappings=index.mappings,
            )

    # -- the RFS side ---------------------------------------------------------------------------

    async def workers_running(self) -> int:
        """How many backfill workers are up (ready pods, or running containers)."""
        if self._docker is not None:
            from ..infra.docker import ContainerState
            from ..services.workers import ROLE_LABEL, SESSION_LABEL

            found = await self._docker.list_containers(
                labels={ROLE_LABEL: "backfill", SESSION_LABEL: self.session}
            )
            return sum(1 for c in found if c.state is ContainerState.RUNNING)
        return ready_pods(self.kube, NAMESPACE, f"app={BACKFILL_DEPLOYMENT}")

    def seed_working_state(self) -> str:
        """Create the working-state index with one work item per shard range of the sample
        indices (what RFS's shard setup does when its first worker starts)."""
        from ..testing import WorkItem, WorkItemState

        items = []
        for item_id in work_item_ids():
            index, shard, start = item_id.split("__")
            items.append(WorkItem(index, int(shard), WorkItemState.UNCLAIMED, int(start)))
        self.mirror.copied.clear()
        # Leases of unclaimed items lie in the past (a lease ending this very second would
        # still count as held).
        return str(self.target.seed_working_state(items, session=self.session, started_ago=1.0))

    def progress(self) -> tuple[int, int]:
        """``(completed, total)`` work items, read straight from the target (no HTTP)."""
        from ._workers import work_item_counts

        completed, _, total = work_item_counts(
            self.target, self.working_state_index, self.clock.now().timestamp()
        )
        return completed, total

    async def _coordinate(self) -> None:
        """Seed the working state when workers start and none exists (RFS's shard setup)."""
        while True:
            if self.working_state_index not in self.target.index_names:
                try:
                    running = await self.workers_running()
                except Exception as exc:  # the daemon hiccuped: try again next round
                    _log.debug("counting demo workers failed: %s", exc)
                    running = 0
                if running:
                    self.seed_working_state()
            await self.clock.sleep(0.5 if self._docker is not None else 0.25)

    # -- configuration --------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """``migration_services.yaml`` of this environment, as a dict."""
        if self.worker_mode == "docker":
            assert self.docker_image is not None
            deployment: Mapping[str, Any] = {
                "docker": {
                    "image": self.docker_image,
                    "command": docker_worker_command(
                        self.target.url, self.session, seconds_per_item=self.seconds_per_item
                    ),
                }
            }
        else:
            deployment = {"k8s": {"namespace": NAMESPACE, "deployment_name": BACKFILL_DEPLOYMENT}}
        return {
            "source_cluster": {"endpoint": self.source.url, "no_auth": None},
            "target_cluster": {"endpoint": self.target.url, "no_auth": None},
            "metrics_source": {"prometheus": {"endpoint": self.prometheus.url}},
            "backfill": {
                "reindex_from_snapshot": {
                    "snapshot_name": SNAPSHOT_NAME,
                    "snapshot_repo": SNAPSHOT_REPO,
                    "backfill_session_name": self.session,
                    "scale": 2,
                    **deployment,
                }
            },
            "replay": {
                "k8s": {"namespace": NAMESPACE, "deployment_name": REPLAY_DEPLOYMENT},
                "scale": 1,
            },
            "snapshot": {
                "snapshot_name": SNAPSHOT_NAME,
                "snapshot_repo_name": SNAPSHOT_REPO,
                "fs": {"repo_path": str(self.workdir / "snapshots")},
            },
        }

    def environment(self) -> Environment:
        """An :class:`~asyncconsole.Environment` from :attr:`config_path` with the real clients
        (``AiohttpClient``, ``KubernetesManager`` on :attr:`kubeconfig_path`,
        ``DockerEngineManager``, ``PrometheusMetricsCollector``); open it with ``async with``."""
        from ..environment import Environment, Infrastructure
        from ..infra.kubernetes import KubernetesManager

        k8s = KubernetesManager(kubeconfig=self.kubeconfig_path, namespace=NAMESPACE)
        return Environment.from_file(self.config_path, infra=Infrastructure(k8s=k8s))
