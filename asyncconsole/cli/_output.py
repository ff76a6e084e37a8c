"""Printing results: one JSON document with ``--json``, else text or rich renderables; progress
bars and live tables only on a terminal and never with ``--json``."""

from __future__ import annotations

import contextlib
import enum
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._app import CliState

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "ProgressBar",
    "confirm",
    "console",
    "dumps",
    "emit",
    "format_eta",
    "print_renderable",
    "progress_bar",
    "spinner",
    "status_lines",
]


def _default(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> str:
    """``data`` as indented JSON (objects with ``to_dict()``, datetimes and enums included)."""
    return json.dumps(data, indent=2, default=_default)


def console(state: CliState | None = None) -> Console:
    """A rich console on the current stdout; colours and live drawing only when interactive."""
    from rich.console import Console

    interactive = state.progress if state is not None else sys.stdout.isatty()
    if interactive:
        return Console(file=sys.stdout, force_terminal=True, highlight=False)
    # Not a terminal: plain text, wide enough that tables are not folded.
    return Console(file=sys.stdout, force_terminal=False, no_color=True, width=200, highlight=False)


def print_renderable(state: CliState, renderable: Any) -> None:
    """Print a rich renderable (table...) to stdout."""
    console(state).print(renderable)


def emit(state: CliState, data: Any, text: str | Callable[[], Any] | None = None) -> None:
    """Print a command's result: ``data`` as JSON with ``--json``, else ``text`` (a string,
    or a function returning a string or a rich renderable; default ``str(data)``)."""
    if state.json:
        click.echo(dumps(data))
        return
    shown: Any = text() if callable(text) else text
    if shown is None:
        shown = str(data)
    if isinstance(shown, str):
        if shown:
            click.echo(shown)
    else:
        print_renderable(state, shown)


def status_lines(text: str, status: str) -> Any:
    """``text`` (lines) as a rich renderable whose first line shows ``status`` in its colour
    (green for RUNNING, grey for STOPPED...); plain text when not on a terminal."""
    from rich.text import Text

    from .._display import TONES, badge

    shown = Text(text)
    tone = badge(status).tone
    first = text.split("\n", 1)[0]
    at = first.rfind(status)
    if tone is not None and at >= 0:
        shown.stylize(f"bold {TONES[tone][0]}", at, at + len(status))
    return shown


def confirm(question: str, *, acknowledged: bool) -> None:
    """Ask before a destructive operation (on stderr, so ``--json`` output stays clean).

    Raises :class:`~asyncconsole.cli._app.Declined` (exit 1, "Aborting command.") unless the
    answer is yes.
    """
    from ._app import Declined

    if acknowledged:
        return
    try:
        agreed = click.confirm(question, default=False, err=True)
    except click.Abort:
        agreed = False
        click.echo("", err=True)
    if not agreed:
        raise Declined()


def format_eta(eta_ms: float | None) -> str:
    """``1h 2m 3s`` for an ETA in milliseconds; ``-`` when unknown."""
    if eta_ms is None:
        return "-"
    seconds = max(0, round(eta_ms / 1000))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


@dataclass
class ProgressBar:
    """Updates one rich progress bar (or nothing, when progress is off)."""

    _update: Callable[[float, str], None] | None = None
    updates: list[tuple[float, str]] = field(default_factory=list)

    def update(self, percent: float, detail: str = "") -> None:
        """Show ``percent`` (0-100) and a detail (``ETA 1m 2s``...)."""
        self.updates.append((percent, detail))
        if self._update is not None:
            self._update(percent, detail)


@contextlib.contextmanager
def progress_bar(state: CliState, description: str) -> Iterator[ProgressBar]:
    """A transient progress bar on a terminal; a silent :class:`ProgressBar` otherwise."""
    if not state.progress:
        yield ProgressBar()
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console(state),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=100.0, detail="")

        def update(percent: float, detail: str) -> None:
            progress.update(task, completed=max(0.0, min(100.0, percent)), detail=detail)

        yield ProgressBar(update)


@contextlib.contextmanager
def spinner(state: CliState, message: str) -> Iterator[Callable[[str], None]]:
    """A transient status line on a terminal; yields a function that changes its text."""
    if not state.progress:
        yield lambda _text: None
        return
    with console(state).status(message) as status:
        yield lambda text: status.update(text)
