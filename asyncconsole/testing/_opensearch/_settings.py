"""Settings as OpenSearch keeps them (flat, string values) and the value parsers its REST layer uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError

__all__ = [
    "flatten_settings",
    "flatten_with_nulls",
    "nest_settings",
    "parse_bool",
    "parse_int",
    "parse_time",
    "setting_true",
]

_UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)\s*$")


def flatten_settings(settings: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"index": {"number_of_shards": 2}}`` -> ``{"index.number_of_shards": "2"}``."""
    flat: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_settings(value, f"{name}."))
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, list):
            flat[name] = ",".join(str(v) for v in value)
        elif value is None:
            flat[name] = ""
        else:
            flat[name] = str(value)
    return flat


def flatten_with_nulls(settings: Mapping[str, Any], prefix: str = "") -> dict[str, str | None]:
    """Like :func:`flatten_settings`, keeping ``null`` (a reset) as None."""
    flat: dict[str, str | None] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_with_nulls(value, f"{name}."))
        elif value is None:
            flat[name] = None
        else:
            flat[name] = flatten_settings({"v": value})["v"]
    return flat


def nest_settings(flat: Mapping[str, str]) -> dict[str, Any]:
    """The inverse of :func:`flatten_settings`."""
    out: dict[str, Any] = {}
    for key, value in sorted(flat.items()):
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return out


def setting_true(value: str | None) -> bool:
    """OpenSearch's boolean setting parse."""
    return value is not None and value.lower() == "true"


def parse_time(value: Any, setting: str = "scroll") -> float:
    """``"1m"`` -> 60.0 seconds (OpenSearch time units); ``-1`` is -1.0."""
    text = str(value).strip()
    if text in {"-1", "-1ms", "-1s"}:
        return -1.0
    if text == "0":
        return 0.0  # like -1, OpenSearch takes a bare 0 without a unit
    match = _TIME.match(text)
    if match is None:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"failed to parse setting [{setting}] with value [{value}] as a time value: "
            "unit is missing or unrecognized",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_bool(name: str, value: str) -> bool:
    """A boolean URL parameter: ``true``, ``false`` or empty (true), as OpenSearch parses them."""
    if value in {"", "true"}:
        return True
    if value == "false":
        return False
    raise ApiError(
        400,
        "illegal_argument_exception",
        f"Failed to parse value [{value}] as only [true] or [false] are allowed.",
    )


def parse_int(name: str, value: Any) -> int:
    """An integer URL or body parameter (400 ``Failed to parse int parameter`` otherwise)."""
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise ApiError(
            400,
            "illegal_argument_exception",
            f"Failed to parse int parameter [{name}] with value [{value}]",
        ) from None
