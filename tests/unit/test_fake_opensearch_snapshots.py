"""FakeOpenSearchServer snapshots: repositories, creation, progress over fake time, errors."""

from __future__ import annotations

from typing import Any

from asyncconsole._clock import FakeClock
from asyncconsole.testing import FakeOpenSearchServer
from tests.fixtures.opensearch import OpenSearchHttp, open_http

FS = {"type": "fs", "settings": {"location": "/snapshots", "compress": False}}


async def test_repositories(os_http: OpenSearchHttp) -> None:
    assert (await os_http("PUT", "/_snapshot/fsrepo", FS)).body == {"acknowledged": True}
    s3 = {
        "type": "s3",
        "settings": {"bucket": "b", "base_path": "p", "region": "us-east-1", "role_arn": "arn"},
    }
    assert (await os_http("PUT", "/_snapshot/s3repo", s3)).status == 200
    gcs = {"type": "gcs", "settings": {"bucket": "g", "base_path": "x", "compress": False}}
    assert (await os_http("POST", "/_snapshot/gcsrepo", gcs)).status == 200
    got = await os_http("GET", "/_snapshot/fsrepo")
    assert got.body == {
        "fsrepo": {"type": "fs", "settings": {"location": "/snapshots", "compress": "false"}}
    }
    everything = await os_http("GET", "/_snapshot/_all")
    assert sorted(everything.body) == ["fsrepo", "gcsrepo", "s3repo"]
    assert (await os_http("PUT", "/_snapshot/fsrepo", FS)).status == 200  # re-register is fine
    missing_type = await os_http("PUT", "/_snapshot/bad", {"settings": {}})
    assert missing_type.status == 400
    unknown = await os_http("PUT", "/_snapshot/bad", {"type": "floppy", "settings": {}})
    assert unknown.body["error"]["type"] == "repository_exception"
    no_location = await os_http("PUT", "/_snapshot/bad", {"type": "fs", "settings": {}})
    assert no_location.body["error"]["reason"] == "[bad] missing location"
    assert (await os_http("DELETE", "/_snapshot/s3repo")).body == {"acknowledged": True}
    missing = await os_http("GET", "/_snapshot/s3repo")
    assert missing.status == 404
    assert missing.body["error"]["type"] == "repository_missing_exception"
    assert missing.body["error"]["reason"] == "[s3repo] missing"
    assert (await os_http("DELETE", "/_snapshot/s3repo")).status == 404


async def status_of(http: OpenSearchHttp, snap: str = "snap1") -> dict[str, Any]:
    reply = await http("GET", f"/_snapshot/repo/{snap}/_status")
    assert reply.status == 200, reply.text
    entry: dict[str, Any] = reply.body["snapshots"][0]
    return entry


async def test_progress_advances_with_the_clock() -> None:
    clock = FakeClock(auto_advance=False)
    async with (
        FakeOpenSearchServer(clock=clock, snapshot_bytes_per_second=1000) as server,
        open_http(server) as http,
    ):
        server.create_index("one", ({"v": "x" * 50} for _ in range(20)), shards=2)
        server.create_index("two", ({"v": "y" * 50} for _ in range(10)), shards=1)
        await http("PUT", "/_snapshot/repo", FS)
        created = await http(
            "PUT",
            "/_snapshot/repo/snap1",
            {"indices": "one,two", "ignore_unavailable": True, "include_global_state": True},
        )
        assert created.body == {"accepted": True}
        total = server.index("one").store_bytes + server.index("two").store_bytes

        basic = (await http("GET", "/_snapshot/repo/snap1")).body["snapshots"][0]
        assert basic["state"] == "IN_PROGRESS"
        assert basic["indices"] == ["one", "two"]
        assert basic["start_time_in_millis"] == int(clock.now().timestamp() * 1000)
        assert basic["shards"] == {"total": 0, "failed": 0, "successful": 0}

        start = await status_of(http)
        assert start["state"] == "STARTED"
        assert start["shards_stats"]["total"] == 3
        assert start["shards_stats"]["done"] == 0
        assert start["stats"]["incremental"]["size_in_bytes"] == total
        assert start["stats"]["total"]["size_in_bytes"] == total
        assert start["stats"]["processed"]["size_in_bytes"] == 0
        assert set(start["indices"]) == {"one", "two"}
        assert set(start["indices"]["one"]["shards"]) == {"0", "1"}

        await clock.advance(total / 1000 / 2)
        middle = await status_of(http)
        processed = middle["stats"]["processed"]["size_in_bytes"]
        assert abs(processed - total / 2) <= 2
        assert middle["stats"]["time_in_millis"] == int(total / 2)
        assert middle["shards_stats"]["done"] >= 1
        assert middle["shards_stats"]["started"] == 1
        assert (
            middle["shards_stats"]["done"]
            + middle["shards_stats"]["started"]
            + middle["shards_stats"]["initializing"]
            == 3
        )

        await clock.advance(total / 1000)
        end = await status_of(http)
        assert end["state"] == "SUCCESS"
        assert end["shards_stats"]["done"] == 3
        # As OpenSearch: "processed" disappears once it equals "incremental".
        assert "processed" not in end["stats"]
        assert end["stats"]["time_in_millis"] == total
        info = (await http("GET", "/_snapshot/repo/snap1")).body["snapshots"][0]
        assert info["state"] == "SUCCESS"
        assert info["shards"] == {"total": 3, "failed": 0, "successful": 3}
        assert info["duration_in_millis"] == total
        assert info["end_time_in_millis"] == info["start_time_in_millis"] + total

        # A second snapshot of unchanged indices has nothing incremental to copy.
        await http("PUT", "/_snapshot/repo/snap2", {"indices": "one"})
        second = await status_of(http, "snap2")
        assert second["state"] == "SUCCESS"
        assert second["stats"]["incremental"]["size_in_bytes"] == 0
        assert second["stats"]["total"]["size_in_bytes"] == server.index("one").store_bytes


async def test_duration_status_listing_and_delete() -> None:
    clock = FakeClock(auto_advance=False)
    async with (
        FakeOpenSearchServer(clock=clock, snapshot_duration=10) as server,
        open_http(server) as http,
    ):
        server.create_index("a", [{"x": 1}])
        server.create_index(".migrations_working_state", [{"x": 1}])
        await http("PUT", "/_snapshot/repo", FS)
        await http("PUT", "/_snapshot/repo/first", {})
        running = await http("GET", "/_snapshot/repo/_status")
        assert [s["snapshot"] for s in running.body["snapshots"]] == ["first"]
        assert (await http("GET", "/_snapshot/_status")).body["snapshots"][0][
            "repository"
        ] == "repo"
        current = await http("GET", "/_snapshot/repo/_current")
        assert [s["snapshot"] for s in current.body["snapshots"]] == ["first"]
        busy = await http("DELETE", "/_snapshot/repo")
        assert busy.status == 500
        assert "currently used" in busy.text
        await clock.advance(4)
        assert (await status_of(http, "first"))["stats"]["time_in_millis"] == 4000
        await clock.advance(6)
        assert (await status_of(http, "first"))["state"] == "SUCCESS"
        assert (await http("GET", "/_snapshot/repo/_status")).body == {"snapshots": []}
        await clock.advance(1)
        await http("PUT", "/_snapshot/repo/second", {"indices": ["a"]})
        listed = await http("GET", "/_snapshot/repo/_all")
        assert [s["snapshot"] for s in listed.body["snapshots"]] == ["first", "second"]
        everything = listed.body["snapshots"][0]["indices"]
        assert sorted(everything) == [".migrations_working_state", "a"]

        exists = await http("PUT", "/_snapshot/repo/first", {})
        assert exists.status == 400
        assert exists.body["error"]["type"] == "invalid_snapshot_name_exception"
        assert "snapshot with the same name already exists" in exists.body["error"]["reason"]
        upper = await http("PUT", "/_snapshot/repo/Upper", {})
        assert "must be lowercase" in upper.body["error"]["reason"]
        no_repo = await http("PUT", "/_snapshot/nope/x", {})
        assert no_repo.body["error"]["type"] == "repository_missing_exception"
        no_index = await http("PUT", "/_snapshot/repo/x", {"indices": "ghost"})
        assert no_index.body["error"]["type"] == "index_not_found_exception"

        assert (await http("DELETE", "/_snapshot/repo/first")).body == {"acknowledged": True}
        missing = await http("GET", "/_snapshot/repo/first")
        assert missing.status == 404
        assert missing.body["error"]["type"] == "snapshot_missing_exception"
        assert missing.body["error"]["reason"] == "[repo:first] is missing"
        assert (await http("DELETE", "/_snapshot/repo/first")).status == 404
        assert (await http("GET", "/_snapshot/repo/first/_status")).status == 404
        tolerant = await http("GET", "/_snapshot/repo/first,second?ignore_unavailable=true")
        assert [s["snapshot"] for s in tolerant.body["snapshots"]] == ["second"]
        # Deleting an in-progress snapshot aborts it.
        assert (await http("DELETE", "/_snapshot/repo/second")).status == 200
        assert (await http("GET", "/_snapshot/repo/_all")).body == {"snapshots": []}


async def test_wait_for_completion_sleeps_on_the_clock() -> None:
    clock = FakeClock()  # auto-advance: the server's waiting takes no real time
    async with (
        FakeOpenSearchServer(clock=clock, snapshot_duration=90) as server,
        open_http(server) as http,
    ):
        server.create_index("a", [{"x": 1}])
        await http("PUT", "/_snapshot/repo", FS)
        before = clock.monotonic()
        reply = await http("PUT", "/_snapshot/repo/s?wait_for_completion=true", {"indices": "a"})
        assert reply.body["snapshot"]["state"] == "SUCCESS"
        assert clock.monotonic() - before >= 90
        assert reply.body["snapshot"]["duration_in_millis"] == 90_000


async def test_failed_and_partial_outcomes() -> None:
    clock = FakeClock(auto_advance=False)
    async with (
        FakeOpenSearchServer(clock=clock, snapshot_duration=1) as server,
        open_http(server) as http,
    ):
        server.create_index("a", [{"x": 1}], shards=2)
        await http("PUT", "/_snapshot/repo", FS)
        server.fail_next_snapshot("PARTIAL", "disk full")
        server.fail_next_snapshot("FAILED", "repository broke")
        await http("PUT", "/_snapshot/repo/p", {})
        await http("PUT", "/_snapshot/repo/f", {})
        await http("PUT", "/_snapshot/repo/ok", {})
        await clock.advance(2)
        infos = {
            s["snapshot"]: s for s in (await http("GET", "/_snapshot/repo/_all")).body["snapshots"]
        }
        assert infos["p"]["state"] == "PARTIAL"
        assert infos["p"]["shards"] == {"total": 2, "failed": 1, "successful": 1}
        assert infos["p"]["failures"][0]["reason"] == "disk full"
        assert infos["f"]["state"] == "FAILED"
        assert infos["f"]["reason"] == "repository broke"
        assert infos["ok"]["state"] == "SUCCESS"
        partial = await status_of(http, "p")
        assert partial["shards_stats"]["failed"] == 1
