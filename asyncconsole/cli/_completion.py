"""``asyncconsole completion bash|zsh|fish``: click's shell completion script."""

from __future__ import annotations

import click

__all__ = ["completion"]

COMPLETE_VAR = "_ASYNCCONSOLE_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(asyncconsole completion bash)"   (e.g. in ~/.bashrc)
    zsh:   eval "$(asyncconsole completion zsh)"    (e.g. in ~/.zshrc)
    fish:  asyncconsole completion fish > ~/.config/fish/completions/asyncconsole.fish

    JSON: {"shell": "bash"|"zsh"|"fish", "script": the script's text}
    """
    from click.shell_completion import get_completion_class

    from ._app import cli, state_of
    from ._output import emit

    completer = get_completion_class(shell)
    assert completer is not None
    script = completer(cli, {}, "asyncconsole", COMPLETE_VAR).source()
    emit(state_of(ctx), {"shell": shell, "script": script}, script)
