"""``asyncconsole snapshot``: create, status, wait, list, delete, unregister-repo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ._app import EXIT_FAILURE, CliState, state_of
from ._output import ProgressBar, confirm, emit, format_eta, print_renderable, progress_bar
from ._params import NAME, Duration
from ._run import load_environment, require, run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..services.snapshot import Snapshot, SnapshotStatus

__all__ = ["snapshot"]


def _snapshot(env: Environment) -> Snapshot:
    assert env.snapshot is not None
    return env.snapshot


def _on_progress(bar: ProgressBar) -> Any:
    def show(status: SnapshotStatus) -> None:
        detail = f"ETA {format_eta(status.eta_ms)}"
        mib = status.throughput_mib_per_sec
        if mib is not None:
            detail += f"  {mib:.1f} MiB/s"
        bar.update(status.percentage_completed, detail)

    return show


def _wait_options(func: Any) -> Any:
    func = click.option(
        "--timeout",
        type=Duration(),
        default=None,
        help="Longest wait in seconds (default: the service's, 24 h).",
    )(func)
    return click.option(
        "--poll-interval",
        type=Duration(),
        default=1.0,
        show_default=True,
        help="Seconds between progress checks.",
    )(func)


@click.group()
def snapshot() -> None:
    """Create, follow, list and delete snapshots of the source cluster."""


@snapshot.command()
@click.option("--wait", is_flag=True, help="Wait for the snapshot to finish (progress on a TTY).")
@click.option(
    "--max-snapshot-rate-mb-per-node",
    type=click.IntRange(min=1),
    default=None,
    help="Repository rate limit in MB/s per node.",
)
@click.option(
    "--name", type=NAME, default=None, help="Snapshot name instead of the configured one."
)
@click.option("--replace", is_flag=True, help="Delete an existing snapshot of that name first.")
@_wait_options
@click.pass_context
def create(
    ctx: click.Context,
    wait: bool,
    max_snapshot_rate_mb_per_node: int | None,
    name: str | None,
    replace: bool,
    timeout: float | None,
    poll_interval: float,
) -> None:
    """Register the repository and start the snapshot.

    JSON: {"snapshot", "repository", "replaced", "status": <snapshot status> | null}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        from .._errors import SnapshotExistsError

        with progress_bar(state, f"Snapshot {name or _snapshot(env).name}") as bar:
            try:
                return await _snapshot(env).create(
                    wait=wait,
                    max_snapshot_rate_mb_per_node=max_snapshot_rate_mb_per_node,
                    name=name,
                    replace=replace,
                    timeout=timeout,
                    poll_interval=poll_interval,
                    on_progress=_on_progress(bar) if wait else None,
                )
            except SnapshotExistsError as exc:
                # the library's message names its keyword arguments; say it with the options
                taken = exc.context.get("snapshot", name or _snapshot(env).name)
                raise SnapshotExistsError(
                    f"Snapshot '{taken}' already exists in repository "
                    f"'{exc.context.get('repository', _snapshot(env).repo_name)}'. "
                    f"Take an incremental snapshot under a new name (--name {taken}-2), "
                    "or delete the old one first (--replace).",
                    **exc.context,
                ) from None

    result = run_with_env(state, body, needs=("snapshot",))
    emit(state, result.to_dict(), str(result))


@snapshot.command()
@click.option("--deep-check", is_flag=True, help="Percent, ETA, bytes, throughput and shards.")
@click.option(
    "--name", type=NAME, default=None, help="Snapshot name instead of the configured one."
)
@click.pass_context
def status(ctx: click.Context, deep_check: bool, name: str | None) -> None:
    """Show the snapshot's state (exit 1 when it does not exist or cannot be read).

    JSON: {"snapshot", "repository", "state"}; with --deep-check the deep status
    {"snapshot", "state", "status", "percentage_completed", "eta_ms", "started", "finished",
    "elapsed_ms", "data_total_bytes", "data_processed_bytes",
    "data_throughput_bytes_avg_sec", "shard_total", "shard_complete", "shard_failed",
    "indexes": [...]}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        snap = _snapshot(env)
        if deep_check:
            return await snap.deep_status(name=name)
        return {
            "snapshot": name or snap.name,
            "repository": snap.repo_name,
            "state": await snap.status(name=name),
        }

    result = run_with_env(state, body, needs=("snapshot",))
    if deep_check:
        emit(state, result.to_dict(), result.render())
    else:
        emit(state, result, result["state"])


@snapshot.command()
@click.option(
    "--name", type=NAME, default=None, help="Snapshot name instead of the configured one."
)
@_wait_options
@click.pass_context
def wait(ctx: click.Context, name: str | None, timeout: float | None, poll_interval: float) -> None:
    """Wait until the snapshot finishes, showing percent and ETA on a terminal.

    Exit 1 when it ends FAILED or PARTIAL or the timeout passes.
    JSON: the deep status (see `snapshot status --deep-check`).
    """
    state = state_of(ctx)

    async def body(env: Environment) -> SnapshotStatus:
        snap = _snapshot(env)
        with progress_bar(state, f"Snapshot {name or snap.name}") as bar:
            return await snap.wait(
                name=name,
                timeout=timeout,
                poll_interval=poll_interval,
                on_progress=_on_progress(bar),
            )

    result = run_with_env(state, body, needs=("snapshot",))
    emit(state, result.to_dict(), result.render())


@snapshot.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List the snapshots in the repository (none, with "repository_missing", when it is
    not registered yet: no snapshot was created).

    JSON: {"repository": name, "repository_missing": bool, "snapshots": [{"name", "state",
    "indices", "start_time", "end_time", "duration_ms", "shards_total", "shards_successful",
    "shards_failed"}]}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        from .._errors import HttpNotFoundError

        snap = _snapshot(env)
        try:
            return snap.repo_name, False, await snap.list()
        except HttpNotFoundError as exc:
            # The same answer `delete --all` gives; any other 404 stays an error.
            if "repository_missing_exception" not in exc.body_excerpt:
                raise
            return snap.repo_name, True, []

    repository, missing, found = run_with_env(state, body, needs=("snapshot",))
    data = {
        "repository": repository,
        "repository_missing": missing,
        "snapshots": [s.to_dict() for s in found],
    }
    if state.json:
        emit(state, data)
    elif missing:
        click.echo(f"Repository '{repository}' is not registered: no snapshots.")
    elif not found:
        click.echo(f"No snapshots found in repository '{repository}'.")
    else:
        print_renderable(state, _table(found))


def _table(found: Any) -> Any:
    from rich.table import Table

    table = Table("Name", "State", "Indices", "Started", "Duration", "Shards (ok/total)")
    for info in found:
        started = info.start_time.strftime("%Y-%m-%d %H:%M:%S") if info.start_time else ""
        table.add_row(
            info.name,
            info.state or "",
            str(len(info.indices)),
            started,
            format_eta(info.duration_ms),
            f"{info.shards_successful}/{info.shards_total}",
        )
    return table


@snapshot.command()
@click.option("--acknowledge-risk", is_flag=True, help="Do not ask for confirmation.")
@click.option("--all", "all_", is_flag=True, help="Delete every snapshot in the repository.")
@click.option(
    "--name", type=NAME, default=None, help="Snapshot name instead of the configured one."
)
@click.pass_context
def delete(ctx: click.Context, acknowledge_risk: bool, all_: bool, name: str | None) -> None:
    """Delete the snapshot (or, with --all, every snapshot in the repository).

    JSON: {"snapshot", "repository", "existed", "error"}; with --all {"repository",
    "repository_missing", "results": [...]} (exit 1 when one could not be deleted).
    """
    state = state_of(ctx)
    env = _confirmed_env(
        state,
        lambda snap: (
            "Are you sure you want to delete "
            + (
                f"every snapshot in repository '{snap.repo_name}'?"
                if all_
                else f"snapshot '{name or snap.name}' from repository '{snap.repo_name}'?"
            )
        ),
        acknowledge_risk,
    )

    async def body(env: Environment) -> Any:
        if all_:
            return await _snapshot(env).delete_all()
        return await _snapshot(env).delete(name=name)

    result = run_with_env(state, body, needs=("snapshot",), env=env)
    emit(state, result.to_dict(), str(result))
    if all_ and not result.ok:
        ctx.exit(EXIT_FAILURE)


@snapshot.command("unregister-repo")
@click.option("--acknowledge-risk", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def unregister_repo(ctx: click.Context, acknowledge_risk: bool) -> None:
    """Unregister the snapshot repository (the snapshots' files stay where they are).

    JSON: {"repository", "existed"}
    """
    state = state_of(ctx)
    env = _confirmed_env(
        state,
        lambda snap: f"Are you sure you want to unregister snapshot repository '{snap.repo_name}'?",
        acknowledge_risk,
    )

    async def body(env: Environment) -> Any:
        return await _snapshot(env).unregister_repo()

    result = run_with_env(state, body, needs=("snapshot",), env=env)
    emit(state, result.to_dict(), str(result))


def _confirmed_env(
    state: CliState, question: Callable[[Snapshot], str], acknowledged: bool
) -> Environment:
    """The environment, once the user agreed (the config is checked before asking: a missing
    snapshot block is a usage error, not a prompt)."""
    env = load_environment(state)
    snap: Snapshot = require(env, "snapshot")
    confirm(question(snap), acknowledged=acknowledged)
    return env
