"""Parameter types shared by the commands: finite durations and non-empty names.

click's ``FloatRange`` lets ``inf`` and ``nan`` through (both pass a ``> 0`` check), which
later crash deep inside asyncio; and an empty ``--name ""`` would silently mean "the
configured name". Both are usage errors (exit 2) naming the option.
"""

from __future__ import annotations

import math
from typing import Any

import click

__all__ = ["NAME", "Duration", "FiniteFloat"]


class FiniteFloat(click.FloatRange):
    """A ``FloatRange`` that refuses ``inf``, ``-inf`` and ``nan``."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class Duration(FiniteFloat):
    """Seconds: finite, above 0 (or from 0 with ``allow_zero``)."""

    name = "seconds"

    def __init__(self, *, allow_zero: bool = False) -> None:
        super().__init__(min=0, min_open=not allow_zero)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "SECONDS"


class _NonEmpty(click.ParamType):  # type: ignore[type-arg]
    """A string with something in it (an empty name never means "the configured one")."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if not text.strip():
            self.fail("must not be empty.", param, ctx)
        return text


NAME = _NonEmpty()
"""The type of every name option (``--name``, ``--index-name``, ``--session``...)."""
