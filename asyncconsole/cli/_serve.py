"""``asyncconsole serve``: the live dashboard of the configured migration, in the browser.

Like Jupyter, it prints the page's address with a per-run token as the first line of stdout
(with ``--json``: one object), then serves until Ctrl-C or SIGTERM and exits 0.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._output import dumps

if TYPE_CHECKING:
    from ..serve import DashboardServer, DashboardSettings

__all__ = ["announce", "dashboard_options", "serve", "settings_from"]

DEFAULT_PORT = 8642


def dashboard_options(func: Any) -> Any:
    """The options that say where and how the dashboard serves (``serve``, ``demo --serve``)."""
    for option in reversed(
        [
            click.option(
                "--host",
                default="127.0.0.1",
                show_default=True,
                help="Address to bind; anything but loopback needs --allow-remote.",
            ),
            click.option(
                "--port",
                type=click.IntRange(0, 65535),
                default=DEFAULT_PORT,
                show_default=True,
                help="Port to bind (0: a free one).",
            ),
            click.option(
                "--read-only",
                is_flag=True,
                help="Watch only: no start, pause, scale, stop or clear (the API has no "
                "action routes).",
            ),
            click.option(
                "--allow-remote",
                is_flag=True,
                help="Allow a non-loopback --host: every machine that reaches the port sees "
                "the migration (actions still need the token).",
            ),
            click.option(
                "--open", "open_browser", is_flag=True, help="Open the page in a browser."
            ),
        ]
    ):
        func = option(func)
    return func


def settings_from(
    host: str, port: int, *, read_only: bool, allow_remote: bool
) -> DashboardSettings:
    """The dashboard's settings from the options (a refused address is a usage error)."""
    from ..serve import DashboardSettings

    try:
        return DashboardSettings(
            host=host, port=port, read_only=read_only, allow_remote=allow_remote
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def announce(server: DashboardServer, *, json_output: bool) -> None:
    """Print where the dashboard is: its address with the token first on stdout (one JSON
    object with ``--json``), the rest on stderr."""
    settings = server.settings
    if json_output:
        click.echo(
            dumps(
                {
                    "url": server.url,
                    "base_url": server.base_url,
                    "token": settings.token,
                    "read_only": settings.read_only,
                    "openapi": f"{server.base_url}/api/openapi.json",
                }
            )
        )
    else:
        click.echo(server.url)
    sys.stdout.flush()  # usually read by another program or a person right now
    click.echo(
        f"asyncconsole dashboard on {server.base_url}: open the address above "
        "(it carries this run's token; actions need it).",
        err=True,
    )
    if settings.read_only:
        click.echo("Read-only: no actions.", err=True)
    if not settings.loopback:
        click.echo(
            f"WARNING: listening on {settings.host}, not loopback: every machine that can "
            f"reach port {server.port} sees this migration's state (actions still need the "
            "token).",
            err=True,
        )
    click.echo("Ctrl-C stops it.", err=True)


async def open_in_browser(url: str) -> None:
    """Open ``url`` in the user's browser (off the event loop: it may start a process)."""
    import asyncio
    import webbrowser

    await asyncio.to_thread(webbrowser.open, url)


@click.command()
@dashboard_options
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    read_only: bool,
    allow_remote: bool,
    open_browser: bool,
) -> None:
    """Serve a live dashboard of the migration in the browser (until Ctrl-C).

    Overview (every component's check), clusters (indices side by side), snapshot, backfill
    (workers, progress chart, ETA; start, pause, scale, stop), replay and metrics (live
    charts), updated as they change. The first line of stdout is the page's address with this
    run's token; POSTs to the API need that token in the X-AsyncConsole-Token header. The API
    under /api/ answers the same documents as --json (/api/openapi.json describes them).

    JSON: {"url", "base_url", "token", "read_only", "openapi"} once serving.
    """
    import asyncio

    from ..serve import DashboardServer
    from ._run import load_environment
    from ._signals import until_stopped

    state = state_of(ctx)
    settings = settings_from(host, port, read_only=read_only, allow_remote=allow_remote)
    env = load_environment(state)

    async def main() -> None:
        async with env, DashboardServer(env, settings) as server:
            announce(server, json_output=state.json)
            if open_browser:
                await open_in_browser(server.url)
            await until_stopped()

    try:
        asyncio.run(main())
    except OSError as exc:  # the port is taken, the address is not ours...
        raise click.ClickException(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}"
        ) from None
