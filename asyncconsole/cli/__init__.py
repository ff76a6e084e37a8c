"""The ``asyncconsole`` command line: console_link's ``console`` on the async SDK.

``asyncconsole [--config-file F] [--json] [-v|-vv] [--version] GROUP COMMAND [options]``, the
global options also anywhere after the command; exit codes 0 success, 1 an operation failed,
2 usage or configuration error, 130 interrupted. The command reference and every command's
``--json`` schema: ``docs/cli.md``.

Importing this package loads click and nothing of the SDK's backends; each group is
imported when it runs.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from . import _collector
from ._app import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, CliState, LazyGroup, RootGroup, cli

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "CliState",
    "LazyGroup",
    "RootGroup",
    "cli",
    "main",
]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI (the ``asyncconsole`` script) and exit with its exit code.

    Args:
        argv: Arguments (default ``sys.argv[1:]``: the process's own command, which also holds
            the garbage collector off while the command starts; see ``_collector``).
    """
    if hasattr(signal, "SIGPIPE"):
        # `asyncconsole ... | head` ends quietly instead of with a BrokenPipeError traceback.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if argv is None:
        _collector.hold()
    try:
        cli.main(
            args=list(argv) if argv is not None else sys.argv[1:],
            prog_name="asyncconsole",
            complete_var="_ASYNCCONSOLE_COMPLETE",
            obj=CliState(),
        )
    finally:
        _collector.release()  # a command that never started an event loop
