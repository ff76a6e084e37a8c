"""The skip list: OpenSearch behaviours the fake does not claim, and why.

Each entry is reported as a skipped test, so a run shows what is not checked. Where the fake
meets such a request it answers 400 rather than pretend (except where noted).
"""

from __future__ import annotations

from pathlib import Path

import pytest

NOT_CLAIMED: dict[str, str] = {
    "search-idle shards": (
        "OpenSearch may refresh an idle shard when a search arrives; the fake always waits for "
        "the scheduled refresh, the latest a write can become visible"
    ),
    "relevance scoring": (
        "every hit scores 1.0, so _score order and track_scores change nothing; the fake does "
        "not analyse text beyond lower-cased words"
    ),
    "query DSL beyond the listed queries": (
        "bool, constant_score, exists, ids, match, match_all, match_none, match_phrase (as "
        "match), prefix, range, term, terms and wildcard are served; other queries answer 400"
    ),
    "aggregations beyond the listed ones": (
        "avg, cardinality, max, min, sum, terms and value_count are served, cardinality "
        "exactly (OpenSearch approximates); other aggregations answer 400"
    ),
    "scripts": "painless is not run: scripted updates answer 400; a cardinality script is not run",
    "shard routing": (
        "documents are not placed in shards: the routing parameter answers 400, alias routing "
        "is stored and shown but selects nothing"
    ),
    "sequence numbers per shard": (
        "_seq_no counts per index (as one shard would); _primary_term is always 1"
    ),
    "running tasks": (
        "wait_for_completion=false runs the request at once: a task is always completed, "
        "so a running task or its cancellation cannot be observed"
    ),
    "cluster setting validation": (
        "any cluster setting is stored; OpenSearch rejects unknown keys and checks values"
    ),
    "mapping limits and custom date formats": (
        "total field, depth and nested limits are not enforced; a date field with a format "
        "accepts any value"
    ),
    "statistics the fake does not keep": (
        "index stats beyond docs, store, indexing and refresh, node stats beyond indices, os, "
        "process, jvm, thread_pool and fs, and _cat/indices columns beyond the served ones, "
        "answer 400 (their short aliases are dropped as unknown headers)"
    ),
    "several nodes": (
        "one node: replicas stay unassigned (yellow) and waits for more active shards time out"
    ),
    "deprecation warnings": "the Warning header OpenSearch adds for deprecated usage is not sent",
    "other endpoints": (
        "endpoints outside docs/testing.md (_nodes other than _nodes/stats, _ingest, _restore, "
        "templates, PIT, security...) answer no handler found"
    ),
}


@pytest.mark.parametrize("behaviour", sorted(NOT_CLAIMED))
def test_not_claimed(behaviour: str) -> None:
    pytest.skip(f"not claimed: {behaviour}: {NOT_CLAIMED[behaviour]}")


def test_every_entry_is_named_in_the_testing_guide() -> None:
    guide = (Path(__file__).parents[3] / "docs" / "testing.md").read_text(encoding="utf-8")
    missing = [name for name in NOT_CLAIMED if f"`{name}`" not in guide]
    assert not missing, f"docs/testing.md does not name: {missing}"
