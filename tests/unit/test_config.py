"""asyncconsole.config: the reference's test-data files load, with console_link's defaults,
aliases and derived values; dumps round-trip; building a config does no I/O."""

from __future__ import annotations

import builtins
import tempfile
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import ConfigError, Secret
from asyncconsole.config import (
    DEFAULT_SNAPSHOT_REPO,
    ClusterConfig,
    DockerDeploymentConfig,
    ECSDeploymentConfig,
    FSRepoConfig,
    GCSRepoConfig,
    K8sDeploymentConfig,
    MigrationConfig,
    S3RepoConfig,
    SnapshotConfig,
    SourceClusterConfig,
    aload_config,
    load_config,
)

DATA = Path(__file__).resolve().parent.parent / "data"
VALID_FILES = sorted(DATA.glob("*.yaml"))


def _load(name: str) -> MigrationConfig:
    return load_config(DATA / name)


def test_the_reference_data_files_are_all_here() -> None:
    names = {p.name for p in VALID_FILES}
    assert {
        "services.yaml",
        "services_with_client_options.yaml",
        "services_with_ecs_rfs.yaml",
    } <= names


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.name)
def test_every_valid_data_file_loads_and_round_trips(path: Path) -> None:
    config = load_config(path)
    assert MigrationConfig.from_file(path) == config
    assert MigrationConfig.from_yaml(path.read_text()) == config
    assert MigrationConfig.from_dict(config.to_dict(reveal_secrets=True)) == config
    assert MigrationConfig.from_yaml(config.to_yaml(reveal_secrets=True)) == config
    revealed = config.model_dump(context={"reveal_secrets": True})
    assert MigrationConfig.model_validate(revealed) == config


def test_kitchen_sink_services_yaml() -> None:
    # reference §9 item 1: source, target, backfill, metrics; no client_options.
    config = _load("services.yaml")
    source, target = config.source_cluster, config.target_cluster
    assert isinstance(source, SourceClusterConfig)
    assert source.endpoint == "https://elasticsearch:9200"
    assert source.allow_insecure is True
    assert source.version == "ES_7.10"
    assert source.auth_kind == "basic_auth"
    assert source.basic_auth is not None
    assert source.basic_auth.username == "admin"
    assert source.basic_auth.password == Secret("admin")
    assert source.basic_auth.credential_source == "inline"
    assert source.proxy is None
    assert config.proxy is None
    assert target is not None
    assert target.endpoint == "https://opensearchtarget:9200"
    assert target.auth_kind == "basic_auth"
    assert config.client_options is None

    assert config.metrics_source is not None
    assert config.metrics_source.kind == "prometheus"
    assert config.metrics_source.prometheus is not None
    assert config.metrics_source.prometheus.endpoint == "http://prometheus:9090"

    assert config.backfill is not None
    rfs = config.backfill.rfs
    assert rfs.deployment_kind == "docker"
    assert rfs.deployment == DockerDeploymentConfig(socket=None)
    assert rfs.scale == 5
    assert rfs.working_state_index == ".migrations_working_state"

    snapshot = config.snapshot
    assert snapshot is not None
    assert snapshot.snapshot_name == "test_snapshot"
    assert snapshot.snapshot_repo_name == DEFAULT_SNAPSHOT_REPO
    assert not snapshot.is_external_repo
    assert snapshot.repo == FSRepoConfig(repo_path="/snapshot/test-console")
    assert snapshot.repo_kind == "fs"
    assert snapshot.otel_trace_endpoint == "http://otel-collector:4317"
    assert snapshot.mode == "create"
    assert snapshot.solr_collections == []

    metadata = config.metadata_migration
    assert metadata is not None
    assert metadata.cluster_awareness_attributes == 0
    resolved = metadata.resolved_snapshot(config.snapshot)
    assert resolved.snapshot_name == "snapshot_2023_01_01"
    assert resolved.repo == S3RepoConfig(repo_uri="s3://my-snapshot-bucket", aws_region="us-east-2")
    assert resolved.local_dir is None
    assert resolved.from_top_level is False
    assert metadata.resolved_source_version(source) == "ES_7.10"

    assert config.replay is not None
    assert config.replay.deployment == ECSDeploymentConfig(
        cluster_name="my-cluster", service_name="my-service"
    )
    assert config.replay.scale == 2

    assert config.kafka is not None
    assert config.kafka.auth_kind == "standard"
    assert config.kafka.brokers == ["kafka1:9092", "kafka2:9092", "kafka3:9092"]


def test_client_options_and_ecs_backfill() -> None:
    config = _load("services_with_client_options.yaml")
    assert config.client_options is not None
    assert config.client_options.user_agent_extra == "test-user-agent-v1.0"
    assert config.backfill is not None
    assert config.backfill.rfs.deployment == ECSDeploymentConfig(
        cluster_name="migration-cluster", service_name="rfs-service", aws_region=None
    )


def test_minimal_ecs_backfill_and_target_only() -> None:
    config = _load("services_with_ecs_rfs.yaml")
    assert config.source_cluster is None
    assert config.backfill is not None
    assert config.backfill.rfs.deployment_kind == "ecs"
    # reference §9 item 3: target only; every other block is None.
    target_only = _load("services_target_only.yaml")
    assert target_only.target_cluster is not None
    assert target_only.target_cluster.auth_kind == "no_auth"
    others = [name for name in MigrationConfig.model_fields if name != "target_cluster"]
    assert all(getattr(target_only, name) is None for name in others)


def test_empty_file_and_none_are_an_empty_environment(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    for config in (load_config(empty), load_config(None), load_config({}), _load("empty.yaml")):
        assert config == MigrationConfig()
        assert config.to_dict() == {}


def test_console_link_full_example_works_unchanged() -> None:
    config = _load("migration_services_full.yaml")
    source = config.source_cluster
    assert source is not None
    assert source.sigv4 is not None
    assert (source.sigv4.region, source.sigv4.service) == ("us-east-1", "es")
    assert source.auth_kind == "sigv4"
    assert config.target_cluster is not None
    assert config.target_cluster.allow_insecure is False  # https default
    assert config.target_cluster.basic_auth is not None
    assert config.target_cluster.basic_auth.credential_source == "secrets_manager"
    assert config.metrics_source is not None
    assert config.metrics_source.kind == "cloudwatch"
    assert config.metrics_source.cloudwatch is not None
    assert config.metrics_source.cloudwatch.qualifier == "dev"
    assert config.backfill is not None
    rfs = config.backfill.rfs
    assert rfs.scale == 8
    assert rfs.working_state_index == ".migrations_working_state_session1"
    assert isinstance(rfs.deployment, ECSDeploymentConfig)
    assert rfs.deployment.aws_region == "us-east-1"
    assert config.replay is not None
    assert config.replay.deployment == K8sDeploymentConfig(
        namespace="ma", deployment_name="ma-replayer"
    )
    assert config.replay.scale == 3
    assert config.snapshot is not None
    assert isinstance(config.snapshot.repo, S3RepoConfig)
    assert config.snapshot.repo.role is not None
    metadata = config.metadata_migration
    assert metadata is not None
    assert metadata.from_snapshot is None
    resolved = metadata.resolved_snapshot(config.snapshot)
    assert resolved.from_top_level is True
    assert resolved.snapshot_name == "rfs-snapshot"
    assert resolved.repo is config.snapshot.repo
    assert metadata.index_allowlist == ["logs-*", "orders"]
    assert metadata.cluster_awareness_attributes == 1
    assert config.kafka is not None
    assert config.kafka.auth_kind == "msk"


def test_aliases_and_proxy_inherit_source_auth() -> None:
    # reference §9 item 5
    config = _load("services_with_proxy.yaml")
    assert config.source_cluster is not None
    assert config.target_cluster is not None
    assert config.target_cluster.basic_auth is not None
    assert config.target_cluster.basic_auth.credential_source == "k8s_secret"
    proxy = config.proxy
    assert isinstance(proxy, ClusterConfig)
    assert not isinstance(proxy, SourceClusterConfig)
    assert proxy.endpoint == "https://capture-proxy:9201"
    assert proxy.auth_kind == "basic_auth"
    assert proxy.basic_auth == config.source_cluster.basic_auth
    assert proxy.allow_insecure is False
    assert proxy.version == "ES_7.10"
    assert proxy.sigv4_signing_endpoint is None


def test_sigv4_proxy_signs_for_the_source_domain() -> None:
    config = _load("services_with_sigv4_proxy.yaml")
    source = config.source_cluster
    assert source is not None
    assert source.sigv4 is not None
    assert (source.sigv4.region, source.sigv4.service) == (None, "es")  # empty sigv4: defaults
    proxy = config.proxy
    assert proxy is not None
    assert proxy.endpoint == "http://capture-proxy:9200"
    assert proxy.allow_insecure is False  # proxy default, whatever the scheme
    assert proxy.auth_kind == "sigv4"
    assert proxy.sigv4_signing_endpoint == source.endpoint


@pytest.mark.parametrize(
    ("endpoint", "insecure"),
    [
        ("https://h:9200", False),
        ("HTTPS://h:9200", False),
        ("http://h:9200", True),
    ],
)
def test_allow_insecure_default_depends_on_scheme(endpoint: str, insecure: bool) -> None:
    cluster = ClusterConfig.model_validate({"endpoint": endpoint, "no_auth": None})
    assert cluster.allow_insecure is insecure
    assert cluster.verify_tls is not insecure
    explicit = ClusterConfig.model_validate(
        {"endpoint": endpoint, "no_auth": None, "allow_insecure": not insecure}
    )
    assert explicit.allow_insecure is not insecure
    assert "allow_insecure" not in cluster.model_dump(exclude_unset=True)


def test_defaults() -> None:
    config = MigrationConfig.from_dict(
        {
            "target_cluster": {"endpoint": "http://t:9200", "no_auth": None},
            "backfill": {
                "reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}
            },
            "replay": {"docker": None},
            "snapshot": {"snapshot_name": "s", "gcs": {"repo_uri": "gs://b"}},
            "kafka": {"broker_endpoints": "k:9092", "scram": {"username": "u"}},
        }
    )
    assert config.backfill is not None
    assert config.backfill.rfs.scale == 5
    assert config.replay is not None
    assert config.replay.scale == 1
    assert config.replay.deployment == DockerDeploymentConfig()
    assert config.snapshot is not None
    assert config.snapshot.snapshot_repo_name == "migration_assistant_repo"
    assert isinstance(config.snapshot.repo, GCSRepoConfig)
    assert config.kafka is not None
    assert config.kafka.scram is not None
    assert config.kafka.scram.password_env == "KAFKA_SCRAM_PASSWORD"
    assert config.kafka.auth_kind == "scram"


def test_solr_snapshot_and_scram_kafka() -> None:
    config = _load("services_with_scram_kafka.yaml")
    assert config.snapshot is not None
    assert config.snapshot.mode == "import"
    assert config.snapshot.solr_collections == ["books", "films"]
    assert config.snapshot.repo_kind == "gcs"
    assert config.kafka is not None
    assert config.kafka.brokers == ["kafka-0.kafka:9093", "kafka-1.kafka:9093"]
    scram = config.kafka.scram
    assert scram is not None
    assert scram.resolve_password({"MY_SCRAM_PASSWORD": "pw"}) == Secret("pw")
    with pytest.raises(ConfigError) as caught:
        scram.resolve_password({})
    assert [str(i) for i in caught.value.issues] == [
        "kafka.scram.password: SCRAM password not found. Set 'MY_SCRAM_PASSWORD' environment "
        "variable or provide 'password' in the scram config."
    ]
    inline = scram.model_copy(update={"password": Secret("inline")})
    assert inline.resolve_password({"MY_SCRAM_PASSWORD": "pw"}) == Secret("inline")


def test_scram_password_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = MigrationConfig.from_dict(
        {"kafka": {"broker_endpoints": "k:9093", "scram": {"username": "u"}}}
    )
    assert config.kafka is not None
    assert config.kafka.scram is not None
    monkeypatch.setenv("KAFKA_SCRAM_PASSWORD", "from-env")
    assert config.kafka.scram.resolve_password().get() == "from-env"


def test_is_solr() -> None:
    solr = ClusterConfig.model_validate(
        {"endpoint": "http://s", "version": "solr 8.11", "no_auth": None}
    )
    es = ClusterConfig.model_validate(
        {"endpoint": "http://s", "version": "ES_7.10", "no_auth": None}
    )
    assert solr.is_solr
    assert not es.is_solr


def test_metadata_version_from_its_own_block_wins() -> None:
    config = MigrationConfig.from_dict(
        {
            "source_cluster": {"endpoint": "http://s", "no_auth": None, "version": "ES_7.10"},
            "metadata_migration": {
                "from_snapshot": {
                    "snapshot_name": "n",
                    "fs": {"repo_path": "/r"},
                    "local_dir": "/d",
                },
                "source_cluster_version": "ES_6.8",
            },
        }
    )
    metadata = config.metadata_migration
    assert metadata is not None
    assert metadata.resolved_source_version(config.source_cluster) == "ES_6.8"
    resolved = metadata.resolved_snapshot(None)
    assert (resolved.repo, resolved.local_dir) == (FSRepoConfig(repo_path="/r"), "/d")


def test_resolvers_refuse_when_nothing_is_given() -> None:
    metadata = MigrationConfig.from_dict(
        {
            "snapshot": {"snapshot_name": "s", "fs": {"repo_path": "/r"}},
            "metadata_migration": {"from_snapshot": None, "source_cluster_version": "ES_7.10"},
        }
    ).metadata_migration
    assert metadata is not None
    with pytest.raises(ConfigError, match="No snapshot is specified"):
        metadata.resolved_snapshot(None)
    bare = metadata.model_copy(update={"source_cluster_version": None})
    with pytest.raises(ConfigError, match="A version field in the source_cluster object"):
        bare.resolved_source_version(None)


def test_models_are_immutable() -> None:
    config = _load("services.yaml")
    with pytest.raises(Exception, match="frozen"):
        config.kafka = None  # type: ignore[misc]
    assert config.snapshot is not None
    renamed = config.snapshot.model_copy(update={"snapshot_repo_name": "external"})
    assert renamed.is_external_repo
    assert isinstance(renamed, SnapshotConfig)


def test_building_a_config_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    # console_link's Metadata made a temp dir and ScramKafka wrote a file at construction.
    data: dict[str, Any] = _load("services.yaml").to_dict(reveal_secrets=True)
    data["kafka"] = {
        "broker_endpoints": "k:9093",
        "scram": {"username": "u", "ca_cert_path": "/ca"},
    }
    data["metadata_migration"]["from_snapshot"]["local_dir"] = None

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError("I/O while building a config")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    config = MigrationConfig.from_dict(data)
    assert config.kafka is not None
    assert config.kafka.auth_kind == "scram"


async def test_aload_config_reads_files_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "migration_services.yaml"
    path.write_text((DATA / "services.yaml").read_text())
    assert await aload_config(path) == _load("services.yaml")
    assert await aload_config(str(path)) == _load("services.yaml")
    assert await aload_config({"target": {"endpoint": "http://t", "no_auth": None}}) == load_config(
        {"target_cluster": {"endpoint": "http://t", "no_auth": None}}
    )
    with pytest.raises(ConfigError, match="No such file or directory"):
        await aload_config(tmp_path / "missing.yaml")


def test_default_path_is_console_links(tmp_path: Path) -> None:
    import inspect

    default = inspect.signature(load_config).parameters["source"].default
    assert default == "/config/migration_services.yaml"


def test_json_schema_for_editors() -> None:
    schema = MigrationConfig.model_json_schema()
    basic = schema["$defs"]["BasicAuthConfig"]
    assert basic["additionalProperties"] is False
    password = basic["properties"]["password"]["anyOf"][0]
    assert password == {"type": "string", "writeOnly": True}
    assert schema["$defs"]["ReindexFromSnapshotConfig"]["properties"]["scale"]["default"] == 5
    # the attribute docstrings describe the fields (read only when a schema is asked for)
    assert schema["properties"]["source_cluster"]["description"] == "The cluster migrated from."


def test_accessors_on_unvalidated_blocks_raise_config_error() -> None:
    # model_construct skips validation; the accessors still fail with a clear ConfigError.
    from asyncconsole.config import (
        BackfillConfig,
        KafkaConfig,
        MetadataFromSnapshotConfig,
        MetricsSourceConfig,
        ReplayConfig,
    )

    accessors: list[tuple[Any, str]] = [
        (ClusterConfig.model_construct(endpoint="e"), "auth_kind"),
        (ReplayConfig.model_construct(), "deployment"),
        (BackfillConfig.model_construct(), "rfs"),
        (SnapshotConfig.model_construct(snapshot_name="s"), "repo"),
        (MetadataFromSnapshotConfig.model_construct(snapshot_name="s"), "repo"),
        (MetricsSourceConfig.model_construct(), "kind"),
        (KafkaConfig.model_construct(broker_endpoints="b"), "auth_kind"),
    ]
    for block, name in accessors:
        with pytest.raises(ConfigError):
            getattr(block, name)
