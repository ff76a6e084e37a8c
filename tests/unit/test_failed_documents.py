"""The failed-document stream on FakeObjectStore: presence, count/list de-duplication, order,
limits, unreadable objects, batched deletion, and its place in backfill status and reset."""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import ConfigError
from asyncconsole._errors import AwsError
from asyncconsole.config import BackfillConfig, ClusterConfig, FailedDocumentStreamConfig
from asyncconsole.infra.http import AiohttpClient
from asyncconsole.infra.s3 import FakeObjectStore
from asyncconsole.services.backfill import (
    DEFAULT_LIST_LIMIT,
    Backfill,
    BackfillStatus,
    FailedDocument,
    FailedDocumentStream,
    StepState,
)
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.workers import FakeWorkerDeployment
from asyncconsole.testing import FakeOpenSearchServer

BUCKET = "fds"
PREFIX = "rfs-failed-document-stream/"
SESSION = "sess-1"
ROOT = f"{PREFIX}session={SESSION}/"


def gz(records: Iterable[Mapping[str, Any] | str], *, members: int = 1) -> bytes:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    if members == 1:
        return gzip.compress(("\n".join(lines) + "\n").encode())
    step = max(1, -(-len(lines) // members))
    return b"".join(
        gzip.compress(("\n".join(lines[i : i + step]) + "\n").encode())
        for i in range(0, len(lines), step)
    )


def rec(doc: str | None, ts: str | None, index: str = "orders", **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"targetIndex": index, "failureClass": "NON_RETRYABLE"}
    found["failureType"] = extra.pop("failure_type", "mapper_parsing_exception")
    if doc is not None:
        found["documentId"] = doc
    if ts is not None:
        found["timestamp"] = ts
    return {**found, **extra}


def stream_config(**extra: Any) -> FailedDocumentStreamConfig:
    return FailedDocumentStreamConfig.model_validate({"s3_bucket": BUCKET, **extra})


def make_stream(store: FakeObjectStore, session: str = SESSION) -> FailedDocumentStream:
    return FailedDocumentStream(stream_config(), store, session=session)


async def seeded(objects: Mapping[str, bytes]) -> FakeObjectStore:
    store = FakeObjectStore(buckets=[BUCKET])
    for key, data in objects.items():
        await store.put_object(BUCKET, key, data)
    store.calls.clear()
    return store


def test_location_and_sessions() -> None:
    stream = make_stream(FakeObjectStore())
    assert stream.location == f"s3://{BUCKET}/{ROOT}"
    assert stream.session_prefix == ROOT
    other = stream.for_session("run-2")
    assert other.location == f"s3://{BUCKET}/{PREFIX}session=run-2/"
    assert other.store is stream.store
    custom = FailedDocumentStream(stream_config(s3_prefix="custom"), stream.store, session="s")
    assert custom.location == f"s3://{BUCKET}/custom/session=s/"
    with pytest.raises(ValueError, match="session"):
        FailedDocumentStream(stream_config(), stream.store, session=" ")


async def test_presence_stops_at_the_first_record() -> None:
    store = await seeded(
        {
            f"{ROOT}index=a/worker=1/f-1.ndjson.gz": gz([rec("1", "t1")]),
            f"{ROOT}index=a/worker=1/f-2.ndjson.gz": gz([rec("2", "t2")]),
            f"{ROOT}index=b/worker=2/f-1.ndjson.gz": gz([rec("3", "t3")]),
        }
    )
    stream = FailedDocumentStream(stream_config(), store, session=SESSION, page_size=1)
    assert await stream.presence() is True
    assert await stream.has_records() is True
    # One page listed and one object read each time, not the whole stream.
    assert len(store.calls_to("list_objects")) == 2
    assert len(store.calls_to("get_object")) == 2


async def test_presence_is_false_for_an_empty_or_other_session() -> None:
    store = await seeded(
        {
            f"{PREFIX}session=other/index=a/worker=1/f.ndjson.gz": gz([rec("1", "t")]),
            f"{ROOT}manifest.json": b'{"objects": []}',
        }
    )
    stream = make_stream(store)
    assert await stream.presence() is False
    assert await stream.count() == 0
    assert await stream.list() == []
    assert await stream.for_session("other").count() == 1


async def test_presence_is_unavailable_when_s3_fails(caplog: pytest.LogCaptureFixture) -> None:
    store = await seeded({f"{ROOT}f.ndjson.gz": gz([rec("1", "t")])})
    store.fail_next("list_objects", AwsError("S3 list failed: AccessDenied", code="AccessDenied"))
    stream = make_stream(store)
    with caplog.at_level(logging.WARNING, "asyncconsole"):
        assert await stream.presence() is None
    assert "unavailable" in caplog.text
    store.deny(BUCKET, f"{ROOT}f.ndjson.gz")
    assert await stream.presence() is None
    with pytest.raises(AwsError, match="AccessDenied"):
        await stream.count()


async def test_unreadable_objects(caplog: pytest.LogCaptureFixture) -> None:
    good = gz([rec("1", "t1"), rec("2", "t2")])
    store = await seeded(
        {
            f"{ROOT}a-corrupt.ndjson.gz": b"this is not gzip at all",
            f"{ROOT}b-truncated.ndjson.gz": good[: len(good) // 2],
        }
    )
    stream = make_stream(store)
    with caplog.at_level(logging.WARNING, "asyncconsole"):
        assert await stream.presence() is None  # no record found, but something was unreadable
        assert await stream.count() == 0
    assert "a-corrupt" in caplog.text
    assert "b-truncated" in caplog.text
    await store.put_object(BUCKET, f"{ROOT}c-good.ndjson.gz", good)
    assert await stream.presence() is True
    assert await stream.count() == 2


async def test_count_and_list_collapse_re_emitted_failures() -> None:
    store = await seeded(
        {
            f"{ROOT}index=orders/worker=1/f-1.ndjson.gz": gz(
                [
                    rec("d1", "2026-01-01T00:00:01Z", failure_type="old"),
                    rec("d2", "2026-01-01T00:00:05Z"),
                    rec(None, "2026-01-01T00:00:02Z"),
                    rec("d3", None),
                ]
            ),
            # A successor re-emits d1 later, and d2 again in another index (a distinct doc).
            f"{ROOT}index=orders/worker=2/f-1.ndjson.gz": gz(
                [
                    rec("d1", "2026-01-01T00:00:09Z", failure_type="new"),
                    rec("d2", "2026-01-01T00:00:03Z", index="users"),
                    rec(None, "2026-01-01T00:00:02Z"),
                    '{"not json',
                    "[1, 2]",
                ],
                members=3,
            ),
            f"{PREFIX}session=other/f.ndjson.gz": gz([rec("x", "t")]),
        }
    )
    stream = make_stream(store)
    assert await stream.count() == 6
    listed = await stream.list()
    assert [(d.target_index, d.document_id, d.timestamp) for d in listed] == [
        ("orders", None, "2026-01-01T00:00:02Z"),
        ("orders", None, "2026-01-01T00:00:02Z"),
        ("users", "d2", "2026-01-01T00:00:03Z"),
        ("orders", "d2", "2026-01-01T00:00:05Z"),
        ("orders", "d1", "2026-01-01T00:00:09Z"),
        ("orders", "d3", None),
    ]
    assert listed[4].failure_type == "new"
    assert listed[4].row() == ("2026-01-01T00:00:09Z\torders\td1\tNON_RETRYABLE\tnew")
    assert listed[5].row() == "\torders\td3\tNON_RETRYABLE\tmapper_parsing_exception"
    assert listed[4].to_dict()["failureType"] == "new"
    assert listed[4].key.endswith("worker=2/f-1.ndjson.gz")
    assert len(await stream.list(limit=2)) == 2
    assert await stream.list(limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        await stream.list(limit=-1)
    raw = [d async for d in stream.records()]
    assert len(raw) == 7


async def test_list_defaults_to_100_records() -> None:
    records = [rec(f"d{i:03d}", f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z") for i in range(130)]
    store = await seeded({f"{ROOT}f.ndjson.gz": gz(records)})
    stream = make_stream(store)
    listed = await stream.list()
    assert DEFAULT_LIST_LIMIT == 100
    assert [d.document_id for d in listed] == [f"d{i:03d}" for i in range(100)]
    assert len(await stream.list(limit=None)) == 130


async def test_delete_all_removes_the_session_in_batches_of_1000() -> None:
    store = FakeObjectStore(buckets=[BUCKET])
    for i in range(2500):
        await store.put_object(BUCKET, f"{ROOT}index=a/worker=1/f-{i:05d}.ndjson.gz", b"")
    await store.put_object(BUCKET, f"{ROOT}manifest.json", b"{}")
    await store.put_object(BUCKET, f"{PREFIX}session=other/keep.ndjson.gz", b"")
    store.calls.clear()
    assert await make_stream(store).delete_all() == 2501
    assert [c.count for c in store.calls_to("delete_objects")] == [1000, 1000, 501]
    assert store.keys(BUCKET) == [f"{PREFIX}session=other/keep.ndjson.gz"]


def test_failed_document_fields() -> None:
    doc = FailedDocument({"documentId": "", "timestamp": 17, "targetIndex": None})
    assert doc.document_id is None
    assert doc.identity is None
    assert doc.timestamp == "17"
    assert doc.row() == "17\t\t\t\t"


# -- backfill status and reset ---------------------------------------------------------------


def rfs(**extra: Any) -> BackfillConfig:
    block = {"ecs": {"cluster_name": "migration", "service_name": "rfs"}, **extra}
    return BackfillConfig.model_validate({"reindex_from_snapshot": block})


@contextlib.asynccontextmanager
async def backfill_with(
    server: FakeOpenSearchServer,
    stream: FailedDocumentStream | None,
    workers: FakeWorkerDeployment | None = None,
    **kwargs: Any,
) -> AsyncIterator[Backfill]:
    config = ClusterConfig(endpoint=server.url, no_auth=None)
    async with AiohttpClient(base_url=server.url, timeout=30) as http:
        target = Cluster(config, http, name="target")
        yield Backfill(
            rfs(), target, workers or FakeWorkerDeployment(), failed_documents=stream, **kwargs
        )


async def test_completed_with_failures_is_completed_with_errors() -> None:
    store = await seeded({f"{ROOT}f.ndjson.gz": gz([rec("1", "t")])})
    stream = make_stream(store)
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=4)
        async with backfill_with(server, stream) as backfill:
            report = await backfill.status(deep=True)
            assert report.deep is not None
            assert report.deep.status is StepState.COMPLETED_WITH_ERRORS
            assert report.failed_documents_present is True
            data = report.to_dict()
            assert data["failed_document_stream_location"] == stream.location
            assert data["failed_documents_present"] is True
            assert data["deep"]["status"] == "CompletedWithErrors"
            text = report.render()
            assert f"failed document stream location: {stream.location}" in text
            assert "Failed documents present: yes" in text
            overall = await backfill.deep_status()
            assert overall.status is StepState.COMPLETED_WITH_ERRORS
            # Told explicitly, the stream is not read.
            store.calls.clear()
            told = await backfill.status(deep=True, has_failed_documents=False)
            assert told.deep is not None
            assert told.deep.status is StepState.COMPLETED
            assert store.calls == []


async def test_status_without_or_with_an_unavailable_stream() -> None:
    store = await seeded({})
    store.fail_next("list_objects", AwsError("boom", code="InternalError"))
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=2)
        async with backfill_with(server, make_stream(store)) as backfill:
            report = await backfill.status(deep=True)
            assert report.deep is not None
            assert report.deep.status is StepState.COMPLETED
            assert report.failed_documents_present is None
            assert report.to_dict()["failed_documents_present"] is None
            assert "Failed documents present: unavailable" in report.render()
            plain = await backfill.status()
            assert plain.status is BackfillStatus.STOPPED
            assert "Failed documents present: no" in plain.render()
        async with backfill_with(server, None) as backfill:
            report = await backfill.status(deep=True)
            assert "failed_document_stream_location" not in report.to_dict()
            assert "failed_documents_present" not in report.to_dict()
            assert "failed document stream" not in report.render()


async def test_reset_archives_then_deletes_or_preserves_the_stream(tmp_path: Path) -> None:
    store = await seeded({f"{ROOT}f.ndjson.gz": gz([rec("1", "t")])})
    stream = make_stream(store)
    async with FakeOpenSearchServer() as server:
        server.seed_working_state(completed=2)
        async with backfill_with(server, stream, archive_dir=tmp_path) as backfill:
            kept = await backfill.reset(path=tmp_path / "a.json")
            assert kept.archive == tmp_path / "a.json"
            assert json.loads(kept.archive.read_text())
            assert kept.failed_documents_deleted is None
            assert "failed document stream records preserved" in kept.render()
            assert store.keys(BUCKET) == [f"{ROOT}f.ndjson.gz"]

            gone = await backfill.reset(include_failed_document_stream=True)
            assert gone.archive is None  # the index was archived and deleted already
            assert gone.failed_documents_deleted == 1
            assert gone.to_dict() == {
                "archive": None,
                "failed_document_stream_location": stream.location,
                "failed_documents_deleted": 1,
            }
            assert store.keys(BUCKET) == []


async def test_reset_waits_for_workers_and_refuses_a_missing_stream() -> None:
    workers = FakeWorkerDeployment(replicas=2, stop_delay=0)
    async with FakeOpenSearchServer() as server, backfill_with(server, None, workers) as backfill:
        with pytest.raises(ConfigError) as refused:
            await backfill.reset(include_failed_document_stream=True)
        assert refused.value.issues[0].path.endswith("failed_document_stream")
        assert (await workers.counts()).running == 2  # nothing was done
        await workers.scale(0)
        result = await backfill.reset()
        assert result.archive is None
        assert result.failed_documents_location is None
        assert "No working state to archive." in result.render()


async def test_environment_injects_the_object_store() -> None:
    from asyncconsole import Environment
    from asyncconsole.environment import Infrastructure

    store = await seeded({f"{ROOT}f.ndjson.gz": gz([rec("1", "t"), rec("1", "u")])})
    config = {
        "target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None},
        "backfill": {
            "reindex_from_snapshot": {
                "k8s": {"namespace": "ma", "deployment_name": "rfs"},
                "backfill_session_name": SESSION,
                "failed_document_stream": {"s3_bucket": BUCKET},
            }
        },
    }
    from asyncconsole.infra.kubernetes import FakeK8sManager

    env = Environment.from_dict(
        config, infra=Infrastructure(object_store=store, k8s=FakeK8sManager())
    )
    assert env.backfill is not None
    stream = env.backfill.failed_documents
    assert stream is not None
    assert stream.location == f"s3://{BUCKET}/{ROOT}"
    assert await stream.count() == 1
    plain = Environment.from_dict(
        {
            **config,
            "backfill": {
                "reindex_from_snapshot": {"k8s": {"namespace": "a", "deployment_name": "b"}}
            },
        },
        infra=Infrastructure(object_store=store, k8s=FakeK8sManager()),
    )
    assert plain.backfill is not None
    assert plain.backfill.failed_documents is None
