"""The result of a metadata migration or evaluation run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..._display import DisplayMixin, Pre, Table, badge, fields

__all__ = ["MetadataCommand", "MetadataResult"]

MetadataCommand = Literal["migrate", "evaluate"]

SUCCESS_MESSAGE = "Command executed successfully"


@dataclass(frozen=True, slots=True)
class MetadataResult(DisplayMixin):
    """A finished, successful run of the MetadataMigration tool (failures raise
    :class:`~asyncconsole.MetadataMigrationError` instead).

    ``output`` is what the tool printed (it was also streamed while it ran); secrets are
    masked in ``argv`` and the output.
    """

    command: MetadataCommand
    """``migrate`` or ``evaluate``."""
    argv: tuple[str, ...]
    """The command line as run, the target password shown as ``********``."""
    exit_code: int
    """The tool's exit status (0)."""
    output: str
    """The tool's standard output."""
    stderr: str = ""
    """The tool's standard error."""
    duration: float = 0.0
    """Wall time in seconds."""

    @property
    def ok(self) -> bool:
        """Whether the tool exited 0."""
        return self.exit_code == 0

    @property
    def message(self) -> str:
        """console_link's one-line outcome (``Command executed successfully``)."""
        return SUCCESS_MESSAGE if self.ok else f"Command failed with exit code {self.exit_code}"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``command``, ``argv`` (list), ``exit_code``, ``success``, ``output``,
        ``stderr``, ``duration`` (seconds)."""
        return {
            "command": self.command,
            "argv": list(self.argv),
            "exit_code": self.exit_code,
            "success": self.ok,
            "output": self.output,
            "stderr": self.stderr,
            "duration": self.duration,
        }

    def render(self) -> str:
        """The tool's output followed by :attr:`message` (print only :attr:`message` when the
        output was already streamed to the terminal)."""
        body = self.output.rstrip("\n")
        return f"{body}\n{self.message}" if body else self.message

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> Table:
        return fields(
            [
                ("Result", badge("ok" if self.ok else "failed")),
                ("Message", self.message),
                ("Exit code", self.exit_code),
                ("Duration", f"{self.duration:.1f} s"),
                ("Output", Pre(self.output.rstrip("\n"))),
            ],
            title=f"metadata {self.command}",
        )
