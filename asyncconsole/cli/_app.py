"""The root command: global options, lazily loaded command groups, and errors → exit codes.

Nothing here imports a service or a backend library: ``asyncconsole --help`` and
``--version`` stay fast. A group's module is imported only when that group runs (or its own
``--help`` is asked for); the services are imported inside the commands.

Every way a run can end goes through :meth:`RootGroup.main`: a result, a failure (exit 1), a
usage or configuration error (exit 2), a declined confirmation (exit 1) or Ctrl-C (exit 130);
with ``--json`` each prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ._globals import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_PATH,
    ENV_PREFIX,
    configure_logging,
    share_global_options,
)
from ._signals import EXIT_TERMINATED, Terminated

if TYPE_CHECKING:
    from ..environment import Environment

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliState",
    "Declined",
    "LazyGroup",
    "RootGroup",
    "cli",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
"""128 + SIGINT, what shells report for a command stopped with Ctrl-C."""

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
    "init": ("._init", "init", "Write a commented starter migration_services.yaml."),
    "kafka": ("._kafka", "kafka", "Topics and consumer groups of the capture Kafka."),
    "metadata": ("._metadata", "metadata", "Migrate or evaluate metadata (templates...)."),
    "metrics": ("._metrics", "metrics", "List metrics and read their data."),
    "replay": ("._replay", "replay", "Start, scale and stop the traffic replayer."),
    "serve": ("._serve", "serve", "A live dashboard of the migration in the browser."),
    "snapshot": ("._snapshot", "snapshot", "Create, follow, list and delete snapshots."),
    "testing": ("._testing", "testing", "Run a fake server (OpenSearch, Kubernetes...)."),
    "tuples": ("._tuples", "tuples", "Read the traffic replayer's tuple logs."),
}


@dataclass
class CliState:
    """What the global options decided, shared by every command (``ctx.obj``).

    Tests pass their own (``CliRunner().invoke(cli, args, obj=CliState(env_factory=...))``)
    to run commands against an environment of fakes.

    Attributes:
        config_file: The ``migration_services.yaml`` to read.
        config_file_given: Whether ``--config-file`` (or its variable) named it.
        kubeconfig: One kubeconfig file for Kubernetes deployments (``--kubeconfig``).
        json: Print one JSON document instead of text.
        verbose: ``-v`` count (1: INFO logs, 2: DEBUG logs and tracebacks).
        log_file: Where log lines go instead of stderr (``--log-file``).
        interactive: Whether to draw progress and live tables; ``None``: when stdout is a
            terminal.
        env_factory: Builds the environment from the config path (default
            ``Environment.from_file``).
    """

    config_file: str = DEFAULT_CONFIG_PATH
    config_file_given: bool = False
    kubeconfig: str | None = None
    json: bool = False
    verbose: int = 0
    log_file: str | None = None
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


class Declined(click.ClickException):
    """The user answered no to a confirmation: nothing was done (exit 1)."""

    exit_code = EXIT_FAILURE

    def __init__(self) -> None:
        super().__init__("Aborting command.")

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)  # console_link's line, without "Error: "


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported only when used.

    ``lazy`` maps a command name to ``(module, attribute, short help)``; the short help
    lets ``--help`` list the commands without importing them. Every command it loads gets
    the global options (``--json`` ... anywhere on the line).
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
        self.add_command(share_global_options(command), cmd_name)
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
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except Exception as exc:
            raise click.exceptions.Exit(report_error(ctx, exc)) from None


class RootGroup(LazyGroup):
    """The ``asyncconsole`` group: every way a run ends is reported here, once.

    click's standalone handling is replaced so that, with ``--json``, a usage error, a
    declined confirmation and Ctrl-C also print their one JSON document, and Ctrl-C exits
    130.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            # the caller handles what ends the run (click's contract): nothing reported here
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(args) if args is not None else sys.argv[1:]
        state = extra.setdefault("obj", CliState())
        if not isinstance(state, CliState):  # pragma: no cover - a caller's mistake
            raise TypeError("obj must be a CliState")
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except click.ClickException as exc:
            exc.show()
            _json_error(state, argv, type(exc).__name__, exc.format_message(), exc.exit_code)
            code = exc.exit_code
        except click.Abort as exc:
            if isinstance(exc, Terminated):
                click.echo("Terminated.", err=True)
                _json_error(state, argv, "Terminated", "Terminated (SIGTERM)", EXIT_TERMINATED)
                code = EXIT_TERMINATED
            elif isinstance(exc.__cause__, KeyboardInterrupt):
                click.echo("Interrupted.", err=True)
                _json_error(state, argv, "Interrupted", "Interrupted (Ctrl-C)", EXIT_INTERRUPTED)
                code = EXIT_INTERRUPTED
            else:  # end of input at a prompt
                click.echo("Aborted.", err=True)
                _json_error(state, argv, "Aborted", "Aborted", EXIT_FAILURE)
                code = EXIT_FAILURE
        sys.exit(code)


def report_error(ctx: click.Context, exc: BaseException) -> int:
    """Print ``exc`` as one clear ``Error:`` line (a traceback only with ``-vv``); its exit code.

    A :class:`~asyncconsole.ConfigError` is a usage error (2) listing each issue with its
    key path; an invalid argument is 2 too; any other failure is 1.
    """
    from .._errors import ConfigError, InvalidArgumentError

    state = state_of(ctx)
    issues: list[dict[str, str]] = []
    hints: list[str] = list(getattr(exc, "hints", ()))
    if isinstance(exc, ConfigError):
        code = EXIT_USAGE
        # summary, then each issue once (str(exc) would repeat the issues after the summary)
        message = exc.summary
        lines = [f"Error: {message}"]
        for issue in exc.issues:
            lines.append(f"  {issue}")
            issues.append({"path": issue.path, "message": issue.message})
        lines.extend(f"  {hint}" for hint in hints)
    else:
        code = EXIT_USAGE if isinstance(exc, InvalidArgumentError) else EXIT_FAILURE
        message = _one_line(exc)
        lines = [f"Error: {message}"]
    if state.verbose >= 2:
        traceback.print_exception(exc, file=sys.stderr)
    for line in lines:
        click.echo(line, err=True)
    if state.json:
        kind = getattr(exc, "json_type", type(exc).__name__)
        _print_json_error(kind, message, code, issues, hints)
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


def _wants_json(state: CliState, argv: Sequence[str]) -> bool:
    """Whether the run asked for JSON, also when its arguments could not be parsed (a usage
    error stops click before any option is processed): a ``--json`` word before ``--``
    (not ``clusters curl``'s ``--json DATA``), or ``ASYNCCONSOLE_JSON``."""
    if state.json:
        return True
    words = list(argv[: argv.index("--")] if "--" in argv else argv)
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "--json" and not following.lstrip().startswith(("{", "[")):
            return True
    import os

    value = os.environ.get(f"{ENV_PREFIX}_JSON", "").strip().lower()
    return value in ("1", "true", "t", "yes", "y", "on")


def _json_error(state: CliState, argv: Sequence[str], kind: str, message: str, code: int) -> None:
    if _wants_json(state, argv):
        _print_json_error(kind, message, code)


def _print_json_error(
    kind: str,
    message: str,
    code: int,
    issues: Sequence[dict[str, str]] = (),
    hints: Sequence[str] = (),
) -> None:
    from ._documents import error_document
    from ._output import dumps

    click.echo(dumps(error_document(kind, message, code, issues, hints)))


def _version() -> str:
    from .._version import __version__

    return __version__


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"asyncconsole {_version()}")
    ctx.exit(EXIT_OK)


@click.group(
    cls=RootGroup,
    lazy=_COMMANDS,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        "auto_envvar_prefix": ENV_PREFIX,
    },
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
def cli(ctx: click.Context) -> None:
    """Run and watch an OpenSearch/Elasticsearch migration described by
    migration_services.yaml.

    Global options (--config-file, --kubeconfig, --json, -v, --log-file) work anywhere on
    the line and read ASYNCCONSOLE_* environment variables. No config yet? `asyncconsole init`
    writes a starter; `asyncconsole demo --keep-running` runs a whole environment locally.

    Exit codes: 0 success, 1 an operation failed, 2 usage or configuration error,
    130 interrupted (Ctrl-C).
    """
    configure_logging(state_of(ctx))


share_global_options(cli)
