"""Kafka.open_topic_dump / dump_topic_records on FakeK8sManager: the pod manifest exactly per
auth flavour, the image from the ConfigMap, streamed lines, and the pod deleted on every way
out (success, failed pod, timeout, API errors, consumer errors, cancellation)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from asyncconsole import ConfigError, OperationTimeoutError
from asyncconsole._errors import (
    KafkaCommandError,
    KubernetesConflictError,
    KubernetesError,
    KubernetesNotFoundError,
)
from asyncconsole.config import KafkaConfig
from asyncconsole.infra.commands import FakeCommandExecutor
from asyncconsole.infra.kubernetes import FakeK8sManager, PodPhase, PodScript
from asyncconsole.services.kafka import (
    DUMP_TOPIC,
    Kafka,
    TopicDumpResult,
    dump_pod_manifest,
    dump_pod_name,
)

NS = "ma"
IMAGE = "123.dkr.ecr/migrations/traffic_replayer:v2"


def _config(**flavour: Any) -> KafkaConfig:
    return KafkaConfig.model_validate(
        {"broker_endpoints": "kafka-kafka-bootstrap:9092", **(flavour or {"standard": None})}
    )


def _fake(**kw: Any) -> FakeK8sManager:
    fake = FakeK8sManager(default_namespace=NS, **kw)
    fake.add_config_map(NS, "migration-image-config", {"trafficReplayerImage": IMAGE})
    return fake


def _kafka(fake: FakeK8sManager | None, **flavour: Any) -> Kafka:
    return Kafka(_config(**flavour), executor=FakeCommandExecutor(), k8s=fake)


def _script(*lines: str, exit_code: int | None = 0, duration: float = 5.0) -> Any:
    def scripter(namespace: str, manifest: Mapping[str, Any]) -> PodScript:
        return PodScript(lines=lines, exit_code=exit_code, duration=duration)

    return scripter


def _pods(fake: FakeK8sManager) -> list[dict[str, Any]]:
    return fake.cluster.select("pods", NS)


def _assert_cleaned_up(fake: FakeK8sManager) -> None:
    deletes = fake.calls_to("delete_pod")
    created = fake.calls_to("create_pod")
    assert len(created) == 1, fake.calls
    name = created[0].args["manifest"]["metadata"]["name"]
    assert [(c.args["name"], c.args["wait"]) for c in deletes] == [(name, False)], deletes
    assert all(p["metadata"].get("deletionTimestamp") for p in _pods(fake)), _pods(fake)


# -- the manifest --------------------------------------------------------------------------


def _expected(args: list[str], **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kafka-dump-t-abc",
            "namespace": NS,
            "labels": {
                "app": "kafka-dump",
                "app.kubernetes.io/managed-by": "asyncconsole",
                "migrations.opensearch.org/task": "kafka-dump",
            },
            "annotations": {"karpenter.sh/do-not-disrupt": "true"},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "kafka-dump",
                    "image": IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "args": args,
                    **container,
                }
            ],
        },
    }


BASE = ["--mode", "dump-http", "--kafka-traffic-brokers", "kafka-kafka-bootstrap:9092"]
BASE += ["--kafka-traffic-topic", "t"]


def _render(config: KafkaConfig, **kw: Any) -> dict[str, Any]:
    return dump_pod_manifest(
        config, pod_name="kafka-dump-t-abc", namespace=NS, image=IMAGE, topic="t", **kw
    )


def test_manifest_standard_with_bounds() -> None:
    got = _render(
        _config(), mode="dump-http", start_offset=5, end_offset=10, start_time=1, end_time=2
    )
    bounds = ["--start-offset", "5", "--end-offset", "10", "--start-time", "1", "--end-time", "2"]
    assert got == _expected([*BASE, *bounds])


def test_manifest_msk() -> None:
    got = _render(_config(msk=None), mode="dump-http")
    assert got == _expected([*BASE, "--kafkaAuthType", "msk-iam"])


def test_manifest_scram_password_from_the_secret_never_in_args() -> None:
    config = _config(scram={"username": "kafka-migration-app", "password": "pa$$"})
    got = _render(config, mode="dump-http", end_offset=3)
    env = [
        {
            "name": "TRAFFIC_REPLAYER_KAFKA_TRAFFIC_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "kafka-migration-app", "key": "password"}},
        }
    ]
    scram = ["--kafkaAuthType", "scram-sha-512", "--kafkaUserName", "kafka-migration-app"]
    assert got == _expected([*BASE, *scram, "--end-offset", "3"], env=env)
    assert "pa$$" not in repr(got)

    mounted = _render(config, mode="dump-http", kafka_auth_config_map="proxy-kafka-auth")
    properties = ["--kafka-traffic-property-file", "/config/kafka-auth/client.properties"]
    expected = _expected(
        [*BASE, *scram, *properties],
        env=env,
        volumeMounts=[
            {"name": "kafka-auth-config", "mountPath": "/config/kafka-auth", "readOnly": True},
            {"name": "kafka-ca", "mountPath": "/config/kafka-ca", "readOnly": True},
        ],
    )
    expected["spec"]["volumes"] = [
        {"name": "kafka-auth-config", "configMap": {"name": "proxy-kafka-auth"}},
        {"name": "kafka-ca", "secret": {"secretName": "kafka-cluster-ca-cert"}},
    ]
    assert mounted == expected


def test_manifest_scram_without_a_cluster_name_is_a_config_error() -> None:
    config = KafkaConfig.model_validate(
        {"broker_endpoints": "b:9092", "scram": {"username": "alice", "password": "x"}}
    )
    with pytest.raises(ConfigError) as info:
        _render(config, mode="dump-raw")
    assert info.value.issues[0].path == "kafka.scram.username"


def test_pod_names_are_dns_safe_and_unique() -> None:
    one, two = dump_pod_name("Capture_Proxy.Topic"), dump_pod_name("Capture_Proxy.Topic")
    assert one != two
    assert one.startswith("kafka-dump-capture-proxy-topic-")
    assert len(one) <= 63
    assert one == one.lower()


# -- running it ----------------------------------------------------------------------------


async def test_dump_streams_the_lines_and_deletes_the_pod() -> None:
    fake = _fake()
    fake.cluster.add_config_map(NS, "other", {})
    fake.pod_scripter = _script("record 1", "record 2 ü", "")
    kafka = _kafka(fake)
    seen: list[str] = []
    result = await kafka.dump_topic_records(mode="dump-raw", start_offset=0, on_line=seen.append)
    assert seen == ["record 1", "record 2 ü", ""]
    assert isinstance(result, TopicDumpResult)
    assert (result.topic, result.mode, result.namespace, result.image) == (
        DUMP_TOPIC,
        "dump-raw",
        NS,
        IMAGE,
    )
    assert (result.phase, result.line_count, result.lines) == (PodPhase.SUCCEEDED, 3, ())
    manifest = fake.calls_to("create_pod")[0].args["manifest"]
    assert manifest["metadata"]["name"] == result.pod
    assert manifest["spec"]["containers"][0]["args"] == [
        "--mode", "dump-raw",
        "--kafka-traffic-brokers", "kafka-kafka-bootstrap:9092",
        "--kafka-traffic-topic", "capture-proxy",
        "--start-offset", "0",
    ]  # fmt: skip
    assert [c.method for c in fake.calls] == [
        "read_config_map",
        "create_pod",
        "wait_for_pod",
        "follow_pod_logs",
        "wait_for_pod",
        "delete_pod",
    ]
    assert fake.calls_to("wait_for_pod")[0].args["timeout"] == 600.0
    _assert_cleaned_up(fake)
    doc = result.to_dict()
    assert set(doc) == {
        "topic", "mode", "namespace", "pod", "image", "phase", "line_count", "lines", "duration",
    }  # fmt: skip


async def test_lines_are_kept_without_on_line_and_pull_policy_comes_from_the_config_map() -> None:
    fake = FakeK8sManager(default_namespace="elsewhere")
    fake.add_config_map(
        "mine", "migration-image-config", {"trafficReplayerImage": IMAGE, **_policy()}
    )
    fake.pod_scripter = _script("a", "b")
    kafka = Kafka(_config(), executor=FakeCommandExecutor(), k8s=fake, namespace="mine")
    result = await kafka.dump_topic_records("t", mode="dump-http")
    assert (result.lines, result.line_count, result.namespace) == (("a", "b"), 2, "mine")
    container = fake.calls_to("create_pod")[0].args["manifest"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert fake.calls_to("create_pod")[0].args["namespace"] == "mine"


def _policy() -> dict[str, str]:
    return {"trafficReplayerPullPolicy": "Always"}


async def test_open_topic_dump_yields_the_running_pod() -> None:
    fake = _fake()
    fake.pod_scripter = _script("x", exit_code=None)  # runs until deleted
    async with _kafka(fake).open_topic_dump("t", mode="dump-both") as dump:
        assert (dump.namespace, dump.image, dump.topic, dump.mode) == (NS, IMAGE, "t", "dump-both")
        assert dump.pod.ready
        assert dump.pod.phase is PodPhase.RUNNING
        lines = dump.lines()
        assert await lines.__anext__() == "x"
        await lines.aclose()  # type: ignore[attr-defined]
        assert len(_pods(fake)) == 1
        assert not _pods(fake)[0]["metadata"].get("deletionTimestamp")
    _assert_cleaned_up(fake)


async def test_a_failed_pod_raises_after_deleting_it() -> None:
    fake = _fake()
    fake.pod_scripter = _script("Exception: cannot reach kafka", exit_code=1)
    with pytest.raises(KafkaCommandError) as info:
        await _kafka(fake).dump_topic_records()
    assert info.value.operation == "Dump Topic Records"
    assert "ended Failed" in str(info.value)
    assert "cannot reach kafka" in str(info.value)
    assert list(info.value.argv[:2]) == ["--mode", "dump-both"]
    _assert_cleaned_up(fake)


async def test_a_pod_never_ready_times_out_and_is_deleted() -> None:
    fake = _fake(converge_delay=1000)
    fake.pod_scripter = _script("never")
    with pytest.raises(OperationTimeoutError) as info:
        await _kafka(fake).dump_topic_records(pod_timeout=30)
    assert "did not become Ready within 30" in str(info.value)
    assert fake.calls_to("wait_for_pod")[0].args["timeout"] == 30
    _assert_cleaned_up(fake)


@pytest.mark.parametrize("method", ["wait_for_pod", "follow_pod_logs"])
async def test_an_api_failure_midway_deletes_the_pod(method: str) -> None:
    fake = _fake()
    fake.pod_scripter = _script("x")
    fake.fail(method, KubernetesError("boom", status=500))
    with pytest.raises(KubernetesError, match="boom"):
        await _kafka(fake).dump_topic_records()
    _assert_cleaned_up(fake)


async def test_an_error_in_the_consumer_deletes_the_pod() -> None:
    fake = _fake()
    fake.pod_scripter = _script("x", "y")

    def explode(line: str) -> None:
        raise RuntimeError(f"consumer broke on {line}")

    with pytest.raises(RuntimeError, match="consumer broke on x"):
        await _kafka(fake).dump_topic_records(on_line=explode)
    _assert_cleaned_up(fake)


async def test_cancellation_while_streaming_deletes_the_pod() -> None:
    fake = _fake()
    fake.pod_scripter = _script("first", exit_code=None)  # never ends on its own
    got: list[str] = []
    first = asyncio.Event()

    def on_line(line: str) -> None:
        got.append(line)
        first.set()

    task = asyncio.ensure_future(_kafka(fake).dump_topic_records(on_line=on_line))
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert got == ["first"]
    _assert_cleaned_up(fake)


async def test_a_timeout_around_the_dump_deletes_the_pod() -> None:
    fake = _fake()
    fake.pod_scripter = _script(exit_code=None)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await _kafka(fake).dump_topic_records()
    _assert_cleaned_up(fake)


async def test_a_name_clash_leaves_the_other_pod_alone() -> None:
    fake = _fake()
    fake.fail("create_pod", KubernetesConflictError('pods "x" already exists', status=409))
    with pytest.raises(KubernetesConflictError):
        await _kafka(fake).dump_topic_records()
    assert fake.calls_to("delete_pod") == []


async def test_a_missing_image_config_creates_nothing() -> None:
    fake = FakeK8sManager(default_namespace=NS)
    with pytest.raises(KubernetesNotFoundError) as info:
        await _kafka(fake).dump_topic_records()
    assert any("migration-image-config" in note for note in info.value.__notes__)
    fake.add_config_map(NS, "migration-image-config", {"captureProxyImage": "p"})
    with pytest.raises(KafkaCommandError, match="no key 'trafficReplayerImage'"):
        await _kafka(fake).dump_topic_records()
    assert fake.calls_to("create_pod") == []


async def test_without_kubernetes_it_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="runs a pod on Kubernetes"):
        await _kafka(None).dump_topic_records()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "replay"},
        {"start_offset": -1},
        {"end_offset": "5"},
        {"start_time": True},
        {"pod_timeout": 0},
        {"topic": ""},
    ],
)
async def test_bad_arguments_fail_before_any_call(kwargs: dict[str, Any]) -> None:
    fake = _fake()
    with pytest.raises(ValueError):
        await _kafka(fake).dump_topic_records(**kwargs)
    assert fake.calls == []
