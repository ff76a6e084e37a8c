"""Aggregations the fake computes: metrics with ``missing`` and ``meta``, ``terms``.

From OpenSearch's "Metric aggregations" and "Bucket aggregations" documentation and the YAML
tests ``search.aggregation/100_avg_metric``, ``110_max_metric``, ``120_min_metric``,
``130_sum_metric``, ``170_cardinality_metric``, ``20_terms``.
"""

from __future__ import annotations

from typing import Any

import pytest

from asyncconsole.testing import FakeOpenSearch

from .conftest import Api


@pytest.fixture
def numbers(cluster: FakeOpenSearch) -> None:
    cluster.create_index(
        "agg",
        [("1", {"n": 1, "t": "a"}), ("2", {"n": 51, "t": "b"}), ("3", {"n": 101, "t": "a"}),
         ("4", {"t": "c"})],
        mappings={"properties": {"n": {"type": "long"}, "t": {"type": "keyword"}}},
    )  # fmt: skip


async def _aggs(api: Api, aggs: dict[str, Any]) -> dict[str, Any]:
    body = await api.ok("POST", "/agg/_search", {"size": 0, "aggs": aggs})
    return dict(body["aggregations"])


@pytest.mark.usefixtures("numbers")
async def test_metrics(api: Api) -> None:
    result = await _aggs(
        api,
        {
            "max": {"max": {"field": "n"}},
            "min": {"min": {"field": "n"}},
            "sum": {"sum": {"field": "n"}},
            "avg": {"avg": {"field": "n"}},
            "count": {"value_count": {"field": "n"}},
            "distinct": {"cardinality": {"field": "t"}},
        },
    )
    assert result == {
        "max": {"value": 101.0},
        "min": {"value": 1.0},
        "sum": {"value": 153.0},
        "avg": {"value": 51.0},
        "count": {"value": 3},
        "distinct": {"value": 3},
    }


@pytest.mark.usefixtures("numbers")
async def test_missing_stands_in_for_documents_without_the_field(api: Api) -> None:
    result = await _aggs(
        api,
        {
            "max": {"max": {"field": "n", "missing": 500}},
            "min": {"min": {"field": "n", "missing": -5}},
        },
    )
    assert result == {"max": {"value": 500.0}, "min": {"value": -5.0}}


@pytest.mark.usefixtures("numbers")
async def test_meta_is_returned_with_the_result(api: Api) -> None:
    result = await _aggs(api, {"m": {"max": {"field": "n"}, "meta": {"foo": "bar"}}})
    assert result == {"m": {"value": 101.0, "meta": {"foo": "bar"}}}


@pytest.mark.usefixtures("numbers")
async def test_max_of_no_values_is_null(api: Api) -> None:
    result = await _aggs(api, {"m": {"max": {"field": "absent"}}})
    assert result == {"m": {"value": None}}


@pytest.mark.usefixtures("numbers")
async def test_terms_buckets_by_count_then_key(api: Api) -> None:
    result = await _aggs(
        api, {"t": {"terms": {"field": "t", "size": 2}, "aggs": {"top": {"max": {"field": "n"}}}}}
    )
    assert result["t"]["buckets"] == [
        {"key": "a", "doc_count": 2, "top": {"value": 101.0}},
        {"key": "b", "doc_count": 1, "top": {"value": 51.0}},
    ]
    assert result["t"]["sum_other_doc_count"] == 1


@pytest.mark.usefixtures("numbers")
async def test_an_unknown_option_is_rejected(api: Api) -> None:
    reply = await api("POST", "/agg/_search", {"aggs": {"m": {"max": {"field": "n", "nope": 1}}}})
    assert reply.status == 400
    assert "unknown field [nope]" in reply.reason


@pytest.mark.usefixtures("numbers")
async def test_a_metric_takes_no_sub_aggregations(api: Api) -> None:
    reply = await api(
        "POST",
        "/agg/_search",
        {"aggs": {"m": {"max": {"field": "n"}, "aggs": {"x": {"min": {"field": "n"}}}}}},
    )
    assert (reply.status, reply.error_type) == (400, "aggregation_initialization_exception")
