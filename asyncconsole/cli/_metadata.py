"""``asyncconsole metadata``: run the MetadataMigration tool (migrate / evaluate)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._output import emit
from ._run import run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..infra.commands import OutputLine

__all__ = ["metadata"]

# The arguments after the command go to the tool; --help is ours (it needs no config file),
# and `-- --help` passes it on (console_link passed --help through).
_PASS_THROUGH = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
}


@click.group()
def metadata() -> None:
    """Migrate or evaluate metadata (templates, settings, mappings, aliases).

    Arguments after `migrate` / `evaluate` go to the MetadataMigration tool unchanged;
    after `--`, --help and the global options go to it too (`metadata evaluate -- --help`).
    """


def _run(ctx: click.Context, command: str, extra_args: tuple[str, ...]) -> None:
    state = state_of(ctx)
    streamed = not state.json

    def show(line: OutputLine) -> None:
        click.echo(line.text, err=line.stream == "stderr")

    async def body(env: Environment) -> Any:
        service = env.metadata
        assert service is not None
        run = service.migrate if command == "migrate" else service.evaluate
        return await run(list(extra_args), on_line=show if streamed else None)

    result = run_with_env(state, body, needs=("metadata",))
    # The tool's output was streamed as it ran; text mode ends with the outcome line.
    emit(state, result.to_dict(), result.message if streamed else result.render())


@metadata.command(context_settings=_PASS_THROUGH)
@click.argument("extra_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def migrate(ctx: click.Context, extra_args: tuple[str, ...]) -> None:
    """Migrate the snapshot's metadata to the target (exit 1 when the tool fails).

    ARGS go to the MetadataMigration tool; `-- --help` shows the tool's own options.

    JSON: {"command", "argv", "exit_code", "success", "output", "stderr", "duration"}
    """
    _run(ctx, "migrate", extra_args)


@metadata.command(context_settings=_PASS_THROUGH)
@click.argument("extra_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def evaluate(ctx: click.Context, extra_args: tuple[str, ...]) -> None:
    """Report what `migrate` would do, changing nothing (exit 1 when the tool fails).

    ARGS go to the MetadataMigration tool; `-- --help` shows the tool's own options.

    JSON: as `metadata migrate`.
    """
    _run(ctx, "evaluate", extra_args)
