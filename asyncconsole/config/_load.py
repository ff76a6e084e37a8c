"""Reading ``migration_services.yaml`` into a :class:`MigrationConfig`, and turning pydantic's
errors into one :class:`~asyncconsole.ConfigError` with friendly, key-path messages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from .._errors import ConfigError, ConfigIssue
from ._base import Loc
from ._migration import MigrationConfig

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "aload_config",
    "format_loc",
    "issues_from",
    "load_config",
    "load_file",
    "load_mapping",
    "load_yaml",
]

DEFAULT_CONFIG_PATH = "/config/migration_services.yaml"

MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""A configuration file larger than this is refused (``--config-file /dev/zero`` would never
end); real ones are a few kilobytes."""

_SIMPLE_MESSAGES = {
    "missing": "field required",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "int_type": "must be an integer",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "invalid_key": "keys must be strings",
    "string_too_short": "must not be empty",
    "recursion_loop": "refers to itself (a YAML alias loop)",
}


def format_loc(loc: Loc) -> str:
    """``("backfill", "reindex_from_snapshot", "ecs")`` → ``backfill.reindex_from_snapshot.ecs``;
    list positions as ``[i]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _SIMPLE_MESSAGES:
        return _SIMPLE_MESSAGES[kind]
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    # Our own rules, and any other pydantic message (those never include the input value).
    return str(error["msg"])


def issues_from(exc: ValidationError) -> list[ConfigIssue]:
    """One :class:`~asyncconsole.ConfigIssue` per problem pydantic (and our rules) found."""
    # A dict keeps the first of equal issues in order, in linear time (a big list of bad items
    # makes hundreds of thousands of them).
    issues: dict[ConfigIssue, None] = {}
    for error in exc.errors(include_url=False, include_input=False):
        if error["type"] == "default_factory_not_called":
            continue  # a consequence of another field's error, reported on its own
        loc = tuple(error["loc"])
        path = format_loc(loc)
        if error["type"] == "invalid_key" and loc:
            # the key itself is the last part, whatever its type: show it as a key
            path = format_loc(loc[:-1]) + ("." if len(loc) > 1 else "") + str(loc[-1])
        issues.setdefault(ConfigIssue(path, _message(error)), None)
    return list(issues)


def _where(source: str | None) -> str:
    return f" in {source}" if source else ""


def load_mapping(data: Any, *, source: str | None = None) -> MigrationConfig:
    """Validate parsed data (a mapping, or ``None`` for an empty file)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"Invalid configuration{_where(source)}: the top level must be a mapping of blocks "
            f"(source_cluster, target_cluster, ...), not {type(data).__name__}",
            source=source,
        )
    issues: list[ConfigIssue] = []
    try:
        return MigrationConfig.model_validate(data)
    except ValidationError as exc:
        issues = issues_from(exc)
    # Raised outside the except block: pydantic's error (which holds the input) is not chained.
    raise ConfigError(f"Invalid configuration{_where(source)}", issues, source=source)


def _mark(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _describe_yaml_error(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context:
        started = _mark(exc.context_mark)
        problem += f" ({exc.context}" + (f" started at {started})" if started else ")")
    where = _mark(exc.problem_mark or exc.context_mark)
    return f"{where}: {problem}" if where else problem


def load_yaml(text: str, *, source: str | None = None) -> MigrationConfig:
    """Parse YAML text with ``yaml.safe_load`` and validate it."""
    problem: str | None = None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        # problem/context/mark only: the snippet of the offending line could hold a password.
        problem = _describe_yaml_error(exc)
    except yaml.YAMLError as exc:
        problem = str(exc) or "invalid YAML"
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # e.g. an impossible date such as 2024-13-45, which the YAML resolver still constructs.
        problem = f"cannot read a value: {exc}"
    if problem is not None:
        raise ConfigError(
            f"Invalid YAML{_where(source)}", [ConfigIssue("", problem)], source=source
        )
    return load_mapping(data, source=source)


def load_file(path: str | os.PathLike[str]) -> MigrationConfig:
    """Read a file (UTF-8) and validate it."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"Cannot read configuration file {source}: larger than "
                f"{MAX_CONFIG_BYTES // (1024 * 1024)} MiB",
                source=source,
            )
        text = data.decode("utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"Cannot read configuration file {source}: {reason}", source=source
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"Cannot read configuration file {source}: not UTF-8 text", source=source
        ) from None
    return load_yaml(text, source=source)


def load_config(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = DEFAULT_CONFIG_PATH,
) -> MigrationConfig:
    """Load and validate a ``migration_services.yaml``.

    Args:
        source: A file path (default ``/config/migration_services.yaml``, as console_link),
            or an already parsed mapping (``None`` is an empty config).

    Returns:
        The validated config.

    Raises:
        ConfigError: One error listing every problem with its dotted key path, e.g.
            ``backfill.reindex_from_snapshot.ecs.cluster_name: field required``.
    """
    if source is None or isinstance(source, Mapping):
        return load_mapping(source)
    return load_file(source)


async def aload_config(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = DEFAULT_CONFIG_PATH,
) -> MigrationConfig:
    """:func:`load_config` for async code: reads and parses files in a worker thread."""
    if source is None or isinstance(source, Mapping):
        return load_mapping(source)
    import anyio.to_thread

    return await anyio.to_thread.run_sync(load_file, source)
