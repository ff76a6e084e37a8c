"""``asyncconsole demo``: the main job on an embedded default (``asyncconsole.demo.run_demo``)."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import state_of
from ._signals import run

__all__ = ["demo"]


@click.command()
@click.option(
    "--keep-running",
    is_flag=True,
    help="Keep the demo environment up after the run (Ctrl-C stops it).",
)
@click.option(
    "--docker/--no-docker",
    "use_docker",
    default=None,
    help="Run backfill workers as real Docker containers (default: when a daemon is reachable).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write migration_services.yaml and the kubeconfig (default: a temp dir).",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0.1, max=20.0),
    default=1.0,
    show_default=True,
    help="Simulated worker speed factor.",
)
@click.option(
    "--autoscale",
    is_flag=True,
    help="Add an autoscaled backfill step: simulated workers load a target with a write "
    "capacity and the autoscaler finds how many it absorbs.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    keep_running: bool,
    use_docker: bool | None,
    workdir: Path | None,
    speed: float,
    autoscale: bool,
) -> None:
    """Start a local migration environment on loopback and run a short migration on it.

    Needs nothing beyond the package; uses a real Docker daemon for the backfill when one is
    reachable. The written config file is printed so other commands can use it; with
    --keep-running, so are commands to run against it, which work as printed in any shell.
    Ctrl-C during the run stops everything and exits 130.

    JSON: {"ok", "worker_mode", "config_file", "steps": {step: {"status", "detail",
    "duration"}}} (or {"ok": false, "error"})
    """
    from asyncconsole.demo import run_demo  # loads the backends: only when the demo runs

    state = state_of(ctx)
    done: list[bool] = []
    try:
        code = run(
            run_demo(
                keep_running=keep_running,
                use_docker=use_docker,
                workdir=workdir,
                speed=speed,
                json_output=state.json,
                verbose=state.verbose,
                interactive=state.progress,
                on_done=lambda _report: done.append(True),
                autoscale=autoscale,
            )
        )
    except KeyboardInterrupt:
        # run_demo has already stopped everything it started when the interrupt reaches here.
        click.echo("\ninterrupted: the demo environment was stopped", err=True)
        if not (keep_running and done):
            raise  # interrupted during the run: exit 130 (one JSON error with --json)
        code = 0  # the kept environment was stopped, as asked; its JSON was printed
    if code:
        ctx.exit(code)
