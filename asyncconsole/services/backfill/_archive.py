"""Archiving the working-state index: streamed to a JSON file one scroll page at a time, then
deleted."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import anyio.to_thread

from ..._errors import NotFoundError, WorkingIndexNotFoundError
from ..._observe import observe
from ..clusters import Cluster

__all__ = [
    "archive_index",
    "archive_path",
    "backup_file_name",
    "default_archive_dir",
    "write_batches",
]

logger = logging.getLogger("asyncconsole.services.backfill")


def default_archive_dir() -> Path:
    """``$SHARED_LOGS_DIR_PATH/backfill_working_state``, else ``./backfill_working_state``."""
    shared = os.environ.get("SHARED_LOGS_DIR_PATH")
    return Path(shared) / "backfill_working_state" if shared else Path("backfill_working_state")


def backup_file_name(now: datetime) -> str:
    """console_link's name: ``working_state_backup_<YYYYmmddHHMMSS>.json``."""
    return f"working_state_backup_{now.strftime('%Y%m%d%H%M%S')}.json"


def archive_path(path: Path | str | None, archive_dir: Path | None, now: datetime) -> Path:
    """The file to write: ``path``, or the default name inside it when it names a directory
    (an existing one, or a string ending with ``/``), or inside ``archive_dir`` (else
    :func:`default_archive_dir`) when it is None."""
    name = backup_file_name(now)
    if path is None:
        return (archive_dir or default_archive_dir()) / name
    chosen = Path(path)
    # "DIR/" names a directory even before it exists (Path() drops the slash)
    named_a_dir = isinstance(path, str) and path.endswith(("/", os.sep))
    return chosen / name if named_a_dir or chosen.is_dir() else chosen


async def archive_index(target: Cluster, index: str, path: Path, *, batch_size: int) -> Path:
    """Back up ``index`` to ``path`` (see :func:`write_batches`), then delete the index.

    Returns:
        The file written.

    Raises:
        WorkingIndexNotFoundError: The index does not exist.
    """
    async with observe(logger, "backfill.archive", index, path=str(path)) as info:
        try:
            # A scroll sees only refreshed documents: without a refresh, the workers' last
            # writes (under refresh_interval old) would miss the backup and then be deleted.
            await target.call_api(f"/{index}/_refresh", "POST")
            async with contextlib.aclosing(_id_maps(target, index, batch_size)) as batches:
                path, info["batches"] = await write_batches(path, batches)
        except NotFoundError as exc:
            raise WorkingIndexNotFoundError(index) from exc
        await target.call_api(f"/{index}", "DELETE", params={"ignore_unavailable": "true"})
    logger.info("Backfill working state archived to: %s", path)
    return path


async def _id_maps(
    target: Cluster, index: str, batch_size: int
) -> AsyncGenerator[dict[str, Any], None]:
    # aclosing: the scroll context is released as soon as the archive stops, however.
    async with contextlib.aclosing(target.scroll(index, batch_size=batch_size)) as pages:
        async for page in pages:
            yield {hit["_id"]: hit.get("_source") for hit in page}


def _open_partial(path: Path) -> tuple[Path, IO[str]]:
    # A unique temporary name beside the target: two archives started in the same second
    # must not write into one file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    return Path(name), os.fdopen(fd, "w", encoding="utf-8")


def _publish(partial: Path, path: Path) -> Path:
    """Give the finished file its name without replacing an earlier backup: ``name.json``,
    else ``name-1.json``, ``name-2.json``... (hard links fail atomically if the name exists)."""
    candidate, n = path, 0
    while True:
        try:
            os.link(partial, candidate)
        except FileExistsError:
            n += 1
            candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
            continue
        partial.unlink()
        return candidate


def _write_batch(out: IO[str], batch: dict[str, Any], first: bool) -> None:
    out.write(("" if first else ",\n") + json.dumps(batch, indent=4))


async def write_batches(path: Path, batches: AsyncIterator[dict[str, Any]]) -> tuple[Path, int]:
    """Write console_link's backup format: a JSON array whose elements are the batches.

    Each batch is encoded and written (off the event loop) as it arrives, so memory holds one
    batch. The file appears only when complete: it is written beside ``path`` under a unique
    temporary name, then published as ``path`` (or ``path`` with a ``-N`` suffix when that
    name is taken: a backup is never overwritten), and removed if anything fails or is
    cancelled. Returns the file written and the number of batches.
    """
    partial, out = await anyio.to_thread.run_sync(_open_partial, path)
    written = 0
    try:
        await anyio.to_thread.run_sync(out.write, "[\n")
        async for batch in batches:
            await anyio.to_thread.run_sync(_write_batch, out, batch, written == 0)
            written += 1
        await anyio.to_thread.run_sync(out.write, "\n]")
        await anyio.to_thread.run_sync(out.close)
        final = await anyio.to_thread.run_sync(_publish, partial, path)
    except BaseException:
        out.close()
        partial.unlink(missing_ok=True)
        raise
    return final, written
