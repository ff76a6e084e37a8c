"""Environment: wiring from config (console_link's §9 items 1-6), auth, lifecycle, check()."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import ConfigError, Environment, FakeClock, Report
from asyncconsole.config import ClusterConfig
from asyncconsole.environment import (
    COMPONENTS,
    Infrastructure,
    SecretBasicAuth,
    aiohttp_client_factory,
    secret_region,
)
from asyncconsole.infra.http import (
    BasicAuth,
    FakeHttpClient,
    HttpAuth,
    HttpClient,
    HttpRequest,
    HttpResponse,
    SigV4Auth,
)
from asyncconsole.infra.kubernetes import FakeK8sManager
from asyncconsole.infra.secrets import FakeSecretStore
from asyncconsole.orchestrator import Event, EventKind

DATA = Path(__file__).resolve().parents[1] / "data"

OS_ROOT = {
    "name": "node-1",
    "cluster_name": "fake",
    "version": {"number": "2.15.0", "distribution": "opensearch"},
    "tagline": "The OpenSearch Project: https://opensearch.org/",
}


class Clients:
    """An ``HttpClientFactory`` of fake clusters that remembers what it built."""

    def __init__(self, *, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.built: dict[str, FakeHttpClient] = {}
        self.configs: dict[str, ClusterConfig] = {}
        self.auths: dict[str, HttpAuth | None] = {}

    def __call__(self, config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
        client = FakeHttpClient(base_url=config.endpoint, auth=auth, clock=self.clock, retry=False)
        client.route("GET", "/", json=OS_ROOT)
        self.built[config.endpoint] = client
        self.configs[config.endpoint] = config
        self.auths[config.endpoint] = auth
        return client


def env_for(data: dict[str, Any], **infra: Any) -> tuple[Environment, Clients]:
    clients = infra.pop("http", None) or Clients()
    env = Environment.from_dict(data, infra=Infrastructure(http=clients, **infra))
    return env, clients


TARGET = {"endpoint": "https://target:9200", "basic_auth": {"username": "admin", "password": "pw"}}
SOURCE = {"endpoint": "http://source:9200", "version": "ES_7.10", "no_auth": None}


# -- §9 item 3: minimal target-only ------------------------------------------------------------


def test_target_only_builds_and_everything_else_is_none() -> None:
    env, clients = env_for({"target_cluster": {"endpoint": "http://t:9200", "no_auth": None}})
    assert env.target_cluster is not None
    assert env.target_cluster.name == "target"
    # services hold an on-demand view of each client (it opens the client on first use)
    view: Any = env.target_cluster.http
    assert view.__wrapped__ is clients.built["http://t:9200"]
    assert isinstance(env.target_cluster.http, FakeHttpClient)
    for name in COMPONENTS:
        if name != "target_cluster":
            assert getattr(env, name) is None, name
    assert list(env.components) == ["target_cluster"]
    assert env.client_options is None
    assert clients.auths["http://t:9200"] is None


def test_empty_config_is_an_empty_environment() -> None:
    env = Environment.from_dict(None)
    assert env.components == {}
    assert env.describe() == {}
    assert "(empty)" in repr(env)


# -- §9 item 4: unknown keys -------------------------------------------------------------------


def test_unknown_keys_raise_config_error_with_key_paths() -> None:
    with pytest.raises(ConfigError) as caught:
        Environment.from_dict(
            {
                "source_cluster": {**SOURCE, "unknown_field": 1},
                "target_cluster": TARGET,
                "not_a_service": {},
            }
        )
    paths = {issue.path for issue in caught.value.issues}
    assert "source_cluster.unknown_field" in paths
    assert "not_a_service" in paths


def test_backfill_without_target_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        Environment.from_dict({"backfill": {"reindex_from_snapshot": {"docker": None}}})
    assert any(
        issue.path == "backfill" and "target_cluster must be provided" in issue.message
        for issue in caught.value.issues
    )


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"metrics_source": {"prometheus": {"endpoint": "prometheus:9090"}}},
         "metrics_source.prometheus.endpoint"),
        ({"target_cluster": {"endpoint": "admin:s3cret@localhost:9200", "no_auth": None}},
         "target_cluster.endpoint"),
        ({"target_cluster": {"endpoint": "<TARGET_ENDPOINT>", "no_auth": None}},
         "target_cluster.endpoint"),
        ({"source_cluster": {"endpoint": "http://s", "no_auth": None,
                             "proxy": {"endpoint": "proxy:9201"}}},
         "source_cluster.proxy.endpoint"),
    ],
)  # fmt: skip
def test_an_endpoint_without_a_scheme_names_its_key_not_its_value(
    config: dict[str, Any], path: str
) -> None:
    # console_link loads these and fails on first use; refused here, at the key, and the
    # value (which may hold credentials) is never echoed
    with pytest.raises(ConfigError) as caught:
        Environment.from_dict(config)
    assert [issue.path for issue in caught.value.issues] == [path]
    message = str(caught.value)
    assert "http://" in message
    assert "s3cret" not in message
    assert "localhost" not in message
    assert "TARGET_ENDPOINT" not in message
    assert "9090" not in message


def test_file_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read configuration file"):
        Environment.from_file(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="Invalid YAML"):
        Environment.from_yaml("target_cluster: [unclosed")


# -- §9 item 5: proxy --------------------------------------------------------------------------


def test_proxy_inherits_basic_auth_of_the_source() -> None:
    source = {
        "endpoint": "https://source:9200",
        "basic_auth": {"username": "admin", "password": "pw"},
        "proxy": {"endpoint": "https://proxy:9201"},
    }
    env, clients = env_for({"source_cluster": source})
    assert env.proxy is not None
    assert env.proxy.endpoint == "https://proxy:9201"
    assert env.proxy.auth_kind == "basic_auth"
    # one auth object for both, so a secret would be fetched once for the two
    assert clients.auths["https://proxy:9201"] is clients.auths["https://source:9200"]
    assert clients.auths["https://proxy:9201"] == BasicAuth("admin", "pw")
    assert clients.configs["https://proxy:9201"].allow_insecure is False


async def test_proxy_with_sigv4_signs_for_the_source_endpoint() -> None:
    source = {
        "endpoint": "https://search-domain.us-east-1.es.amazonaws.com",
        "sigv4": {"region": "us-east-1", "service": "es"},
        "proxy": {"endpoint": "https://capture-proxy:9200", "allow_insecure": True},
    }
    env, clients = env_for({"source_cluster": source})
    assert env.proxy is not None
    assert env.source_cluster is not None
    proxy_auth = clients.auths["https://capture-proxy:9200"]
    assert isinstance(proxy_auth, SigV4Auth)
    assert proxy_auth.signing_endpoint == source["endpoint"]
    assert proxy_auth.region == "us-east-1"
    assert proxy_auth.service == "es"
    source_auth = clients.auths[source["endpoint"]]
    assert isinstance(source_auth, SigV4Auth)
    assert source_auth.signing_endpoint is None
    assert (
        clients.configs["https://capture-proxy:9200"].sigv4_signing_endpoint == source["endpoint"]
    )


# -- building is free of I/O ------------------------------------------------------------------


def test_real_infrastructure_is_built_but_not_connected() -> None:
    env = Environment.from_file(DATA / "services_with_client_options.yaml")
    kinds = {type(obj).__name__ for _, obj in env.resources}
    assert {"AiohttpClient", "AwsECSManager", "PrometheusMetricsCollector"} <= kinds
    assert "SubprocessExecutor" in kinds  # metadata and kafka tools
    for _name, obj in env.resources:
        assert not getattr(obj, "_opened", False), _name
    from asyncconsole.infra.http import AiohttpClient

    http_clients = [obj for _, obj in env.resources if isinstance(obj, AiohttpClient)]
    assert len(http_clients) == 2  # source and target
    for client in http_clients:
        assert client.allow_insecure is True
        assert client.user_agent.endswith(" test-user-agent-v1.0")


def test_aiohttp_factory_uses_cluster_tls_setting_and_user_agent() -> None:
    factory = aiohttp_client_factory(user_agent_extra="ua-extra/1")
    secure = ClusterConfig.model_validate({"endpoint": "https://h:9200", "no_auth": None})
    client: Any = factory(secure, None)
    assert client.allow_insecure is False
    assert client.user_agent.endswith(" ua-extra/1")
    assert client.base_url == "https://h:9200"


# -- lifecycle --------------------------------------------------------------------------------


class FailingOpen(FakeHttpClient):
    async def _open(self) -> None:
        raise ConnectionRefusedError("cannot open this one")


async def test_async_with_opens_and_closes_everything() -> None:
    k8s = FakeK8sManager()
    secrets = FakeSecretStore()
    env, clients = env_for(
        {"source_cluster": SOURCE, "target_cluster": TARGET}, k8s=k8s, secrets=secrets
    )
    async with env as same:
        assert same is env
        assert all(not c.closed for c in clients.built.values())
    assert all(c.closed for c in clients.built.values())
    assert k8s.closed
    assert secrets.closed
    assert env.closed


async def test_open_failure_closes_every_other_resource() -> None:
    class Mixed(Clients):
        def __call__(self, config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
            if "target" in config.endpoint:
                client = FailingOpen(base_url=config.endpoint, auth=auth, clock=self.clock)
                self.built[config.endpoint] = client
                return client
            return super().__call__(config, auth)

    k8s = FakeK8sManager()
    env, clients = env_for(
        {"source_cluster": SOURCE, "target_cluster": TARGET}, http=Mixed(), k8s=k8s
    )
    # `async with env:` opens nothing ahead of time; naming the components opens them now
    with pytest.raises(ConnectionRefusedError, match="cannot open this one"):
        async with env.using("source_cluster", "target_cluster"):
            pytest.fail("the block must not run")  # pragma: no cover
    assert len(clients.built) == 2
    assert all(c.closed for c in clients.built.values())
    assert k8s.closed
    assert env.closed


async def test_injected_objects_can_stay_the_callers() -> None:
    k8s = FakeK8sManager()
    env, _ = env_for({"target_cluster": TARGET}, k8s=k8s, manage_injected=False)
    async with env:
        pass
    assert not k8s.closed
    await k8s.aclose()


# -- secrets ----------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_secrets_manager_credentials_are_fetched_once() -> None:
    store = FakeSecretStore()
    arn = store.put_secret("target-creds", '{"username": "svc", "password": "s3cr3t!"}')
    target = {"endpoint": "https://target:9200", "basic_auth": {"user_secret_arn": arn}}
    env, clients = env_for({"target_cluster": target}, secrets=store)
    assert env.target_cluster is not None
    auth = clients.auths["https://target:9200"]
    assert isinstance(auth, SecretBasicAuth)
    assert not auth.resolved
    assert "s3cr3t" not in repr(env) + repr(auth) + str(env.describe())
    async with env:
        await asyncio.gather(*(env.target_cluster.call_api("/") for _ in range(20)))
        report = await env.check()
    assert report["target_cluster"].ok
    sent = clients.built["https://target:9200"].requests
    assert len(sent) == 21
    assert {r.headers["Authorization"] for r in sent} == {_basic("svc", "s3cr3t!")}
    assert len(store.calls_to("get_secret_string")) == 1
    assert auth.fetches == 1


async def test_a_failed_secret_fetch_is_reported_and_retried_later() -> None:
    store = FakeSecretStore()
    arn = store.put_secret("later", '{"username": "u", "password": "p"}')
    store.delete_secret("later")  # rotated away: the first fetch fails
    target = {"endpoint": "https://target:9200", "basic_auth": {"user_secret_arn": arn}}
    env, clients = env_for({"target_cluster": target}, secrets=store)
    async with env:
        report = await env.check()
        assert report["target_cluster"].status == "failed"
        assert "later" in report["target_cluster"].detail
        store.put_secret("later", '{"username": "u", "password": "p"}')
        report = await env.check()
        assert report["target_cluster"].ok, report["target_cluster"].detail
    assert clients.built["https://target:9200"].requests[-1].headers["Authorization"] == _basic(
        "u", "p"
    )


async def test_secret_missing_keys_give_console_link_message() -> None:
    store = FakeSecretStore()
    arn = store.put_secret("half", '{"username": "u"}')
    target = {"endpoint": "https://t:9200", "basic_auth": {"user_secret_arn": arn}}
    env, _ = env_for({"target_cluster": target}, secrets=store)
    async with env:
        report = await env.check()
    assert f"Secret {arn} is missing required key(s): password" in report["target_cluster"].detail


async def test_k8s_secret_is_read_once_from_the_configured_namespace() -> None:
    k8s = FakeK8sManager()
    k8s.add_secret("migrations", "target-creds", {"username": "kuser", "password": "kpass"})
    target = {"endpoint": "https://t:9200", "basic_auth": {"k8s_secret_name": "target-creds"}}
    env, clients = env_for({"target_cluster": target}, k8s=k8s, k8s_secret_namespace="migrations")
    assert env.target_cluster is not None
    async with env:
        await asyncio.gather(*(env.target_cluster.call_api("/") for _ in range(5)))
    assert {r.headers["Authorization"] for r in clients.built["https://t:9200"].requests} == {
        _basic("kuser", "kpass")
    }
    assert [c.method for c in k8s.calls].count("read_secret") == 1


async def test_k8s_secret_defaults_to_console_link_namespace() -> None:
    k8s = FakeK8sManager()
    k8s.add_secret("ma", "creds", {"username": "a", "password": "b"})
    target = {"endpoint": "https://t:9200", "basic_auth": {"k8s_secret_name": "creds"}}
    env, _ = env_for({"target_cluster": target}, k8s=k8s)
    async with env:
        report = await env.check(components=["target_cluster"])
    assert report["target_cluster"].ok


def test_secret_region_comes_from_the_arn() -> None:
    assert secret_region("arn:aws:secretsmanager:eu-west-2:123:secret:name-abc") == "eu-west-2"
    assert secret_region("plain-name") is None


# -- check() ----------------------------------------------------------------------------------


async def test_check_reports_ok_failed_and_timed_out_components() -> None:
    clock = FakeClock()
    clients = Clients(clock=clock)
    data = {
        "source_cluster": {**SOURCE, "proxy": {"endpoint": "http://proxy:9201"}},
        "target_cluster": TARGET,
    }
    env, _ = env_for(data, http=clients, clock=clock)
    clients.built["https://target:9200"].fail(503, times=None)
    # the proxy answers after 30 s of (fake) time, past its request timeout
    clients.built["http://proxy:9201"].latency = 30.0
    clients.built["http://proxy:9201"].timeout = 5.0
    events: list[Event] = []
    async with env:
        report = await env.check(on_event=events.append)
    assert isinstance(report, Report)
    assert list(report) == ["source_cluster", "target_cluster", "proxy"]
    assert report["source_cluster"].status == "ok"
    assert report["source_cluster"].detail == "connected, OpenSearch 2.15.0"
    assert report["target_cluster"].status == "failed"
    assert "503" in report["target_cluster"].detail
    assert report["proxy"].status == "timed_out"
    assert not report.ok
    assert report.exit_code == 1
    as_json = report.to_dict()["components"]
    assert as_json["source_cluster"]["status"] == "ok"
    assert set(as_json["proxy"]) == {"status", "detail", "duration"}
    finished = {e.name for e in events if e.kind is EventKind.FINISHED}
    started = {e.name for e in events if e.kind is EventKind.STARTED}
    assert finished == started == {"source_cluster", "target_cluster", "proxy"}
    # the report draws as a table: in a rich terminal and in Jupyter
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(report)
    report_rows = [("source_cluster", "ok"), ("target_cluster", "failed"), ("proxy", "timed_out")]
    drawn = console.export_text()
    html = report._repr_html_()
    for name, status in report_rows:
        assert re.search(rf"\b{name}\s+\W\s+{status}\s", drawn), drawn
        assert f"<td>{name}</td>" in html
        assert f"{status}</" in html


async def test_check_timeout_is_per_component_and_others_finish() -> None:
    never = asyncio.Event()

    async def hang(request: HttpRequest) -> HttpResponse:
        await never.wait()
        raise AssertionError("unreachable")  # pragma: no cover

    class Hanging(Clients):
        def __call__(self, config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
            client = super().__call__(config, auth)
            if "target" in config.endpoint:
                assert isinstance(client, FakeHttpClient)
                client.handler = hang
            return client

    env, _ = env_for({"source_cluster": SOURCE, "target_cluster": TARGET}, http=Hanging())
    async with env:
        report = await env.check(timeout=0.05)
    assert report["source_cluster"].ok
    assert report["target_cluster"].status == "timed_out"
    assert "0.05" in report["target_cluster"].detail


async def test_check_selected_components_and_errors() -> None:
    env, clients = env_for({"source_cluster": SOURCE, "target_cluster": TARGET})
    async with env:
        report = await env.check(components=["target_cluster"])
        assert list(report) == ["target_cluster"]
        assert clients.built["http://source:9200"].requests == []
        with pytest.raises(ValueError, match="unknown component"):
            await env.check(components=["nope"])
        with pytest.raises(ValueError, match="not configured: backfill"):
            await env.check(components=["backfill"])


async def test_check_opens_the_environment_when_needed() -> None:
    env, clients = env_for({"target_cluster": TARGET})
    report = await env.check()
    assert report.ok
    await env.aclose()
    assert all(c.closed for c in clients.built.values())


# -- describe / repr --------------------------------------------------------------------------


def test_describe_and_repr_never_show_secrets() -> None:
    data = {
        "source_cluster": {
            "endpoint": "https://user:urlpass@source:9200",
            "basic_auth": {"username": "admin", "password": "hunter2-source"},
            "proxy": {"endpoint": "https://proxy:9201"},
        },
        "target_cluster": {**TARGET, "basic_auth": {"username": "a", "password": "hunter2-t"}},
        "client_options": {"user_agent_extra": "ua/1"},
    }
    env, _ = env_for(data)
    text = repr(env) + str(env.describe()) + str(env)
    assert "hunter2" not in text
    assert "urlpass" not in repr(env)
    described = env.describe()
    assert set(described) == {"source_cluster", "target_cluster", "proxy", "client_options"}
    assert described["target_cluster"]["basic_auth"]["password"] == "********"
    assert described["client_options"] == {"user_agent_extra": "ua/1"}


# -- every config file of the test data -------------------------------------------------------


def _fakes() -> dict[str, Any]:
    from asyncconsole.infra.commands import FakeCommandExecutor
    from asyncconsole.infra.docker import FakeDockerManager
    from asyncconsole.infra.ecs import FakeECSManager
    from asyncconsole.infra.metrics import FakeMetricsCollector

    return {
        "docker": FakeDockerManager(),
        "ecs": FakeECSManager(),
        "k8s": FakeK8sManager(),
        "metrics": FakeMetricsCollector(),
        "executor": FakeCommandExecutor(),
        "secrets": FakeSecretStore(),
    }


VALID_FILES = sorted(p for p in DATA.glob("*.yaml"))


@pytest.mark.parametrize("path", VALID_FILES, ids=[p.name for p in VALID_FILES])
async def test_every_test_data_file_builds_an_environment(path: Path) -> None:
    fakes = _fakes()
    env = Environment.from_file(path, infra=Infrastructure(http=Clients(), **fakes))
    from asyncconsole.config import MigrationConfig

    config = MigrationConfig.from_file(path)
    for block, component in (
        ("source_cluster", "source_cluster"),
        ("target_cluster", "target_cluster"),
        ("snapshot", "snapshot"),
        ("backfill", "backfill"),
        ("replay", "replay"),
        ("metrics_source", "metrics"),
        ("metadata_migration", "metadata"),
        ("kafka", "kafka"),
    ):
        assert (getattr(config, block) is None) == (getattr(env, component) is None), block
    assert (config.proxy is None) == (env.proxy is None)
    async with env:
        pass
    assert all(getattr(obj, "closed", True) for _, obj in env.resources)


def test_invalid_test_data_files_are_config_errors() -> None:
    invalid = sorted((DATA / "invalid").glob("*.yaml"))
    assert invalid
    for path in invalid:
        with pytest.raises(ConfigError):
            Environment.from_file(path, infra=Infrastructure(http=Clients(), **_fakes()))


def test_building_makes_no_temporary_files_and_no_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket
    import tempfile

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("building an environment must do no I/O")

    for name in ("mkdtemp", "mkstemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    # real infrastructure everywhere: clusters, Docker, ECS, Kubernetes, Prometheus, executor
    data = {
        "source_cluster": {**SOURCE, "proxy": {"endpoint": "http://proxy:9201"}},
        "target_cluster": {"endpoint": "https://t:9200", "basic_auth": {"k8s_secret_name": "s"}},
        "metrics_source": {"prometheus": {"endpoint": "http://prometheus:9090"}},
        "backfill": {
            "reindex_from_snapshot": {"k8s": {"namespace": "ma", "deployment_name": "rfs"}}
        },
        "replay": {"docker": None},
        "snapshot": {"snapshot_name": "s1", "fs": {"repo_path": "/snapshots"}},
        "metadata_migration": {"from_snapshot": None},
        "kafka": {"broker_endpoints": "k:9092", "scram": {"username": "u", "password": "p"}},
    }
    env = Environment.from_dict(data)
    assert set(env.components) == set(COMPONENTS)
    kinds = [type(obj).__name__ for _, obj in env.resources]
    assert kinds.count("KubernetesManager") == 1  # shared by the backfill and the k8s secret
    assert "DockerEngineManager" in kinds


# -- §9 item 1: the kitchen-sink services.yaml ------------------------------------------------


async def test_full_services_yaml_builds_every_service_wired_right() -> None:
    from asyncconsole.services import (
        Backfill,
        Cluster,
        Kafka,
        MetadataMigration,
        MetricsService,
        Replay,
        Snapshot,
    )

    fakes = _fakes()
    fakes["ecs"].add_service("my-cluster", "my-service", desired=2, started=True)
    env = Environment.from_file(
        DATA / "services.yaml", infra=Infrastructure(http=Clients(), **fakes)
    )
    assert isinstance(env.source_cluster, Cluster)
    assert isinstance(env.target_cluster, Cluster)
    assert env.source_cluster.name == "source"
    assert env.target_cluster.name == "target"
    assert env.proxy is None
    assert env.client_options is None
    assert isinstance(env.snapshot, Snapshot)
    assert env.snapshot.source is env.source_cluster
    assert isinstance(env.backfill, Backfill)
    assert env.backfill.kind == "docker"
    assert isinstance(env.replay, Replay)
    assert env.replay.kind == "ecs"
    assert isinstance(env.metrics, MetricsService)
    collector: Any = env.metrics.collector
    assert collector.__wrapped__ is fakes["metrics"]
    assert isinstance(env.metadata, MetadataMigration)
    assert isinstance(env.kafka, Kafka)
    expected = ["source_cluster", "target_cluster", "snapshot", "backfill", "replay"]
    assert list(env.components) == [*expected, "metrics", "metadata", "kafka"]
    async with env:
        report = await env.check()
    assert list(report) == list(env.components)
    assert report["source_cluster"].ok
    assert report["backfill"].ok, report["backfill"].detail
    assert report["replay"].ok, report["replay"].detail
    assert "2 running" in report["replay"].detail
    assert report["metrics"].ok, report["metrics"].detail
    # no MetadataMigration tool and no Kafka scripts here: failed, each with its reason
    assert report["metadata"].status == "failed"
    assert "MetadataMigration" in report["metadata"].detail
    assert report["kafka"].status == "failed"


def test_backfill_workers_follow_the_config() -> None:
    fakes = _fakes()
    data = {
        "target_cluster": TARGET,
        "backfill": {
            "reindex_from_snapshot": {
                "docker": {"image": "rfs:local", "command": "--snapshot-name s1"},
                "backfill_session_name": "run7",
                "scale": 3,
            }
        },
    }
    env, _ = env_for(data, **fakes)
    assert env.backfill is not None
    workers: Any = env.backfill.workers
    described = workers.describe()
    assert (described["image"], described["session"], described["role"]) == (
        "rfs:local",
        "run7",
        "backfill",
    )
    assert described["command"] == ["--snapshot-name", "s1"]


def test_real_managers_are_shared_per_socket_and_region() -> None:
    data = {
        "target_cluster": TARGET,
        "backfill": {"reindex_from_snapshot": {"docker": {"socket": "/tmp/one.sock"}}},
        "replay": {"docker": {"socket": "/tmp/one.sock"}},
    }
    env = Environment.from_dict(data)
    dockers = [obj for _, obj in env.resources if type(obj).__name__ == "DockerEngineManager"]
    assert len(dockers) == 1
    assert dockers[0].url == "unix:///tmp/one.sock"
    data = {
        "target_cluster": TARGET,
        "backfill": {
            "reindex_from_snapshot": {
                "ecs": {"cluster_name": "c", "service_name": "a", "aws_region": "eu-west-1"}
            }
        },
        "replay": {"ecs": {"cluster_name": "c", "service_name": "b", "aws_region": "us-west-2"}},
        "client_options": {"user_agent_extra": "ua-x"},
    }
    env = Environment.from_dict(data)
    ecs = [obj for _, obj in env.resources if type(obj).__name__ == "AwsECSManager"]
    assert sorted(m._options.region for m in ecs) == ["eu-west-1", "us-west-2"]
    assert {m._options.user_agent_extra for m in ecs} == {"ua-x"}


# -- §9 item 6: empty or unknown service blocks ------------------------------------------------


@pytest.mark.parametrize(
    ("block", "value"),
    [
        ("snapshot", {"snapshot_name": "s"}),
        ("replay", {}),
        ("kafka", {"broker_endpoints": "k:9092"}),
        ("backfill", {}),
        ("backfill", {"opensearch_ingestion": {}}),
        ("metrics_source", {}),
        ("metrics_source", {"graphite": {}}),
    ],
)
def test_empty_or_unknown_service_blocks_are_config_errors(block: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        Environment.from_dict({"target_cluster": TARGET, block: value})
    assert caught.value.issues
    assert all(issue.path.startswith(block) for issue in caught.value.issues)


async def test_cancelled_inside_the_block_still_closes_everything() -> None:
    env, clients = env_for({"source_cluster": SOURCE, "target_cluster": TARGET})
    entered = asyncio.Event()

    async def use() -> None:
        async with env:
            entered.set()
            await asyncio.Event().wait()

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(use())
        await entered.wait()
        task.cancel()
    assert task.cancelled()
    assert all(c.closed for c in clients.built.values())


async def test_a_failing_close_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    class FailingClose(FakeHttpClient):
        async def _close(self) -> None:
            raise OSError("socket already gone")

    class Mixed(Clients):
        def __call__(self, config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
            if "source" in config.endpoint:
                client = FailingClose(base_url=config.endpoint, auth=auth, clock=self.clock)
                self.built[config.endpoint] = client
                return client
            return super().__call__(config, auth)

    k8s = FakeK8sManager()
    env, clients = env_for(
        {"source_cluster": SOURCE, "target_cluster": TARGET}, http=Mixed(), k8s=k8s
    )
    async with env:
        pass
    assert clients.built["https://target:9200"].closed
    assert k8s.closed
    assert "closing source http failed" in caplog.text
