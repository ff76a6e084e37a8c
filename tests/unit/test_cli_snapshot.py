"""`asyncconsole snapshot` against a fake source cluster: every command, text and JSON."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.test_cli_support import Servers, invoke, servers

__all__ = ["servers"]


def _config(servers: Servers) -> dict[str, Any]:
    servers.loop.call(lambda: servers.source.create_index("logs", [{"n": i} for i in range(20)]))
    return servers.config(snapshot={"snapshot_name": "snap1", "fs": {"repo_path": "/snapshots"}})


def _methods(servers: Servers, method: str) -> list[str]:
    return servers.loop.call(
        lambda: [r.path for r in servers.source.requests if r.method == method]
    )


def test_status_before_create_is_exit_1(servers: Servers) -> None:
    config = _config(servers)
    result = invoke(["snapshot", "status"], config=config)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: Snapshot not started"
    as_json = invoke(["--json", "snapshot", "status"], config=config)
    assert json.loads(as_json.stdout)["error"]["type"] == "SnapshotNotStartedError"


def test_list_before_the_repository_exists_says_so(servers: Servers) -> None:
    config = _config(servers)
    text = invoke(["snapshot", "list"], config=config)
    assert (text.exit_code, text.stderr) == (0, "")
    assert text.stdout == "Repository 'migration_assistant_repo' is not registered: no snapshots.\n"
    assert json.loads(invoke(["--json", "snapshot", "list"], config=config).stdout) == {
        "repository": "migration_assistant_repo",
        "repository_missing": True,
        "snapshots": [],
    }
    # any other 404 is still a failure
    servers.loop.call(
        lambda: servers.source.fail_next(path="_snapshot", status=404, error_type="other")
    )
    failed = invoke(["snapshot", "list"], config=config)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: ")


def test_create_wait_status_list(servers: Servers) -> None:
    config = _config(servers)
    created = invoke(
        ["--json", "snapshot", "create", "--wait", "--poll-interval", "0.05"], config=config
    )
    assert created.exit_code == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["snapshot"] == "snap1"
    assert data["repository"] == "migration_assistant_repo"
    assert data["status"]["state"] == "SUCCESS"
    assert data["status"]["percentage_completed"] == 100.0

    status = invoke(["snapshot", "status"], config=config)
    assert (status.exit_code, status.stdout) == (0, "SUCCESS\n")
    assert json.loads(invoke(["--json", "snapshot", "status"], config=config).stdout) == {
        "snapshot": "snap1",
        "repository": "migration_assistant_repo",
        "state": "SUCCESS",
    }
    deep = invoke(["snapshot", "status", "--deep-check"], config=config)
    assert deep.exit_code == 0
    assert "Percent completed: 100.00%" in deep.stdout
    deep_json = json.loads(
        invoke(["--json", "snapshot", "status", "--deep-check"], config=config).stdout
    )
    assert deep_json["status"] == "Completed"
    assert deep_json["shard_total"] == deep_json["shard_complete"] == 1

    waited = invoke(["--json", "snapshot", "wait"], config=config)
    assert json.loads(waited.stdout)["state"] == "SUCCESS"

    listed = json.loads(invoke(["--json", "snapshot", "list"], config=config).stdout)
    assert listed["repository"] == "migration_assistant_repo"
    assert listed["repository_missing"] is False
    assert [s["name"] for s in listed["snapshots"]] == ["snap1"]
    text = invoke(["snapshot", "list"], config=config)
    assert "snap1" in text.stdout
    assert "SUCCESS" in text.stdout

    again = invoke(["snapshot", "create"], config=config)
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    other = invoke(["snapshot", "create", "--name", "snap2"], config=config)
    assert other.exit_code == 0
    assert other.stdout.strip() == "Snapshot snap2 creation initiated successfully"


def test_failed_snapshot_is_exit_1(servers: Servers) -> None:
    config = _config(servers)
    servers.loop.call(lambda: servers.source.fail_next_snapshot("PARTIAL"))
    result = invoke(["snapshot", "create", "--wait", "--poll-interval", "0.05"], config=config)
    assert result.exit_code == 1
    assert "PARTIAL" in result.stderr


def test_wait_shows_progress_only_on_a_terminal(servers: Servers) -> None:
    config = _config(servers)
    assert invoke(["snapshot", "create"], config=config).exit_code == 0
    plain = invoke(["snapshot", "wait", "--poll-interval", "0.05"], config=config)
    assert plain.exit_code == 0
    assert "\x1b[" not in plain.stdout
    assert plain.stdout.startswith("Snapshot status: SUCCESS")

    assert invoke(["snapshot", "delete", "--acknowledge-risk"], config=config).exit_code == 0
    servers.loop.call(lambda: setattr(servers.source, "snapshot_duration", 0.5))
    assert invoke(["snapshot", "create"], config=config).exit_code == 0
    drawn = invoke(["snapshot", "wait", "--poll-interval", "0.05"], config=config, interactive=True)
    assert drawn.exit_code == 0
    assert "Snapshot snap1" in drawn.stdout  # the progress bar's label
    assert "ETA" in drawn.stdout
    assert "Snapshot status: SUCCESS" in drawn.stdout


def test_delete_asks_and_no_means_no_call(servers: Servers) -> None:
    config = _config(servers)
    assert (
        invoke(["snapshot", "create", "--wait", "--poll-interval", "0.05"], config=config).exit_code
        == 0
    )
    servers.loop.call(servers.source.clear_requests)
    declined = invoke(["snapshot", "delete"], config=config, input="n\n")
    assert declined.exit_code == 1
    assert "Are you sure you want to delete snapshot 'snap1'" in declined.stderr
    assert _methods(servers, "DELETE") == []

    deleted = invoke(["--json", "snapshot", "delete"], config=config, input="y\n")
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {
        "snapshot": "snap1",
        "repository": "migration_assistant_repo",
        "existed": True,
        "error": None,
    }
    assert _methods(servers, "DELETE") == ["/_snapshot/migration_assistant_repo/snap1"]


def test_delete_all_and_unregister_repo(servers: Servers) -> None:
    config = _config(servers)
    for name in ("a", "b"):
        assert invoke(["snapshot", "create", "--name", name], config=config).exit_code == 0
    invoke(["snapshot", "wait", "--name", "b", "--poll-interval", "0.05"], config=config)
    invoke(["snapshot", "wait", "--name", "a", "--poll-interval", "0.05"], config=config)
    result = invoke(["--json", "snapshot", "delete", "--all", "--acknowledge-risk"], config=config)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert sorted(r["snapshot"] for r in data["results"]) == ["a", "b"]
    assert data["repository_missing"] is False

    servers.loop.call(servers.source.clear_requests)
    declined = invoke(["snapshot", "unregister-repo"], config=config, input="n\n")
    assert declined.exit_code == 1
    assert _methods(servers, "DELETE") == []
    gone = invoke(["snapshot", "unregister-repo", "--acknowledge-risk"], config=config)
    assert gone.stdout.strip() == "Repository 'migration_assistant_repo' deleted"
    again = invoke(["--json", "snapshot", "unregister-repo", "--acknowledge-risk"], config=config)
    assert json.loads(again.stdout) == {"repository": "migration_assistant_repo", "existed": False}
