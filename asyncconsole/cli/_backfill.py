"""``asyncconsole backfill``: describe, start, pause, stop, scale, status, archive, reset, autoscale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._autoscale import autoscale_command
from ._output import emit, format_eta, progress_bar, spinner, status_lines
from ._params import Duration
from ._run import run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..services.backfill import Backfill, BackfillOverallStatus

__all__ = ["backfill"]


def _backfill(env: Environment) -> Backfill:
    assert env.backfill is not None
    return env.backfill


def _describe_text(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False).rstrip()


_pipeline_option = click.option(
    "--pipeline-name",
    default=None,
    help="console_link's pipeline of an OpenSearch Ingestion backfill; a reindex-from-snapshot "
    "backfill has none, so it is ignored (with a note).",
)


def _no_pipelines(pipeline_name: str | None) -> None:
    # Accepted so console_link's command lines keep working; said, not silently dropped.
    if pipeline_name is not None:
        click.echo(
            f"Note: --pipeline-name {pipeline_name} ignored: a reindex-from-snapshot backfill "
            "has no pipelines.",
            err=True,
        )


@click.group()
def backfill() -> None:
    """Start, scale, stop and follow the reindex-from-snapshot backfill."""


@backfill.command()
@click.pass_context
def describe(ctx: click.Context) -> None:
    """Show the backfill's configuration (YAML; JSON with --json).

    JSON: the `backfill` block plus "working_state_index" and "workers".
    """
    state = state_of(ctx)

    async def body(env: Environment) -> dict[str, Any]:
        return _backfill(env).describe()

    data = run_with_env(state, body, needs=("backfill",), opens=())  # config only
    emit(state, data, lambda: _describe_text(data))


def _scaled(ctx: click.Context, action: str, units: int | None = None) -> None:
    from ._documents import backfill_action

    state = state_of(ctx)

    async def body(env: Environment) -> dict[str, Any]:
        return await backfill_action(_backfill(env), action, units)

    data = run_with_env(state, body, needs=("backfill",))
    emit(state, data, data["message"])


@backfill.command()
@_pipeline_option
@click.pass_context
def start(ctx: click.Context, pipeline_name: str | None) -> None:
    """Start the configured number of workers (`scale`, default 5).

    JSON: {"action": "start", "units": N, "message": ...}
    """
    _no_pipelines(pipeline_name)
    _scaled(ctx, "start")


@backfill.command()
@_pipeline_option
@click.pass_context
def pause(ctx: click.Context, pipeline_name: str | None) -> None:
    """Scale the workers to 0 without archiving; `start` resumes.

    JSON: {"action": "pause", "units": 0, "message": ...}
    """
    _no_pipelines(pipeline_name)
    _scaled(ctx, "pause")


@backfill.command()
@click.argument("units", type=click.IntRange(min=0))
@click.pass_context
def scale(ctx: click.Context, units: int) -> None:
    """Set the number of workers.

    JSON: {"action": "scale", "units": N, "message": ...}
    """
    _scaled(ctx, "scale", units)


@backfill.command()
@click.option("--no-archive", is_flag=True, help="Keep the working-state index.")
@click.option(
    "--timeout",
    type=Duration(allow_zero=True),
    default=600.0,
    show_default=True,
    help="Seconds to wait for the workers to stop.",
)
@click.option(
    "--path",
    type=click.Path(),
    default=None,
    help="Archive file or directory (default $SHARED_LOGS_DIR_PATH/backfill_working_state).",
)
@_pipeline_option
@click.pass_context
def stop(
    ctx: click.Context,
    no_archive: bool,
    timeout: float,
    path: str | None,
    pipeline_name: str | None,
) -> None:
    """Scale to 0, wait until the workers are gone, then archive the working state.

    JSON: {"action": "stop", "units": 0, "archive": path | null, "message": ...}
    """
    from ._documents import backfill_stop

    _no_pipelines(pipeline_name)
    state = state_of(ctx)

    async def body(env: Environment) -> dict[str, Any]:
        with spinner(state, "Stopping the backfill workers..."):
            return await backfill_stop(
                _backfill(env), archive=not no_archive, timeout=timeout, path=path
            )

    data = run_with_env(state, body, needs=("backfill",))
    lines = [data["message"]]
    if data["archive"] is not None:
        lines.append(f"Backfill working state archived to: {data['archive']}")
    elif not no_archive:
        lines.append("No working state to archive.")
    emit(state, data, "\n".join(lines))


def _progress_detail(deep: BackfillOverallStatus) -> str:
    if deep.initializing:
        return "shards initializing"
    done, total = deep.shard_complete, deep.shard_total
    counts = f"{done}/{total} work items" if total is not None else ""
    return f"{deep.status.value}  {counts}  ETA {format_eta(deep.eta_ms)}".strip()


@backfill.command()
@click.option("--deep-check", is_flag=True, help="Also the work items' progress.")
@click.option(
    "--watch",
    is_flag=True,
    help="Follow the progress (percent and ETA) until the work is done.",
)
@click.option(
    "--interval",
    type=Duration(),
    default=5.0,
    show_default=True,
    help="Seconds between checks with --watch.",
)
@click.pass_context
def status(ctx: click.Context, deep_check: bool, watch: bool, interval: float) -> None:
    """Show the workers' state (and with --deep-check the work items' progress).

    JSON: {"status": "RUNNING"|..., "message": ..., "workers": {"running", "pending",
    "desired", "terminating"}, "deep": {"status", "percentage_completed", "eta_ms",
    "started", "finished", "shard_total", "shard_complete", "shard_in_progress",
    "shard_waiting"} | null, "deep_error": str | null}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        service = _backfill(env)
        if not watch:
            return await service.status(deep=deep_check)
        from ..services.backfill import StepState

        finished = {StepState.COMPLETED, StepState.COMPLETED_WITH_ERRORS, StepState.FAILED}
        with progress_bar(state, "Backfill") as bar:
            while True:
                report = await service.status(deep=True)
                deep = report.deep
                if deep is not None:
                    bar.update(deep.percentage_completed, _progress_detail(deep))
                    if deep.status in finished:
                        return report
                await env.clock.sleep(interval)

    report = run_with_env(state, body, needs=("backfill",))
    emit(state, report.to_dict(), lambda: status_lines(report.render(), report.status.value))


@backfill.command()
@click.option("--path", type=click.Path(), default=None, help="Archive file or directory.")
@click.pass_context
def archive(ctx: click.Context, path: str | None) -> None:
    """Back up the working-state index to a JSON file and delete it (workers must be stopped).

    JSON: {"path": file written}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        return await _backfill(env).archive(path)

    written = run_with_env(state, body, needs=("backfill",))
    emit(state, {"path": str(written)}, f"Backfill working state archived to: {written}")


@backfill.command()
@click.option(
    "--include-failed-document-stream",
    is_flag=True,
    help="Also delete the failed document stream's records of this session (irreversible).",
)
@click.option("--yes", is_flag=True, help="Do not ask before deleting the records.")
@click.option(
    "--timeout",
    type=Duration(allow_zero=True),
    default=600.0,
    show_default=True,
    help="Seconds to wait for the workers to be gone.",
)
@click.option("--path", type=click.Path(), default=None, help="Archive file or directory.")
@click.pass_context
def reset(
    ctx: click.Context,
    include_failed_document_stream: bool,
    yes: bool,
    timeout: float,
    path: str | None,
) -> None:
    """Archive (and delete) the working state once no worker runs; with
    --include-failed-document-stream also delete the failed document stream's records
    (asks first unless --yes). The records are preserved by default.

    JSON: {"archive": file | null, "failed_document_stream_location": uri | null,
    "failed_documents_deleted": N | null}
    """
    from ._failed_documents import stream_of
    from ._output import confirm
    from ._run import load_environment, require

    state = state_of(ctx)
    env = load_environment(state)
    service: Backfill = require(env, "backfill")
    if include_failed_document_stream:
        stream = stream_of(env)
        confirm(
            f"Permanently delete every failed document stream record at {stream.location}?",
            acknowledged=yes,
        )

    async def body(_env: Environment) -> Any:
        with spinner(state, "Waiting for the backfill workers to be gone..."):
            return await service.reset(
                include_failed_document_stream=include_failed_document_stream,
                timeout=timeout,
                path=path,
            )

    result = run_with_env(state, body, needs=("backfill",), env=env)
    emit(state, result.to_dict(), result.render())


backfill.add_command(autoscale_command("backfill"))
