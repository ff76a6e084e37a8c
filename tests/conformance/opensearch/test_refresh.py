"""Near-real-time search: what a refresh makes visible, and when.

From OpenSearch's "Refresh index" and "Index document" documentation (``refresh`` parameter)
and the YAML tests ``index/60_refresh``, ``bulk/50_refresh``, ``delete/50_refresh``,
``get/60_realtime_refresh``, ``indices.refresh``.
"""

from __future__ import annotations

import asyncio

from asyncconsole import FakeClock
from asyncconsole.testing import FakeOpenSearch

from .conftest import Api


async def _count(api: Api, index: str) -> int:
    return int((await api.ok("GET", f"/{index}/_count"))["count"])


async def test_a_write_is_not_searchable_before_a_refresh(api: Api) -> None:
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    assert await _count(api, "nrt") == 0
    hits = await api.ok("POST", "/nrt/_search", {"query": {"match_all": {}}})
    assert hits["hits"]["total"]["value"] == 0


async def test_get_by_id_is_realtime(api: Api) -> None:
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    got = await api.ok("GET", "/nrt/_doc/1")
    assert (got["found"], got["_source"]) == (True, {"a": 1})


async def test_get_with_realtime_false_reads_the_searchable_view(api: Api) -> None:
    await api.ok("PUT", "/nrt", {"settings": {"index.refresh_interval": "-1"}})
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    assert (await api("GET", "/nrt/_doc/1", realtime="false")).status == 404
    refreshed = await api("GET", "/nrt/_doc/1", realtime="false", refresh="true")
    assert refreshed.body["found"] is True


async def test_the_scheduled_refresh_follows_refresh_interval(api: Api, clock: FakeClock) -> None:
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    await clock.advance(0.9)
    assert await _count(api, "nrt") == 0
    await clock.advance(0.1)  # the default refresh_interval is 1s
    assert await _count(api, "nrt") == 1


async def test_a_custom_refresh_interval_is_honoured(api: Api, clock: FakeClock) -> None:
    await api.ok("PUT", "/nrt", {"settings": {"index": {"refresh_interval": "30s"}}})
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    await clock.advance(29)
    assert await _count(api, "nrt") == 0
    await clock.advance(1)
    assert await _count(api, "nrt") == 1


async def test_refresh_interval_minus_one_disables_scheduled_refreshes(
    api: Api, clock: FakeClock
) -> None:
    await api.ok("PUT", "/nrt", {"settings": {"index.refresh_interval": -1}})
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    await clock.advance(3600)
    assert await _count(api, "nrt") == 0
    await api.ok("POST", "/nrt/_refresh")
    assert await _count(api, "nrt") == 1


async def test_refresh_interval_can_be_changed_on_a_live_index(api: Api, clock: FakeClock) -> None:
    await api.ok("PUT", "/nrt", {"settings": {"index.refresh_interval": "-1"}})
    await api.ok("PUT", "/nrt/_doc/1", {"a": 1})
    await api.ok("PUT", "/nrt/_settings", {"index": {"refresh_interval": "1s"}})
    await clock.advance(1)
    assert await _count(api, "nrt") == 1


async def test_refresh_api_makes_every_pending_write_visible(api: Api) -> None:
    for n in range(3):
        await api.ok("PUT", f"/a/_doc/{n}", {"n": n})
        await api.ok("PUT", f"/b/_doc/{n}", {"n": n})
    reply = await api.ok("POST", "/_refresh")
    assert reply["_shards"]["failed"] == 0
    assert (await _count(api, "a"), await _count(api, "b")) == (3, 3)


async def test_refresh_of_one_index_leaves_the_others_pending(api: Api) -> None:
    await api.ok("PUT", "/a/_doc/1", {"n": 1})
    await api.ok("PUT", "/b/_doc/1", {"n": 1})
    await api.ok("POST", "/a/_refresh")
    assert (await _count(api, "a"), await _count(api, "b")) == (1, 0)


async def test_refresh_true_makes_the_write_visible_and_says_so(api: Api) -> None:
    await api.ok("PUT", "/nrt", {"settings": {"index.refresh_interval": -1}})
    reply = await api.ok("PUT", "/nrt/_doc/1", {"a": 1}, refresh="true")
    assert reply["forced_refresh"] is True
    assert await _count(api, "nrt") == 1


async def test_refresh_empty_string_means_true(api: Api) -> None:
    reply = await api.ok("PUT", "/nrt/_doc/1", {"a": 1}, refresh="")
    assert reply["forced_refresh"] is True
    assert await _count(api, "nrt") == 1


async def test_refresh_wait_for_returns_once_visible_without_forcing(
    api: Api, clock: FakeClock
) -> None:
    reply = await api.ok("PUT", "/nrt/_doc/1", {"a": 1}, refresh="wait_for")
    assert "forced_refresh" not in reply
    assert clock.monotonic() >= 1.0  # it waited for the scheduled refresh
    assert await _count(api, "nrt") == 1


async def test_refresh_wait_for_with_refreshes_disabled_waits_for_an_explicit_one() -> None:
    clock = FakeClock(auto_advance=False)
    cluster = FakeOpenSearch(clock=clock)
    async with cluster.client(retry=False) as http, asyncio.TaskGroup() as tg:
        await http.request("PUT", "/w", json={"settings": {"index.refresh_interval": "-1"}})
        write = tg.create_task(
            http.request("PUT", "/w/_doc/1", params={"refresh": "wait_for"}, json={"a": 1})
        )
        for _ in range(5):
            await asyncio.sleep(0)
        assert not write.done()
        await http.request("POST", "/w/_refresh")
    assert write.result().status == 201


async def test_unknown_refresh_value_is_rejected(api: Api) -> None:
    reply = await api("PUT", "/nrt/_doc/1", {"a": 1}, refresh="soon")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason == "Unknown value for refresh: [soon]."
    assert (await api("GET", "/nrt/_doc/1")).status == 404


async def test_bulk_refresh_true_marks_each_item(api: Api) -> None:
    reply = await api(
        "POST",
        "/_bulk",
        ndjson=[{"index": {"_index": "b", "_id": "1"}}, {"f": 1}],
        refresh="true",
    )
    assert reply.body["items"][0]["index"]["forced_refresh"] is True
    assert await _count(api, "b") == 1


async def test_bulk_refresh_wait_for_makes_items_visible(api: Api) -> None:
    await api("POST", "/_bulk", ndjson=[{"index": {"_index": "b"}}, {"f": 1}], refresh="wait_for")
    assert await _count(api, "b") == 1


async def test_a_delete_is_not_searchable_before_a_refresh(api: Api) -> None:
    await api.ok("PUT", "/d/_doc/1", {"a": 1}, refresh="true")
    await api.ok("DELETE", "/d/_doc/1")
    assert await _count(api, "d") == 1
    assert (await api("GET", "/d/_doc/1")).status == 404  # but GET is realtime
    await api.ok("POST", "/d/_refresh")
    assert await _count(api, "d") == 0


async def test_delete_with_refresh_true_is_visible_at_once(api: Api) -> None:
    await api.ok("PUT", "/d/_doc/1", {"a": 1}, refresh="true")
    reply = await api.ok("DELETE", "/d/_doc/1", refresh="true")
    assert reply["forced_refresh"] is True
    assert await _count(api, "d") == 0


async def test_cat_indices_and_stats_count_refreshed_documents(api: Api) -> None:
    await api.ok("PUT", "/c/_doc/1", {"a": 1})
    rows = await api.ok("GET", "/_cat/indices/c", format="json", h="docs.count")
    stats = await api.ok("GET", "/c/_stats/docs")
    assert rows == [{"docs.count": "0"}]
    assert stats["indices"]["c"]["primaries"]["docs"]["count"] == 0
    await api.ok("POST", "/c/_refresh")
    rows = await api.ok("GET", "/_cat/indices/c", format="json", h="docs.count")
    assert rows == [{"docs.count": "1"}]


async def test_a_replaced_document_counts_as_deleted_after_a_refresh(api: Api) -> None:
    await api.ok("PUT", "/r/_doc/1", {"v": 1}, refresh="true")
    await api.ok("PUT", "/r/_doc/1", {"v": 2}, refresh="true")
    stats = await api.ok("GET", "/r/_stats/docs")
    assert stats["indices"]["r"]["primaries"]["docs"] == {"count": 1, "deleted": 1}


async def test_search_sees_the_refreshed_version_of_an_updated_document(api: Api) -> None:
    await api.ok("PUT", "/u/_doc/1", {"v": "old"}, refresh="true")
    await api.ok("PUT", "/u/_doc/1", {"v": "new"})
    hits = await api.ok("POST", "/u/_search", {"query": {"match_all": {}}})
    assert hits["hits"]["hits"][0]["_source"] == {"v": "old"}
    assert (await api.ok("GET", "/u/_doc/1"))["_source"] == {"v": "new"}


async def test_refresh_stats_count_refreshes(api: Api) -> None:
    await api.ok("PUT", "/st")

    async def refreshes() -> int:
        stats = await api.ok("GET", "/st/_stats/refresh")
        return int(stats["indices"]["st"]["primaries"]["refresh"]["total"])

    before = await refreshes()
    await api.ok("POST", "/st/_refresh")
    await api.ok("PUT", "/st/_doc/1", {"a": 1}, refresh="true")
    assert await refreshes() == before + 2
