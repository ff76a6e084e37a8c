"""``asyncconsole replay``: describe, start, stop, scale, status, autoscale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._autoscale import autoscale_command
from ._output import emit, status_lines
from ._run import run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..services.replay import Replay, ReplayStatusReport

__all__ = ["replay"]


def _replay(env: Environment) -> Replay:
    assert env.replay is not None
    return env.replay


@click.group()
def replay() -> None:
    """Start, scale and stop the traffic replayer."""


@replay.command()
@click.pass_context
def describe(ctx: click.Context) -> None:
    """Show the replayer's configuration (YAML; JSON with --json).

    JSON: the `replay` block plus "workers".
    """
    state = state_of(ctx)

    async def body(env: Environment) -> dict[str, Any]:
        return _replay(env).describe()

    data = run_with_env(state, body, needs=("replay",), opens=())  # config only

    def text() -> str:
        import yaml

        return yaml.safe_dump(data, sort_keys=False).rstrip()

    emit(state, data, text)


def _scaled(ctx: click.Context, action: str, units: int | None = None) -> None:
    from ._documents import replay_action

    state = state_of(ctx)

    async def body(env: Environment) -> tuple[dict[str, Any], ReplayStatusReport]:
        return await replay_action(_replay(env), action, units)

    data, report = run_with_env(state, body, needs=("replay",))
    emit(state, data, f"{data['message']}\n{report.message}")


@replay.command()
@click.pass_context
def start(ctx: click.Context) -> None:
    """Start the configured number of replayers (`scale`, default 1).

    JSON: {"action": "start", "units": N, "message": ..., "workers": {"running", "pending",
    "desired", "terminating"}}
    """
    _scaled(ctx, "start")


@replay.command()
@click.pass_context
def stop(ctx: click.Context) -> None:
    """Scale the replayers to 0.

    JSON: {"action": "stop", "units": 0, "message": ..., "workers": {...}}
    """
    _scaled(ctx, "stop")


@replay.command()
@click.argument("units", type=click.IntRange(min=0))
@click.pass_context
def scale(ctx: click.Context, units: int) -> None:
    """Set the number of replayers.

    JSON: {"action": "scale", "units": N, "message": ..., "workers": {...}}
    """
    _scaled(ctx, "scale", units)


@replay.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the replayers' state and counts.

    JSON: {"status": "RUNNING"|..., "message": ..., "workers": {"running", "pending",
    "desired", "terminating"}}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        return await _replay(env).status()

    report = run_with_env(state, body, needs=("replay",))
    emit(state, report.to_dict(), lambda: status_lines(report.render(), report.status.value))


replay.add_command(autoscale_command("replay"))
