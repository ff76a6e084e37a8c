"""The failed-document stream end to end on moto server: the Environment builds an AwsS3Store
from the config, and the CLI reads seeded gzip NDJSON records (duplicates collapsed, another
session ignored, an unreadable stream reported as unavailable)."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from asyncconsole import Environment
from asyncconsole.cli import CliState, cli
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.s3 import AwsS3Store
from tests.unit.test_cli_support import Fakes, Servers, servers

__all__ = ["servers"]

pytestmark = pytest.mark.integration

BUCKET = "migration-fds"
ROOT = "failures/session=backfill-7/"


def gz(*records: dict[str, Any]) -> bytes:
    return gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())


def rec(doc: str | None, ts: str) -> dict[str, Any]:
    found = {"timestamp": ts, "targetIndex": "logs", "failureClass": "NON_RETRYABLE"}
    found["failureType"] = "mapper_parsing_exception"
    return {**found, "documentId": doc} if doc is not None else found


async def seed(endpoint: str, objects: dict[str, bytes], *, bucket: str = BUCKET) -> None:
    options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)
    async with open_aws_client("s3", options) as s3:
        await s3.create_bucket(Bucket=bucket)
        for key, body in objects.items():
            await s3.put_object(Bucket=bucket, Key=key, Body=body)


def config(servers: Servers, endpoint: str, bucket: str = BUCKET) -> dict[str, Any]:
    stream = {"s3_bucket": bucket, "s3_prefix": "failures", "s3_endpoint": endpoint}
    backfill = {
        "reindex_from_snapshot": {
            "k8s": {"namespace": "ma", "deployment_name": "rfs"},
            "backfill_session_name": "backfill-7",
            "failed_document_stream": stream,
        }
    }
    return servers.config(backfill=backfill)


def run(args: list[str], cfg: dict[str, Any]) -> Result:
    fakes = Fakes()
    fakes.k8s.add_deployment("ma", "rfs", replicas=0, labels={"app": "rfs"})
    state = CliState(
        interactive=False,
        env_factory=lambda _path: Environment.from_dict(cfg, infra=fakes.infra()),
    )
    return CliRunner().invoke(cli, args, obj=state, catch_exceptions=False)


def test_status_count_and_list_on_moto(
    servers: Servers, moto_endpoint: str, tmp_path: Path
) -> None:
    asyncio.run(
        seed(
            moto_endpoint,
            {
                f"{ROOT}index=logs/worker=a/f-1.ndjson.gz": gz(
                    rec("a", "2026-02-01T10:00:00Z"), rec(None, "2026-02-01T10:00:01Z")
                ),
                f"{ROOT}index=logs/worker=b/f-1.ndjson.gz": gz(
                    rec("a", "2026-02-01T10:05:00Z"), rec("b", "2026-02-01T09:00:00Z")
                ),
                f"{ROOT}manifest.json": b'{"sealed": true}',
                "failures/session=backfill-6/index=logs/worker=a/f.ndjson.gz": gz(
                    rec("z", "2026-01-01T00:00:00Z")
                ),
            },
        )
    )
    servers.loop.call(lambda: servers.target.seed_working_state(completed=3, session="backfill-7"))
    cfg = config(servers, moto_endpoint)

    status = run(["backfill", "status", "--deep-check"], cfg)
    assert status.exit_code == 0, status.stderr
    assert "Backfill status: CompletedWithErrors" in status.stdout
    assert f"failed document stream location: s3://{BUCKET}/{ROOT}" in status.stdout
    assert "Failed documents present: yes" in status.stdout

    assert run(["failed-document-stream", "count"], cfg).stdout == "3\n"
    listed = run(["failed-document-stream", "list"], cfg).stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [
        ["2026-02-01T09:00:00Z", "logs", "b"],
        ["2026-02-01T10:00:01Z", "logs", ""],
        ["2026-02-01T10:05:00Z", "logs", "a"],
    ]
    assert run(["failed-document-stream", "count", "--session", "backfill-6"], cfg).stdout == "1\n"

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
        cfg,
    )
    assert deleted.exit_code == 0, deleted.stderr
    result = json.loads(deleted.stdout)
    assert result["failed_documents_deleted"] == 3  # with the manifest
    assert result["archive"] is not None
    assert Path(result["archive"]).parent == tmp_path
    assert run(["failed-document-stream", "count"], cfg).stdout == "0\n"
    assert run(["failed-document-stream", "count", "--session", "backfill-6"], cfg).stdout == "1\n"


def test_unreadable_stream_is_unavailable(servers: Servers, moto_endpoint: str) -> None:
    asyncio.run(seed(moto_endpoint, {f"{ROOT}index=logs/worker=a/f.ndjson.gz": b"\x00garbage"}))
    servers.loop.call(lambda: servers.target.seed_working_state(completed=1, session="backfill-7"))
    unreadable = json.loads(
        run(["--json", "backfill", "status", "--deep-check"], config(servers, moto_endpoint)).stdout
    )
    assert unreadable["failed_documents_present"] is None
    assert unreadable["deep"]["status"] == "Completed"

    missing = run(["backfill", "status"], config(servers, moto_endpoint, bucket="no-such-bucket"))
    assert missing.exit_code == 0, missing.stderr
    assert "Failed documents present: unavailable" in missing.stdout
    failed = run(
        ["failed-document-stream", "count"], config(servers, moto_endpoint, "no-such-bucket")
    )
    assert failed.exit_code == 1
    assert "NoSuchBucket" in failed.stderr


async def test_environment_builds_one_store_per_endpoint(moto_endpoint: str) -> None:
    cfg = {
        "target_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None},
        "backfill": {
            "reindex_from_snapshot": {
                "ecs": {"cluster_name": "c", "service_name": "s", "aws_region": "us-east-1"},
                "failed_document_stream": {
                    "s3_bucket": BUCKET,
                    "s3_region": "us-east-1",
                    "s3_endpoint": moto_endpoint,
                    "session": "s1",
                },
            }
        },
    }
    env = Environment.from_dict(cfg)
    assert env.backfill is not None
    stream = env.backfill.failed_documents
    assert stream is not None
    assert stream.location == f"s3://{BUCKET}/rfs-failed-document-stream/session=s1/"
    stores = [obj for _, obj in env.resources if isinstance(obj, AwsS3Store)]
    assert len(stores) == 1
    await seed(
        moto_endpoint, {"rfs-failed-document-stream/session=s1/f.ndjson.gz": gz(rec("x", "t"))}
    )
    async with env:
        assert await stream.presence() is True
