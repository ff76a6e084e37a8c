"""`asyncconsole kafka dump-topic-records` on FakeK8sManager: streamed text, the JSON document,
options reaching the pod, exit codes, and the pod deleted on failure too."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asyncconsole.infra.kubernetes import PodScript
from tests.unit.test_cli_support import Fakes, invoke

KAFKA = {"kafka": {"broker_endpoints": "k1:9092", "standard": None}}
K8S_REPLAY = {"replay": {"k8s": {"namespace": "ma", "deployment_name": "replayer"}}}
IMAGE = "registry/traffic_replayer:1"


def _fakes(*lines: str, exit_code: int | None = 0, namespace: str = "default") -> Fakes:
    fakes = Fakes()
    fakes.k8s.add_config_map(namespace, "migration-image-config", {"trafficReplayerImage": IMAGE})

    def scripter(ns: str, manifest: Mapping[str, Any]) -> PodScript:
        return PodScript(lines=lines, exit_code=exit_code, duration=1.0)

    fakes.k8s.pod_scripter = scripter
    return fakes


def _args(fakes: Fakes) -> list[str]:
    created = fakes.k8s.calls_to("create_pod")
    assert len(created) == 1
    return list(created[0].args["manifest"]["spec"]["containers"][0]["args"])


def _deleted(fakes: Fakes) -> list[tuple[str, bool]]:
    return [(c.args["namespace"], c.args["wait"]) for c in fakes.k8s.calls_to("delete_pod")]


def test_text_streams_the_records_between_markers() -> None:
    fakes = _fakes("GET /index 200", "PUT /doc 201")
    result = invoke(["kafka", "dump-topic-records"], config=KAFKA, fakes=fakes)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    pod = fakes.k8s.calls_to("create_pod")[0].args["manifest"]["metadata"]["name"]
    assert lines == [
        f"Launching dump pod '{pod}' (mode=dump-both, topic=capture-proxy, image={IMAGE})",
        "--- begin capture-proxy dump (dump-both) ---",
        "GET /index 200",
        "PUT /doc 201",
        "--- end capture-proxy dump ---",
        f"Dump pod '{pod}' completed (2 lines).",
    ]
    assert _deleted(fakes) == [("default", False)]


def test_json_and_the_options_reach_the_pod() -> None:
    fakes = _fakes("r1", namespace="ma")
    args = ["--json", "kafka", "dump-topic-records", "my-topic", "--mode", "dump-raw"]
    args += ["--start-offset", "3", "--end-offset", "9", "--start-time", "100"]
    args += ["--end-time", "200", "--pod-timeout", "42"]
    result = invoke(args, config={**KAFKA, **K8S_REPLAY}, fakes=fakes)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "topic", "mode", "namespace", "pod", "image", "phase", "line_count", "lines", "duration",
    }  # fmt: skip
    assert (doc["topic"], doc["mode"], doc["namespace"], doc["image"]) == (
        "my-topic",
        "dump-raw",
        "ma",  # the configured k8s deployment's namespace
        IMAGE,
    )
    assert (doc["phase"], doc["lines"], doc["line_count"]) == ("Succeeded", ["r1"], 1)
    assert _args(fakes) == [
        "--mode", "dump-raw",
        "--kafka-traffic-brokers", "k1:9092",
        "--kafka-traffic-topic", "my-topic",
        "--start-offset", "3",
        "--end-offset", "9",
        "--start-time", "100",
        "--end-time", "200",
    ]  # fmt: skip
    assert fakes.k8s.calls_to("wait_for_pod")[0].args["timeout"] == 42
    assert _deleted(fakes) == [("ma", False)]


def test_namespace_option_wins() -> None:
    fakes = _fakes("x", namespace="other")
    args = ["kafka", "dump-topic-records", "--namespace", "other"]
    result = invoke(args, config={**KAFKA, **K8S_REPLAY}, fakes=fakes)
    assert result.exit_code == 0, result.stderr
    assert _deleted(fakes) == [("other", False)]


def test_a_failed_dump_is_exit_1_and_the_pod_is_deleted() -> None:
    fakes = _fakes("Exception: no brokers", exit_code=1)
    text = invoke(["kafka", "dump-topic-records"], config=KAFKA, fakes=fakes)
    assert text.exit_code == 1
    assert "Exception: no brokers" in text.stdout  # streamed before it failed
    assert text.stderr.startswith("Error: Kafka Dump Topic Records failed")
    assert _deleted(fakes) == [("default", False)]

    fakes = _fakes("Exception: no brokers", exit_code=1)
    as_json = invoke(["--json", "kafka", "dump-topic-records"], config=KAFKA, fakes=fakes)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"]["exit_code"] == 1


def test_no_image_config_map_is_exit_1_and_nothing_is_created() -> None:
    fakes = Fakes()
    result = invoke(["kafka", "dump-topic-records"], config=KAFKA, fakes=fakes)
    assert result.exit_code == 1
    assert "migration-image-config" in result.stderr
    assert fakes.k8s.calls_to("create_pod") == []


def test_usage_errors_are_exit_2() -> None:
    fakes = _fakes()
    for bad in (
        ["--mode", "replay"],
        ["--start-offset", "-1"],
        ["--pod-timeout", "0"],
        ["--end-time", "soon"],
    ):
        result = invoke(["kafka", "dump-topic-records", *bad], config=KAFKA, fakes=fakes)
        assert result.exit_code == 2, (bad, result.output)
    missing = invoke(["kafka", "dump-topic-records"], config={}, fakes=fakes)
    assert missing.exit_code == 2
    assert "Kafka is not set" in missing.stderr
    assert fakes.k8s.calls == []
