"""The ``asyncconsole`` process's garbage collector: held off while a command starts.

Starting a command makes some 75,000 objects the collector tracks, nearly all living as long
as the process (modules, classes, the config's validators). Its hundred-odd passes over them
while they are made free almost nothing, and cost 75-90 ms of a 600 ms command on a 2-core
machine. So the script
holds the collector until the command's event loop starts, then freezes what exists by then
(never scanned again) and collects only what the command makes from there on: long-running
commands (``serve``, ``demo``, watches) collect as usual, over a smaller heap. The cyclic
garbage start-up leaves (about 1,500 objects) is frozen with the rest. The CLI invoked
in-process with its arguments (tests, other programs) leaves the collector alone.
"""

from __future__ import annotations

import gc

__all__ = ["hold", "release"]

_held = False


def hold() -> None:
    """Stop collecting until :func:`release` (nothing if the collector is already off)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """Start-up is over: freeze what exists and collect again (nothing unless held)."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
