"""Values crossing the command-execution protocol."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from ..._secret import Secret

__all__ = ["Argv", "EnvMapping", "LineSink", "OutputLine", "OutputMode", "StreamName"]

Argv: TypeAlias = Sequence[str | Secret | os.PathLike[str]] | str
"""A command: a list of arguments (``str``, :class:`Secret` or path), or one string with
``shell=True``."""

EnvMapping: TypeAlias = Mapping[str, str | Secret | None]
"""Environment variables to set for a command (``None`` removes an inherited variable)."""

StreamName: TypeAlias = Literal["stdout", "stderr"]


class OutputMode(enum.Enum):
    """What :meth:`CommandExecutor.run` does with a command's output (the seed's three modes)."""

    CAPTURE = "capture"
    """Collect stdout and stderr into the :class:`CommandResult`."""
    STREAM = "stream"
    """Collect, and hand each line as it arrives to ``on_line`` (or log it at INFO)."""
    QUIET = "quiet"
    """Discard the output; the result's ``stdout`` and ``stderr`` are empty."""


@dataclass(frozen=True, slots=True)
class OutputLine:
    """One line a running command wrote, without its line ending, secrets masked.

    Attributes:
        stream: ``"stdout"`` or ``"stderr"``.
        text: The line's text, decoded as UTF-8 (errors replaced).
    """

    stream: StreamName
    text: str


class LineSink(Protocol):
    """Receives each output line as it arrives (``on_line=``); ``list.append`` will do.

    It is called on the event loop, so it must not block; if it raises, the command is
    terminated and the exception is raised from ``run``.
    """

    def __call__(self, line: OutputLine, /) -> object: ...
