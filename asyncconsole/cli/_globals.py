"""The global options (``--config-file``, ``--kubeconfig``, ``--json``, ``-v``, ``--log-file``),
accepted anywhere on the command line, and the logging they configure.

Each is a click option with a callback that records its value in the :class:`CliState`; the
root group adds a copy of every one to each command when it loads it, so
``asyncconsole --json check`` and ``asyncconsole check --json`` mean the same. Each also reads
an ``ASYNCCONSOLE_*`` environment variable (the same name on every command).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from ._app import CliState

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "ENV_PREFIX",
    "GLOBAL_OPTIONS",
    "configure_logging",
    "share_global_options",
]

ENV_PREFIX = "ASYNCCONSOLE"
"""click's ``auto_envvar_prefix``: every option ``--x-y`` of ``asyncconsole GROUP COMMAND``
also reads ``ASYNCCONSOLE_GROUP_COMMAND_X_Y``; the global options read ``ASYNCCONSOLE_<OPTION>``."""

DEFAULT_CONFIG_PATH = "/config/migration_services.yaml"
"""console_link's default ``--config-file`` (equal to ``asyncconsole.config.DEFAULT_CONFIG_PATH``,
repeated here so that ``--help`` does not import pydantic)."""

CONFIG_ENV_VAR = "ASYNCCONSOLE_CONFIG"
"""Environment variable naming the config file when ``--config-file`` is not given
(``ASYNCCONSOLE_CONFIG_FILE`` is read too, the name click's prefix would give)."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""Log lines carry an ISO 8601 local time with milliseconds."""


def _state(ctx: click.Context) -> CliState:
    from ._app import state_of

    return state_of(ctx)


def _takes(ctx: click.Context, param: click.Parameter) -> bool:
    """Whether this occurrence of a global option sets its value: one given on the command
    line always does (a later one wins); one from the environment only while the command
    line has not given it, at any level (each level reads the same variable)."""
    assert param.name is not None
    source = ctx.get_parameter_source(param.name)
    typed: set[str] = ctx.meta.setdefault("asyncconsole.command_line", set())  # shared by levels
    if source is ParameterSource.COMMANDLINE:
        typed.add(param.name)
        return True
    return source is ParameterSource.ENVIRONMENT and param.name not in typed


def _set_config_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and _takes(ctx, param):
        state = _state(ctx)
        state.config_file = value
        state.config_file_given = True


def _set_kubeconfig(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and _takes(ctx, param):
        _state(ctx).kubeconfig = value


def _set_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _state(ctx).json = True


def _set_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    state = _state(ctx)
    if ctx.get_parameter_source("verbose") is ParameterSource.COMMANDLINE:
        state.verbose += value  # `-v check -v` is -vv
    else:
        state.verbose = max(state.verbose, value)  # the same variable seen by every level
    configure_logging(state)


def _set_log_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and _takes(ctx, param):
        state = _state(ctx)
        state.log_file = value
        configure_logging(state)


def _config_file() -> click.Option:
    return click.Option(
        ["--config-file"],
        type=click.Path(dir_okay=False),
        envvar=[CONFIG_ENV_VAR, f"{ENV_PREFIX}_CONFIG_FILE"],
        show_envvar=True,
        default=DEFAULT_CONFIG_PATH,
        show_default=True,
        expose_value=False,
        callback=_set_config_file,
        help="The migration_services.yaml to use.",
    )


def _kubeconfig() -> click.Option:
    return click.Option(
        ["--kubeconfig"],
        type=click.Path(dir_okay=False),
        envvar=f"{ENV_PREFIX}_KUBECONFIG",
        show_envvar=True,
        expose_value=False,
        callback=_set_kubeconfig,
        help="One kubeconfig file for Kubernetes deployments (the whole path, ':' included; "
        "default: $KUBECONFIG, a list, or the in-cluster service account).",
    )


def _json() -> click.Option:
    return click.Option(
        ["--json"],
        is_flag=True,
        envvar=f"{ENV_PREFIX}_JSON",
        show_envvar=True,
        expose_value=False,
        callback=_set_json,
        help="Print exactly one JSON document on stdout.",
    )


def _verbose() -> click.Option:
    return click.Option(
        ["-v", "--verbose"],
        count=True,
        envvar=f"{ENV_PREFIX}_VERBOSE",
        show_envvar=True,
        expose_value=False,
        callback=_set_verbose,
        help="More logging: -v INFO, -vv DEBUG and tracebacks.",
    )


def _log_file() -> click.Option:
    return click.Option(
        ["--log-file"],
        type=click.Path(dir_okay=False, writable=True),
        envvar=f"{ENV_PREFIX}_LOG_FILE",
        show_envvar=True,
        expose_value=False,
        callback=_set_log_file,
        help="Append the log lines to this file instead of stderr.",
    )


GLOBAL_OPTIONS: tuple[Callable[[], click.Option], ...] = (
    _config_file,
    _kubeconfig,
    _json,
    _verbose,
    _log_file,
)
"""Factories of the global options (each command gets its own copies)."""

_SHARED = "_asyncconsole_global_options"


def share_global_options(command: click.Command) -> click.Command:
    """Add the global options to ``command`` and, for a group, to every command under it.

    An option a command already has under the same name (``clusters curl --json DATA``) is
    left to the command, whose own callback handles the global meaning too.
    """
    if not getattr(command, _SHARED, False):
        taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
        for factory in GLOBAL_OPTIONS:
            option = factory()
            if not taken.intersection(option.opts):
                command.params.append(option)
        setattr(command, _SHARED, True)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            share_global_options(sub)
    return command


class _StderrProxy:
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_installed: list[logging.Handler] = []
"""The handler the CLI put on the ``asyncconsole`` logger (replaced, never added twice)."""


def configure_logging(state: CliState) -> None:
    """WARNING by default, INFO with ``-v``, DEBUG with ``-vv``; to stderr, or appended to
    ``--log-file``; each line starts with its time."""
    verbose = state.verbose
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logger = logging.getLogger("asyncconsole")
    while _installed:
        old = _installed.pop()
        logger.removeHandler(old)
        old.close()
    handler: logging.Handler
    if state.log_file:
        handler = logging.FileHandler(state.log_file, encoding="utf-8", delay=True)
    else:
        handler = logging.StreamHandler(_StderrProxy())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    _installed.append(handler)
    logger.setLevel(level)
