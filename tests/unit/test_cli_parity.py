"""console_link parity commands: `failed-document-stream location|count|list`, `backfill
reset`, the failed-document lines of `backfill status`, `clusters generate-data` and
`clusters run-test-benchmarks` (exact argv), via click's CliRunner on fakes."""

from __future__ import annotations

import asyncio
import gzip
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from asyncconsole import Environment
from asyncconsole._errors import AwsError
from asyncconsole.cli import CliState, cli
from asyncconsole.config import FailedDocumentStreamConfig
from asyncconsole.infra.commands import FakeCommandExecutor
from asyncconsole.infra.s3 import FakeObjectStore
from asyncconsole.services.backfill import FailedDocumentStream
from tests.unit.test_cli_support import PASSWORD, Fakes, Servers, servers

__all__ = ["servers"]

BUCKET = "fds-bucket"
SESSION = "run-1"
ROOT = f"rfs-failed-document-stream/session={SESSION}/"
STREAM = {"s3_bucket": BUCKET, "s3_region": "us-east-1", "session": SESSION}
K8S_BACKFILL = {
    "reindex_from_snapshot": {
        "k8s": {"namespace": "ma", "deployment_name": "rfs"},
        "failed_document_stream": STREAM,
    }
}
PLAIN_BACKFILL = {"reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}}


def gz(*records: dict[str, Any]) -> bytes:
    return gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())


def rec(doc: str, ts: str, index: str = "orders") -> dict[str, Any]:
    return {
        "timestamp": ts,
        "targetIndex": index,
        "documentId": doc,
        "failureClass": "NON_RETRYABLE",
        "failureType": "mapper_parsing_exception",
        "requestItem": {"doc": doc},
    }


@pytest.fixture
def fakes() -> Fakes:
    made = Fakes()
    made.k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
    return made


@pytest.fixture
def store() -> FakeObjectStore:
    return FakeObjectStore(buckets=[BUCKET])


def factory(
    config: dict[str, Any], fakes: Fakes, store: FakeObjectStore
) -> Callable[[str], Environment]:
    def build(_path: str) -> Environment:
        env = Environment.from_dict(config, infra=fakes.infra())
        backfill = env.config.backfill
        if (
            env.backfill is not None
            and backfill is not None
            and backfill.rfs.failed_document_stream
        ):
            # The same stream, on the test's in-memory bucket.
            env.backfill.failed_documents = FailedDocumentStream(
                FailedDocumentStreamConfig.model_validate(STREAM), store, session=SESSION
            )
        return env

    return build


def run(
    args: list[str],
    config: dict[str, Any],
    fakes: Fakes,
    store: FakeObjectStore,
    *,
    input: str | None = None,
) -> Result:
    state = CliState(interactive=False, env_factory=factory(config, fakes, store))
    return CliRunner().invoke(cli, args, obj=state, input=input, catch_exceptions=False)


async def seed(store: FakeObjectStore) -> None:
    await store.put_object(
        BUCKET,
        f"{ROOT}index=orders/worker=a/f-1.ndjson.gz",
        gz(rec("d1", "2026-01-01T00:00:01Z"), rec("d2", "2026-01-01T00:00:02Z")),
    )
    await store.put_object(
        BUCKET,
        f"{ROOT}index=orders/worker=b/f-1.ndjson.gz",
        gz(rec("d1", "2026-01-01T00:00:03Z")),  # re-emitted by a successor
    )
    await store.put_object(
        BUCKET, "rfs-failed-document-stream/session=old/f.ndjson.gz", gz(rec("x", "t"))
    )


# -- failed-document-stream --------------------------------------------------------------------


def test_location_count_and_list(servers: Servers, fakes: Fakes, store: FakeObjectStore) -> None:
    asyncio.run(seed(store))
    config = servers.config(backfill=K8S_BACKFILL)
    location = run(["failed-document-stream", "location"], config, fakes, store)
    assert (location.exit_code, location.stdout) == (0, f"s3://{BUCKET}/{ROOT}\n")
    assert json.loads(
        run(["--json", "failed-document-stream", "location"], config, fakes, store).stdout
    ) == {
        "location": f"s3://{BUCKET}/{ROOT}",
        "bucket": BUCKET,
        "prefix": ROOT,
        "session": SESSION,
    }
    assert store.calls_to("list_objects") == []

    counted = run(["failed-document-stream", "count"], config, fakes, store)
    assert (counted.exit_code, counted.stdout) == (0, "2\n")
    data = json.loads(
        run(["--json", "failed-document-stream", "count"], config, fakes, store).stdout
    )
    assert data == {"location": f"s3://{BUCKET}/{ROOT}", "count": 2}

    listed = run(["failed-document-stream", "list"], config, fakes, store)
    assert listed.exit_code == 0
    assert listed.stdout.splitlines() == [
        "2026-01-01T00:00:02Z\torders\td2\tNON_RETRYABLE\tmapper_parsing_exception",
        "2026-01-01T00:00:03Z\torders\td1\tNON_RETRYABLE\tmapper_parsing_exception",
    ]
    records = json.loads(
        run(
            ["--json", "failed-document-stream", "list", "--limit", "1"], config, fakes, store
        ).stdout
    )
    assert records == [rec("d2", "2026-01-01T00:00:02Z")]
    old = run(["failed-document-stream", "count", "--session", "old"], config, fakes, store)
    assert old.stdout == "1\n"
    empty = run(["failed-document-stream", "list", "--session", "none"], config, fakes, store)
    assert (empty.exit_code, empty.stdout) == (0, "")
    assert empty.stderr == f"No failed documents at s3://{BUCKET}/{ROOT.replace(SESSION, 'none')}\n"


def test_failed_document_stream_usage_and_s3_errors(
    servers: Servers, fakes: Fakes, store: FakeObjectStore
) -> None:
    plain = run(
        ["failed-document-stream", "count"], servers.config(backfill=PLAIN_BACKFILL), fakes, store
    )
    assert plain.exit_code == 2
    assert "Failed document stream is not set" in plain.stderr
    nothing = run(["failed-document-stream", "location"], servers.config(), fakes, store)
    assert nothing.exit_code == 2
    assert "Backfill migration is not set" in nothing.stderr
    assert (
        run(
            ["failed-document-stream", "list", "--limit", "-1"],
            servers.config(backfill=K8S_BACKFILL),
            fakes,
            store,
        ).exit_code
        == 2
    )

    store.fail_next("list_objects", AwsError("S3 list_objects failed: AccessDenied"))
    failed = run(
        ["--json", "failed-document-stream", "count"],
        servers.config(backfill=K8S_BACKFILL),
        fakes,
        store,
    )
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: S3 list_objects failed: AccessDenied")
    assert json.loads(failed.stdout)["error"]["exit_code"] == 1


# -- backfill status and reset -------------------------------------------------------------------


def test_backfill_status_reports_the_stream(
    servers: Servers, fakes: Fakes, store: FakeObjectStore
) -> None:
    asyncio.run(seed(store))
    servers.loop.call(lambda: servers.target.seed_working_state(completed=3))
    config = servers.config(backfill=K8S_BACKFILL)
    text = run(["backfill", "status", "--deep-check"], config, fakes, store)
    assert text.exit_code == 0, text.stderr
    assert "Backfill status: CompletedWithErrors" in text.stdout
    assert f"failed document stream location: s3://{BUCKET}/{ROOT}" in text.stdout
    assert text.stdout.rstrip().endswith("Failed documents present: yes")
    data = json.loads(
        run(["--json", "backfill", "status", "--deep-check"], config, fakes, store).stdout
    )
    assert data["failed_document_stream_location"] == f"s3://{BUCKET}/{ROOT}"
    assert data["failed_documents_present"] is True
    assert data["deep"]["status"] == "CompletedWithErrors"

    store.fail_next("list_objects", AwsError("S3 down"))
    unavailable = run(["--json", "backfill", "status", "--deep-check"], config, fakes, store)
    payload = json.loads(unavailable.stdout)
    assert payload["failed_documents_present"] is None
    assert payload["deep"]["status"] == "Completed"

    without = json.loads(
        run(
            ["--json", "backfill", "status", "--deep-check"],
            servers.config(backfill=PLAIN_BACKFILL),
            fakes,
            store,
        ).stdout
    )
    assert "failed_document_stream_location" not in without
    assert "failed_documents_present" not in without


def test_backfill_reset(
    servers: Servers, fakes: Fakes, store: FakeObjectStore, tmp_path: Path
) -> None:
    asyncio.run(seed(store))
    config = servers.config(backfill=K8S_BACKFILL)
    index = servers.loop.call(lambda: servers.target.seed_working_state(completed=2))
    kept = run(["backfill", "reset", "--path", str(tmp_path)], config, fakes, store)
    assert kept.exit_code == 0, kept.stderr
    (written,) = tmp_path.iterdir()
    assert f"Backfill working state archived to: {written}" in kept.stdout
    assert f"failed document stream records preserved at s3://{BUCKET}/{ROOT}" in kept.stdout
    assert index not in servers.loop.call(lambda: servers.target.index_names)
    assert len(store.keys(BUCKET)) == 3

    declined = run(
        ["backfill", "reset", "--include-failed-document-stream"], config, fakes, store, input="n\n"
    )
    assert declined.exit_code == 1
    assert "Aborting command." in declined.stderr
    assert store.calls_to("delete_objects") == []

    deleted = run(
        [
            "--json",
            "backfill",
            "reset",
            "--include-failed-document-stream",
            "--yes",
            "--path",
            str(tmp_path),
        ],
        config,
        fakes,
        store,
    )
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {
        "archive": None,
        "failed_document_stream_location": f"s3://{BUCKET}/{ROOT}",
        "failed_documents_deleted": 2,
    }
    assert store.keys(BUCKET) == ["rfs-failed-document-stream/session=old/f.ndjson.gz"]

    refused = run(
        ["backfill", "reset", "--include-failed-document-stream", "--yes"],
        servers.config(backfill=PLAIN_BACKFILL),
        fakes,
        store,
    )
    assert refused.exit_code == 2
    assert "Failed document stream is not set" in refused.stderr


def test_backfill_reset_refuses_while_workers_run(
    servers: Servers, fakes: Fakes, store: FakeObjectStore
) -> None:
    config = servers.config(backfill=K8S_BACKFILL)
    assert run(["backfill", "start"], config, fakes, store).exit_code == 0
    waited = run(["backfill", "reset", "--timeout", "0"], config, fakes, store)
    assert waited.exit_code == 1
    assert "still present" in waited.stderr


# -- clusters generate-data --------------------------------------------------------------------


def test_generate_data(servers: Servers, fakes: Fakes, store: FakeObjectStore) -> None:
    config = servers.config()
    made = run(
        [
            "clusters",
            "generate-data",
            "--cluster",
            "source",
            "--index-name",
            "gen",
            "--num-docs",
            "250",
        ],
        config,
        fakes,
        store,
    )
    assert made.exit_code == 0, made.stderr
    assert made.stdout.startswith("Inserted 250 of 250 documents into gen in 3 bulk requests")
    assert servers.loop.call(lambda: len(servers.source.index("gen").docs)) == 250

    sized = run(
        [
            "--json",
            "clusters",
            "generate-data",
            "--cluster",
            "target",
            "--index-name",
            "sized",
            "--target-size-mb",
            "0.01",
            "--doc-size-bytes",
            "1024",
            "--batch-size",
            "4",
        ],
        config,
        fakes,
        store,
    )
    data = json.loads(sized.stdout)
    assert (data["requested"], data["inserted"], data["batches"]) == (11, 11, 3)

    for bad in (
        ["--cluster", "source", "--index-name", "x"],
        ["--cluster", "source", "--index-name", "x", "--num-docs", "1", "--target-size-mb", "1"],
        ["--index-name", "x", "--num-docs", "1"],
        ["--cluster", "source", "--index-name", "x", "--num-docs", "0"],
    ):
        assert run(["clusters", "generate-data", *bad], config, fakes, store).exit_code == 2

    servers.loop.call(
        lambda: servers.source.fail_next(1, method="POST", path=r"/part/_bulk", status=400)
    )
    partial = run(
        [
            "clusters",
            "generate-data",
            "--cluster",
            "source",
            "--index-name",
            "part",
            "--num-docs",
            "150",
        ],
        config,
        fakes,
        store,
    )
    assert partial.exit_code == 1
    assert "Inserted 50 of 150 documents" in partial.stdout
    assert "100 documents were not inserted" in partial.stdout


# -- clusters run-test-benchmarks --------------------------------------------------------------

UPSTREAM = (
    "opensearch-benchmark run --exclude-tasks=check-cluster-health --target-host={endpoint}"
    " --workload={workload} --pipeline=benchmark-only --test-mode --kill-running-processes"
    " --workload-params=bulk_size:10,bulk_indexing_clients:1 --client-options={options}"
)


def test_run_test_benchmarks_streams_each_workload(
    servers: Servers, fakes: Fakes, store: FakeObjectStore
) -> None:
    fakes.executor.script(
        ["opensearch-benchmark", ...], stdout="Running the workload\n[INFO] SUCCESS\n"
    )
    config = servers.config()
    ran = run(["clusters", "run-test-benchmarks"], config, fakes, store)
    assert ran.exit_code == 0, ran.stderr
    assert ran.stdout.count("[INFO] SUCCESS") == 4
    assert "Workload nyc_taxis finished" in ran.stdout
    calls = [list(c.revealed) for c in fakes.executor.calls]
    assert calls == [
        shlex.split(
            UPSTREAM.format(endpoint=servers.source.url, workload=w, options="verify_certs:false")
        )
        for w in ("geonames", "http_logs", "nested", "nyc_taxis")
    ]

    data = json.loads(
        run(
            ["--json", "clusters", "run-test-benchmarks", "--cluster", "target"],
            config,
            fakes,
            store,
        ).stdout
    )
    assert [w["workload"] for w in data["workloads"]] == [
        "geonames",
        "http_logs",
        "nested",
        "nyc_taxis",
    ]
    shown = data["workloads"][0]["argv"][-1]
    assert (
        shown
        == "--client-options=verify_certs:false,basic_auth_user:admin,basic_auth_password:********"
    )
    assert PASSWORD not in json.dumps(data)
    revealed = fakes.executor.calls[-1].revealed
    assert revealed[-1].endswith(f"basic_auth_password:{PASSWORD}")


def test_run_test_benchmarks_without_the_tool_or_failing(
    servers: Servers, fakes: Fakes, store: FakeObjectStore
) -> None:
    config = servers.config()
    missing = run(["clusters", "run-test-benchmarks"], config, fakes, store)
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: opensearch-benchmark is not installed")

    fakes.executor.script(["opensearch-benchmark", ...], exit_code=3, stderr="boom")
    failed = run(["clusters", "run-test-benchmarks"], config, fakes, store)
    assert failed.exit_code == 1
    assert "workload geonames failed with exit code 3" in failed.stderr
    assert len(fakes.executor.calls) == 2  # the missing run, then geonames only


def test_run_test_benchmarks_with_a_real_executor_reports_a_missing_tool(
    servers: Servers, store: FakeObjectStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    no_executor = Fakes(executor=None)  # type: ignore[arg-type]
    state = CliState(
        interactive=False,
        env_factory=lambda _p: Environment.from_dict(servers.config(), infra=no_executor.infra()),
    )
    result = CliRunner().invoke(cli, ["clusters", "run-test-benchmarks"], obj=state)
    assert result.exit_code == 1
    assert "opensearch-benchmark is not installed" in result.stderr


_ = FakeCommandExecutor  # the executor type the Fakes carry
