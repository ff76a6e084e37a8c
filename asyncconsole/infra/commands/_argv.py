"""Validating a command and masking its secrets; shared by the real and the fake executor."""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..._errors import CommandError, CommandTimeoutError
from ..._secret import MASK, Secret
from ._result import CommandResult
from ._types import Argv, EnvMapping, LineSink, OutputLine, OutputMode

__all__ = ["PreparedCommand", "check_limits", "check_stdin", "env_view", "line_sink", "prepare"]

SHELL = "/bin/sh"

_output_logger = logging.getLogger("asyncconsole.infra.commands.output")


@dataclass(frozen=True, slots=True)
class PreparedCommand:
    """A validated command: what to execute, what to show, and which values to hide."""

    plain: tuple[str, ...]
    """The argv to execute, secrets revealed. Never log or show this."""
    shown: tuple[str, ...]
    """The argv with every secret replaced by ``********``."""
    secrets: tuple[str, ...]
    """Values to mask in any text that leaves the executor, longest first."""
    env: dict[str, str] | None
    """The child's full environment, or ``None`` to inherit ours unchanged."""

    @property
    def program(self) -> str:
        """The masked program name, for messages."""
        return self.shown[0]

    @property
    def display(self) -> str:
        """The masked command line, shell-quoted, for logs."""
        return shlex.join(self.shown)

    @property
    def quoted(self) -> str:
        """The masked command line as messages show it (like :meth:`CommandResult.check`)."""
        return repr(" ".join(self.shown))

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``********``."""
        for value in self.secrets:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def result(self, exit_code: int, stdout: str, stderr: str, duration: float) -> CommandResult:
        """A :class:`CommandResult` with secrets masked in argv and output."""
        return CommandResult(
            self.shown, exit_code, self.mask(stdout), self.mask(stderr), max(0.0, duration)
        )

    def timeout_error(
        self, limit: float, *, idle: bool, stdout: str, stderr: str
    ) -> CommandTimeoutError:
        """The error for a command stopped by its timeout (``idle``: by its idle timeout)."""
        what = f"produced no output for {limit:g}s" if idle else f"timed out after {limit:g}s"
        return CommandTimeoutError(
            f"command {self.quoted} {what}",
            argv=self.shown,
            timeout=limit,
            stdout=self.mask(stdout),
            stderr=self.mask(stderr),
        )

    def start_error(self, exc: OSError, cwd: str | None) -> CommandError:
        """The error for a command that could not be started at all."""
        missing = isinstance(exc, FileNotFoundError | NotADirectoryError)
        if missing and cwd is not None and (exc.filename == cwd or not os.path.isdir(cwd)):
            reason = f"working directory {cwd!r} does not exist"
            return CommandError(f"cannot run {self.program!r}: {reason}", argv=self.shown)
        if isinstance(exc, FileNotFoundError):
            reason = "program not found"
        elif isinstance(exc, PermissionError):
            reason = "permission denied"
        else:
            reason = self.mask(exc.strerror or type(exc).__name__)
        return CommandError(f"cannot run {self.program!r}: {reason}", argv=self.shown)


def prepare(
    argv: Argv,
    *,
    shell: bool = False,
    sensitive: Iterable[str | Secret] = (),
    env: EnvMapping | None = None,
    inherit_env: bool = True,
) -> PreparedCommand:
    """Validate ``argv`` and work out its masked form, raising ``TypeError``/``ValueError``."""
    if shell:
        items = _shell_argv(argv)
    else:
        if isinstance(argv, str | bytes):
            raise TypeError(
                "argv must be a list of arguments, not a single string; "
                "pass shell=True to run a shell command line"
            )
        items = list(argv)
    if not items:
        raise ValueError("argv must not be empty")

    secrets: set[str] = set()
    plain: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, Secret):
            value = item.get()
            secrets.add(value)
        elif isinstance(item, str):
            value = item
        elif isinstance(item, os.PathLike):
            value = os.fspath(item)
            if not isinstance(value, str):
                raise TypeError(f"argv[{index}] is a bytes path; pass str paths")
        else:
            raise TypeError(
                f"argv[{index}] must be str, Secret or a path, not {type(item).__name__}"
            )
        if "\0" in value:
            raise ValueError(f"argv[{index}] contains a NUL character")
        plain.append(value)
    if not plain[0]:
        raise ValueError("argv[0] (the program) must not be empty")

    for extra in sensitive:
        secrets.add(extra.get() if isinstance(extra, Secret) else extra)
    child_env = _child_env(env, inherit_env, secrets)
    ordered = tuple(sorted((s for s in secrets if s), key=len, reverse=True))

    def shown(index: int, value: str) -> str:
        if isinstance(items[index], Secret):
            return MASK
        for secret in ordered:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    return PreparedCommand(
        plain=tuple(plain),
        shown=tuple(shown(i, v) for i, v in enumerate(plain)),
        secrets=ordered,
        env=child_env,
    )


def _shell_argv(argv: Argv) -> list[str | Secret | os.PathLike[str]]:
    if isinstance(argv, str):
        return [SHELL, "-c", argv]
    items = list(argv)
    if len(items) != 1 or not isinstance(items[0], str | Secret):
        raise TypeError("with shell=True, argv must be one command-line string")
    return [SHELL, "-c", items[0]]


def _child_env(
    env: EnvMapping | None, inherit_env: bool, secrets: set[str]
) -> dict[str, str] | None:
    if env is None and inherit_env:
        return None
    merged: dict[str, str] = dict(os.environ) if inherit_env else {}
    for key, value in (env or {}).items():
        if not isinstance(key, str) or not key or "=" in key or "\0" in key:
            raise ValueError(f"invalid environment variable name {key!r}")
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Secret):
            secrets.add(value.get())
            merged[key] = value.get()
        elif isinstance(value, str):
            if "\0" in value:
                raise ValueError(f"environment variable {key!r} contains a NUL character")
            merged[key] = value
        else:
            raise TypeError(
                f"environment variable {key!r} must be str, Secret or None, "
                f"not {type(value).__name__}"
            )
    return merged


def env_view(env: Mapping[str, str] | None) -> Mapping[str, str]:
    """The environment a child sees: ``env`` or, when ``None``, ours."""
    return os.environ if env is None else env


def check_limits(timeout: float | None, idle_timeout: float | None) -> None:
    """Reject non-positive timeouts."""
    if timeout is not None and not timeout > 0:
        raise ValueError("timeout must be > 0 seconds (or None)")
    if idle_timeout is not None and not idle_timeout > 0:
        raise ValueError("idle_timeout must be > 0 seconds (or None)")


def check_stdin(stdin: object) -> bytes | None:
    """``stdin`` as bytes (or ``None``), rejecting text and other types before anything runs."""
    if stdin is None or isinstance(stdin, bytes):
        return stdin
    if isinstance(stdin, bytearray | memoryview):
        return bytes(stdin)
    raise TypeError(f"stdin must be bytes or None, not {type(stdin).__name__}")


def line_sink(
    cmd: PreparedCommand, output: OutputMode, on_line: LineSink | None
) -> LineSink | None:
    """Where ``run`` sends each line: ``on_line``, the output logger (``STREAM``), or nowhere."""
    if not isinstance(output, OutputMode):
        raise TypeError(f"output must be an OutputMode, not {output!r}")
    if output is OutputMode.QUIET:
        if on_line is not None:
            raise ValueError("on_line receives no lines with output=OutputMode.QUIET")
        return None
    if on_line is not None or output is OutputMode.CAPTURE:
        return on_line
    program = cmd.program

    def log(line: OutputLine) -> None:
        _output_logger.info(
            "%s %s: %s",
            program,
            line.stream,
            line.text,
            extra={"asyncconsole": {"program": program, "stream": line.stream}},
        )

    return log
