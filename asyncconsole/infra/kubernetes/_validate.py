"""Argument checks shared by every K8sManager, so bad input fails the same way before any call."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["check_argv", "check_count", "check_name"]


def check_name(what: str, value: object) -> None:
    """``value`` must be a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")


def check_count(what: str, value: object) -> None:
    """``value`` must be an int >= 0 (not a bool)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be an int >= 0, got {value!r}")


def check_argv(argv: object) -> tuple[str, ...]:
    """``argv`` must be a non-empty sequence of strings (not one string)."""
    if (
        isinstance(argv, str)
        or not isinstance(argv, Sequence)
        or not argv
        or not all(isinstance(a, str) for a in argv)
    ):
        raise ValueError(f"argv must be a non-empty sequence of strings, got {argv!r}")
    return tuple(argv)
