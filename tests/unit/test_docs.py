"""The documentation keeps up with the code: every config key and every testing name is there."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest

import asyncconsole.testing
from asyncconsole.config import ConfigModel, MigrationConfig

DOCS = Path(__file__).resolve().parents[2] / "docs"

# Blocks documented once and referred to from elsewhere ("same keys as ..."): path prefix of
# the undocumented copy -> prefix of the documented one.
SHARED_PREFIXES = {
    "target_cluster.": "source_cluster.",
    "replay.docker.": "backfill.reindex_from_snapshot.docker.",
    "replay.ecs.": "backfill.reindex_from_snapshot.ecs.",
    "replay.k8s.": "backfill.reindex_from_snapshot.k8s.",
    "metadata_migration.from_snapshot.s3.": "snapshot.s3.",
    "metadata_migration.from_snapshot.fs.": "snapshot.fs.",
    "metadata_migration.from_snapshot.gcs.": "snapshot.gcs.",
}

# Defaults documented in words because they depend on other keys or on the role.
DESCRIBED_DEFAULTS = {
    "source_cluster.allow_insecure",
    "backfill.reindex_from_snapshot.docker.image",
}

ROW = re.compile(
    r"^\| `(?P<path>[^`]+)` \| (?P<type>[^|]+) \| (?P<required>[^|]+) \| (?P<default>[^|]+) \|"
)


def _block_types(annotation: object) -> list[type[ConfigModel]]:
    args = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    return [a for a in args if isinstance(a, type) and issubclass(a, ConfigModel)]


def _fields(model: type[ConfigModel], prefix: str = "") -> list[tuple[str, bool, object]]:
    """(dotted path, required, plain default or None) for every key of every block."""
    found: list[tuple[str, bool, object]] = []
    for name, field in model.model_fields.items():
        path = prefix + name
        default = None if field.is_required() or field.default_factory else field.default
        found.append((path, field.is_required(), default))
        for block in _block_types(field.annotation):
            found.extend(_fields(block, path + "."))
    return found


def _documented_path(path: str) -> str:
    for copy, original in SHARED_PREFIXES.items():
        if path.startswith(copy):
            return original + path.removeprefix(copy)
    return path


def _rows() -> dict[str, dict[str, str]]:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            rows[match["path"]] = {k: v.strip() for k, v in match.groupdict().items()}
    return rows


def _yaml_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_every_config_key_is_in_the_configuration_reference() -> None:
    rows = _rows()
    missing = sorted(
        {_documented_path(path) for path, _, _ in _fields(MigrationConfig)} - set(rows)
    )
    assert not missing, f"docs/configuration.md lacks rows for: {missing}"


def test_the_reference_documents_no_key_that_does_not_exist() -> None:
    real = {_documented_path(path) for path, _, _ in _fields(MigrationConfig)}
    extra = sorted(set(_rows()) - real)
    assert not extra, f"docs/configuration.md documents unknown keys: {extra}"


@pytest.mark.parametrize(
    ("path", "required", "default"),
    [f for f in _fields(MigrationConfig) if _documented_path(f[0]) == f[0]],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_required_and_default_columns_match_the_models(
    path: str, required: bool, default: object
) -> None:
    row = _rows()[path]
    if required:
        assert row["required"] == "yes", f"{path} is required; the reference says {row}"
    else:
        assert row["required"] != "yes", f"{path} is optional; the reference says {row}"
    if default is not None and path not in DESCRIBED_DEFAULTS:
        assert f"`{_yaml_text(default)}`" in row["default"], (
            f"{path} defaults to {default!r}; the reference says {row['default']!r}"
        )


@pytest.mark.parametrize("page", ["testing.md", "api/testing.md"])
def test_every_testing_name_is_documented(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    missing = [name for name in asyncconsole.testing.__all__ if name not in text]
    assert not missing, f"docs/{page} does not mention: {missing}"


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells; pipes inside code spans do not split (as in
    Python-Markdown's tables extension, which mkdocs uses)."""
    cells, current, in_code = [], "", False
    for char in row.strip().removeprefix("|").removesuffix("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current)
            current = ""
        else:
            current += char
    return [*cells, current]


def _tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    inside_fence = False
    previous_was_row = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside_fence = not inside_fence
        is_row = not inside_fence and line.startswith("|")
        if is_row:
            if not previous_was_row:
                tables.append([])
            tables[-1].append(line)
        previous_was_row = is_row
    return tables


@pytest.mark.parametrize("page", sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")))
def test_tables_render_as_written(page: str) -> None:
    """Every row has the header's columns, and no cell shows a literal backslash-pipe (an
    escaped pipe inside a code span renders as ``\\|``; write a bare ``|`` there)."""
    markdown: Any = pytest.importorskip("markdown")
    text = (DOCS / page).read_text(encoding="utf-8")
    for rows in _tables(text):
        width = len(_cells(rows[0]))
        for row in rows[1:]:
            assert len(_cells(row)) == width, f"docs/{page}: {row[:80]!r} has a stray '|'"
    html = markdown.markdown(text, extensions=["tables"])
    cells = re.findall(r"<t[dh]>(.*?)</t[dh]>", html, re.S)
    assert not [c for c in cells if "\\|" in c], f"docs/{page}: a table cell shows '\\|'"
