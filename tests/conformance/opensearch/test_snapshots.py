"""Snapshot APIs: repositories, snapshots, ``verbose=false``, status, cleanup.

From OpenSearch's "Snapshot" documentation and the YAML tests ``snapshot.get/10_basic``,
``snapshot.create/10_basic``, ``snapshot.get_repository/10_basic``, ``snapshot.status/10_basic``,
and the repository cleanup API reference.
"""

from __future__ import annotations

import pytest

from .conftest import Api


@pytest.fixture
async def repo(api: Api) -> str:
    await api.ok("PUT", "/_snapshot/test_repo", {"type": "fs", "settings": {"location": "loc"}})
    await api.ok(
        "PUT", "/test_index", {"settings": {"number_of_shards": 1, "number_of_replicas": 0}}
    )
    return "test_repo"


async def test_a_repository_round_trips(api: Api, repo: str) -> None:
    body = await api.ok("GET", f"/_snapshot/{repo}")
    assert body == {repo: {"type": "fs", "settings": {"location": "loc"}}}
    assert "nodes" in await api.ok("POST", f"/_snapshot/{repo}/_verify")


async def test_a_missing_repository_is_404(api: Api) -> None:
    reply = await api("GET", "/_snapshot/nope")
    assert (reply.status, reply.error_type) == (404, "repository_missing_exception")


async def test_create_and_get_a_snapshot(api: Api, repo: str) -> None:
    created = await api.ok(
        "PUT",
        f"/_snapshot/{repo}/snap",
        {"metadata": {"taken_by": "test"}},
        wait_for_completion="true",
    )
    assert created["snapshot"]["state"] == "SUCCESS"
    got = await api.ok("GET", f"/_snapshot/{repo}/snap")
    info = got["snapshots"][0]
    assert (info["snapshot"], info["state"], info["failures"]) == ("snap", "SUCCESS", [])
    assert info["metadata"] == {"taken_by": "test"}
    assert info["include_global_state"] is True


async def test_verbose_false_gives_only_names_and_state(api: Api, repo: str) -> None:
    await api.ok("PUT", f"/_snapshot/{repo}/snap", wait_for_completion="true")
    info = (await api.ok("GET", f"/_snapshot/{repo}/snap", verbose="false"))["snapshots"][0]
    assert (info["snapshot"], info["state"]) == ("snap", "SUCCESS")
    for absent in ("failures", "shards", "version", "metadata", "start_time"):
        assert absent not in info


async def test_a_missing_snapshot_is_404_unless_ignored(api: Api, repo: str) -> None:
    reply = await api("GET", f"/_snapshot/{repo}/nonexistent")
    assert (reply.status, reply.error_type) == (404, "snapshot_missing_exception")
    assert reply.reason.endswith("is missing")
    ignored = await api.ok("GET", f"/_snapshot/{repo}/nonexistent", ignore_unavailable="true")
    assert ignored == {"snapshots": []}


async def test_a_snapshot_name_is_unique(api: Api, repo: str) -> None:
    await api.ok("PUT", f"/_snapshot/{repo}/snap", wait_for_completion="true")
    reply = await api("PUT", f"/_snapshot/{repo}/snap")
    assert (reply.status, reply.error_type) == (400, "invalid_snapshot_name_exception")


async def test_status_of_a_finished_snapshot(api: Api, repo: str) -> None:
    await api.ok("PUT", f"/_snapshot/{repo}/snap", wait_for_completion="true")
    status = (await api.ok("GET", f"/_snapshot/{repo}/snap/_status"))["snapshots"][0]
    assert (status["state"], status["shards_stats"]["done"]) == ("SUCCESS", 1)


async def test_cleanup_reports_what_it_removed(api: Api, repo: str) -> None:
    body = await api.ok("POST", f"/_snapshot/{repo}/_cleanup")
    assert body == {"results": {"deleted_bytes": 0, "deleted_blobs": 0}}
    missing = await api("POST", "/_snapshot/nope/_cleanup")
    assert (missing.status, missing.error_type) == (404, "repository_missing_exception")


async def test_delete_a_snapshot_then_the_repository(api: Api, repo: str) -> None:
    await api.ok("PUT", f"/_snapshot/{repo}/snap", wait_for_completion="true")
    assert await api.ok("DELETE", f"/_snapshot/{repo}/snap") == {"acknowledged": True}
    assert await api.ok("DELETE", f"/_snapshot/{repo}") == {"acknowledged": True}
    assert (await api("GET", f"/_snapshot/{repo}")).status == 404
