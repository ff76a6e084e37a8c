"""The result of running a command (a subprocess, a container exec, a pod exec)."""

from __future__ import annotations

from dataclasses import dataclass

from ..._errors import CommandError

__all__ = ["CommandResult"]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A finished command.

    Attributes:
        argv: The command as run, with sensitive values replaced by ``********``.
        exit_code: The process's exit status (negative: killed by that signal).
        stdout: Captured standard output, decoded as UTF-8 (errors replaced).
        stderr: Captured standard error, decoded likewise.
        duration: Wall time in seconds from start to exit.
    """

    argv: tuple[str, ...]
    exit_code: int
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the command exited 0."""
        return self.exit_code == 0

    def check(self) -> CommandResult:
        """Return self when the exit code is 0, else raise :class:`CommandError`."""
        if self.exit_code != 0:
            tail = self.stderr[-2000:]
            raise CommandError(
                f"command {' '.join(self.argv)!r} exited with code {self.exit_code}"
                + (f": {tail.strip()}" if tail.strip() else ""),
                argv=self.argv,
                exit_code=self.exit_code,
                stdout=self.stdout,
                stderr=self.stderr,
            )
        return self
