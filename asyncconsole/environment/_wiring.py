"""From config to services: console_link's construction order, with the infrastructure each
service needs injected or built (lazily imported; nothing connects here), and a record of
which resources each component uses so that it can be opened alone."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from .._clock import Clock
from .._errors import ConfigError, ConfigIssue
from ._auth import cluster_auth, secret_region
from ._infra import HttpClientFactory, Infrastructure, aiohttp_client_factory
from ._resources import Resources

if TYPE_CHECKING:
    from ..config import ClusterConfig, DeployedConfig, MigrationConfig
    from ..infra.commands import CommandExecutor
    from ..infra.docker import DockerManager
    from ..infra.ecs import ECSManager
    from ..infra.http import HttpAuth
    from ..infra.kubernetes import K8sManager
    from ..infra.metrics import MetricsCollector
    from ..infra.s3 import ObjectStore
    from ..infra.secrets import SecretStore
    from ..services.backfill import Backfill
    from ..services.clusters import Cluster
    from ..services.kafka import Kafka
    from ..services.metadata import MetadataMigration
    from ..services.metrics import MetricsService
    from ..services.replay import Replay
    from ..services.snapshot import Snapshot
    from ..services.workers import WorkerDeployment

__all__ = ["Built", "Wiring"]

T = TypeVar("T")
Role: TypeAlias = Literal["backfill", "replay"]


@dataclass
class Built:
    """The services of one environment (``None`` where not configured)."""

    source_cluster: Cluster | None = None
    target_cluster: Cluster | None = None
    proxy: Cluster | None = None
    snapshot: Snapshot | None = None
    backfill: Backfill | None = None
    replay: Replay | None = None
    metrics: MetricsService | None = None
    metadata: MetadataMigration | None = None
    kafka: Kafka | None = None


class Wiring:
    """Builds the services in console_link's order (§1.1 of the reference):

    client_options, source (and its proxy), target, metrics, backfill (needs the target),
    replay, snapshot (bound to the source), metadata (target, source, snapshot), kafka.
    Nothing is connected, and no file or directory is made (console_link's Metadata made a
    temporary directory and its SCRAM Kafka a properties file in their constructors).
    ``client_options`` reach the clusters, the replayer, the backfill and the metrics source
    (and, here, every other AWS client too). Every problem becomes a :class:`ConfigIssue`
    with its key path, and all of them are raised together.

    Services get each managed resource as an on-demand view (see :class:`Resources`).
    ``uses[component]`` lists the resources a component's own objects call, and
    ``depends[component]`` the components it calls (backfill: the target; snapshot: the
    source; metadata: target and source), so the environment can open a component alone.
    """

    def __init__(
        self, config: MigrationConfig, infra: Infrastructure, clock: Clock, resources: Resources
    ) -> None:
        self.config = config
        self.infra = infra
        self.clock = clock
        self.resources = resources
        self.issues: list[ConfigIssue] = []
        self.uses: dict[str, list[Any]] = {}
        self.depends: dict[str, tuple[str, ...]] = {}
        self._recording: list[Any] | None = None
        options = config.client_options
        self.user_agent_extra = options.user_agent_extra if options is not None else None
        self._http_factory: HttpClientFactory | None = infra.http
        self._docker: dict[str | None, tuple[str, DockerManager]] = {}
        self._ecs: dict[str | None, ECSManager] = {}
        self._k8s: K8sManager | None = None
        self._secret_stores: dict[str | None, SecretStore] = {}
        self._secret_managers: dict[str | None, SecretStore] = {}
        self._executor: CommandExecutor | None = None
        self._object_stores: dict[tuple[str | None, str | None], ObjectStore] = {}
        if infra.manage_injected:
            for name in ("executor", "docker", "k8s", "ecs", "metrics", "secrets", "object_store"):
                injected = getattr(infra, name)
                if injected is not None:
                    resources.add(name, injected)

    # -- helpers -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _component(self, name: str, *, depends: tuple[str, ...] = ()) -> Iterator[None]:
        """Record the resources used meanwhile as ``name``'s."""
        self.depends[name] = depends
        self._recording = self.uses.setdefault(name, [])
        try:
            yield
        finally:
            self._recording = None

    def _record(self, objects: list[Any]) -> None:
        recording = self._recording
        if recording is not None:
            recording.extend(o for o in objects if not any(o is seen for seen in recording))

    def _managed(self, name: str, obj: T) -> T:
        """``obj`` managed by the environment, recorded for the component being built, as the
        on-demand view services hold."""
        self.resources.add(name, obj)
        self._record([obj])
        return self.resources.on_demand(obj)

    def _injected(self, name: str, obj: T) -> T:
        # The caller's own (manage_injected=False) is used as given: they opened it.
        return self._managed(name, obj) if self.infra.manage_injected else obj

    def _step(self, path: str, build: Callable[[], T]) -> T | None:
        try:
            return build()
        except ConfigError as exc:
            if exc.issues:
                self.issues.extend(
                    issue if issue.path else ConfigIssue(path, issue.message)
                    for issue in exc.issues
                )
            else:
                self.issues.append(ConfigIssue(path, exc.message))
        except ValueError as exc:
            self.issues.append(ConfigIssue(path, str(exc)))
        return None

    def build(self) -> Built:
        """Every configured service; raises one :class:`ConfigError` listing every problem."""
        config = self.config
        built = Built()
        if config.source_cluster is not None:
            source_config = config.source_cluster
            with self._component("source_cluster"):
                source_auth = self._step("source_cluster", lambda: self._auth(source_config))
                # what the auth reads credentials with (a secret store, Kubernetes)
                source_auth_uses = list(self.uses["source_cluster"])
                built.source_cluster = self._step(
                    "source_cluster", lambda: self._cluster(source_config, source_auth, "source")
                )
            proxy_config = config.proxy
            if proxy_config is not None:
                with self._component("proxy"):
                    # The proxy inherits the source's auth; basic credentials (and so a secret)
                    # are shared, SigV4 is signed for the source's endpoint.
                    if proxy_config.auth_kind == "basic_auth":
                        proxy_auth = source_auth
                        self._record(source_auth_uses)
                    else:
                        proxy_auth = self._step(
                            "source_cluster.proxy", lambda: self._auth(proxy_config)
                        )
                    built.proxy = self._step(
                        "source_cluster.proxy",
                        lambda: self._cluster(proxy_config, proxy_auth, "proxy"),
                    )
        if config.target_cluster is not None:
            target_config = config.target_cluster
            with self._component("target_cluster"):
                built.target_cluster = self._step(
                    "target_cluster",
                    lambda: self._cluster(target_config, self._auth(target_config), "target"),
                )
        if config.metrics_source is not None:
            with self._component("metrics"):
                built.metrics = self._step("metrics_source", self._metrics)
        if config.backfill is not None:
            with self._component("backfill", depends=("target_cluster",)):
                built.backfill = self._step(
                    "backfill", lambda: self._backfill(built.target_cluster)
                )
        if config.replay is not None:
            with self._component("replay"):
                built.replay = self._step("replay", self._replay)
        if config.snapshot is not None:
            with self._component("snapshot", depends=("source_cluster",)):
                built.snapshot = self._step(
                    "snapshot", lambda: self._snapshot(built.source_cluster)
                )
        if config.metadata_migration is not None:
            with self._component("metadata", depends=("target_cluster", "source_cluster")):
                built.metadata = self._step(
                    "metadata_migration",
                    lambda: self._metadata(built.target_cluster, built.source_cluster),
                )
        if config.kafka is not None:
            with self._component("kafka"):
                built.kafka = self._step("kafka", self._kafka)
        if self.issues:
            raise ConfigError("Invalid configuration", self.issues)
        return built

    # -- infrastructure ----------------------------------------------------------------------

    def _auth(self, config: ClusterConfig) -> HttpAuth | None:
        k8s_secret = (
            config.auth_kind == "basic_auth"
            and config.basic_auth is not None
            and config.basic_auth.credential_source == "k8s_secret"
        )
        # Built now (not on the first request) so that it is one of the cluster's resources.
        k8s = self._kubernetes() if k8s_secret else None
        return cluster_auth(
            config,
            secret_store=self._secret_store,
            k8s=(lambda: k8s) if k8s is not None else self._kubernetes,
            k8s_namespace=self.infra.k8s_secret_namespace,
            clock=self.infra.clock,
        )

    def _http(self, config: ClusterConfig, auth: HttpAuth | None, name: str) -> Any:
        factory = self._http_factory
        if factory is None:
            factory = self._http_factory = aiohttp_client_factory(
                user_agent_extra=self.user_agent_extra, clock=self.infra.clock
            )
        return self._managed(f"{name} http", factory(config, auth))

    def _secret_store(self, secret_id: str) -> SecretStore:
        from ..infra.secrets import CachedSecretStore

        region = None if self.infra.secrets is not None else secret_region(secret_id)
        inner = self.infra.secrets
        if inner is None:
            from ..infra.secrets import AwsSecretsManager

            name = f"secretsmanager {region or 'default'}"
            built = self._secret_managers.get(region)
            if built is None:
                built = self._secret_managers[region] = AwsSecretsManager(
                    region=region,
                    endpoint_url=self.infra.aws_endpoint_url,
                    user_agent_extra=self.user_agent_extra,
                    clock=self.infra.clock,
                )
            view = self._managed(name, built)
        else:
            view = self._injected("secrets", inner)
        store = self._secret_stores.get(region)
        if store is None:
            cached = isinstance(inner, CachedSecretStore)
            store = view if cached else CachedSecretStore(view)
            self._secret_stores[region] = store
        return store

    def _kubernetes(self) -> K8sManager:
        if self.infra.k8s is not None:
            return self._injected("k8s", self.infra.k8s)
        k8s = self._k8s
        if k8s is None:
            from ..infra.kubernetes import KubernetesManager

            k8s = self._k8s = KubernetesManager(kubeconfig=self.infra.kubeconfig)
        return self._managed("kubernetes", k8s)

    def _docker_manager(self, socket: str | None) -> DockerManager:
        if self.infra.docker is not None:
            return self._injected("docker", self.infra.docker)
        found = self._docker.get(socket)
        if found is None:
            from ..infra.docker import DockerEngineManager

            engine = DockerEngineManager(socket, clock=self.infra.clock)
            found = self._docker[socket] = (f"docker {engine.url}", engine)
        return self._managed(*found)

    def _ecs_manager(self, region: str | None) -> ECSManager:
        if self.infra.ecs is not None:
            return self._injected("ecs", self.infra.ecs)
        ecs = self._ecs.get(region)
        if ecs is None:
            from ..infra.ecs import AwsECSManager

            ecs = self._ecs[region] = AwsECSManager(
                region=region,
                endpoint_url=self.infra.aws_endpoint_url,
                user_agent_extra=self.user_agent_extra,
                clock=self.infra.clock,
            )
        return self._managed(f"ecs {region or 'default'}", ecs)

    def _command_executor(self) -> CommandExecutor:
        if self.infra.executor is not None:
            return self._injected("executor", self.infra.executor)
        executor = self._executor
        if executor is None:
            from ..infra.commands import SubprocessExecutor

            executor = self._executor = SubprocessExecutor()
        return self._managed("executor", executor)

    def _collector(self) -> MetricsCollector:
        if self.infra.metrics is not None:
            return self._injected("metrics", self.infra.metrics)
        source = self.config.metrics_source
        assert source is not None
        collector: MetricsCollector
        if source.prometheus is not None:
            from ..infra.metrics import PrometheusMetricsCollector

            collector = PrometheusMetricsCollector(
                source.prometheus.endpoint,
                user_agent_extra=self.user_agent_extra,
                clock=self.infra.clock,
            )
        else:
            cloudwatch = source.cloudwatch
            assert cloudwatch is not None
            from ..infra.metrics import CloudWatchMetricsCollector

            collector = CloudWatchMetricsCollector(
                region=cloudwatch.aws_region,
                qualifier=cloudwatch.qualifier,
                endpoint_url=self.infra.aws_endpoint_url,
                user_agent_extra=self.user_agent_extra,
                clock=self.infra.clock,
            )
        return self._managed(f"metrics {source.kind}", collector)

    def _workers(self, deployed: DeployedConfig, *, role: Role, session: str) -> WorkerDeployment:
        from ..config import DockerDeploymentConfig, ECSDeploymentConfig
        from ..services.workers import build_workers

        deployment = deployed.deployment
        if isinstance(deployment, DockerDeploymentConfig):
            return build_workers(
                deployment,
                role=role,
                session=session,
                docker=self._docker_manager(deployment.socket),
            )
        if isinstance(deployment, ECSDeploymentConfig):
            return build_workers(
                deployment, role=role, session=session, ecs=self._ecs_manager(deployment.aws_region)
            )
        return build_workers(deployment, role=role, session=session, k8s=self._kubernetes())

    # -- services ----------------------------------------------------------------------------

    def _cluster(self, config: ClusterConfig, auth: HttpAuth | None, name: str) -> Cluster:
        from ..services.clusters import Cluster

        return Cluster(config, self._http(config, auth, name), name=name, clock=self.infra.clock)

    def _metrics(self) -> MetricsService:
        from ..services.metrics import MetricsService

        return MetricsService(self._collector(), clock=self.infra.clock)

    def _backfill(self, target: Cluster | None) -> Backfill:
        if target is None:
            raise ConfigError(
                "Invalid configuration",
                [ConfigIssue("backfill", "target_cluster must be provided for RFS backfill")],
            )
        from ..services.backfill import Backfill

        backfill = self.config.backfill
        assert backfill is not None
        rfs = backfill.rfs
        workers = self._workers(
            rfs, role="backfill", session=rfs.backfill_session_name or DEFAULT_SESSION
        )
        stream_config = rfs.failed_document_stream
        stream = None
        session = rfs.failed_document_stream_session
        if stream_config is not None and session is not None:
            from ..services.backfill import FailedDocumentStream

            store = self._object_store(stream_config.s3_region, stream_config.s3_endpoint)
            stream = FailedDocumentStream(stream_config, store, session=session)
        return Backfill(backfill, target, workers, clock=self.infra.clock, failed_documents=stream)

    def _object_store(self, region: str | None, endpoint: str | None) -> ObjectStore:
        """The injected object store, else one ``AwsS3Store`` per region and endpoint."""
        if self.infra.object_store is not None:
            return self._injected("object_store", self.infra.object_store)
        from ..infra.s3 import AwsS3Store

        endpoint = endpoint or self.infra.aws_endpoint_url
        key = (region, endpoint)
        store = self._object_stores.get(key)
        if store is None:
            store = self._object_stores[key] = AwsS3Store(
                region=region,
                endpoint_url=endpoint,
                user_agent_extra=self.user_agent_extra,
                clock=self.infra.clock,
            )
        return self._managed(f"s3 {region or 'default'} {endpoint or 'aws'}", store)

    def _replay(self) -> Replay:
        from ..services.replay import Replay

        replay = self.config.replay
        assert replay is not None
        workers = self._workers(replay, role="replay", session=DEFAULT_SESSION)
        return Replay(replay, workers, clock=self.infra.clock)

    def _snapshot(self, source: Cluster | None) -> Snapshot:
        from ..services.snapshot import Snapshot

        snapshot = self.config.snapshot
        assert snapshot is not None
        return Snapshot(snapshot, source, clock=self.infra.clock)

    def _metadata(self, target: Cluster | None, source: Cluster | None) -> MetadataMigration:
        from ..services.metadata import MetadataMigration

        metadata = self.config.metadata_migration
        assert metadata is not None
        extra: dict[str, Any] = {}
        if self.infra.metadata_tool is not None:
            extra["tool_path"] = self.infra.metadata_tool
        # Like console_link, a missing target only fails when the migration runs.
        return MetadataMigration(
            metadata,
            target=target,
            source=source,
            snapshot=self.config.snapshot,
            executor=self._command_executor(),
            **extra,
        )

    def _kafka(self) -> Kafka:
        from ..services.kafka import Kafka

        kafka = self.config.kafka
        assert kafka is not None
        k8s, namespace = self._kafka_kubernetes()
        return Kafka(
            kafka,
            executor=self._command_executor(),
            tools_home=self.infra.kafka_tools_home,
            clock=self.infra.clock,
            k8s=k8s,
            namespace=namespace,
        )

    def _kafka_kubernetes(self) -> tuple[K8sManager | None, str | None]:
        """The cluster (and namespace) of ``kafka dump-topic-records``'s pod: the environment's
        Kubernetes when a ``k8s`` deployment is configured, one is injected or a kubeconfig /
        service account is found. Not one of the kafka component's resources: the Kafka tools
        never use it, so it opens only when a dump runs."""
        from ..config import K8sDeploymentConfig

        deployed: list[DeployedConfig | None] = [self.config.replay]
        if self.config.backfill is not None:
            deployed.append(self.config.backfill.reindex_from_snapshot)
        namespaces = [
            d.deployment.namespace
            for d in deployed
            if d is not None and isinstance(d.deployment, K8sDeploymentConfig)
        ]
        if (
            not namespaces
            and self.infra.k8s is None
            and self.infra.kubeconfig is None
            and not _kubeconfig_available()
        ):
            return None, None
        recording, self._recording = self._recording, None
        try:
            k8s = self._kubernetes()
        finally:
            self._recording = recording
        return k8s, (namespaces[0] if namespaces else None)


DEFAULT_SESSION = "default"
"""Docker workers' session label when the config names none."""


def _kubeconfig_available() -> bool:
    """Whether a ``KubernetesManager`` would find credentials: ``KUBECONFIG``, a pod's
    service account, or ``~/.kube/config``."""
    if os.environ.get("KUBECONFIG") or os.environ.get("KUBERNETES_SERVICE_HOST"):
        return True
    return os.path.isfile(os.path.join(os.path.expanduser("~"), ".kube", "config"))
