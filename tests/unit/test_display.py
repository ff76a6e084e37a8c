"""asyncconsole._display: one table model drawn as rich tables and escaped HTML."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console, Group
from rich.table import Table as RichTable
from rich.text import Text

from asyncconsole import Secret
from asyncconsole._display import (
    Badge,
    Column,
    Description,
    DisplayList,
    DisplayMixin,
    Pre,
    Progress,
    Table,
    badge,
    fields,
    html_table,
    merge,
    rich_table,
    table,
    text_of,
    to_html,
    to_rich,
)
from asyncconsole.services.workers import WorkerCounts

EVIL = '<script>alert("x")</script> [bold red]boom[/] & co'


def shown(renderable: Any) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_cell_text() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    assert text_of(None) == ""
    assert (text_of(True), text_of(False)) == ("yes", "no")
    assert (text_of(1.0), text_of(2.5), text_of(1234567.89), text_of(3)) == (
        "1",
        "2.5",
        "1234567.89",
        "3",
    )
    assert text_of(moment) == "2026-01-02 03:04:05+00:00"
    assert text_of(Secret("hunter2")) == "********"
    assert text_of({"a": 1, "b": [Secret("hunter2"), "x"]}) == "a=1, b=********, x"
    assert text_of(Progress(42.125)) == "42.12%"
    assert text_of("https://user:hunter2@host:9200/x") == "https://user:********@host:9200/x"
    assert text_of("ftp://user@host and s3://b/k") == "ftp://user@host and s3://b/k"


def test_badges_take_their_tone_from_the_word() -> None:
    assert badge("ok") == Badge("ok", "good")
    assert badge("FAILED").tone == "bad"
    assert badge("CompletedWithErrors").tone == "warn"
    assert badge("in_progress").tone == "active"
    assert badge(True) == Badge("yes", "good")
    assert badge("something else") == Badge("something else", None)


def test_rich_table_draws_cells_as_plain_text_with_styles() -> None:
    spec = table(
        ["Name", Column("Status", no_wrap=True), "Count", "Done", "Output"],
        [
            (EVIL, badge("failed"), 12, Progress(150), Pre("line 1\nline 2")),
            ("two", Badge("plain"), None, Progress(-3), Pre("")),
        ],
        title=f"title {EVIL}",
    )
    drawn = rich_table(spec)
    assert isinstance(drawn, RichTable)
    assert [c.justify for c in drawn.columns] == ["left", "left", "right", "left", "left"]
    status = drawn.columns[1].cells
    assert [str(cell.style) for cell in status if isinstance(cell, Text)] == ["bold red", "bold"]
    text = shown(drawn)
    assert "[bold red]boom[/]" in text  # brackets are text, never rich markup
    assert f"title {EVIL}" in text
    assert "line 1" in text
    assert "line 2" in text
    assert "100.00%" not in text
    assert "150.00%" in text


def test_html_table_escapes_everything() -> None:
    spec = table(
        [f"head {EVIL}", "status", "bar", "out"],
        [(EVIL, badge("ok"), Progress(150), Pre(EVIL))],
        title=EVIL,
        css_class="x<y",
    )
    page = html_table(spec)
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") == 4  # caption, heading, cell, pre
    assert page.startswith('<table class="x&lt;y"><caption>')
    assert '<td style="color: #1a7f37; font-weight: bold">ok</td>' in page
    assert '<progress value="100.0" max="100"></progress> 150.00%' in page
    assert "<pre" in page
    assert html_table(table(["a"], [])) == (
        "<table><thead><tr><th>a</th></tr></thead><tbody></tbody></table>"
    )


def test_field_tables_leave_out_missing_values_and_head_rows() -> None:
    spec = fields([("Name", "n"), ("Gone", None), ("Secret", Secret("hunter2"))], title="t")
    assert [row[0] for row in spec.rows] == ["Name", "Secret"]
    page = html_table(spec)
    assert "<thead>" not in page
    assert '<th style="text-align: left">Name</th><td>n</td>' in page
    assert "hunter2" not in page
    assert "hunter2" not in shown(rich_table(spec))
    assert len(fields([("Gone", None)], keep_empty=True).rows) == 1


def test_rows_must_fit_the_columns() -> None:
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        table(["one"], [("a", "b")])


def test_several_tables_draw_one_after_another() -> None:
    first, second = table(["a"], [("1",)], title="first"), fields([("b", "2")], title="second")
    assert isinstance(to_rich(first), RichTable)
    group = to_rich([first, second])
    assert isinstance(group, Group)
    text = shown(group)
    assert text.index("first") < text.index("second")
    assert to_html([first, second]) == html_table(first) + html_table(second)


def test_merge_joins_tables_with_the_same_columns_only() -> None:
    one, two = table(["a"], [("1",)], title="t"), table(["a"], [("2",)])
    (merged,) = merge([one, two])
    assert merged.rows == (("1",), ("2",))
    assert merged.title == "t"
    other = table(["b"], [("3",)])
    assert merge([one, other]) == [one, other]
    assert merge([]) == []


class _Thing(DisplayMixin):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _display_tables(self) -> Table:
        return table(["name"], [(self.name,)])


def test_mixin_gives_rich_and_html() -> None:
    thing = _Thing(EVIL)
    assert "&lt;script&gt;" in thing._repr_html_()
    assert "[bold red]boom[/]" in shown(thing)


def test_display_list_is_a_list_drawn_as_one_table() -> None:
    items = DisplayList([_Thing("a"), _Thing("b")])
    assert items == [items[0], items[1]]
    assert isinstance(items, list)
    page = items._repr_html_()
    assert page.count("<table>") == 1
    assert page.count("<tr>") == 3
    text = shown(items)
    assert "a" in text
    assert "b" in text
    mixed = DisplayList([_Thing("a"), 7, WorkerCounts(running=1)])
    assert mixed._repr_html_().count("<table>") == 3
    assert "(none)" in DisplayList([])._repr_html_()


def test_description_is_a_plain_dict_drawn_per_section() -> None:
    data = Description(
        {
            "source": {"endpoint": "https://u:hunter2@h", "auth": {"username": EVIL}},
            "empty": {},
            "note": "plain",
        }
    )
    assert json.loads(json.dumps(data)) == dict(data)
    page = data._repr_html_()
    assert "hunter2" not in page
    assert "<script>" not in page
    assert "<caption>source</caption>" in page
    assert '<th style="text-align: left">auth.username</th>' in page
    text = shown(data)
    assert "https://u:********@h" in text
    assert "note" in text
    assert "plain" in text
    assert "empty" in text
    assert Description()._repr_html_().startswith("<table>")


def test_import_asyncconsole_does_not_load_rich() -> None:
    code = (
        "import sys, asyncconsole, asyncconsole._display, asyncconsole.services.backfill,"
        " asyncconsole.infra.metrics, asyncconsole.notebook;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('rich', 'pandas', 'matplotlib')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
