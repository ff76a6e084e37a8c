"""The dashboard's JSON API on the demo environment: the CLI's documents, checked against the
OpenAPI document's schemas, and the security rules (token on POSTs, nothing acts on GET,
read-only removes actions, loopback names only).

The demo environment and two dashboards on it (one read-only) run on an event loop in a
background thread; the test's thread speaks HTTP to them and runs the CLI in-process against
the same config file, so both answer the same state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from click.testing import CliRunner
from openapi_spec_validator import validate as validate_openapi

from asyncconsole import Environment
from asyncconsole.cli import CliState, cli
from asyncconsole.demo import BACKFILL_DEPLOYMENT, NAMESPACE, REPLAY_DEPLOYMENT, DemoEnvironment
from asyncconsole.serve import TOKEN_HEADER, DashboardServer, DashboardSettings, openapi_document
from asyncconsole.serve._api import ROUTES
from tests.unit.test_cli_support import LoopThread

pytestmark = pytest.mark.integration

TOKEN = "test-token-0123456789"
FAST = dict.fromkeys(("overview", "clusters", "snapshot", "backfill", "replay"), 0.2)


@dataclass
class Served:
    loop: LoopThread
    demo: DemoEnvironment
    env: Environment
    server: DashboardServer
    read_only: DashboardServer

    @property
    def url(self) -> str:
        return self.server.base_url

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, body: Any = None, *, token: str | None = TOKEN) -> requests.Response:
        headers = {TOKEN_HEADER: token} if token is not None else {}
        return requests.post(self.url + path, json=body, headers=headers, timeout=60)

    def replicas(self, name: str) -> int:
        def read() -> int:
            found = self.demo.kube.deployment(NAMESPACE, name)
            return int(found["spec"]["replicas"])

        return self.loop.call(read)

    def cli(self, *args: str) -> Any:
        """``asyncconsole --json ARGS`` on the demo's config file: its JSON document."""
        result = CliRunner().invoke(
            cli,
            [
                "--config-file",
                str(self.demo.config_path),
                "--kubeconfig",
                str(self.demo.kubeconfig_path),
                "--json",
                *args,
            ],
            obj=CliState(),
        )
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    loop = LoopThread()
    demo = loop.run(DemoEnvironment(workdir=tmp_path_factory.mktemp("demo"), speed=10.0).open())
    env = loop.run(demo.environment().open())
    server = loop.run(DashboardServer(env, DashboardSettings(token=TOKEN, intervals=FAST)).open())
    read_only = loop.run(
        DashboardServer(env, DashboardSettings(read_only=True, intervals=FAST)).open()
    )
    try:
        yield Served(loop, demo, env, server, read_only)
    finally:
        for resource in (read_only, server, env, demo):
            loop.run(resource.aclose())
        loop.close()


def _valid(schema: str, data: Any) -> None:
    """Validate ``data`` against a schema of the OpenAPI document (OpenAPI 3.1 schemas are
    JSON Schema 2020-12)."""
    root = {
        "$ref": f"#/components/schemas/{schema}",
        "components": openapi_document()["components"],
    }
    jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker()).validate(data)


def _route(method: str, path: str) -> Any:
    return next(r for r in ROUTES if r.method == method and r.path == path)


# -- the documents are the CLI's ------------------------------------------------------------------


def test_the_api_answers_what_the_cli_prints(served: Served) -> None:
    pairs = {
        "/api/metrics/names": ("metrics", "list"),
        "/api/replay/status": ("replay", "status"),
        "/api/backfill/status": ("backfill", "status", "--deep-check"),
        "/api/clusters/indices": ("clusters", "cat-indices"),
    }
    for path, args in pairs.items():
        answer = served.get(path)
        assert answer.status_code == 200, path
        assert answer.json() == served.cli(*args), path
        assert _route("GET", path).cli == " ".join(a for a in args), path
        _valid(_route("GET", path).schema, answer.json())
    # the checks' durations differ from run to run; their shape and outcomes do not
    api, printed = served.get("/api/check").json(), served.cli("check")
    for document in (api, printed):
        _valid("CheckReport", document)
    assert {k: v["status"] for k, v in api["components"].items()} == {
        k: v["status"] for k, v in printed["components"].items()
    }


def test_the_openapi_document_is_valid_and_served(served: Served) -> None:
    full, watching = openapi_document(), openapi_document(read_only=True)
    validate_openapi(full)
    validate_openapi(watching)
    assert served.get("/api/openapi.json").json() == full
    assert requests.get(served.read_only.base_url + "/api/openapi.json", timeout=10).json() == (
        watching
    )
    posts = [p for p, ops in full["paths"].items() if "post" in ops]
    assert len(posts) == sum(r.action for r in ROUTES) == 8
    assert not [p for p, ops in watching["paths"].items() if "post" in ops]
    # every route is described, every described response schema exists
    for route in ROUTES:
        operation = full["paths"][route.path][route.method.lower()]
        if route.schema is not None:
            assert route.schema in full["components"]["schemas"]
            assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{route.schema}"
            }


def test_every_get_answer_matches_its_schema(served: Served) -> None:
    queries = {"/api/metrics/data": {"component": "replayer", "metric": "kafkaCommitCount"}}
    skipped = {"/api/events", "/api/openapi.json"}
    for route in ROUTES:
        if route.method != "GET" or route.path in skipped:
            continue
        answer = served.get(route.path, params=queries.get(route.path))
        assert route.schema is not None
        if answer.status_code == 200:
            _valid(route.schema, answer.json())
        else:  # only the snapshot may be missing (not taken yet): then the CLI's error document
            assert (route.path, answer.status_code) == ("/api/snapshot/status", 404)
            _valid("Error", answer.json())
            assert answer.json()["error"]["type"] == "SnapshotNotStartedError"


def test_the_snapshot_once_taken(served: Served) -> None:
    snapshot = served.env.snapshot
    assert snapshot is not None
    served.loop.run(snapshot.create(wait=True, poll_interval=0.05, replace=True))
    # the dashboard polls every 0.2 s here; a new round answers the new state
    answer = served.get("/api/snapshot/status")
    for _ in range(50):
        if answer.status_code == 200:
            break
        answer = served.get("/api/snapshot/status")
    assert answer.status_code == 200
    _valid("SnapshotStatus", answer.json())
    assert answer.json()["state"] == "SUCCESS"
    assert answer.json() == served.cli("snapshot", "status", "--deep-check")


def test_the_event_stream_starts_with_the_current_states(served: Served) -> None:
    with requests.get(
        served.url + "/api/events", params={"topics": "backfill,overview"}, stream=True, timeout=30
    ) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        seen: dict[str, dict[str, Any]] = {}
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                message = json.loads(line[6:])
                seen[message["topic"]] = message
            if "backfill" in seen and seen.get("overview", {}).get("document"):
                break
    _valid("BackfillStatus", seen["backfill"]["document"])
    _valid("CheckReport", seen["overview"]["document"])
    assert set(seen["overview"]["live"]) == set(served.env.components)


# -- actions --------------------------------------------------------------------------------------


def test_actions_answer_the_cli_documents_and_act(served: Served) -> None:
    scaled = served.post("/api/backfill/scale", {"units": 3})
    assert scaled.status_code == 200
    assert scaled.json() == {
        "action": "scale",
        "units": 3,
        "message": "Backfill scaled to 3 successfully.",
    }
    _valid("BackfillAction", scaled.json())
    assert served.replicas(BACKFILL_DEPLOYMENT) == 3
    printed = served.cli("backfill", "scale", "2")  # the CLI's own document, same schema
    _valid("BackfillAction", printed)
    assert served.replicas(BACKFILL_DEPLOYMENT) == 2

    paused = served.post("/api/backfill/pause")
    _valid("BackfillAction", paused.json())
    assert served.replicas(BACKFILL_DEPLOYMENT) == 0

    for action, body, replicas in (
        ("start", None, 1),
        ("scale", {"units": 2}, 2),
        ("stop", None, 0),
    ):
        answer = served.post(f"/api/replay/{action}", body)
        assert answer.status_code == 200, answer.text
        _valid("ReplayAction", answer.json())
        assert served.replicas(REPLAY_DEPLOYMENT) == replicas
    _valid("ReplayAction", served.cli("replay", "stop"))

    stopped = served.post("/api/backfill/stop", {"archive": False, "timeout": 60})
    assert stopped.status_code == 200, stopped.text
    _valid("BackfillStop", stopped.json())
    assert stopped.json()["archive"] is None


def test_bad_requests_are_400_with_the_error_document(served: Served) -> None:
    for answer in (
        served.post("/api/backfill/scale", {"units": -1}),
        served.post("/api/backfill/scale", {"units": "many"}),
        served.post("/api/replay/scale", ["not", "an", "object"]),
        served.post("/api/clusters/clear-indices", {"cluster": "proxy"}),
        served.get("/api/metrics/data", params={"component": "nope", "metric": "m"}),
        served.get("/api/clusters/comparison", params={"limit": "0"}),
        served.get("/api/clusters/comparison", params={"sort": "size"}),
        served.get("/api/events", params={"topics": "nope"}),
        served.get("/api/events"),
    ):
        assert answer.status_code == 400, answer.text
        _valid("Error", answer.json())
        assert answer.json()["error"]["exit_code"] == 2


def test_clear_indices_from_the_api(served: Served) -> None:
    served.loop.call(lambda: served.demo.target.create_index("scratch", [{"n": 1}]))
    answer = served.post("/api/clusters/clear-indices", {"cluster": "target"})
    assert answer.status_code == 200, answer.text
    _valid("ClearIndices", answer.json())
    assert "scratch" in answer.json()["deleted"]
    assert "scratch" not in served.loop.call(lambda: served.demo.target.index_names)


# -- security -------------------------------------------------------------------------------------


def test_every_action_needs_the_token(served: Served) -> None:
    before = served.replicas(BACKFILL_DEPLOYMENT), served.replicas(REPLAY_DEPLOYMENT)
    for route in ROUTES:
        if not route.action:
            continue
        body = {"units": 5, "cluster": "target"}
        for token in (None, "", "wrong-token", TOKEN + "x"):
            answer = served.post(route.path, body, token=token)
            assert answer.status_code == 403, (route.path, token)
            _valid("Error", answer.json())
            assert TOKEN_HEADER in answer.json()["error"]["message"]
    assert (served.replicas(BACKFILL_DEPLOYMENT), served.replicas(REPLAY_DEPLOYMENT)) == before


def test_nothing_acts_on_get(served: Served) -> None:
    before = served.replicas(BACKFILL_DEPLOYMENT)
    for route in ROUTES:
        if route.action:
            answer = served.get(route.path, params={"units": "7"})
            assert answer.status_code == 405, route.path
    assert served.replicas(BACKFILL_DEPLOYMENT) == before


def test_read_only_has_no_actions(served: Served) -> None:
    url = served.read_only.base_url
    session = requests.get(url + "/api/session", timeout=10).json()
    assert session["read_only"] is True
    token = served.read_only.settings.token
    for route in ROUTES:
        if route.action:
            answer = requests.post(
                url + route.path, json={"units": 1}, headers={TOKEN_HEADER: token}, timeout=10
            )
            assert answer.status_code == 404, route.path
    assert requests.get(url + "/api/backfill/status", timeout=30).status_code == 200


def test_only_loopback_names_are_answered(served: Served) -> None:
    for host in ("evil.example", "192.168.1.5:80", "example.com:8642"):
        answer = served.get("/api/session", headers={"Host": host})
        assert answer.status_code == 403, host
        assert served.get("/", headers={"Host": host}).status_code == 403
    for host in ("localhost", f"127.0.0.1:{served.server.port}", "[::1]:80"):
        assert served.get("/api/session", headers={"Host": host}).status_code == 200, host


def test_the_page_may_load_nothing_from_elsewhere(served: Served) -> None:
    page = served.get("/")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "http" not in page.text.replace("http-equiv", "")  # no asset from another host
    for asset in (
        "/static/app.js",
        "/static/vendor/uplot/uPlot.iife.min.js",
        "/static/vendor/uplot/LICENSE",
    ):
        assert served.get(asset).status_code == 200, asset


def test_non_loopback_addresses_need_allow_remote() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        DashboardSettings(host="0.0.0.0")
    with pytest.raises(ValueError, match="allow_remote"):
        DashboardSettings(host="192.168.1.5")
    assert not DashboardSettings(host="0.0.0.0", allow_remote=True).loopback
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert DashboardSettings(host=host).loopback
    assert DashboardSettings().token != DashboardSettings().token  # a fresh token per run


def test_the_cli_refuses_a_remote_address_without_the_flag(tmp_path: Path) -> None:
    config = tmp_path / "services.yaml"
    config.write_text("source_cluster:\n  endpoint: http://127.0.0.1:9\n  no_auth:\n")
    result = CliRunner().invoke(
        cli, ["--config-file", str(config), "serve", "--host", "0.0.0.0"], obj=CliState()
    )
    assert result.exit_code == 2
    assert "--allow-remote" in result.stderr


def test_the_remote_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from asyncconsole.cli._serve import announce

    env = Environment.from_dict(
        {"source_cluster": {"endpoint": "http://127.0.0.1:9", "no_auth": None}}
    )
    remote = DashboardServer(env, DashboardSettings(host="0.0.0.0", allow_remote=True))
    announce(remote, json_output=False)
    captured = capsys.readouterr()
    assert captured.out.startswith("http://0.0.0.0:0/?token=")
    assert "WARNING: listening on 0.0.0.0, not loopback" in captured.err
    local = DashboardServer(env, DashboardSettings(read_only=True))
    announce(local, json_output=True)
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed["read_only"] is True
    assert printed["token"] == local.settings.token
    assert "WARNING" not in captured.err
