"""``asyncconsole clusters``: connection checks, indices, clearing them, raw requests, generated
test data and OpenSearch Benchmark test runs."""

from __future__ import annotations

import json as _json
from typing import TYPE_CHECKING, Any

import click

from ._app import EXIT_FAILURE, state_of
from ._output import confirm, dumps, emit
from ._params import NAME, Duration, FiniteFloat
from ._run import load_environment, run_with_env
from ._selectors import (
    ROLES,
    check_selectors,
    cluster_option,
    complete_roles,
    resolve_cluster,
    selector_options,
)

if TYPE_CHECKING:
    from ..environment import Environment
    from ..infra.http import HttpResponse
    from ..services.clusters import Cluster, GenerateDataProgress

__all__ = ["clusters"]

# environment attribute -> the role word used in JSON ("cluster": "target")
ROLES_OF = {attribute: role for role, attribute in ROLES.items()}
_LABELS = {"source_cluster": "SOURCE CLUSTER", "target_cluster": "TARGET CLUSTER", "proxy": "PROXY"}
_CURL_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH")


def _selected(
    env: Environment, cluster: str | None, selectors: dict[str, str | None]
) -> dict[str, Cluster]:
    """The clusters a command works on: the one named, else source and target (those set)."""
    if cluster is not None:
        attribute, chosen = resolve_cluster(env, cluster, selectors=selectors)
        return {attribute: chosen}
    check_selectors(env, selectors)
    found = {
        name: getattr(env, name)
        for name in ("source_cluster", "target_cluster")
        if getattr(env, name) is not None
    }
    if not found:
        raise click.UsageError("Neither source nor target cluster is set")
    return found


def _label(name: str, cluster: Cluster) -> str:
    label = _LABELS[name]
    if cluster.is_serverless:
        kind = cluster.collection_type.value if cluster.collection_type else "unknown"
        label += f" (Amazon OpenSearch Serverless, Collection type: {kind})"
    return label


_cluster_option = cluster_option(
    help="Only this cluster: source, target or proxy (default: source and target, those "
    "configured)."
)


@click.group()
def clusters() -> None:
    """Connection checks, indices and raw requests on the source and target clusters."""


@clusters.command("connection-check")
@_cluster_option
@selector_options()
@click.pass_context
def connection_check(
    ctx: click.Context,
    cluster: str | None,
    source_selector: str | None,
    target_selector: str | None,
    proxy_selector: str | None,
) -> None:
    """Check the connection to each cluster (exit 1 when one cannot be reached).

    JSON: {"source_cluster": {"connected", "message", "version", "distribution",
    "serverless", "collection_type", "warning"}, "target_cluster": {...}}
    """
    state = state_of(ctx)
    env = load_environment(state)
    chosen = _selected(
        env,
        cluster,
        {"source": source_selector, "target": target_selector, "proxy": proxy_selector},
    )

    async def body(_env: Environment) -> dict[str, Any]:
        names = list(chosen)
        import asyncio  # here, not at import: a command's --help needs no event loop

        found = await asyncio.gather(*(chosen[name].connection_check() for name in names))
        return dict(zip(names, found, strict=True))

    statuses = run_with_env(state, body, needs=tuple(chosen), env=env)
    emit(
        state,
        {name: status.to_dict() for name, status in statuses.items()},
        lambda: "\n\n".join(
            f"{_label(name, chosen[name])}\n{status}" for name, status in statuses.items()
        ),
    )
    if not all(status.connected for status in statuses.values()):
        ctx.exit(EXIT_FAILURE)


@clusters.command("cat-indices")
@click.option("--refresh", is_flag=True, help="Refresh the indices first (current doc counts).")
@_cluster_option
@selector_options()
@click.pass_context
def cat_indices(
    ctx: click.Context,
    refresh: bool,
    cluster: str | None,
    source_selector: str | None,
    target_selector: str | None,
    proxy_selector: str | None,
) -> None:
    """List the indices of each cluster (_cat/indices).

    JSON: {"source_cluster": [_cat/indices rows], "target_cluster": [...]}, plus
    "errors": {cluster: message} when a cluster failed (exit 1).
    """
    state = state_of(ctx)
    env = load_environment(state)
    chosen = _selected(
        env,
        cluster,
        {"source": source_selector, "target": target_selector, "proxy": proxy_selector},
    )

    async def one(target: Cluster) -> Any:
        if state.json:
            return await target.cat_indices(refresh=refresh)
        return await target.cat_indices_text(refresh=refresh)

    async def body(_env: Environment) -> dict[str, Any]:
        names = list(chosen)
        import asyncio  # here, not at import: a command's --help needs no event loop

        found = await asyncio.gather(*(one(chosen[name]) for name in names), return_exceptions=True)
        for result in found:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result
        return dict(zip(names, found, strict=True))

    results = run_with_env(state, body, needs=tuple(chosen), env=env)
    errors = {n: r for n, r in results.items() if isinstance(r, Exception)}
    if state.json:
        from ._documents import cat_indices_document

        click.echo(dumps(cat_indices_document(results)))
    else:
        if cluster is None and not refresh:
            click.echo(
                "WARNING: Cluster information may be stale. "
                "Use --refresh to update cluster information.",
                err=True,
            )
        parts = []
        for name, result in results.items():
            body_text = f"Error: {_message(result)}" if name in errors else str(result).rstrip()
            parts.append(f"{_label(name, chosen[name])}\n{body_text}")
        click.echo("\n\n".join(parts))
    if errors:
        ctx.exit(EXIT_FAILURE)


def _message(error: BaseException) -> str:
    from ._app import _one_line

    return _one_line(error)


@clusters.command("clear-indices")
@cluster_option(("source", "target"), default="target", help="The cluster to clear.")
@selector_options(("source", "target"))
@click.option("--acknowledge-risk", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def clear_indices(
    ctx: click.Context,
    cluster: str,
    source_selector: str | None,
    target_selector: str | None,
    acknowledge_risk: bool,
) -> None:
    """Delete every user index (and the backfill working state) on a cluster.

    JSON: {"cluster": "target", "deleted": [index names], "method": "wildcard"|"by_name"|"none"}
    """
    state = state_of(ctx)
    env = load_environment(state)
    attribute, target = resolve_cluster(
        env,
        cluster,
        roles=("source", "target"),
        selectors={"source": source_selector, "target": target_selector},
    )
    cluster = ROLES_OF[attribute]
    confirm(
        f"Are you sure you want to clear all indices on the {cluster} cluster "
        f"({target.endpoint})? This deletes their data.",
        acknowledged=acknowledge_risk,
    )

    async def body(_env: Environment) -> Any:
        return await target.clear_indices(confirm=True)

    result = run_with_env(state, body, needs=(attribute,), env=env)
    from ._documents import clear_indices_document

    emit(state, clear_indices_document(cluster, result), str(result))


def _parse_headers(values: tuple[str, ...]) -> dict[str, str]:
    from ..services.clusters import parse_header

    headers: dict[str, str] = {}
    for value in values:
        try:
            name, text = parse_header(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'-H' / '--header'") from None
        headers[name] = text
    return headers


def _response_body(response: HttpResponse) -> Any:
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type.lower() and response.text:
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text


def _looks_like_a_body(word: str) -> bool:
    text = word.strip()
    if text.startswith(("{", "[")):
        return True  # meant as JSON, even if malformed (then: "invalid JSON", exit 2)
    try:
        _json.loads(text)
    except ValueError:
        return False
    return True


class CurlCommand(click.Command):
    """``clusters curl``, accepting console_link's ``--json DATA`` for the request body.

    ``--json`` is the global output flag everywhere; here, followed by a JSON value, it is
    read as ``--json-body DATA`` (console_link's spelling), so both keep working.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        for index, word in enumerate(args):
            following = args[index + 1] if index + 1 < len(args) else None
            if word == "--json" and following is not None and _looks_like_a_body(following):
                word = "--json-body"
            elif word.startswith("--json=") and _looks_like_a_body(word.partition("=")[2]):
                word = "--json-body=" + word.partition("=")[2]
            rewritten.append(word)
            if word == "--":
                rewritten.extend(args[index + 1 :])
                break
        return super().parse_args(ctx, rewritten)


@clusters.command("curl", cls=CurlCommand)
@click.argument("cluster", metavar="CLUSTER", shell_complete=complete_roles)
@click.argument("path")
@click.option(
    "-X",
    "--request",
    "method",
    type=click.Choice(_CURL_METHODS, case_sensitive=False),
    default="GET",
    show_default=True,
    help="HTTP method.",
)
@click.option("-H", "--header", "headers", multiple=True, help="'Name: value' (repeatable).")
@click.option("-d", "--data", default=None, help="Request body, sent as given.")
@click.option(
    "--json-body", "json_body", default=None, help="JSON body (validated; sets Content-Type)."
)
@click.option("--timeout", type=Duration(), default=15.0, show_default=True)
@selector_options()
@click.pass_context
def curl(
    ctx: click.Context,
    cluster: str,
    path: str,
    method: str,
    headers: tuple[str, ...],
    data: str | None,
    json_body: str | None,
    timeout: float,
    source_selector: str | None,
    target_selector: str | None,
    proxy_selector: str | None,
) -> None:
    """Send one request to CLUSTER (source, target or proxy) with its configured auth.

    Prints the response body; exit 1 when the status is 400 or more or there is no response.
    The JSON request body is --json-body DATA (console_link's --json DATA works too, when
    DATA is JSON); any other --json is the global option.

    JSON (global --json): {"status": 200, "headers": {...}, "body": parsed JSON or text}
    """
    state = state_of(ctx)
    parsed_headers = _parse_headers(headers)
    if data is not None and json_body is not None:
        raise click.UsageError("Use either -d/--data or --json-body, not both")
    body_value: Any = None
    if json_body is not None:
        try:
            body_value = _json.loads(json_body)
        except ValueError as exc:
            raise click.BadParameter(f"invalid JSON: {exc}", param_hint="'--json-body'") from None
    env = load_environment(state)
    attribute, target = resolve_cluster(
        env,
        cluster,
        selectors={"source": source_selector, "target": target_selector, "proxy": proxy_selector},
    )

    async def body(_env: Environment) -> HttpResponse:
        return await target.curl(
            path,
            method.upper(),
            headers=parsed_headers,
            data=data,
            json=body_value,
            timeout=timeout,
        )

    response = run_with_env(state, body, needs=(attribute,), env=env)
    emit(
        state,
        {
            "status": response.status,
            "headers": dict(response.headers),
            "body": _response_body(response),
        },
        lambda: (
            response.text.rstrip("\n") if response.text else f"HTTP {response.status} (no body)"
        ),
    )
    if response.status >= 400:
        ctx.exit(EXIT_FAILURE)


@clusters.command("generate-data")
@cluster_option(required=True, help="The cluster to write to: source, target or proxy.")
@selector_options()
@click.option("--index-name", type=NAME, required=True, help="The index to write to.")
@click.option(
    "--doc-size-bytes",
    type=click.IntRange(min=1),
    default=150,
    show_default=True,
    help="Approximate size of each document.",
)
@click.option("--num-docs", type=click.IntRange(min=1), default=None, help="Documents to insert.")
@click.option(
    "--target-size-mb",
    type=FiniteFloat(min=0, min_open=True),
    default=None,
    help="Insert this many MiB of documents instead of --num-docs.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Documents per _bulk request.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Most _bulk requests in flight at once.",
)
@click.pass_context
def generate_data(
    ctx: click.Context,
    cluster: str,
    source_selector: str | None,
    target_selector: str | None,
    proxy_selector: str | None,
    index_name: str,
    doc_size_bytes: int,
    num_docs: int | None,
    target_size_mb: float | None,
    batch_size: int,
    concurrency: int,
) -> None:
    """Insert generated test documents with concurrent _bulk requests (exactly one of
    --num-docs or --target-size-mb); exit 1 when fewer were inserted than requested.

    JSON: {"index", "requested", "inserted", "failed", "batches", "doc_size_bytes",
    "duration", "errors"}
    """
    state = state_of(ctx)
    if (num_docs is None) == (target_size_mb is None):
        raise click.UsageError("Give exactly one of --num-docs or --target-size-mb")
    env = load_environment(state)
    attribute, chosen = resolve_cluster(
        env,
        cluster,
        selectors={"source": source_selector, "target": target_selector, "proxy": proxy_selector},
    )

    async def body(_env: Environment) -> Any:
        from ._output import progress_bar

        with progress_bar(state, f"Inserting into {index_name}") as bar:

            def show(now: GenerateDataProgress) -> None:
                bar.update(
                    now.percent,
                    f"{now.inserted:,}/{now.requested:,} docs  {now.rate:,.0f} docs/s",
                )

            return await chosen.generate_data(
                index_name,
                num_docs=num_docs,
                target_size_mb=target_size_mb,
                doc_size_bytes=doc_size_bytes,
                batch_size=batch_size,
                max_concurrency=concurrency,
                on_progress=show,
            )

    result = run_with_env(state, body, needs=(attribute,), env=env)
    emit(state, result.to_dict(), result.render())
    if not result.ok:
        ctx.exit(EXIT_FAILURE)


@clusters.command("run-test-benchmarks")
@cluster_option(default="source", help="The cluster to benchmark: source, target or proxy.")
@selector_options()
@click.pass_context
def run_test_benchmarks(
    ctx: click.Context,
    cluster: str,
    source_selector: str | None,
    target_selector: str | None,
    proxy_selector: str | None,
) -> None:
    """Run OpenSearch Benchmark's test-mode workloads (geonames, http_logs, nested, nyc_taxis)
    against a cluster, one after the other, streaming their output.

    Needs `opensearch-benchmark` on PATH (exit 1 when it is missing or a workload fails).

    JSON: {"cluster", "workloads": [{"workload", "argv", "exit_code", "duration"}]}
    """
    state = state_of(ctx)
    env = load_environment(state)
    attribute, chosen = resolve_cluster(
        env,
        cluster,
        selectors={"source": source_selector, "target": target_selector, "proxy": proxy_selector},
    )
    streamed = not state.json

    def show(line: Any) -> None:
        click.echo(line.text, err=line.stream == "stderr")

    async def body(environment: Environment) -> Any:
        executor = environment.infra.executor
        if executor is not None:
            return await chosen.run_test_benchmarks(executor, on_line=show if streamed else None)
        from ..infra.commands import SubprocessExecutor

        async with SubprocessExecutor() as local:
            return await chosen.run_test_benchmarks(local, on_line=show if streamed else None)

    results = run_with_env(state, body, needs=(attribute,), env=env)
    emit(
        state,
        {"cluster": ROLES_OF[attribute], "workloads": [r.to_dict() for r in results]},
        lambda: "\n".join(f"Workload {r.workload} finished ({r.duration:.1f}s)" for r in results),
    )
