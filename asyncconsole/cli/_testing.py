"""``asyncconsole testing``: run one of the fake servers of :mod:`asyncconsole.testing` on its
own, for a demo, a notebook or another program's tests.

Each prints its URL as the first line of stdout (with ``--json``: one object with the URL),
then serves until Ctrl-C or SIGTERM, and exits 0.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._output import dumps
from ._params import NAME, Duration, FiniteFloat
from ._signals import until_stopped

if TYPE_CHECKING:
    from .._resource import AsyncResource

__all__ = ["testing"]

_host = click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
_port = click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to bind (0: a free one).",
)


@click.group()
def testing() -> None:
    """Run a fake server standalone: OpenSearch, the Kubernetes API or Prometheus.

    The URL is the first line of stdout; Ctrl-C or SIGTERM stops the server (exit 0).
    """


def _serve(
    ctx: click.Context,
    server: AsyncResource,
    url: Callable[[], str],
    *,
    prepare: Callable[[], dict[str, Any]] | None = None,
    background: Callable[[], Any] | None = None,
) -> None:
    """Open ``server``, run ``prepare`` (its extra facts are printed with the URL), print,
    serve until stopped, close."""
    state = state_of(ctx)

    async def main() -> None:
        async with server, contextlib.AsyncExitStack() as stack:
            facts = prepare() if prepare is not None else {}
            if state.json:
                click.echo(dumps({"url": url(), **facts}))
            else:
                click.echo(url())
                for key, value in facts.items():
                    click.echo(f"{key}: {value}", err=True)
            # stdout is usually a pipe read by another program: hand it the URL now
            sys.stdout.flush()
            if background is not None:
                await stack.enter_async_context(_running(background))
            await until_stopped()

    import asyncio  # here, not at import: a command's --help needs no event loop

    asyncio.run(main())


@contextlib.asynccontextmanager
async def _running(work: Callable[[], Any]) -> AsyncIterator[None]:
    import asyncio  # here, not at import: a command's --help needs no event loop

    async with asyncio.TaskGroup() as group:
        task = group.create_task(work())
        try:
            yield
        finally:
            task.cancel()


def _auth(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise click.BadParameter("expected USER:PASSWORD", param_hint="'--auth'")
    return user, password


def _counts(value: str | None) -> tuple[int, int, int] | None:
    if value is None:
        return None
    parts = value.split(",")
    try:
        completed, in_progress, unclaimed = (int(n) for n in parts)
    except ValueError:
        raise click.BadParameter(
            "expected COMPLETED,IN_PROGRESS,UNCLAIMED (three counts)",
            param_hint="'--working-state'",
        ) from None
    if min(completed, in_progress, unclaimed) < 0:
        raise click.BadParameter("counts must not be negative", param_hint="'--working-state'")
    return completed, in_progress, unclaimed


@testing.command()
@_host
@_port
@click.option(
    "--server-version", "version", default="2.15.0", show_default=True, help="Version it reports."
)
@click.option(
    "--distribution",
    type=click.Choice(["opensearch", "elasticsearch"]),
    default="opensearch",
    show_default=True,
)
@click.option("--auth", metavar="USER:PASSWORD", default=None, help="Require basic auth.")
@click.option(
    "--latency", type=Duration(allow_zero=True), default=0.0, help="Seconds added to each reply."
)
@click.option(
    "--snapshot-duration",
    type=FiniteFloat(min=0),
    default=10.0,
    show_default=True,
    help="Seconds a snapshot takes.",
)
@click.option(
    "--working-state",
    metavar="COMPLETED,IN_PROGRESS,UNCLAIMED",
    default=None,
    help="Seed the backfill's working-state index with this many work items.",
)
@click.option("--session", type=NAME, default=None, help="Backfill session of that index.")
@click.pass_context
def opensearch(
    ctx: click.Context,
    host: str,
    port: int,
    version: str,
    distribution: str,
    auth: str | None,
    latency: float,
    snapshot_duration: float,
    working_state: str | None,
    session: str | None,
) -> None:
    """A fake OpenSearch (or Elasticsearch) cluster (FakeOpenSearchServer).

    JSON: {"url", "working_state_index": name | null}
    """
    from ..testing import FakeOpenSearchServer

    credentials = _auth(auth)
    counts = _counts(working_state)
    server = FakeOpenSearchServer(
        host=host,
        port=port,
        version=version,
        distribution=distribution,
        auth=credentials,
        latency=latency,
        snapshot_duration=snapshot_duration,
    )

    def prepare() -> dict[str, Any]:
        if counts is None:
            return {"working_state_index": None}
        completed, in_progress, unclaimed = counts
        index = server.seed_working_state(
            completed=completed, in_progress=in_progress, unclaimed=unclaimed, session=session
        )
        return {"working_state_index": index}

    _serve(ctx, server, lambda: server.url, prepare=prepare)


def _deployment(value: str) -> tuple[str, str, int]:
    target, _, replicas = value.partition("=")
    namespace, slash, name = target.partition("/")
    try:
        count = int(replicas or 1)
    except ValueError:
        count = -1
    if not slash or not namespace or not name or count < 0:
        raise click.BadParameter(
            f"{value!r}: expected NAMESPACE/NAME[=REPLICAS]", param_hint="'--deployment'"
        )
    return namespace, name, count


@testing.command()
@_host
@_port
@click.option(
    "--converge-delay",
    type=Duration(allow_zero=True),
    default=0.0,
    help="Seconds a Deployment takes to reach its replicas.",
)
@click.option(
    "--deployment",
    "deployments",
    multiple=True,
    metavar="NAMESPACE/NAME[=REPLICAS]",
    help="Create a Deployment (repeatable; default 1 replica).",
)
@click.option(
    "--write-kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a kubeconfig for this server to FILE (use it with --kubeconfig FILE).",
)
@click.pass_context
def kubernetes(
    ctx: click.Context,
    host: str,
    port: int,
    converge_delay: float,
    deployments: tuple[str, ...],
    write_kubeconfig: Path | None,
) -> None:
    """A fake Kubernetes API server (FakeKubernetesApiServer), which kubectl also accepts.

    JSON: {"url", "kubeconfig": file | null}
    """
    from ..testing import FakeKubernetesApiServer

    wanted = [_deployment(value) for value in deployments]
    server = FakeKubernetesApiServer(host=host, port=port, converge_delay=converge_delay)

    def prepare() -> dict[str, Any]:
        for namespace, name, replicas in wanted:
            server.add_deployment(namespace, name, replicas=replicas)
        written = None
        if write_kubeconfig is not None:
            written = str(server.write_kubeconfig(write_kubeconfig))
        return {"kubeconfig": written}

    _serve(ctx, server, lambda: server.url, prepare=prepare)


@testing.command()
@_host
@_port
@click.option(
    "--demo-metrics/--no-demo-metrics",
    default=True,
    show_default=True,
    help="Publish the demo's capture-proxy and replayer metrics (15 minutes of history, "
    "then one sample a second).",
)
@click.pass_context
def prometheus(ctx: click.Context, host: str, port: int, demo_metrics: bool) -> None:
    """A Prometheus HTTP API (query, query_range, series) holding the demo's metrics, for
    `metrics_source.prometheus.endpoint`.

    JSON: {"url", "metrics": {component: [names]}}
    """
    from ..demo import DEMO_METRICS, DemoPrometheusServer, MetricsFeed

    server = DemoPrometheusServer(host=host, port=port)
    feed = MetricsFeed(server)

    def prepare() -> dict[str, Any]:
        if not demo_metrics:
            return {"metrics": {}}
        feed.backfill_history()
        return {"metrics": {component: list(names) for component, names in DEMO_METRICS.items()}}

    _serve(
        ctx,
        server,
        lambda: server.url,
        prepare=prepare,
        background=feed.run if demo_metrics else None,
    )
