"""Decoding peers' answers with shape checks: garbage becomes a description, never a crash.

:func:`loads` turns bytes into JSON or raises :class:`ShapeError` saying what was wrong (not
JSON, truncated, empty, not UTF-8, nested too deeply); :func:`shaped` runs a parser over a
decoded value and turns its ``KeyError``/``TypeError``/``AttributeError``... into a
:class:`ShapeError` saying what it expected. Adapters turn a ``ShapeError`` into a ``malformed``
``PeerFailure``; ``HttpResponse.parse`` and services into a
:class:`~asyncconsole.MalformedResponseError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ShapeError", "expect", "loads", "shaped"]

T = TypeVar("T")

_SHOWN = 60  # characters of a bad body quoted in the description


class ShapeError(ValueError):
    """What was wrong with an answer (the message says it in words)."""


def loads(body: bytes | str) -> Any:
    """``body`` parsed as JSON, or a :class:`ShapeError` describing why it is not."""
    if not body or not body.strip():
        raise ShapeError("empty body where JSON was expected")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise ShapeError(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except RecursionError:
        raise ShapeError("JSON nested too deeply to decode") from None
    except json.JSONDecodeError as exc:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        head = text.lstrip()[:_SHOWN]
        if exc.pos >= len(text.rstrip()):
            raise ShapeError(f"truncated JSON ({exc.msg} at char {exc.pos})") from None
        if head[:1] not in '{["-0123456789tfn':
            raise ShapeError(f"not JSON: begins {head!r}") from None
        raise ShapeError(f"invalid JSON ({exc.msg} at char {exc.pos})") from None


def shaped(value: Any, parser: Callable[[Any], T], what: str) -> T:
    """``parser(value)``, with any sign of an unexpected shape (a missing key, a list where an
    object was due, a string that is no number) raised as a :class:`ShapeError` about ``what``."""
    try:
        return parser(value)
    except ShapeError as exc:
        raise ShapeError(f"{what}: {exc}") from None
    except (KeyError, IndexError) as exc:
        raise ShapeError(f"{what}: missing {exc}") from None
    except (TypeError, AttributeError, ValueError) as exc:
        raise ShapeError(f"{what}: unexpected shape ({exc})") from None
    except RecursionError:
        raise ShapeError(f"{what}: nested too deeply") from None


def expect(value: Any, kind: type[T], what: str) -> T:
    """``value`` when it is a ``kind`` (``dict``, ``list``, ``str``, ``int``...), else a
    :class:`ShapeError` naming ``what`` and what came instead."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    shown = type(value).__name__ if value is not None else "null"
    raise ShapeError(f"{what}: expected {_json_name(kind)}, got {shown}")


def _json_name(kind: type) -> str:
    return {dict: "an object", list: "an array", str: "a string", int: "an integer"}.get(
        kind, kind.__name__
    )
