"""``asyncconsole demo``: the main job on an embedded default (``asyncconsole.demo.run_demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._app import state_of
from ._serve import dashboard_options, settings_from
from ._signals import run

if TYPE_CHECKING:
    from ..serve import DashboardServer

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
@click.option(
    "--serve",
    "serve_dashboard",
    is_flag=True,
    help="Serve the live dashboard (`asyncconsole serve`) on the demo environment; the "
    "environment stays up until Ctrl-C.",
)
@click.option(
    "--script/--no-script",
    default=True,
    show_default=True,
    help="Run the scripted migration; with --serve, --no-script leaves it to the page.",
)
@dashboard_options
@click.pass_context
def demo(
    ctx: click.Context,
    keep_running: bool,
    use_docker: bool | None,
    workdir: Path | None,
    speed: float,
    autoscale: bool,
    serve_dashboard: bool,
    script: bool,
    host: str,
    port: int,
    read_only: bool,
    allow_remote: bool,
    open_browser: bool,
) -> None:
    """Start a local migration environment on loopback and run a short migration on it.

    Needs nothing beyond the package; uses a real Docker daemon for the backfill when one is
    reachable. The written config file is printed so other commands can use it; with
    --keep-running, so are commands to run against it, which work as printed in any shell.
    Ctrl-C during the run stops everything and exits 130.

    With --serve the dashboard's address (with its token) is printed before the run, and the
    page shows the migration live; with --no-script too, nothing runs by itself: start and
    scale the backfill from the page.

    JSON: {"ok", "worker_mode", "config_file", "steps": {step: {"status", "detail",
    "duration"}}} (or {"ok": false, "error"}); with --serve also "dashboard": {"url", "token"}
    """
    from asyncconsole.demo import run_demo  # loads the backends: only when the demo runs

    state = state_of(ctx)
    if not script and not serve_dashboard:
        raise click.UsageError("--no-script needs --serve: without either the demo does nothing")
    settings = (
        settings_from(host, port, read_only=read_only, allow_remote=allow_remote)
        if serve_dashboard
        else None
    )
    keep_running = keep_running or serve_dashboard

    def serving(server: DashboardServer) -> None:
        if settings is not None and not settings.loopback:
            click.echo(
                f"WARNING: the dashboard listens on {host}, not loopback: every machine that "
                f"can reach port {server.port} sees the demo.",
                err=True,
            )
        if open_browser:
            import webbrowser

            webbrowser.open(server.url)

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
                serve=settings,
                script=script,
                on_serving=serving,
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
