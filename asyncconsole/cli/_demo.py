"""``asyncconsole demo``: delegated to ``asyncconsole.demo.run_demo`` (imported when run)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from typing import Any

import click

from ._app import state_of

__all__ = ["demo"]


@click.command()
@click.option(
    "--keep-running",
    is_flag=True,
    help="Keep the demo environment up after the run (Ctrl-C stops it).",
)
@click.pass_context
def demo(ctx: click.Context, keep_running: bool) -> None:
    """Start a local migration environment on loopback and run a short migration on it.

    Needs nothing beyond the package; uses a real Docker daemon for the backfill when one is
    reachable. The written config file is printed so other commands can use it.
    """
    state = state_of(ctx)
    try:
        module = importlib.import_module("asyncconsole.demo")
    except ImportError as exc:
        raise click.ClickException(
            f"the demo is not available in this installation ({exc})"
        ) from None
    run_demo = getattr(module, "run_demo", None)
    if not callable(run_demo):
        raise click.ClickException(
            "the demo is not available in this installation (asyncconsole.demo.run_demo missing)"
        )
    offered: dict[str, Any] = {
        "keep_running": keep_running,
        "json_output": state.json,
        "verbose": state.verbose,
        "interactive": state.progress,
    }
    parameters = inspect.signature(run_demo).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    kwargs = {k: v for k, v in offered.items() if takes_any or k in parameters}
    result = run_demo(**kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    if isinstance(result, int) and not isinstance(result, bool) and result != 0:
        ctx.exit(result)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
