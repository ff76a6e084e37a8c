"""``kafka dump-topic-records``: a one-shot pod of the traffic replayer in dump mode.

The replayer's dump modes read a topic without a consumer group (nothing is committed, the
live replayer's offsets stay untouched), print the records and exit. console_link ran the pod
with ``kubectl apply``, ``wait``, ``logs -f`` and ``delete``; here the same steps go through
the :class:`~asyncconsole.infra.kubernetes.K8sManager`, and the pod is deleted on every way
out (failure, timeout, cancellation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..._display import DisplayMixin, Table, fields
from ..._errors import (
    ConfigError,
    ConfigIssue,
    KubernetesConflictError,
    KubernetesNotFoundError,
    OperationTimeoutError,
)
from ...config import KafkaConfig
from ...infra.kubernetes import K8sManager, PodInfo, PodPhase

__all__ = [
    "DUMP_CONTAINER",
    "DUMP_MODES",
    "DUMP_POD_TIMEOUT",
    "DUMP_TOPIC",
    "IMAGE_CONFIG_MAP",
    "IMAGE_KEY",
    "PULL_POLICY_KEY",
    "SCRAM_PASSWORD_ENV",
    "TopicDump",
    "TopicDumpResult",
    "dump_pod_manifest",
    "dump_pod_name",
]

_log = logging.getLogger("asyncconsole.services.kafka")

DUMP_TOPIC = "capture-proxy"
"""The topic ``dump-topic-records`` reads by default (the capture proxy's)."""
DUMP_MODES = ("dump-raw", "dump-http", "dump-both")
"""The replayer's dump modes: raw records, reconstructed HTTP traffic, or both."""
DUMP_POD_TIMEOUT = 600.0
"""Seconds the dump pod may take to become ready (image pull included)."""
DUMP_CONTAINER = "kafka-dump"
"""The dump pod's one container."""
IMAGE_CONFIG_MAP = "migration-image-config"
"""The Migration Assistant's ConfigMap naming its images."""
IMAGE_KEY = "trafficReplayerImage"
"""Its key holding the traffic replayer image."""
PULL_POLICY_KEY = "trafficReplayerPullPolicy"
"""Its key holding the replayer's pull policy (``IfNotPresent`` when absent)."""
SCRAM_PASSWORD_ENV = "TRAFFIC_REPLAYER_KAFKA_TRAFFIC_PASSWORD"
"""The variable the replayer reads the SCRAM password from (set from a Secret, never argv)."""

_AUTH_MOUNT = "/config/kafka-auth"
_CA_MOUNT = "/config/kafka-ca"
_SETTLE_TIMEOUT = 30.0  # after the log ends, how long the pod may take to report its phase


def dump_pod_name(topic: str) -> str:
    """``kafka-dump-<topic, DNS-safe, 30 chars at most>-<6 random hex digits>``."""
    safe = re.sub(r"[^a-z0-9-]+", "-", topic.lower())[:30].strip("-") or "topic"
    return f"kafka-dump-{safe}-{secrets.token_hex(3)}"


def strimzi_cluster(config: KafkaConfig) -> str | None:
    """The Kafka cluster's name as the Migration Assistant's Strimzi deployment names it:
    from a ``<cluster>-migration-app`` SCRAM user, else a ``<cluster>-kafka-bootstrap`` host."""
    scram = config.scram
    if scram is not None and scram.username.endswith("-migration-app"):
        return scram.username.removesuffix("-migration-app") or None
    host = config.broker_endpoints.split(",")[0].strip().split(":")[0]
    if "-kafka-bootstrap" in host:
        return host.split("-kafka-bootstrap")[0] or None
    return None


def dump_pod_manifest(
    config: KafkaConfig,
    *,
    pod_name: str,
    namespace: str,
    image: str,
    topic: str,
    mode: str,
    pull_policy: str = "IfNotPresent",
    start_offset: int | None = None,
    end_offset: int | None = None,
    start_time: int | None = None,
    end_time: int | None = None,
    kafka_auth_config_map: str | None = None,
) -> dict[str, Any]:
    """The dump pod (a pure function: no cluster calls).

    Its container runs the replayer image with ``--mode M --kafka-traffic-brokers B
    --kafka-traffic-topic T``, then the auth flavour's arguments (MSK: ``--kafkaAuthType
    msk-iam``; SCRAM: ``--kafkaAuthType scram-sha-512 --kafkaUserName U``, the password in
    :data:`SCRAM_PASSWORD_ENV` from the Secret ``<cluster>-migration-app``, and with
    ``kafka_auth_config_map`` its ``client.properties`` mounted and passed as
    ``--kafka-traffic-property-file``, the CA from ``<cluster>-cluster-ca-cert``; standard:
    nothing), then ``--start-offset``, ``--end-offset``, ``--start-time``, ``--end-time`` when
    given. ``restartPolicy: Never``; labelled ``app: kafka-dump``.

    Raises:
        ConfigError: SCRAM, and the cluster name (so the Secret) cannot be told.
    """
    args = ["--mode", mode, "--kafka-traffic-brokers", config.broker_endpoints]
    args += ["--kafka-traffic-topic", topic]
    container: dict[str, Any] = {
        "name": DUMP_CONTAINER,
        "image": image,
        "imagePullPolicy": pull_policy,
        "args": args,
    }
    volumes: list[dict[str, Any]] = []
    kind = config.auth_kind
    if kind == "msk":
        args += ["--kafkaAuthType", "msk-iam"]
    elif kind == "scram":
        scram = config.scram
        assert scram is not None  # the config model guarantees it
        cluster = strimzi_cluster(config)
        if cluster is None:
            raise ConfigError(
                "cannot tell which Secret holds the SCRAM password for the dump pod",
                [
                    ConfigIssue(
                        "kafka.scram.username",
                        "expected a '<cluster>-migration-app' user or a "
                        "'<cluster>-kafka-bootstrap' broker host",
                    )
                ],
            )
        args += ["--kafkaAuthType", "scram-sha-512", "--kafkaUserName", scram.username]
        container["env"] = [
            {
                "name": SCRAM_PASSWORD_ENV,
                "valueFrom": {
                    "secretKeyRef": {"name": f"{cluster}-migration-app", "key": "password"}
                },
            }
        ]
        if kafka_auth_config_map:
            args += ["--kafka-traffic-property-file", f"{_AUTH_MOUNT}/client.properties"]
            volumes = [
                {"name": "kafka-auth-config", "configMap": {"name": kafka_auth_config_map}},
                {"name": "kafka-ca", "secret": {"secretName": f"{cluster}-cluster-ca-cert"}},
            ]
            container["volumeMounts"] = [
                {"name": "kafka-auth-config", "mountPath": _AUTH_MOUNT, "readOnly": True},
                {"name": "kafka-ca", "mountPath": _CA_MOUNT, "readOnly": True},
            ]
    for flag, value in (
        ("--start-offset", start_offset),
        ("--end-offset", end_offset),
        ("--start-time", start_time),
        ("--end-time", end_time),
    ):
        if value is not None:
            args += [flag, str(value)]
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name,
            "namespace": namespace,
            "labels": {
                "app": "kafka-dump",
                "app.kubernetes.io/managed-by": "asyncconsole",
                "migrations.opensearch.org/task": "kafka-dump",
            },
            # the dump reads to the end of the log in one go: no node consolidation meanwhile
            "annotations": {"karpenter.sh/do-not-disrupt": "true"},
        },
        "spec": spec,
    }


def check_dump_arguments(
    topic: str,
    mode: str,
    bounds: Mapping[str, int | None],
    pod_timeout: float,
) -> None:
    """Bad arguments fail before anything is created."""
    if not isinstance(topic, str) or not topic:
        raise ValueError(f"topic must be a non-empty string, got {topic!r}")
    if mode not in DUMP_MODES:
        raise ValueError(f"mode must be one of {', '.join(DUMP_MODES)}, got {mode!r}")
    for name, value in bounds.items():
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if not pod_timeout > 0:
        raise ValueError(f"pod_timeout must be positive, got {pod_timeout!r}")


class TopicDump:
    """A running dump pod (from :meth:`Kafka.open_topic_dump
    <asyncconsole.services.kafka.Kafka.open_topic_dump>`): what it runs, and its output."""

    def __init__(
        self,
        k8s: K8sManager,
        *,
        namespace: str,
        pod: PodInfo,
        image: str,
        topic: str,
        mode: str,
        manifest: Mapping[str, Any],
    ) -> None:
        self._k8s = k8s
        self.namespace = namespace
        """The pod's namespace."""
        self.pod = pod
        """The pod as it was when ready (or when it ended, if it ended first)."""
        self.image = image
        """The replayer image it runs."""
        self.topic = topic
        """The topic it reads."""
        self.mode = mode
        """Its ``--mode``."""
        self.manifest = manifest
        """The manifest it was created from."""

    @property
    def name(self) -> str:
        """The pod's name."""
        return self.pod.name

    def __repr__(self) -> str:
        return f"<TopicDump {self.namespace}/{self.name} topic={self.topic!r} mode={self.mode}>"

    async def lines(self) -> AsyncIterator[str]:
        """The pod's output line by line as it is written (each container's in turn; the
        dump pod has one), until the dump ends (``kubectl logs -f --all-containers``)."""
        for container in self.pod.containers or (DUMP_CONTAINER,):
            stream = self._k8s.follow_pod_logs(self.namespace, self.name, container=container)
            try:
                async for line in stream:
                    yield line
            finally:
                await stream.aclose()  # type: ignore[attr-defined]

    async def outcome(self) -> PodInfo:
        """The pod once its containers have stopped (``Succeeded`` or ``Failed``); the last
        state seen if it reports none within 30 s."""
        try:
            return await self._k8s.wait_for_pod(
                self.namespace, self.name, condition="Succeeded", timeout=_SETTLE_TIMEOUT
            )
        except OperationTimeoutError:
            found = await self._k8s.list_pods(
                self.namespace, field_selector=f"metadata.name={self.name}"
            )
            return found[0] if found else self.pod


@dataclass(frozen=True, slots=True)
class TopicDumpResult(DisplayMixin):
    """A finished dump: where it ran and what it printed."""

    topic: str
    mode: str
    namespace: str
    pod: str
    image: str
    phase: PodPhase
    """The pod's phase at the end (``Succeeded``; a ``Failed`` pod raises)."""
    lines: tuple[str, ...] = field(default=(), repr=False)
    """The output lines (empty when they were only handed to ``on_line``)."""
    line_count: int = 0
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``topic``, ``mode``, ``namespace``, ``pod``, ``image``, ``phase``,
        ``line_count``, ``lines``, ``duration``."""
        return {
            "topic": self.topic,
            "mode": self.mode,
            "namespace": self.namespace,
            "pod": self.pod,
            "image": self.image,
            "phase": self.phase.value,
            "line_count": self.line_count,
            "lines": list(self.lines),
            "duration": self.duration,
        }

    def _display_tables(self) -> Table:
        return fields(
            [
                ("Topic", self.topic),
                ("Mode", self.mode),
                ("Pod", f"{self.namespace}/{self.pod}"),
                ("Image", self.image),
                ("Phase", self.phase.value),
                ("Lines", self.line_count),
                ("Duration", f"{self.duration:.2f} s"),
            ],
            title="Kafka topic dump",
        )


async def remove_pod(k8s: K8sManager, namespace: str, name: str) -> None:
    """``kubectl delete pod --ignore-not-found --wait=false``, finished even if the caller is
    cancelled meanwhile (then the cancellation goes on); a failure is logged, never raised
    over the error that brought us here."""

    async def delete() -> None:
        try:
            await k8s.delete_pod(namespace, name, wait=False)
        except KubernetesNotFoundError:
            pass
        except Exception:
            _log.warning("could not delete the dump pod %s/%s", namespace, name, exc_info=True)
        else:
            _log.info("deleted the dump pod %s/%s", namespace, name)

    await _shielded(delete())


async def _shielded(aw: Awaitable[None]) -> None:
    task = asyncio.ensure_future(aw)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    task.result()


@contextlib.asynccontextmanager
async def running_dump_pod(
    k8s: K8sManager,
    *,
    namespace: str,
    manifest: Mapping[str, Any],
    image: str,
    topic: str,
    mode: str,
    pod_timeout: float,
) -> AsyncIterator[TopicDump]:
    """Create the pod, wait until it is ready (or already ended), yield it; delete it on the
    way out, however that is."""
    name = str(manifest["metadata"]["name"])
    ours = True
    try:
        try:
            pod = await k8s.create_pod(namespace, manifest)
        except KubernetesConflictError:
            ours = False  # a pod of that name is someone else's: leave it alone
            raise
        _log.info("dump pod %s/%s created (image %s)", namespace, name, image)
        pod = await k8s.wait_for_pod(namespace, name, condition="Ready", timeout=pod_timeout)
        yield TopicDump(
            k8s,
            namespace=namespace,
            pod=pod,
            image=image,
            topic=topic,
            mode=mode,
            manifest=manifest,
        )
    finally:
        if ours:
            await remove_pod(k8s, namespace, name)


def ended_badly(pod: PodInfo) -> bool:
    """Whether the dump pod failed."""
    return pod.phase is PodPhase.FAILED


def bounds_text(bounds: Mapping[str, int | None]) -> str:
    """``start-offset=5, end-time=9`` for what is set."""
    return ", ".join(f"{k.replace('_', '-')}={v}" for k, v in bounds.items() if v is not None)


def container_args(manifest: Mapping[str, Any]) -> Sequence[str]:
    """The dump container's arguments."""
    return tuple(manifest["spec"]["containers"][0]["args"])
