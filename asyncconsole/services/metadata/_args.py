"""The MetadataMigration command line, built as console_link builds it.

console_link keeps the arguments in an insertion-ordered dict (flag -> value, ``None`` for a
flag or the command word) and merges the user's extra arguments into it, so an extra
``--flag value`` for a flag already present replaces its value in place, and a new one goes
at the end. We keep that model to reproduce the argument order exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from ..._secret import Secret

__all__ = ["SENSITIVE_FLAGS", "Arguments", "flatten", "masked", "merge_extra_args"]

_log = logging.getLogger("asyncconsole.services.metadata")

Arguments = dict[str, str | Secret | None]
"""Flag (or the command word) -> value; ``None`` renders the key alone."""

SENSITIVE_FLAGS = frozenset({"--target-password"})
"""Flags whose values are always treated as secrets, also when given as extra arguments."""


def _is_flag(arg: str | None) -> bool:
    return arg is not None and arg.startswith("-")


def merge_extra_args(arguments: Arguments, extra_args: Iterable[str]) -> list[str]:
    """Merge ``extra_args`` into ``arguments`` the way console_link does; the dropped values.

    ``--key value`` pairs set ``key``; a ``--flag`` followed by another flag (or nothing) is a
    bare flag; a value with no flag before it is dropped with a warning. A key already
    present keeps its position and gets the new value.
    """
    items = list(extra_args)
    dropped: list[str] = []
    i = 0
    while i < len(items):
        arg = items[i]
        following = items[i + 1] if i + 1 < len(items) else None
        if _is_flag(arg) and following is not None and not _is_flag(following):
            arguments[arg] = Secret(following) if arg in SENSITIVE_FLAGS else following
            i += 2
        elif _is_flag(arg):
            arguments[arg] = None
            i += 1
        else:
            _log.warning("Ignoring extra value %s, there was no command name before it", arg)
            dropped.append(arg)
            i += 1
    return dropped


def flatten(program: str, arguments: Arguments) -> list[str | Secret]:
    """``[program, key1, value1, flag2, ...]`` (a ``None`` value renders the key alone)."""
    argv: list[str | Secret] = [program]
    for key, value in arguments.items():
        argv.append(key)
        if value is not None:
            argv.append(value)
    return argv


def masked(argv: Sequence[str | Secret]) -> tuple[str, ...]:
    """``argv`` for display: secrets shown as ``********``."""
    return tuple(str(item) for item in argv)
