"""The submitter's context variables, captured at submit for the operation's task to run with."""

from __future__ import annotations

import contextvars

__all__ = ["SharedContexts"]


class SharedContexts:
    """Captures the current context, sharing one capture among operations submitted under the
    same variables (each task still runs in its own copy), so queued operations do not each
    hold one."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: contextvars.Context | None = None

    def capture(self) -> contextvars.Context:
        """The current context, or the last one captured if its variables are the same."""
        now = contextvars.copy_context()
        last = self._last
        if last is not None and len(now) == len(last):
            missing = object()
            if all(last.get(var, missing) is value for var, value in now.items()):
                return last
        self._last = now
        return now
