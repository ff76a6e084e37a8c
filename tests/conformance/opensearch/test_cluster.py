"""Cluster APIs: root info, health (levels and waits), cluster settings, index stats.

From OpenSearch's "Cluster health", "Cluster settings" and "Index stats" documentation and
the YAML tests ``info/10_info``, ``cluster.health/10_basic``, ``cluster.health/20_request_timeout``,
``cluster.put_settings/10_basic``, ``indices.stats/10_index``, ``indices.stats/12_level``.
"""

from __future__ import annotations

import pytest

from asyncconsole import FakeClock

from .conftest import Api


async def test_root_reports_the_version(api: Api) -> None:
    body = await api.ok("GET", "/")
    assert body["version"]["distribution"] == "opensearch"
    assert body["version"]["number"] == "2.15.0"
    assert (await api("HEAD", "/")).status == 200


async def test_health_of_an_empty_cluster(api: Api) -> None:
    body = await api.ok("GET", "/_cluster/health")
    assert (body["status"], body["timed_out"]) == ("green", False)
    assert (body["active_primary_shards"], body["unassigned_shards"]) == (0, 0)
    assert body["number_of_nodes"] >= 1


async def test_replicas_make_one_node_yellow(api: Api) -> None:
    await api.ok("PUT", "/r", {"settings": {"number_of_shards": 3}})
    body = await api.ok("GET", "/_cluster/health")
    assert (body["status"], body["active_primary_shards"], body["unassigned_shards"]) == (
        "yellow",
        3,
        3,
    )


async def test_level_indices_and_shards(api: Api) -> None:
    await api.ok("PUT", "/test_index")
    indices = await api.ok("GET", "/_cluster/health", level="indices")
    assert indices["indices"]["test_index"]["status"] == "yellow"
    assert "shards" not in indices["indices"]["test_index"]
    shards = await api.ok("GET", "/_cluster/health", level="shards")
    assert shards["indices"]["test_index"]["shards"]["0"]["primary_active"] is True


async def test_health_of_named_indices(api: Api) -> None:
    await api.ok("PUT", "/index-1", {"settings": {"number_of_replicas": 0}})
    await api.ok("PUT", "/index-2", {"settings": {"number_of_replicas": 50}})
    assert (await api.ok("GET", "/_cluster/health/index-1"))["status"] == "green"
    assert (await api.ok("GET", "/_cluster/health/index-*"))["status"] == "yellow"


async def test_a_met_wait_for_status_answers_at_once(api: Api) -> None:
    await api.ok("PUT", "/g", {"settings": {"number_of_replicas": 0}})
    body = await api.ok("GET", "/_cluster/health", wait_for_status="green", timeout="1s")
    assert (body["status"], body["timed_out"]) == ("green", False)


async def test_an_unmet_wait_times_out_with_408(api: Api, clock: FakeClock) -> None:
    await api.ok("PUT", "/y")
    started = clock.monotonic()
    reply = await api("GET", "/_cluster/health", wait_for_status="green", timeout="5s")
    assert (reply.status, reply.body["timed_out"], reply.body["status"]) == (408, True, "yellow")
    assert clock.monotonic() - started == pytest.approx(5.0)


async def test_cluster_settings_round_trip_and_reset(api: Api) -> None:
    put = await api.ok(
        "PUT", "/_cluster/settings", {"persistent": {"cluster.routing.allocation.enable": "all"}}
    )
    assert put["persistent"] == {"cluster": {"routing": {"allocation": {"enable": "all"}}}}
    flat = await api.ok("GET", "/_cluster/settings", flat_settings="true")
    assert flat["persistent"] == {"cluster.routing.allocation.enable": "all"}
    await api.ok(
        "PUT", "/_cluster/settings", {"persistent": {"cluster.routing.allocation.enable": None}}
    )
    assert (await api.ok("GET", "/_cluster/settings"))["persistent"] == {}


async def test_stats_metrics_and_levels(api: Api) -> None:
    await api.ok("PUT", "/s/_doc/1", {"a": 1}, refresh="true")
    docs = await api.ok("GET", "/s/_stats/docs")
    assert set(docs["indices"]["s"]["primaries"]) == {"docs"}
    assert docs["_all"]["primaries"]["docs"]["count"] == 1
    cluster = await api.ok("GET", "/_stats/docs,store", level="cluster")
    assert set(cluster) == {"_shards", "_all"}
    assert set(cluster["_all"]["primaries"]) == {"docs", "store"}


async def test_stats_metric_as_a_url_parameter(api: Api) -> None:
    await api.ok("PUT", "/s")
    body = await api.ok("GET", "/s/_stats", metric="store")
    assert set(body["indices"]["s"]["primaries"]) == {"store"}


async def test_an_unknown_stats_metric_is_400(api: Api) -> None:
    reply = await api("GET", "/_stats/nonsense")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")
    assert reply.reason == "request [/_stats/nonsense] contains unrecognized metric: [nonsense]"
