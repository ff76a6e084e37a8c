"""``_cat/indices``: columns, header aliases, sorting, units and filters.

From OpenSearch's "CAT indices" and "CAT API" documentation and the YAML tests
``cat.indices/10_basic``, ``cat.indices/20_hidden``.
"""

from __future__ import annotations

import re

import pytest

from asyncconsole.testing import FakeOpenSearch

from .conftest import Api


@pytest.fixture
def three(cluster: FakeOpenSearch) -> None:
    cluster.create_index("foo", [{"a": 1}], replicas=0)
    cluster.create_index("bar", [{"a": 1}, {"a": 2}], replicas=0)
    cluster.create_index("baz", shards=3, replicas=1)


async def test_no_indices_is_an_empty_body(api: Api) -> None:
    assert await api.ok("GET", "/_cat/indices") == ""


async def test_default_columns(api: Api) -> None:
    await api.ok(
        "PUT", "/index1", {"settings": {"number_of_shards": "1", "number_of_replicas": "0"}}
    )
    line = await api.ok("GET", "/_cat/indices")
    pattern = r"^green\s+open\s+index1\s+\S{22}\s+1\s+0\s+0\s+0\s+\d+(\.\d+)?(kb|b)\s+\d+(\.\d+)?(kb|b)\n$"
    assert re.match(pattern, line), line


@pytest.mark.usefixtures("three")
async def test_verbose_adds_the_header_line(api: Api) -> None:
    text = await api.ok("GET", "/_cat/indices/foo", v="true", h="index,docs.count")
    assert text.splitlines() == ["index docs.count", "foo            1"]


@pytest.mark.usefixtures("three")
async def test_header_aliases_and_creation_date_columns(api: Api) -> None:
    text = await api.ok("GET", "/_cat/indices/foo", h="i,cd,cds,creation.date,creation.date.string")
    pattern = r"^foo\s+(\d+)\s+(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\s+(\d+)\s+(\S+)\n$"
    match = re.match(pattern, text)
    assert match, text
    assert match.group(1) == match.group(3)


@pytest.mark.usefixtures("three")
async def test_json_keys_use_the_names_asked_for(api: Api) -> None:
    rows = await api.ok("GET", "/_cat/indices/foo", format="json", h="i,dc,health")
    assert rows == [{"i": "foo", "dc": "1", "health": "green"}]


@pytest.mark.usefixtures("three")
async def test_header_wildcards(api: Api) -> None:
    rows = await api.ok("GET", "/_cat/indices/foo", format="json", h="docs.*")
    assert rows == [{"docs.count": "1", "docs.deleted": "0"}]


@pytest.mark.usefixtures("three")
async def test_unknown_headers_are_dropped(api: Api) -> None:
    assert await api.ok("GET", "/_cat/indices/foo", h="index,nonsense") == "foo\n"


@pytest.mark.usefixtures("three")
async def test_sorting_by_columns_and_direction(api: Api) -> None:
    await api.ok("POST", "/bar/_close")
    text = await api.ok("GET", "/_cat/indices", h="status,index", s="status,index")
    assert [line.split() for line in text.splitlines()] == [
        ["close", "bar"],
        ["open", "baz"],
        ["open", "foo"],
    ]
    desc = await api.ok("GET", "/_cat/indices", h="status,index", s="status,index:desc")
    assert [line.split()[1] for line in desc.splitlines()] == ["bar", "foo", "baz"]


@pytest.mark.usefixtures("three")
async def test_sorting_by_an_unknown_column_fails(api: Api) -> None:
    reply = await api("GET", "/_cat/indices", s="nonsense")
    assert (reply.status, reply.error_type) == (500, "unsupported_operation_exception")
    assert reply.reason == "Unable to sort by unknown sort key `nonsense`"


@pytest.mark.usefixtures("three")
async def test_health_filters_rows(api: Api) -> None:
    assert await api.ok("GET", "/_cat/indices", health="yellow", h="index") == "baz\n"
    green = await api.ok("GET", "/_cat/indices", health="green", h="index", s="index")
    assert green == "bar\nfoo\n"


async def test_an_invalid_health_is_400(api: Api) -> None:
    reply = await api("GET", "/_cat/indices", health="invalid-health-value")
    assert (reply.status, reply.error_type) == (400, "illegal_argument_exception")


@pytest.mark.usefixtures("three")
async def test_index_wildcards(api: Api) -> None:
    text = await api.ok("GET", "/_cat/indices/ba*", h="i", s="i")
    assert text == "bar\nbaz\n"


@pytest.mark.usefixtures("three")
async def test_a_closed_index_shows_no_document_columns(api: Api) -> None:
    await api.ok("POST", "/foo/_close")
    rows = await api.ok(
        "GET", "/_cat/indices/foo", format="json", h="status,pri,docs.count,store.size"
    )
    assert rows == [{"status": "close", "pri": "1", "docs.count": None, "store.size": None}]


@pytest.mark.usefixtures("three")
async def test_bytes_renders_sizes_in_one_unit(api: Api) -> None:
    rows = await api.ok("GET", "/_cat/indices/foo", format="json", h="store.size", bytes="b")
    assert rows[0]["store.size"].isdigit()
    kb = await api.ok("GET", "/_cat/indices/foo", format="json", h="store.size", bytes="kb")
    assert int(kb[0]["store.size"]) == int(rows[0]["store.size"]) // 1024


@pytest.mark.usefixtures("three")
async def test_pri_adds_the_primaries_sibling_column(api: Api) -> None:
    rows = await api.ok(
        "GET", "/_cat/indices/foo", format="json", h="store.size", pri="true", bytes="b"
    )
    assert set(rows[0]) == {"store.size", "pri.store.size"}


async def test_help_lists_the_columns(api: Api) -> None:
    text = await api.ok("GET", "/_cat/indices", help="true")
    assert any(
        line.startswith("docs.count") and "dc,docsCount" in line for line in text.splitlines()
    )


async def test_hidden_indices_are_not_listed_by_default(api: Api) -> None:
    await api.ok("PUT", "/.hidden", {"settings": {"index.hidden": True}})
    assert await api.ok("GET", "/_cat/indices") == ""
    assert await api.ok("GET", "/_cat/indices/.*", h="index") == ".hidden\n"
