"""Every ``asyncconsole`` command against the demo environment, with and without ``--json``.

One :class:`~asyncconsole.demo.DemoEnvironment` (simulated workers, no Docker) runs on a
background event loop for the module; each command runs in-process (``CliRunner``) on the
config file the demo wrote, with ``KUBECONFIG`` naming the demo's kubeconfig, exactly as a
user of ``asyncconsole demo --keep-running`` would run it. Each command runs twice: as text
(its exit code, no traceback) and with ``--json`` (the same exit code, stdout one JSON
document with the documented top-level keys of ``docs/cli.md``).

The demo has no Kafka, no MetadataMigration tool and no failed-document stream: those
commands answer "... is not set" (exit 2) on its config, and run for real on a second config
(the demo's plus ``kafka``, ``metadata_migration`` and a stream) with stand-in command-line
tools on disk and an in-memory bucket. ``clusters run-test-benchmarks`` runs a stand-in
``opensearch-benchmark`` found on ``PATH``. Two commands also run as real processes.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner, Result

from asyncconsole import Environment
from asyncconsole.cli import CliState, cli
from asyncconsole.demo import DemoEnvironment
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.kubernetes import PodScript
from asyncconsole.testing import FakeObjectStore
from tests.unit.test_cli_support import LoopThread

pytestmark = pytest.mark.integration

STREAM_BUCKET = "demo-failed-documents"

# Stand-ins for the command-line tools the demo does not have; they answer like the real ones.
KAFKA_TOOL = """#!/bin/sh
case "$(basename "$0")" in
  kafka-topics.sh)
    case "$*" in
      *--list*) printf 'logging-traffic-topic\\n__consumer_offsets\\n' ;;
      *--create*) echo "Created topic logging-traffic-topic." ;;
    esac ;;
  kafka-consumer-groups.sh)
    case "$*" in
      *--list*) echo "logging-group-default" ;;
      *) echo "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID"
         echo "logging-group-default logging-traffic-topic 0 5 7 2 - - -" ;;
    esac ;;
  kafka-run-class.sh) echo "logging-traffic-topic:0:7" ;;
  kafka-console-consumer.sh) echo "CreateTime:1700000000000" ;;
esac
"""
METADATA_TOOL = """#!/bin/sh
echo "MetadataMigration $1: 4 indices, 0 templates"
"""
BENCHMARK_TOOL = """#!/bin/sh
echo "opensearch-benchmark $*"
"""

DEEP_SNAPSHOT = {
    "snapshot", "state", "status", "percentage_completed", "eta_ms", "started", "finished",
    "elapsed_ms", "data_total_bytes", "data_processed_bytes", "data_throughput_bytes_avg_sec",
    "shard_total", "shard_complete", "shard_failed", "indexes",
}  # fmt: skip
SCALED = {"action", "units", "message"}
REPLAY_SCALED = {*SCALED, "workers"}  # the counts the text shows
BACKFILL_STATUS = {"status", "message", "workers", "deep", "deep_error"}
KAFKA_RESULT = {"operation", "argv", "exit_code", "output", "stderr", "duration"}
METADATA_RESULT = {"command", "argv", "exit_code", "success", "output", "stderr", "duration"}
METRIC_DATA = {
    "component", "metric", "statistic", "lookback_minutes", "period", "start", "end",
    "source_type", "series",
}  # fmt: skip
SNAPSHOT_LIST = {"repository", "repository_missing", "snapshots"}
CREATED = {"snapshot", "repository", "replaced", "status"}
GENERATED = {
    "index", "requested", "inserted", "failed", "batches", "doc_size_bytes", "duration", "errors",
}  # fmt: skip


@dataclass
class Demo:
    loop: LoopThread
    demo: DemoEnvironment
    config: Path
    full_config: Path
    workdir: Path
    tools: Path
    store: FakeObjectStore

    def seed_working_state(self) -> None:
        """A working-state index for the backfill to archive (what RFS's setup makes)."""
        self.loop.call(self.demo.seed_working_state)


@dataclass(frozen=True)
class Step:
    """One command, run as text and with ``--json``."""

    args: tuple[str, ...]
    exit: int = 0
    keys: frozenset[str] | None = None
    """The JSON document's top-level keys (exactly), when it succeeds."""
    json_args: tuple[str, ...] | None = None
    """Arguments of the ``--json`` run when the command cannot simply run twice."""
    full: bool = False
    """Run on the config with Kafka, metadata and the failed-document stream."""
    before: Callable[[Demo], None] | None = None
    check: Callable[[Any], None] | None = field(default=None, compare=False)
    """More checks of the JSON document."""

    @property
    def command(self) -> str:
        return command_of(self.args)


def step(
    command: str,
    *,
    exit: int = 0,
    keys: set[str] | None = None,
    json: str | None = None,
    **kw: Any,
) -> Step:
    """``command`` (words split on spaces), run as text and with ``--json`` (or ``json``)."""
    return Step(
        tuple(command.split()),
        exit,
        frozenset(keys) if keys is not None else None,
        tuple(json.split()) if json is not None else None,
        **kw,
    )


def command_of(args: tuple[str, ...]) -> str:
    words = [a for a in args if not a.startswith("-")]
    single = ("check", "completion", "demo", "init")
    return words[0] if words[0] in single else " ".join(words[:2])


def _archived(key: str) -> Callable[[Any], None]:
    def check(doc: Any) -> None:
        assert Path(doc[key]).is_file(), doc

    return check


def _expect(pick: Callable[[Any], Any], wanted: Any) -> Callable[[Any], None]:
    """A check that ``pick(doc) == wanted``."""

    def check(doc: Any) -> None:
        assert pick(doc) == wanted, doc

    return check


def _dump_pod_image(demo: Demo) -> None:
    """What the Migration Assistant deploys for ``kafka dump-topic-records``: the image
    ConfigMap; and what the replayer's dump would print (the fake server runs no container)."""
    kube = demo.demo.kube
    if not any(
        c["metadata"]["name"] == "migration-image-config"
        for c in kube.cluster.select("configmaps", "ma")
    ):
        kube.add_config_map("ma", "migration-image-config", {"trafficReplayerImage": "replayer:1"})
    kube.pod_scripter = lambda namespace, manifest: PodScript(lines=("GET / 200",), duration=0.1)


def _write_tuple_log(path: Path) -> None:
    """One replayed request, as the traffic replayer logs it (bodies in base64)."""
    body = base64.b64encode(b"ok").decode()
    record = {
        "sourceRequest": {"Request-URI": "/", "Method": "GET", "body": ""},
        "targetResponses": [{"Status-Code": 200, "body": body}],
    }
    path.write_text(json.dumps(record) + "\n")


def _all_ok(doc: Any) -> None:
    assert {c["status"] for c in doc["components"].values()} == {"ok"}, doc


READ_ONLY = [
    step("check", keys={"components"}, check=_all_ok),
    step("clusters connection-check", keys={"source_cluster", "target_cluster"}),
    step("clusters connection-check --cluster source", keys={"source_cluster"}),
    step("clusters cat-indices", keys={"source_cluster", "target_cluster"}),
    step("clusters cat-indices --refresh --cluster source", keys={"source_cluster"}),
    step(
        "clusters cat-indices --source source --target target",
        keys={"source_cluster", "target_cluster"},
    ),
    step("clusters cat-indices --source source2", exit=2),  # console_link's catalog name
    step("clusters curl source /", keys={"status", "headers", "body"}),
    step("clusters curl target /no-such-index", exit=1),  # HTTP 404
    step("backfill describe"),
    step("backfill status", keys=BACKFILL_STATUS),
    step("replay describe"),
    step("replay status", keys={"status", "message", "workers"}),
    step("metrics list", keys={"captureProxy", "replayer"}),
    step("metrics get-data replayer kafkaCommitCount --lookback 5", keys=METRIC_DATA),
    step("completion bash", keys={"shell", "script"}),
    step(
        "init starter-text.yaml",
        json="init starter-json.yaml",
        keys={"path"},
        check=lambda doc: Environment.from_file(doc["path"]),
    ),
    step("init starter-text.yaml", exit=1),  # never overwrites
    step(
        "tuples show --in tuples.log",
        before=lambda demo: _write_tuple_log(demo.workdir / "tuples.log"),
        check=_expect(lambda doc: [t["targetResponses"][0]["body"] for t in doc], ["ok"]),
    ),
    # not configured in the demo: console_link's usage error, exit 2
    step("failed-document-stream location", exit=2),
    step("metadata evaluate", exit=2),
    step("kafka list-topics", exit=2),
]

SNAPSHOT = [
    step("snapshot status", exit=1),  # not created yet
    step("snapshot list", keys=SNAPSHOT_LIST),
    step(
        "snapshot create --wait --poll-interval 0.05",
        json="snapshot create --wait --replace --poll-interval 0.05",
        keys=CREATED,
        check=_expect(lambda doc: (doc["replaced"], doc["status"]["state"]), (True, "SUCCESS")),
    ),
    step("snapshot create", exit=1),  # it exists: said, exit 1
    step("snapshot wait --poll-interval 0.05", keys=DEEP_SNAPSHOT),
    step("snapshot status", keys={"snapshot", "repository", "state"}),
    step("snapshot status --deep-check", keys=DEEP_SNAPSHOT),
    step(
        "snapshot create --name extra-text --wait --poll-interval 0.05",
        json="snapshot create --name extra-json --wait --poll-interval 0.05",
        keys=CREATED,
    ),
    step("snapshot list", keys=SNAPSHOT_LIST),
    step(
        "snapshot delete --name extra-text --acknowledge-risk",
        json="snapshot delete --name extra-json --acknowledge-risk",
        keys={"snapshot", "repository", "existed", "error"},
    ),
    step(
        "snapshot delete --all --acknowledge-risk",
        keys={"repository", "repository_missing", "results"},
    ),
    step("snapshot unregister-repo --acknowledge-risk", keys={"repository", "existed"}),
]

BACKFILL = [
    step("backfill start", keys=SCALED),
    step("backfill scale 4", keys=SCALED),
    step("backfill status --deep-check", keys=BACKFILL_STATUS),
    step(
        "backfill status --watch --interval 0.1",
        keys=BACKFILL_STATUS,
        check=_expect(lambda doc: doc["deep"]["percentage_completed"], 100.0),
    ),
    step("backfill pause", keys=SCALED),
    step("backfill start", keys=SCALED),
    step(
        "backfill stop --timeout 30",
        keys={"action", "units", "archive", "message"},
        before=Demo.seed_working_state,
        check=_archived("archive"),
    ),
    step(
        "backfill archive", keys={"path"}, before=Demo.seed_working_state, check=_archived("path")
    ),
    step("backfill archive", exit=1),  # nothing left to archive
    step(
        "backfill reset --timeout 30",
        keys={"archive", "failed_document_stream_location", "failed_documents_deleted"},
        before=Demo.seed_working_state,
        check=_archived("archive"),
    ),
]

REPLAY = [
    step("replay start", keys=REPLAY_SCALED),
    step(
        "replay scale 2",
        keys=REPLAY_SCALED,
        check=_expect(lambda doc: doc["workers"]["desired"], 2),
    ),
    step("replay status", keys={"status", "message", "workers"}),
    step("replay stop", keys=REPLAY_SCALED),
]

CLUSTER_WRITES = [
    step(
        "clusters generate-data --cluster target --index-name gen-text --num-docs 50",
        json="clusters generate-data --cluster target --index-name gen-json --num-docs 50",
        keys=GENERATED,
    ),
    step(
        "clusters curl target /made-text -X PUT",
        json="clusters curl target /made-json -X PUT",
        keys={"status", "headers", "body"},
    ),
    step(
        "clusters clear-indices --cluster target --acknowledge-risk",
        keys={"cluster", "deleted", "method"},
    ),
    step(
        "clusters run-test-benchmarks --cluster target",
        keys={"cluster", "workloads"},
        check=_expect(lambda doc: [w["exit_code"] for w in doc["workloads"]], [0, 0, 0, 0]),
    ),
]

TOOLS = [
    step("check", full=True, keys={"components"}, check=_all_ok),
    step(
        "metadata evaluate",
        full=True,
        keys=METADATA_RESULT,
        check=_expect(lambda doc: doc["output"].split(":")[0], "MetadataMigration evaluate"),
    ),
    step("metadata migrate", full=True, keys=METADATA_RESULT),
    step("kafka create-topic", full=True, keys=KAFKA_RESULT),
    step(
        "kafka list-topics",
        full=True,
        keys={"topics", *KAFKA_RESULT},
        check=_expect(lambda doc: doc["topics"], ["logging-traffic-topic", "__consumer_offsets"]),
    ),
    step(
        "kafka list-topics --kafka default",
        full=True,
        keys={"topics", *KAFKA_RESULT},
    ),
    step(
        "failed-document-stream location --migration earlier",
        full=True,
        keys={"location", "bucket", "prefix", "session"},
    ),
    step(
        "kafka list-consumer-groups",
        full=True,
        keys={"groups", *KAFKA_RESULT},
        check=_expect(lambda doc: doc["groups"], ["logging-group-default"]),
    ),
    step(
        "kafka describe-consumer-group",
        full=True,
        keys={"group", "total_lag", "partitions", "time_lag", "time_lag_note", "output"},
        check=_expect(lambda doc: (doc["total_lag"], len(doc["time_lag"])), (2, 1)),
    ),
    step(
        "kafka describe-topic-records",
        full=True,
        keys={"topic", "total", "partitions", "output"},
        check=_expect(lambda doc: doc["total"], 7),
    ),
    step("kafka delete-topic --acknowledge-risk", full=True, keys=KAFKA_RESULT),
    step(
        "kafka dump-topic-records --mode dump-http",
        full=True,
        keys={"topic", "mode", "namespace", "pod", "image", "phase", "line_count", "lines"}
        | {"duration"},
        before=lambda demo: demo.loop.call(lambda: _dump_pod_image(demo)),
        check=_expect(lambda doc: (doc["namespace"], doc["lines"]), ("ma", ["GET / 200"])),
    ),
    step(
        "failed-document-stream location",
        full=True,
        keys={"location", "bucket", "prefix", "session"},
    ),
    step(
        "failed-document-stream count",
        full=True,
        keys={"location", "count"},
        check=_expect(lambda doc: doc["count"], 1),
    ),
    step(
        "failed-document-stream list",
        full=True,
        check=_expect(lambda doc: [r["documentId"] for r in doc], ["d1"]),
    ),
    step(
        "backfill status",
        full=True,
        keys={*BACKFILL_STATUS, "failed_document_stream_location", "failed_documents_present"},
        check=_expect(lambda doc: doc["failed_documents_present"], True),
    ),
]

EVERY_STEP = READ_ONLY + SNAPSHOT + BACKFILL + REPLAY + CLUSTER_WRITES + TOOLS


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _stream_with_one_record(session: str) -> FakeObjectStore:
    """The bucket of the backfill's failed-document stream, holding one failed document."""
    store = FakeObjectStore(buckets=[STREAM_BUCKET])
    record = {
        "timestamp": "2026-01-01T00:00:01Z",
        "targetIndex": "orders",
        "documentId": "d1",
        "failureClass": "NON_RETRYABLE",
        "failureType": "mapper_parsing_exception",
        "requestItem": {"doc": "d1"},
    }
    key = f"rfs-failed-document-stream/session={session}/index=orders/worker=a/f-1.ndjson.gz"
    body = gzip.compress((json.dumps(record) + "\n").encode())
    asyncio.run(store.put_object(STREAM_BUCKET, key, body))
    return store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("demo")
    tools = tmp_path_factory.mktemp("tools")
    for name in (
        "kafka-topics.sh",
        "kafka-consumer-groups.sh",
        "kafka-run-class.sh",
        "kafka-console-consumer.sh",
    ):
        _script(tools / name, KAFKA_TOOL)
    _script(tools / "MetadataMigration", METADATA_TOOL)
    _script(tools / "opensearch-benchmark", BENCHMARK_TOOL)
    loop = LoopThread()
    running = loop.run(DemoEnvironment(workdir=workdir, speed=10.0).open())
    try:
        config = yaml.safe_load(running.config_path.read_text())
        config["backfill"]["reindex_from_snapshot"]["failed_document_stream"] = {
            "s3_bucket": STREAM_BUCKET
        }
        config["kafka"] = {"broker_endpoints": "127.0.0.1:9092", "standard": None}
        config["metadata_migration"] = {"from_snapshot": None, "source_cluster_version": "ES_7.10"}
        full_config = workdir / "full_services.yaml"
        full_config.write_text(yaml.safe_dump(config))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KUBECONFIG", str(running.kubeconfig_path))
            patch.setenv("SHARED_LOGS_DIR_PATH", str(workdir / "logs"))
            patch.setenv("PATH", f"{tools}{os.pathsep}{os.environ.get('PATH', '')}")
            patch.delenv("ASYNCCONSOLE_CONFIG", raising=False)
            patch.chdir(workdir)  # where `init` writes its starter files
            yield Demo(
                loop,
                running,
                running.config_path,
                full_config,
                workdir,
                tools,
                _stream_with_one_record(running.session),
            )
    finally:
        loop.run(running.aclose())
        loop.close()


def invoke(demo: Demo, args: tuple[str, ...], *, full: bool = False) -> Result:
    state = CliState(interactive=False)
    if full:
        infra = Infrastructure(
            metadata_tool=str(demo.tools / "MetadataMigration"),
            kafka_tools_home=str(demo.tools),
            object_store=demo.store,
            manage_injected=False,
        )
        state.env_factory = lambda path: Environment.from_file(path, infra=infra)
    config = demo.full_config if full else demo.config
    return CliRunner().invoke(
        cli, ["--config-file", str(config), *args], obj=state, catch_exceptions=False
    )


def run_step(demo: Demo, one: Step) -> None:
    for as_json in (False, True):
        if one.before is not None:
            one.before(demo)
        args = (one.json_args or one.args) if as_json else one.args
        # the global --json after the command's own arguments (anywhere on the line works)
        result = invoke(demo, (*args, "--json") if as_json else args, full=one.full)
        shown = f"{'--json ' if as_json else ''}{' '.join(args)}:\n{result.output}"
        assert result.exit_code == one.exit, shown
        assert "Traceback" not in result.output, shown
        if one.exit == 2:
            assert result.stderr.strip().splitlines()[-1].startswith("Error: "), shown
        elif one.exit == 1 and not as_json and "error" in result.stderr.lower():
            assert len(result.stderr.strip().splitlines()) == 1, shown  # one line
        if not as_json:
            assert result.stdout.strip() or result.exit_code, shown  # said something
            continue
        doc = json.loads(result.stdout)  # exactly one JSON document on stdout
        if isinstance(doc, dict) and set(doc) == {"error"}:
            assert one.exit != 0, shown
            assert doc["error"]["exit_code"] == one.exit, shown
            assert doc["error"]["message"], shown
            continue
        if one.keys is not None and one.exit == 0:
            assert set(doc) == one.keys, shown
        if one.check is not None:
            one.check(doc)


def _ids(steps: list[Step]) -> list[str]:
    return [" ".join(s.args) for s in steps]


@pytest.mark.parametrize("one", READ_ONLY, ids=_ids(READ_ONLY))
def test_read_only_commands(demo: Demo, one: Step) -> None:
    run_step(demo, one)


def test_snapshot_commands(demo: Demo) -> None:
    for one in SNAPSHOT:
        run_step(demo, one)


def test_backfill_commands(demo: Demo) -> None:
    for one in BACKFILL:
        run_step(demo, one)
    assert sorted((demo.workdir / "logs" / "backfill_working_state").glob("*.json"))
    status = json.loads(invoke(demo, ("--json", "backfill", "status")).stdout)
    assert status["workers"]["desired"] == 0


def test_replay_commands(demo: Demo) -> None:
    for one in REPLAY:
        run_step(demo, one)


def test_cluster_writes(demo: Demo) -> None:
    for one in CLUSTER_WRITES:
        run_step(demo, one)
    assert not {"gen-text", "gen-json", "made-text", "made-json"} & set(
        demo.loop.call(lambda: demo.demo.target.index_names)
    )  # cleared by clear-indices


def test_kafka_metadata_and_failed_documents_with_stand_in_tools(demo: Demo) -> None:
    for one in TOOLS:
        run_step(demo, one)


def test_every_command_of_the_cli_is_exercised() -> None:
    ctx = click.Context(cli, obj=CliState())

    def walk(group: click.Group, prefix: tuple[str, ...]) -> set[str]:
        found: set[str] = set()
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                found |= walk(command, (*prefix, name))
            else:
                found.add(" ".join((*prefix, name)))
        return found

    every = walk(cli, ())
    elsewhere = {
        # starts its own environment: tests/unit/test_demo_run.py, tests/integration/test_demo.py
        "demo",
        # JSON Lines (not one document), until stopped: tests/unit/test_cli_autoscale.py and,
        # as a process stopped by Ctrl-C and SIGTERM, tests/integration/test_cli_autoscale_signals.py
        "backfill autoscale",
        "replay autoscale",
        # servers that run until stopped: tests/integration/test_cli_process.py and
        # tests/integration/test_fake_opensearch_standalone.py run them as processes
        "testing kubernetes",
        "testing opensearch",
        "testing prometheus",
        # the dashboard, until stopped: tests/integration/test_cli_serve.py runs it as a process
        "serve",
    }
    assert {s.command for s in EVERY_STEP} == every - elsewhere


def _subprocess(demo: Demo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asyncconsole.cli", "--config-file", str(demo.config), *args],
        capture_output=True,
        text=True,
        env={**os.environ},  # KUBECONFIG, PATH... as patched for the module
        timeout=60,
        check=False,
    )


def test_as_real_processes(demo: Demo) -> None:
    check = _subprocess(demo, "--json", "check")
    assert check.returncode == 0, check.stderr
    components = json.loads(check.stdout)["components"]
    assert set(components) == {
        "source_cluster",
        "target_cluster",
        "snapshot",
        "backfill",
        "replay",
        "metrics",
    }
    status = _subprocess(demo, "backfill", "status", "--deep-check")
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip()
    assert "\x1b[" not in status.stdout  # not a terminal: no drawing
