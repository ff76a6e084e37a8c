"""One look for every result: rows of cells drawn as a rich table (terminals) or an escaped
HTML table (notebooks).

A result type adopts it with :class:`DisplayMixin` and one method, ``_display_tables()``,
returning a :class:`Table` (or several): the mixin gives it ``__rich__`` and ``_repr_html_``.
Cells are plain values (``None`` shows empty, ``bool`` as yes/no, numbers unpadded, datetimes
to the second, enums by value, :class:`~asyncconsole.Secret` and passwords in URLs masked)
or :class:`Badge`
(a coloured status), :class:`Progress` (a bar) and :class:`Pre` (preformatted text).

rich is imported only when a table is drawn, so ``import asyncconsole`` stays light. Every
value is escaped in HTML and drawn as plain text (never as rich markup) in terminals.
"""

from __future__ import annotations

import enum
import html
from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from ._redact import mask_urls_in

__all__ = [
    "TONES",
    "Badge",
    "Column",
    "Description",
    "DisplayList",
    "DisplayMixin",
    "Pre",
    "Progress",
    "Table",
    "badge",
    "fields",
    "html_table",
    "merge",
    "rich_table",
    "table",
    "text_of",
    "to_html",
    "to_rich",
]

Tone = Literal["good", "bad", "warn", "special", "active", "waiting", "muted"]

TONES: dict[str, tuple[str, str]] = {
    # tone: (rich colour, HTML colour); the HTML ones read well on light and dark themes
    "good": ("green", "#1a7f37"),
    "bad": ("red", "#cf222e"),
    "warn": ("yellow", "#9a6700"),
    "special": ("magenta", "#8250df"),
    "active": ("cyan", "#0969da"),
    "waiting": ("blue", "#0550ae"),
    "muted": ("bright_black", "#6e7781"),
}

_WORD_TONES: dict[str, Tone] = {
    **dict.fromkeys(
        ("ok", "success", "succeeded", "completed", "connected", "ready", "yes", "active", "green"),
        "good",
    ),
    **dict.fromkeys(("failed", "error", "dead", "unreachable", "no", "red"), "bad"),
    **dict.fromkeys(
        (
            "timed_out",
            "yellow",
            "partial",
            "completedwitherrors",
            "terminating",
            "stopping",
            "draining",
            "deactivating",
            "removing",
        ),
        "warn",
    ),
    **dict.fromkeys(("cancelled", "paused"), "special"),
    **dict.fromkeys(
        ("running", "starting", "in_progress", "started", "restarting", "initializing"), "active"
    ),
    "waiting": "waiting",
    **dict.fromkeys(
        (
            "pending",
            "not_started",
            "stopped",
            "exited",
            "created",
            "unknown",
            "inactive",
            "provisioning",
        ),
        "muted",
    ),
}


@dataclass(frozen=True, slots=True)
class Badge:
    """A status word drawn bold in its tone's colour."""

    text: str
    tone: Tone | None = None


def badge(status: object) -> Badge:
    """A :class:`Badge` for a status word (an enum shows its value), coloured by what the word
    usually means: ``ok``/``Completed`` green, ``failed`` red, ``running`` cyan, ``pending`` grey..."""
    text = text_of(status)
    key = text.lower().replace(" ", "_").replace("-", "_")
    return Badge(text, _WORD_TONES.get(key))


@dataclass(frozen=True, slots=True)
class Progress:
    """A percentage drawn as a bar (``<progress>`` in HTML) with the number next to it."""

    percent: float

    @property
    def clamped(self) -> float:
        """The percentage limited to 0..100."""
        return max(0.0, min(100.0, self.percent))


@dataclass(frozen=True, slots=True)
class Pre:
    """Preformatted text (a tool's output): kept line by line, ``<pre>`` in HTML."""

    text: str


@dataclass(frozen=True, slots=True)
class Column:
    """A column heading and how its cells line up.

    ``justify=None`` right-aligns a column whose cells are all numbers (terminals only; HTML
    cells carry no alignment so Jupyter's own table style applies).
    """

    header: str
    justify: Literal["left", "right"] | None = None
    no_wrap: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells under column headings, optionally titled.

    ``row_headers`` makes each row's first cell a heading (the field names of :func:`fields`).
    ``css_class`` is the HTML table's ``class`` (none by default).
    """

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    title: str | None = None
    css_class: str | None = None
    show_header: bool = True
    row_headers: bool = False


def table(
    columns: Sequence[str | Column],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    css_class: str | None = None,
) -> Table:
    """A :class:`Table`; plain strings are column headings with default alignment."""
    cols = tuple(c if isinstance(c, Column) else Column(c) for c in columns)
    body = tuple(tuple(row) for row in rows)
    for row in body:
        if len(row) != len(cols):
            raise ValueError(f"row {row!r} has {len(row)} cells for {len(cols)} columns")
    return Table(cols, body, title=title, css_class=css_class)


def fields(
    pairs: Iterable[tuple[str, Any]], *, title: str | None = None, keep_empty: bool = False
) -> Table:
    """A two-column name/value table of one object; ``None`` values are left out unless
    ``keep_empty``."""
    rows = tuple((name, value) for name, value in pairs if keep_empty or value is not None)
    return Table(
        (Column("Field", no_wrap=True), Column("Value")),
        rows,
        title=title,
        show_header=False,
        row_headers=True,
    )


def merge(tables: Sequence[Table], *, title: str | None = None) -> list[Table]:
    """Tables with the same columns as one table (rows in order); otherwise unchanged."""
    if not tables:
        return []
    first = tables[0]
    if any(t.columns != first.columns or t.row_headers != first.row_headers for t in tables):
        return list(tables)
    rows = tuple(row for t in tables for row in t.rows)
    return [
        Table(
            first.columns,
            rows,
            title=title if title is not None else first.title,
            css_class=first.css_class,
            show_header=first.show_header,
            row_headers=first.row_headers,
        )
    ]


# -- cells -------------------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """A cell's plain text: secrets stay masked (only ``str()`` is ever used) and a password
    in a URL shows as ``********``."""
    return mask_urls_in(_raw_text(value))


def _raw_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Badge):
        return value.text
    if isinstance(value, Pre):
        return value.text
    if isinstance(value, Progress):
        return f"{value.percent:.2f}%"
    if isinstance(value, float):
        return format(value, ".10g")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, enum.Enum):
        return _raw_text(value.value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_raw_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_raw_text(item) for item in value)
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_BAR_WIDTH = 20


def _rich_cell(value: Any) -> Any:
    from rich.text import Text

    if isinstance(value, Badge):
        colour = TONES[value.tone][0] if value.tone else ""
        return Text(text_of(value), style=f"bold {colour}".strip())
    if isinstance(value, Progress):
        filled = round(value.clamped / 100 * _BAR_WIDTH)
        bar = Text("━" * filled, style="green")
        bar.append("━" * (_BAR_WIDTH - filled), style="bright_black")
        bar.append(f" {value.percent:.2f}%")
        return bar
    return Text(text_of(value))


def rich_table(spec: Table) -> Any:
    """``spec`` as a ``rich.table.Table``."""
    from rich.table import Table as RichTable
    from rich.text import Text

    # Text, not str: rich would read brackets in a title or heading as markup
    title = Text(text_of(spec.title)) if spec.title else None
    out = RichTable(title=title, title_justify="left", show_header=spec.show_header)
    for index, column in enumerate(spec.columns):
        justify = column.justify
        if justify is None:
            values = [row[index] for row in spec.rows if row[index] is not None]
            justify = "right" if values and all(_numeric(v) for v in values) else "left"
        heading = spec.row_headers and index == 0
        out.add_column(
            Text(text_of(column.header)),
            justify=justify,
            no_wrap=column.no_wrap,
            overflow="ellipsis" if column.no_wrap else "fold",
            style="bold" if heading else None,
        )
    for row in spec.rows:
        out.add_row(*(_rich_cell(cell) for cell in row))
    return out


def _html_cell(value: Any, *, heading: bool = False) -> str:
    esc = html.escape
    if heading:
        return f'<th style="text-align: left">{esc(text_of(value))}</th>'
    if isinstance(value, Badge):
        colour = TONES[value.tone][1] if value.tone else "inherit"
        return f'<td style="color: {colour}; font-weight: bold">{esc(text_of(value))}</td>'
    if isinstance(value, Progress):
        return (
            f'<td><progress value="{value.clamped:.1f}" max="100"></progress> '
            f"{value.percent:.2f}%</td>"
        )
    if isinstance(value, Pre):
        return f'<td><pre style="margin: 0; text-align: left">{esc(text_of(value))}</pre></td>'
    return f"<td>{esc(text_of(value))}</td>"


def html_table(spec: Table) -> str:
    """``spec`` as an HTML ``<table>``; every value and heading is escaped."""
    esc = html.escape
    parts = [f'<table class="{esc(spec.css_class)}">' if spec.css_class else "<table>"]
    if spec.title:
        parts.append(f"<caption>{esc(text_of(spec.title))}</caption>")
    if spec.show_header:
        heads = "".join(f"<th>{esc(text_of(c.header))}</th>" for c in spec.columns)
        parts.append(f"<thead><tr>{heads}</tr></thead>")
    parts.append("<tbody>")
    for row in spec.rows:
        cells = "".join(
            _html_cell(cell, heading=spec.row_headers and index == 0)
            for index, cell in enumerate(row)
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _tables(view: Table | Sequence[Table]) -> list[Table]:
    return [view] if isinstance(view, Table) else list(view)


def to_rich(view: Table | Sequence[Table]) -> Any:
    """One table, or several one under the other, as a rich renderable."""
    found = _tables(view)
    if len(found) == 1:
        return rich_table(found[0])
    from rich.console import Group

    return Group(*(rich_table(t) for t in found))


def to_html(view: Table | Sequence[Table]) -> str:
    """One table, or several one after the other, as HTML."""
    return "".join(html_table(t) for t in _tables(view))


# -- adopting it -------------------------------------------------------------------------------


class DisplayMixin:
    """Gives a result ``__rich__`` (terminals) and ``_repr_html_`` (Jupyter) from one method,
    ``_display_tables()``."""

    __slots__ = ()

    @abstractmethod
    def _display_tables(self) -> Table | Sequence[Table]:
        """The table(s) that show this object."""

    def __rich__(self) -> Any:
        return to_rich(self._display_tables())

    def _repr_html_(self) -> str:
        return to_html(self._display_tables())


_T = TypeVar("_T")


class DisplayList(list[_T]):
    """A plain list whose items (each showing as one table) are drawn as one table.

    Items whose tables differ in columns are drawn one table after another.
    """

    __slots__ = ()

    def _display_tables(self) -> list[Table]:
        found = [t for item in self for t in _tables(_item_tables(item))]
        return merge(found) if found else [table(["(none)"], [])]

    def __rich__(self) -> Any:
        return to_rich(self._display_tables())

    def _repr_html_(self) -> str:
        return to_html(self._display_tables())


def _item_tables(item: object) -> Table | Sequence[Table]:
    tables = getattr(item, "_display_tables", None)
    if tables is None:
        return table(["Value"], [[item]])
    found: Table | Sequence[Table] = tables()
    return found


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


class Description(DisplayMixin, dict[str, Any]):
    """A plain dict (JSON-ready as it is) drawn as name/value tables: one per top-level entry
    that is a mapping (nested keys dotted), one for the remaining plain values."""

    __slots__ = ()

    def _display_tables(self) -> list[Table]:
        plain = [(k, v) for k, v in self.items() if not isinstance(v, Mapping)]
        tables = [fields(plain, keep_empty=True)] if plain else []
        tables.extend(
            fields(_flatten(value), title=key, keep_empty=True)
            for key, value in self.items()
            if isinstance(value, Mapping)
        )
        return tables or [fields([], keep_empty=True)]
