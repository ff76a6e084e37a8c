"""``asyncconsole init``: write a commented starter ``migration_services.yaml``."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import click

from ._app import state_of
from ._output import emit

__all__ = ["STARTER_NAME", "init", "starter_text"]

STARTER_NAME = "migration_services.yaml"


def starter_text() -> str:
    """The starter file's text: source and target on localhost, every other block commented."""
    return resources.files(__package__).joinpath("templates", STARTER_NAME).read_text("utf-8")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.pass_context
def init(ctx: click.Context, path: Path | None) -> None:
    """Write a commented starter migration_services.yaml to PATH and never overwrite a file
    (exit 1 when PATH exists).

    PATH defaults to --config-file when given, else ./migration_services.yaml. The starter
    configures a source and a target cluster on localhost, with every other block commented
    out; edit it, then `asyncconsole --config-file PATH check`.

    JSON: {"path": file written}
    """
    state = state_of(ctx)
    if path is None:
        path = Path(state.config_file) if state.config_file_given else Path(STARTER_NAME)
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": created here or not at all, so an existing file is never touched
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(starter_text())
    except FileExistsError:
        raise click.ClickException(
            f"{path} already exists; not overwritten (remove it or give another PATH)"
        ) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    shown = os.path.abspath(path)
    emit(
        state,
        {"path": shown},
        f"Wrote {shown}\nEdit its endpoints, then: asyncconsole --config-file {shown} check",
    )
