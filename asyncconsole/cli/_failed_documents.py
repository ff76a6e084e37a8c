"""``asyncconsole failed-document-stream``: where the backfill's failed documents are, how many,
and which."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._output import emit
from ._params import NAME
from ._run import load_environment, require, run_with_env

if TYPE_CHECKING:
    from ..environment import Environment
    from ..services.backfill import FailedDocument, FailedDocumentStream

__all__ = ["NOT_CONFIGURED", "failed_document_stream", "stream_of"]

NOT_CONFIGURED = (
    "Failed document stream is not set (backfill.reindex_from_snapshot.failed_document_stream)"
)
"""The usage error (exit 2) when the backfill has no failed-document stream configured."""


def stream_of(env: Environment, session: str | None = None) -> FailedDocumentStream:
    """The environment's failed-document stream (for ``session`` when given), or the usage
    error naming what is missing."""
    backfill = require(env, "backfill")
    stream: FailedDocumentStream | None = backfill.failed_documents
    if stream is None:
        raise click.UsageError(NOT_CONFIGURED)
    return stream.for_session(session) if session else stream


_session_option = click.option(
    "--session",
    "--migration",
    "session",
    type=NAME,
    default=None,
    help="Read this session instead of the configured one (e.g. an earlier run); "
    "--migration is console_link's name for it.",
)


@click.group("failed-document-stream")
def failed_document_stream() -> None:
    """The documents the backfill could not index, kept as gzip NDJSON in S3."""


@failed_document_stream.command()
@_session_option
@click.pass_context
def location(ctx: click.Context, session: str | None) -> None:
    """Print the stream's S3 location (no S3 request is made).

    JSON: {"location": "s3://bucket/prefix/session=S/", "bucket", "prefix", "session"}
    """
    state = state_of(ctx)
    stream = stream_of(load_environment(state), session)
    data = {
        "location": stream.location,
        "bucket": stream.bucket,
        "prefix": stream.session_prefix,
        "session": stream.session,
    }
    emit(state, data, stream.location)


@failed_document_stream.command()
@_session_option
@click.pass_context
def count(ctx: click.Context, session: str | None) -> None:
    """Count the distinct failed documents (duplicates of one (targetIndex, documentId) once).

    Reads every object of the session. JSON: {"location", "count"}
    """
    state = state_of(ctx)
    env = load_environment(state)
    stream = stream_of(env, session)

    async def body(_env: Environment) -> int:
        return await stream.count()

    total = run_with_env(state, body, env=env)
    emit(state, {"location": stream.location, "count": total}, str(total))


@failed_document_stream.command("list")
@_session_option
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Most records to show.",
)
@click.pass_context
def list_(ctx: click.Context, session: str | None, limit: int) -> None:
    """List failed documents, oldest first: timestamp, targetIndex, documentId, failureClass,
    failureType (tab-separated), de-duplicated like `count`.

    JSON: [records as written, with requestItem and response]
    """
    state = state_of(ctx)
    env = load_environment(state)
    stream = stream_of(env, session)

    async def body(_env: Environment) -> list[FailedDocument]:
        return await stream.list(limit=limit)

    found = run_with_env(state, body, env=env)
    data: list[dict[str, Any]] = [doc.to_dict() for doc in found]
    if not found and not state.json:
        # stdout stays rows only (scripts read it); people are told why it is empty
        click.echo(f"No failed documents at {stream.location}", err=True)
    emit(state, data, lambda: "\n".join(doc.row() for doc in found))
