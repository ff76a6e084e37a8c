"""MetadataMigration: console_link's exact argv for every repository, auth and option, extra
argument rules, runs through FakeCommandExecutor (streaming, masking, failures, timeouts,
the run-time download directory), check() and describe()."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import CommandTimeoutError, ConfigError, FakeClock, Secret
from asyncconsole._errors import (
    MetadataMigrationError,
    NoTargetClusterError,
    ToolNotInstalledError,
)
from asyncconsole.config import MetadataMigrationConfig, MigrationConfig
from asyncconsole.config._metadata import NO_SNAPSHOT_MESSAGE, NO_SOURCE_VERSION_MESSAGE
from asyncconsole.infra.commands import FakeCall, FakeCommandExecutor, FakeReply, OutputLine
from asyncconsole.infra.http import BasicAuth, FakeHttpClient
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.metadata import TEMP_DIR_PLACEHOLDER, MetadataMigration, MetadataResult

TOOL = "/opt/mm/bin/MetadataMigration"
TARGET = {"endpoint": "https://target:9200", "no_auth": None}
SOURCE = {"endpoint": "https://source:9200", "no_auth": None, "version": "ES_7.10"}
S3_FROM = {
    "snapshot_name": "snap",
    "local_dir": "/data/s3",
    "s3": {"repo_uri": "s3://bucket/path", "aws_region": "us-east-2"},
}


def build(
    doc: Mapping[str, Any],
    *,
    executor: FakeCommandExecutor | None = None,
    http: FakeHttpClient | None = None,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> MetadataMigration:
    config = MigrationConfig.from_dict(dict(doc))
    assert config.metadata_migration is not None
    target = (
        Cluster(config.target_cluster, http or FakeHttpClient(), name="target")
        if config.target_cluster is not None
        else None
    )
    source = (
        Cluster(config.source_cluster, FakeHttpClient(), name="source")
        if config.source_cluster is not None
        else None
    )
    return MetadataMigration(
        config.metadata_migration,
        target=target,
        source=source,
        snapshot=config.snapshot,
        executor=executor or FakeCommandExecutor(),
        tool_path=TOOL,
        environ={} if environ is None else environ,
        **kwargs,
    )


def services(metadata: Mapping[str, Any], **blocks: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"source_cluster": SOURCE, "target_cluster": TARGET}
    doc.update(blocks)
    doc["metadata_migration"] = dict(metadata)
    return doc


def _entries(path: Path) -> list[Path]:
    return list(path.iterdir())


# -- argv ------------------------------------------------------------------------------------


async def test_s3_from_snapshot_with_basic_auth() -> None:
    target = {
        "endpoint": "https://target:9200",
        "basic_auth": {"username": "admin", "password": "pw!"},
    }
    mm = build(services({"from_snapshot": S3_FROM}, target_cluster=target))
    assert await mm.argv("migrate") == (
        TOOL, "migrate",
        "--snapshot-name", "snap",
        "--target-host", "https://target:9200",
        "--cluster-awareness-attributes", "0",
        "--local-dir", "/data/s3",
        "--repo-uri", "s3://bucket/path",
        "--s3-region", "us-east-2",
        "--target-username", "admin",
        "--target-password", "********",
        "--source-version", "ES_7.10",
    )  # fmt: skip


async def test_fs_from_top_level_snapshot() -> None:
    snapshot = {"snapshot_name": "top", "fs": {"repo_path": "/snapshot/repo"}}
    mm = build(services({"from_snapshot": None}, snapshot=snapshot))
    assert await mm.argv("evaluate") == (
        TOOL, "evaluate",
        "--snapshot-name", "top",
        "--target-host", "https://target:9200",
        "--cluster-awareness-attributes", "0",
        "--repo-uri", "file:///snapshot/repo",
        "--source-version", "ES_7.10",
    )  # fmt: skip


async def test_top_level_s3_snapshot_passes_its_endpoint_and_a_run_time_dir() -> None:
    snapshot = {
        "snapshot_name": "top",
        "s3": {"repo_uri": "s3://b/p", "aws_region": "eu-west-1", "endpoint": "http://minio:9000"},
    }
    mm = build(services({"from_snapshot": None}, snapshot=snapshot))
    assert (await mm.argv())[8:16] == (
        "--local-dir", TEMP_DIR_PLACEHOLDER,
        "--repo-uri", "s3://b/p",
        "--s3-region", "eu-west-1",
        "--endpoint", "http://minio:9000",
    )  # fmt: skip
    assert (await mm.argv(local_dir="/x"))[9] == "/x"


async def test_gcs_from_snapshot_with_endpoint() -> None:
    gcs = {"snapshot_name": "g", "gcs": {"repo_uri": "gs://b/p", "endpoint": "https://gcs.local"}}
    mm = build(services({"from_snapshot": gcs}))
    assert (await mm.argv(local_dir="/dl"))[8:] == (
        "--local-dir", "/dl",
        "--repo-uri", "gs://b/p",
        "--endpoint", "https://gcs.local",
        "--source-version", "ES_7.10",
    )  # fmt: skip


async def test_every_option_in_console_link_order() -> None:
    target = {
        "endpoint": "https://target:9200",
        "allow_insecure": True,
        "sigv4": {"region": "us-west-2", "service": "aoss"},
    }
    metadata = {
        "from_snapshot": {"snapshot_name": "s", "fs": {"repo_path": "/r"}},
        "otel_trace_endpoint": "http://otel:4317",
        "otel_metrics_endpoint": "http://otel:4318",
        "cluster_awareness_attributes": 2,
        "index_allowlist": ["a", "b*"],
        "index_template_allowlist": ["t1"],
        "component_template_allowlist": ["c1", "c2"],
        "source_cluster_version": "OS_1.3",
        "transformer_config_base64": "eyJ4IjoxfQ==",
    }
    mm = build(services(metadata, target_cluster=target))
    assert await mm.argv() == (
        TOOL,
        "--otel-trace-collector-endpoint", "http://otel:4317",
        "--otel-metrics-collector-endpoint", "http://otel:4318",
        "migrate",
        "--snapshot-name", "s",
        "--target-host", "https://target:9200",
        "--cluster-awareness-attributes", "2",
        "--repo-uri", "file:///r",
        "--target-aws-service-signing-name", "aoss",
        "--target-aws-region", "us-west-2",
        "--target-insecure",
        "--index-allowlist", "a,b*",
        "--index-template-allowlist", "t1",
        "--component-template-allowlist", "c1,c2",
        "--source-version", "OS_1.3",
        "--transformer-config-base64", "eyJ4IjoxfQ==",
    )  # fmt: skip


async def test_plain_http_target_is_insecure_by_default() -> None:
    target = {"endpoint": "http://target:9200", "no_auth": None}
    argv = await build(services({"from_snapshot": S3_FROM}, target_cluster=target)).argv()
    assert argv[argv.index("--s3-region") + 2] == "--target-insecure"


async def test_sigv4_region_falls_back_to_the_environment_else_errors() -> None:
    target = {"endpoint": "https://t:443", "sigv4": None}
    doc = services({"from_snapshot": S3_FROM}, target_cluster=target)
    argv = await build(doc, environ={"AWS_DEFAULT_REGION": "ap-south-1"}).argv()
    i = argv.index("--target-aws-service-signing-name")
    assert argv[i : i + 4] == (
        "--target-aws-service-signing-name", "es", "--target-aws-region", "ap-south-1"
    )  # fmt: skip
    with pytest.raises(ConfigError, match="no region for SigV4"):
        await build(doc, environ={}).argv()


async def test_extra_args_pairs_flags_overwrites_and_lone_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mm = build(services({"from_snapshot": {"snapshot_name": "s", "fs": {"repo_path": "/r"}}}))
    extra = [
        "stray",
        "--snapshot-name", "other",
        "--multi-type-behavior", "UNION",
        "--verbose",
        "--index-allowlist", "x",
        "--target-password", "leak",
    ]  # fmt: skip
    with caplog.at_level(logging.WARNING, "asyncconsole.services.metadata"):
        argv = await mm.argv("migrate", extra)
    assert argv == (
        TOOL, "migrate",
        "--snapshot-name", "other",
        "--target-host", "https://target:9200",
        "--cluster-awareness-attributes", "0",
        "--repo-uri", "file:///r",
        "--source-version", "ES_7.10",
        "--multi-type-behavior", "UNION",
        "--verbose",
        "--index-allowlist", "x",
        "--target-password", "********",
    )  # fmt: skip
    assert "Ignoring extra value stray, there was no command name before it" in caplog.text
    with pytest.raises(TypeError):
        await mm.argv("migrate", "--verbose")


async def test_basic_auth_from_a_secret_comes_from_the_clusters_http_auth() -> None:
    target = {"endpoint": "https://t:9200", "basic_auth": {"k8s_secret_name": "creds"}}
    doc = services({"from_snapshot": S3_FROM}, target_cluster=target)
    http = FakeHttpClient(auth=BasicAuth("fromk8s", "s3cret"))
    argv = await build(doc, http=http).argv()
    i = argv.index("--target-username")
    assert argv[i : i + 4] == ("--target-username", "fromk8s", "--target-password", "********")

    @dataclass
    class Found:
        username: str
        password: Secret

    class LazySecretAuth:
        fetches = 0

        async def basic_auth(self) -> Found:
            self.fetches += 1
            return Found("fromarn", Secret("pw"))

        async def headers_for(self, request: object) -> Mapping[str, str]:
            return {}

    lazy = LazySecretAuth()
    executor = FakeCommandExecutor().script([TOOL, ...], stdout="ok\n")
    mm = build(doc, http=FakeHttpClient(auth=lazy), executor=executor)
    await mm.migrate()
    assert lazy.fetches == 1
    assert executor.calls[0].revealed[i : i + 4] == (
        "--target-username",
        "fromarn",
        "--target-password",
        "pw",
    )

    with pytest.raises(ConfigError, match="cannot resolve"):
        await build(doc).argv()


async def test_config_errors_with_console_link_messages() -> None:
    config = MigrationConfig.from_dict(services({"from_snapshot": S3_FROM}))
    assert config.target_cluster is not None
    target = Cluster(config.target_cluster, FakeHttpClient(), name="target")
    empty = MetadataMigrationConfig.model_validate({"from_snapshot": None})
    with pytest.raises(ConfigError) as no_snapshot:
        MetadataMigration(
            empty, target=target, source=None, snapshot=None, executor=FakeCommandExecutor()
        )
    assert NO_SNAPSHOT_MESSAGE in str(no_snapshot.value)
    assert config.metadata_migration is not None
    with pytest.raises(ConfigError) as no_version:
        MetadataMigration(
            config.metadata_migration,
            target=target,
            source=None,
            snapshot=None,
            executor=FakeCommandExecutor(),
        )
    assert NO_SOURCE_VERSION_MESSAGE.strip() in str(no_version.value)


async def test_no_target_cluster_is_a_typed_error() -> None:
    doc = services({"from_snapshot": S3_FROM})
    del doc["target_cluster"]
    mm = build(doc)
    with pytest.raises(NoTargetClusterError, match="without a target cluster"):
        await mm.argv()
    with pytest.raises(NoTargetClusterError):
        await mm.migrate()
    with pytest.raises(NoTargetClusterError):
        await mm.evaluate()


# -- running ---------------------------------------------------------------------------------


async def test_migrate_streams_lines_and_masks_the_password() -> None:
    target = {
        "endpoint": "https://target:9200",
        "basic_auth": {"username": "u", "password": "hunter2"},
    }
    executor = FakeCommandExecutor(clock=FakeClock())
    executor.script(
        [TOOL, "migrate", ...],
        steps=[
            OutputLine("stdout", "Starting metadata migration"),
            1.0,
            OutputLine("stdout", "password was hunter2"),
            OutputLine("stderr", "WARN something"),
        ],
    )
    mm = build(services({"from_snapshot": S3_FROM}, target_cluster=target), executor=executor)
    seen: list[OutputLine] = []

    result = await mm.migrate(["--verbose"], on_line=seen.append)

    assert isinstance(result, MetadataResult)
    assert result.ok
    assert result.exit_code == 0
    assert result.command == "migrate"
    assert [line.text for line in seen] == [
        "Starting metadata migration",
        "password was ********",
        "WARN something",
    ]
    assert result.output == "Starting metadata migration\npassword was ********\n"
    assert "hunter2" not in repr(result)
    assert "hunter2" not in str(result.to_dict())
    assert result.argv[-3:] == ("--source-version", "ES_7.10", "--verbose")
    assert "********" in result.argv
    call = executor.calls[0]
    assert "hunter2" in call.revealed  # the tool itself gets the real password
    assert call.timeout == 3600.0
    assert result.duration == pytest.approx(1.0)
    assert str(result).endswith("Command executed successfully")
    assert result.to_dict()["success"] is True


async def test_failure_raises_with_the_tools_output() -> None:
    target = {"endpoint": "https://t:9200", "basic_auth": {"username": "u", "password": "hunter2"}}
    executor = FakeCommandExecutor().script(
        [TOOL, "evaluate", ...],
        exit_code=3,
        stdout="Clusters:\nERROR: cannot reach https://t:9200 as u/hunter2\n",
    )
    mm = build(services({"from_snapshot": S3_FROM}, target_cluster=target), executor=executor)
    with pytest.raises(MetadataMigrationError) as caught:
        await mm.evaluate()
    error = caught.value
    assert error.exit_code == 3
    assert error.command == "evaluate"
    assert "MetadataMigration evaluate failed with exit code 3" in str(error)
    assert "ERROR: cannot reach https://t:9200 as u/********" in str(error)
    assert "hunter2" not in error.stdout + str(error) + " ".join(error.argv)


async def test_s3_download_dir_is_made_at_run_time_and_removed(tmp_path: Path) -> None:
    from_snapshot = {"snapshot_name": "snap", "s3": {"repo_uri": "s3://b/p", "aws_region": "r"}}
    made: list[str] = []

    def reply(call: FakeCall) -> FakeReply:
        directory = call.revealed[call.revealed.index("--local-dir") + 1]
        made.append(directory)
        assert os.path.isdir(directory)
        return FakeReply(stdout="done\n")

    executor = FakeCommandExecutor().script([TOOL, ...], reply)
    mm = build(
        services({"from_snapshot": from_snapshot}), executor=executor, temp_root=str(tmp_path)
    )
    assert _entries(tmp_path) == []  # nothing made at construction
    await mm.migrate()
    await mm.evaluate()
    assert len(made) == 2
    assert made[0] != made[1]
    assert all(
        Path(d).parent == tmp_path and Path(d).name.startswith("migration-snap-") for d in made
    )
    assert _entries(tmp_path) == []


async def test_timeout_stops_the_run_and_still_cleans_up(tmp_path: Path) -> None:
    from_snapshot = {"snapshot_name": "snap", "gcs": {"repo_uri": "gs://b/p"}}
    executor = FakeCommandExecutor().script([TOOL, ...], stdout="downloading\n", delay=100.0)
    mm = build(
        services({"from_snapshot": from_snapshot}),
        executor=executor,
        timeout=30.0,
        temp_root=str(tmp_path),
    )
    with pytest.raises(CommandTimeoutError) as caught:
        await mm.migrate()
    assert caught.value.stdout == "downloading\n"
    assert executor.calls[0].outcome == "timed_out"
    assert _entries(tmp_path) == []


async def test_missing_tool_is_reported_as_not_installed() -> None:
    mm = build(services({"from_snapshot": S3_FROM}))  # the executor knows no programs
    with pytest.raises(
        ToolNotInstalledError, match="MetadataMigration tool not installed"
    ) as caught:
        await mm.migrate()
    assert caught.value.tool == TOOL


async def test_check_needs_an_executable_tool(tmp_path: Path) -> None:
    config = MigrationConfig.from_dict(services({"from_snapshot": S3_FROM}))
    assert config.metadata_migration is not None
    assert config.target_cluster is not None
    target = Cluster(config.target_cluster, FakeHttpClient(), name="target")

    def mm(tool: Path) -> MetadataMigration:
        assert config.metadata_migration is not None
        return MetadataMigration(
            config.metadata_migration.model_copy(update={"source_cluster_version": "ES_7.10"}),
            target=target,
            source=None,
            snapshot=None,
            executor=FakeCommandExecutor(),
            tool_path=str(tool),
        )

    tool = tmp_path / "MetadataMigration"
    with pytest.raises(ToolNotInstalledError, match=r"not installed: .* does not exist"):
        await mm(tool).check()
    tool.write_text("#!/bin/sh\n")
    with pytest.raises(ToolNotInstalledError, match="is not executable"):
        await mm(tool).check()
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    detail = await mm(tool).check()
    assert detail == f"MetadataMigration tool at {tool}; snapshot snap (s3) -> https://target:9200"


async def test_describe_is_plain_data_without_secrets() -> None:
    target = {"endpoint": "https://t:9200", "basic_auth": {"username": "u", "password": "hunter2"}}
    mm = build(
        services({"from_snapshot": S3_FROM, "index_allowlist": ["a"]}, target_cluster=target)
    )
    data = mm.describe()
    assert data["snapshot"] == {
        "snapshot_name": "snap",
        "repo_type": "s3",
        "repo_uri": "s3://bucket/path",
        "local_dir": "/data/s3",
        "from_top_level_snapshot": False,
        "aws_region": "us-east-2",
    }
    assert data["target"] == "https://t:9200"
    assert data["target_auth"] == "basic_auth"
    assert data["index_allowlist"] == ["a"]
    assert data["source_version"] == "ES_7.10"
    assert "hunter2" not in repr(data)


async def test_cancelling_a_run_stops_the_tool_and_removes_the_download_dir(
    tmp_path: Path,
) -> None:
    import asyncio
    import math

    from_snapshot = {"snapshot_name": "snap", "s3": {"repo_uri": "s3://b/p", "aws_region": "r"}}
    # Time stands still, so only the cancellation can end the run.
    executor = FakeCommandExecutor(clock=FakeClock(auto_advance=False))
    executor.script([TOOL, ...], delay=math.inf)
    mm = build(
        services({"from_snapshot": from_snapshot}), executor=executor, temp_root=str(tmp_path)
    )
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await mm.migrate()
    assert executor.calls[0].outcome == "cancelled"
    assert _entries(tmp_path) == []
