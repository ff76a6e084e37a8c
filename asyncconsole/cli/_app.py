"""The root command: global options, lazily loaded command groups, and errors → exit codes.

Nothing here imports a service or a backend library: ``asyncconsole --help`` and
``--version`` stay fast. A group's module is imported only when that group runs (or its own
``--help`` is asked for); the services are imported inside the commands.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..environment import Environment

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliState",
    "LazyGroup",
    "cli",
]

DEFAULT_CONFIG_PATH = "/config/migration_services.yaml"
"""console_link's default ``--config-file`` (equal to ``asyncconsole.config.DEFAULT_CONFIG_PATH``,
repeated here so that ``--help`` does not import pydantic)."""

CONFIG_ENV_VAR = "ASYNCCONSOLE_CONFIG"
"""Environment variable naming the config file when ``--config-file`` is not given."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

# name -> (module relative to this package, attribute, one-line help shown by --help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "backfill": ("._backfill", "backfill", "Start, scale, stop and follow the backfill."),
    "check": ("._check", "check", "Check every configured component at once."),
    "clusters": ("._clusters", "clusters", "Connection checks, indices and raw requests."),
    "completion": ("._completion", "completion", "Print a shell completion script."),
    "demo": ("._demo", "demo", "Run a short migration on a local demo environment."),
    "failed-document-stream": (
        "._failed_documents",
        "failed_document_stream",
        "The documents the backfill could not index (S3).",
    ),
    "kafka": ("._kafka", "kafka", "Topics and consumer groups of the capture Kafka."),
    "metadata": ("._metadata", "metadata", "Migrate or evaluate metadata (templates...)."),
    "metrics": ("._metrics", "metrics", "List metrics and read their data."),
    "replay": ("._replay", "replay", "Start, scale and stop the traffic replayer."),
    "snapshot": ("._snapshot", "snapshot", "Create, follow, list and delete snapshots."),
}


@dataclass
class CliState:
    """What the global options decided, shared by every command (``ctx.obj``).

    Tests pass their own (``CliRunner().invoke(cli, args, obj=CliState(env_factory=...))``)
    to run commands against an environment of fakes.

    Attributes:
        config_file: The ``migration_services.yaml`` to read.
        json: Print one JSON document instead of text.
        verbose: ``-v`` count (1: INFO logs, 2: DEBUG logs and tracebacks).
        interactive: Whether to draw progress and live tables; ``None``: when stdout is a
            terminal.
        env_factory: Builds the environment from the config path (default
            ``Environment.from_file``).
    """

    config_file: str = DEFAULT_CONFIG_PATH
    json: bool = False
    verbose: int = 0
    interactive: bool | None = None
    env_factory: Callable[[str], Environment] | None = None

    @property
    def progress(self) -> bool:
        """Whether to draw progress: never with ``--json``, else on a terminal."""
        if self.json:
            return False
        if self.interactive is not None:
            return self.interactive
        return sys.stdout.isatty()


def state_of(ctx: click.Context) -> CliState:
    """The :class:`CliState` of the running command."""
    state = ctx.find_object(CliState)
    if state is None:
        state = ctx.ensure_object(CliState)
    return state


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported only when used.

    ``lazy`` maps a command name to ``(module, attribute, short help)``; the short help
    lets ``--help`` list the commands without importing them.
    """

    def __init__(
        self, *args: Any, lazy: Mapping[str, tuple[str, str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str, str]] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        module_name, attribute, _ = self.lazy[cmd_name]
        module = importlib.import_module(module_name, __package__)
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - a wiring mistake
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width)))
            else:
                rows.append((name, self.lazy[name][2]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as exc:
            # Usage errors (exit 2) keep click's text on stderr; --json adds the JSON object.
            _json_error(ctx, type(exc).__name__, exc.format_message(), exc.exit_code)
            raise
        except Exception as exc:
            raise click.exceptions.Exit(report_error(ctx, exc)) from None


def report_error(ctx: click.Context, exc: BaseException) -> int:
    """Print ``exc`` as one clear ``Error:`` line (a traceback only with ``-vv``); its exit code.

    A :class:`~asyncconsole.ConfigError` is a usage error (2) listing each issue with its
    key path; an invalid argument is 2 too; any other failure is 1.
    """
    from .._errors import ConfigError, InvalidArgumentError

    state = state_of(ctx)
    issues: list[dict[str, str]] = []
    if isinstance(exc, ConfigError):
        code = EXIT_USAGE
        # summary, then each issue once (str(exc) would repeat the issues after the summary)
        message = exc.summary
        lines = [f"Error: {message}"]
        for issue in exc.issues:
            lines.append(f"  {issue}")
            issues.append({"path": issue.path, "message": issue.message})
    else:
        code = EXIT_USAGE if isinstance(exc, InvalidArgumentError) else EXIT_FAILURE
        message = _one_line(exc)
        lines = [f"Error: {message}"]
    if state.verbose >= 2:
        traceback.print_exception(exc, file=sys.stderr)
    for line in lines:
        click.echo(line, err=True)
    _json_error(ctx, type(exc).__name__, message, code, issues)
    return code


def _one_line(exc: BaseException) -> str:
    from .._errors import AsyncConsoleError

    text = str(exc).strip()
    if isinstance(exc, AsyncConsoleError):
        # Our messages are written for people; keep their first line (details follow it).
        first = text.splitlines()[0] if text else type(exc).__name__
        return first.removeprefix("Error: ").rstrip(":")
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _json_error(
    ctx: click.Context,
    kind: str,
    message: str,
    code: int,
    issues: Sequence[dict[str, str]] = (),
) -> None:
    state = state_of(ctx)
    if not state.json:
        return
    from ._output import dumps

    error = {"type": kind, "message": message, "exit_code": code, "issues": list(issues)}
    click.echo(dumps({"error": error}))


class _StderrProxy:
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _CliLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler the CLI installs on the ``asyncconsole`` logger."""


def configure_logging(verbose: int) -> None:
    """WARNING by default, INFO with ``-v``, DEBUG with ``-vv`` (to stderr)."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logger = logging.getLogger("asyncconsole")
    for handler in [h for h in logger.handlers if isinstance(h, _CliLogHandler)]:
        logger.removeHandler(handler)
    handler = _CliLogHandler(_StderrProxy())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)


def _version() -> str:
    from .._version import __version__

    return __version__


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"asyncconsole {_version()}")
    ctx.exit(EXIT_OK)


@click.group(
    cls=LazyGroup,
    lazy=_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config-file",
    type=click.Path(dir_okay=False),
    envvar=CONFIG_ENV_VAR,
    show_envvar=True,
    default=DEFAULT_CONFIG_PATH,
    show_default=True,
    help="The migration_services.yaml to use.",
)
@click.option("--json", "json_output", is_flag=True, help="Print one JSON document on stdout.")
@click.option(
    "-v", "--verbose", count=True, help="More logging: -v INFO, -vv DEBUG and tracebacks."
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: str, json_output: bool, verbose: int) -> None:
    """Run and watch an OpenSearch/Elasticsearch migration described by
    migration_services.yaml.

    Exit codes: 0 success, 1 an operation failed, 2 usage or configuration error.
    """
    state = ctx.ensure_object(CliState)
    state.config_file = config_file
    state.json = state.json or json_output
    state.verbose = max(state.verbose, verbose)
    configure_logging(state.verbose)
