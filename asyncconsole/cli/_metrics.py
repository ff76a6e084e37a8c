"""``asyncconsole metrics``: list the metrics, read one metric's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._output import emit
from ._params import FiniteFloat
from ._run import run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..services.metrics import MetricsService

__all__ = ["metrics"]

_COMPONENTS = ("captureProxy", "replayer")
_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


def _metrics(env: Environment) -> MetricsService:
    assert env.metrics is not None
    return env.metrics


@click.group()
def metrics() -> None:
    """List the migration's metrics and read their data (Prometheus or CloudWatch)."""


@metrics.command("list")
@click.option(
    "--all", "all_", is_flag=True, help="Also metrics without data in the last three hours."
)
@click.pass_context
def list_(ctx: click.Context, all_: bool) -> None:
    """List the metric names of each component.

    JSON: {"captureProxy": [names], "replayer": [names]}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        return await _metrics(env).list(recent=not all_)

    names = run_with_env(state, body, needs=("metrics",))
    emit(state, names.to_dict(), lambda: names)  # a table: component, metric


@metrics.command("get-data")
@click.argument("component", type=click.Choice(_COMPONENTS, case_sensitive=False))
@click.argument("metric_name")
@click.option(
    "--statistic",
    type=click.Choice(_STATISTICS, case_sensitive=False),
    default="Average",
    show_default=True,
)
@click.option(
    "--lookback",
    type=FiniteFloat(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Minutes back from now.",
)
@click.option(
    "--period",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Seconds per data point.",
)
@click.pass_context
def get_data(
    ctx: click.Context,
    component: str,
    metric_name: str,
    statistic: str,
    lookback: float,
    period: int,
) -> None:
    """Read one metric of captureProxy or replayer over the last --lookback minutes.

    JSON: {"component", "metric", "statistic", "lookback_minutes", "period", "start", "end",
    "source_type", "series": [{"labels": {...}, "points": [[iso_time, value], ...]}]}
    """
    state = state_of(ctx)

    async def body(env: Environment) -> Any:
        lookback_value: float = int(lookback) if lookback.is_integer() else lookback
        return await _metrics(env).get_data_report(
            component, metric_name, statistic, lookback_value, period
        )

    report = run_with_env(state, body, needs=("metrics",))
    emit(state, report.to_dict(), lambda: report)  # the query, then one row per time
