"""``Kafka.open_topic_dump`` and ``Kafka.dump_topic_records``: the replayer's topic dump in a
one-shot Kubernetes pod, followed and then deleted however the block is left."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from ..._errors import (
    ConfigError,
    ConfigIssue,
    KafkaCommandError,
    KubernetesNotFoundError,
)
from ..._observe import observe
from ._dump import (
    DUMP_POD_TIMEOUT,
    DUMP_TOPIC,
    IMAGE_CONFIG_MAP,
    IMAGE_KEY,
    PULL_POLICY_KEY,
    TopicDump,
    TopicDumpResult,
    bounds_text,
    check_dump_arguments,
    container_args,
    dump_pod_manifest,
    dump_pod_name,
    ended_badly,
    running_dump_pod,
)

if TYPE_CHECKING:
    from ._kafka import Kafka

__all__ = ["DUMP_OPERATION", "dump_topic_records", "open_topic_dump"]

_log = logging.getLogger("asyncconsole.services.kafka")

DUMP_OPERATION = "Dump Topic Records"


@contextlib.asynccontextmanager
async def open_topic_dump(
    self: Kafka,
    topic: str = DUMP_TOPIC,
    *,
    mode: str = "dump-both",
    start_offset: int | None = None,
    end_offset: int | None = None,
    start_time: int | None = None,
    end_time: int | None = None,
    namespace: str | None = None,
    pod_timeout: float = DUMP_POD_TIMEOUT,
    kafka_auth_config_map: str | None = None,
) -> AsyncIterator[TopicDump]:
    """Run the traffic replayer's dump of a topic in a one-shot pod::

        async with kafka.open_topic_dump("capture-proxy", mode="dump-http") as dump:
            async for line in dump.lines():
                print(line)

    Reads the replayer image from the ConfigMap ``migration-image-config`` (key
    ``trafficReplayerImage``, pull policy ``trafficReplayerPullPolicy``), creates the pod
    of :func:`~asyncconsole.services.kafka.dump_pod_manifest` and waits until it is ready
    (or has already ended) before entering the block. The pod is deleted when the block is
    left, however: normally, on an error, a timeout or cancellation (``kubectl delete
    --ignore-not-found --wait=false``). The dump reads without a consumer group, so the
    replayer's offsets are untouched.

    Args:
        topic: The topic to read.
        mode: ``dump-raw``, ``dump-http`` or ``dump-both``.
        start_offset: First offset to read (each partition).
        end_offset: Offset to stop at.
        start_time: Passed to the replayer's ``--start-time``.
        end_time: Passed to the replayer's ``--end-time``.
        namespace: Where the pod runs (default: the ``namespace`` given to the
            constructor, else the Kubernetes manager's default namespace).
        pod_timeout: Seconds the pod may take to become ready.
        kafka_auth_config_map: SCRAM only: a ConfigMap with the client's
            ``client.properties`` (the workflow's ``<proxy>-kafka-auth``) to mount.

    Raises:
        ValueError: A bad mode, offset, time or timeout (nothing is created).
        ConfigError: No Kubernetes is configured, or (SCRAM) the password's Secret cannot
            be told.
        KubernetesNotFoundError: No ``migration-image-config`` ConfigMap in the namespace.
        KafkaCommandError: The ConfigMap has no ``trafficReplayerImage``.
        OperationTimeoutError: The pod was not ready within ``pod_timeout``.
        KubernetesError: The API refused or failed.
    """
    bounds = {
        "start_offset": start_offset,
        "end_offset": end_offset,
        "start_time": start_time,
        "end_time": end_time,
    }
    check_dump_arguments(topic, mode, bounds, pod_timeout)
    k8s = self.k8s
    if k8s is None:
        raise ConfigError(
            "kafka dump-topic-records runs a pod on Kubernetes, and none is configured",
            [
                ConfigIssue(
                    "kafka",
                    "no k8s deployment in the config and no kubeconfig or in-cluster "
                    "service account found",
                )
            ],
        )
    ns = namespace or self.namespace or k8s.default_namespace
    async with observe(_log, "kafka.dump", topic, mode=mode, namespace=ns):
        try:
            images = await k8s.read_config_map(ns, IMAGE_CONFIG_MAP)
        except KubernetesNotFoundError as exc:
            exc.add_note(
                f"the dump pod's image is read from the ConfigMap {IMAGE_CONFIG_MAP!r} "
                f"key {IMAGE_KEY!r} in namespace {ns!r} (deployed by the Migration Assistant)"
            )
            raise
        image = images.get(IMAGE_KEY)
        if not image:
            raise KafkaCommandError(
                f"ConfigMap {ns}/{IMAGE_CONFIG_MAP} has no key {IMAGE_KEY!r}: "
                "cannot tell which traffic replayer image to run",
                operation=DUMP_OPERATION,
            )
        manifest = dump_pod_manifest(
            self.config,
            pod_name=dump_pod_name(topic),
            namespace=ns,
            image=image,
            pull_policy=images.get(PULL_POLICY_KEY) or "IfNotPresent",
            topic=topic,
            mode=mode,
            kafka_auth_config_map=kafka_auth_config_map,
            **bounds,
        )
    extra = bounds_text(bounds)
    _log.info(
        "launching dump pod %s (mode=%s, topic=%s, image=%s%s)",
        manifest["metadata"]["name"],
        mode,
        topic,
        image,
        f", {extra}" if extra else "",
    )
    async with running_dump_pod(
        k8s,
        namespace=ns,
        manifest=manifest,
        image=image,
        topic=topic,
        mode=mode,
        pod_timeout=pod_timeout,
    ) as dump:
        yield dump


async def dump_topic_records(
    self: Kafka,
    topic: str = DUMP_TOPIC,
    *,
    mode: str = "dump-both",
    start_offset: int | None = None,
    end_offset: int | None = None,
    start_time: int | None = None,
    end_time: int | None = None,
    namespace: str | None = None,
    pod_timeout: float = DUMP_POD_TIMEOUT,
    kafka_auth_config_map: str | None = None,
    on_start: Callable[[TopicDump], object] | None = None,
    on_line: Callable[[str], object] | None = None,
) -> TopicDumpResult:
    """Run :meth:`open_topic_dump` to the end: every line of the dump, then the pod's
    outcome (``console kafka dump-topic-records``).

    Arguments as for :meth:`open_topic_dump`, plus:

    Args:
        on_start: Called with the :class:`TopicDump` once the pod is ready.
        on_line: Called with each line as it comes; the result then holds no lines
            (only their count), so a long dump is not kept in memory.

    Raises:
        KafkaCommandError: The dump pod ended ``Failed``.
        (and what :meth:`open_topic_dump` raises)
    """
    started = time.perf_counter()
    kept: list[str] = []
    count = 0
    async with self.open_topic_dump(
        topic,
        mode=mode,
        start_offset=start_offset,
        end_offset=end_offset,
        start_time=start_time,
        end_time=end_time,
        namespace=namespace,
        pod_timeout=pod_timeout,
        kafka_auth_config_map=kafka_auth_config_map,
    ) as dump:
        if on_start is not None:
            on_start(dump)
        lines = dump.lines()
        try:
            async for line in lines:
                count += 1
                if on_line is None:
                    kept.append(line)
                else:
                    on_line(line)
        finally:
            await lines.aclose()  # type: ignore[attr-defined]
        final = await dump.outcome()
    if ended_badly(final):
        tail = "\n".join(kept[-20:])
        raise KafkaCommandError(
            f"Kafka {DUMP_OPERATION} failed: the dump pod {dump.namespace}/{dump.name} "
            "ended Failed" + (f": {tail}" if tail else ""),
            operation=DUMP_OPERATION,
            argv=container_args(dump.manifest),
            stdout="\n".join(kept),
        )
    return TopicDumpResult(
        topic=topic,
        mode=mode,
        namespace=dump.namespace,
        pod=dump.name,
        image=dump.image,
        phase=final.phase,
        lines=tuple(kept),
        line_count=count,
        duration=time.perf_counter() - started,
    )
