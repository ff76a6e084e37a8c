"""The reindex-from-snapshot backfill: workers plus the working-state index on the target."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ..._clock import Clock, SystemClock
from ..._concurrency import first_failure, gather_pair
from ..._errors import (
    AsyncConsoleError,
    ConfigError,
    ConfigIssue,
    OperationTimeoutError,
    WorkersStillRunningError,
    WorkingIndexNotFoundError,
)
from ..._observe import observe
from ..._redact import mask_described
from ...config import BackfillConfig, ReindexFromSnapshotConfig
from ..clusters import Cluster
from ..workers import WorkerCounts, WorkerDeployment, counts_message
from ._archive import archive_index, archive_path
from ._deep_status import read_overall, with_failures
from ._failed_documents import FailedDocumentStream
from ._types import (
    BackfillOverallStatus,
    BackfillResetResult,
    BackfillStatus,
    BackfillStatusReport,
)

__all__ = ["Backfill", "backfill_status"]

logger = logging.getLogger("asyncconsole.services.backfill")


def backfill_status(kind: str, counts: WorkerCounts) -> BackfillStatus:
    """console_link's status for a deployment kind and its counts.

    ECS: running > 0 RUNNING, pending > 0 STARTING, else STOPPED. Kubernetes (and Docker,
    which console_link only stubs): terminating with nothing desired TERMINATING first.
    """
    if kind != "ecs" and counts.terminating > 0 and counts.desired == 0:
        return BackfillStatus.TERMINATING
    if counts.running > 0:
        return BackfillStatus.RUNNING
    if counts.pending > 0:
        return BackfillStatus.STARTING
    return BackfillStatus.STOPPED


class Backfill:
    """Reindex-from-snapshot: scale its workers and follow its work items.

    The workers are a :class:`~asyncconsole.services.workers.WorkerDeployment` (Docker, ECS or
    Kubernetes); progress lives in the ``.migrations_working_state[_<backfill_session_name>]``
    index of the target cluster.

    console_link bugs fixed here:

    * the whole deep status is one ``_msearch`` (the ``shard_setup`` search, the five
      work-item counts and the finish-time aggregation: one request, one round trip, while the
      worker counts are read alongside; console_link made up to nine calls one after another),
      a missing index answering each search with a 404 (``Pending``); the counts use
      ``track_total_hits`` so they are exact past 10,000, drop the unused painless
      aggregation, and read ES 6's integer ``hits.total`` too; a failed count raises instead
      of counting as 0; the start time comes from the ``shard_setup`` search (no extra GET);
    * ``Paused`` is reported whenever no workers are desired, in text as in JSON;
    * :meth:`archive` uses the same (session-suffixed) index as the status, streams page by
      page, and never leaves a half-written file;
    * :meth:`stop` waits for the workers for a bounded time;
    * Docker deployments work (console_link raises ``NotImplementedError``).

    Args:
        config: The ``backfill`` block (its ``reindex_from_snapshot``).
        target: The target cluster holding the working-state index.
        workers: The workers.
        clock: Time source for ETAs, file names and waits.
        archive_dir: Where :meth:`archive` writes by default (else ``$SHARED_LOGS_DIR_PATH/
            backfill_working_state``, else ``./backfill_working_state``).
        archive_batch_size: Documents per scroll page while archiving.
        failed_documents: The failed-document stream (S3), when configured: status reports
            whether it holds records, and a completed backfill with failures is
            ``CompletedWithErrors``.
    """

    def __init__(
        self,
        config: BackfillConfig,
        target: Cluster,
        workers: WorkerDeployment,
        *,
        clock: Clock | None = None,
        archive_dir: Path | None = None,
        archive_batch_size: int = 1000,
        failed_documents: FailedDocumentStream | None = None,
    ) -> None:
        if archive_batch_size < 1:
            raise ValueError(f"archive_batch_size must be at least 1, not {archive_batch_size!r}")
        self.config = config
        self.target = target
        self.workers = workers
        self.clock: Clock = clock or SystemClock()
        self.archive_dir = archive_dir
        self.archive_batch_size = archive_batch_size
        self.failed_documents = failed_documents

    def __repr__(self) -> str:
        return f"Backfill(kind={self.kind!r}, index={self.index!r})"

    @property
    def rfs(self) -> ReindexFromSnapshotConfig:
        """The ``reindex_from_snapshot`` block."""
        return self.config.rfs

    @property
    def kind(self) -> str:
        """Where the workers run: ``docker``, ``ecs`` or ``k8s``."""
        return self.workers.kind

    @property
    def index(self) -> str:
        """The working-state index (``.migrations_working_state[_<backfill_session_name>]``)."""
        return self.rfs.working_state_index

    def describe(self) -> dict[str, Any]:
        """The ``backfill`` block as plain data, plus the index and the workers' placement
        (credentials in URLs and secret-named environment variables masked)."""
        described: dict[str, Any] = mask_described(
            {
                **self.config.model_dump(mode="json"),
                "working_state_index": self.index,
                "workers": self.workers.describe(),
            }
        )
        return described

    # -- scaling ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Run the configured number of workers (``scale``, default 5)."""
        await self.scale(self.rfs.scale)

    async def pause(self) -> None:
        """Scale the workers to 0 without waiting; :meth:`start` resumes the work."""
        await self.scale(0)

    async def scale(self, units: int) -> None:
        """Ask for ``units`` workers.

        Raises:
            ValueError: ``units`` is not an int >= 0.
        """
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise ValueError(f"backfill scale must be an int >= 0, not {units!r}")
        async with observe(logger, "backfill.scale", self.kind, replicas=units):
            await self.workers.scale(units)

    async def stop(
        self,
        *,
        archive: bool = True,
        timeout: float = 600.0,  # noqa: ASYNC109 - a deadline on the injected clock
        poll_interval: float = 5.0,
        path: Path | str | None = None,
    ) -> Path | None:
        """Scale to 0, wait until no worker runs, starts, stops or is desired, then archive.

        console_link waits for ever; this waits at most ``timeout`` seconds.

        Args:
            archive: Archive (and delete) the working state once the workers are gone.
            timeout: Seconds to wait for the workers to go.
            poll_interval: Seconds between checks of the worker counts.
            path: Passed to :meth:`archive`.

        Returns:
            The archive file, or None when not archiving or the index does not exist.

        Raises:
            OperationTimeoutError: Workers remained after ``timeout`` (``context["counts"]``).
        """
        await self.scale(0)
        await self.wait_until_stopped(timeout=timeout, poll_interval=poll_interval)
        if not archive:
            return None
        try:
            return await self.archive(path)
        except WorkingIndexNotFoundError as exc:
            logger.info("%s; nothing to archive", exc)
            return None

    async def wait_until_stopped(
        self,
        *,
        timeout: float = 600.0,  # noqa: ASYNC109 - a deadline on the injected clock
        poll_interval: float = 5.0,
    ) -> WorkerCounts:
        """Poll the worker counts until every count is 0; return the last counts.

        Raises:
            OperationTimeoutError: Workers remained after ``timeout`` seconds.
        """
        if timeout < 0 or poll_interval <= 0:
            raise ValueError("timeout must be >= 0 and poll_interval > 0")
        deadline = self.clock.monotonic() + timeout
        while True:
            counts = await self.workers.counts()
            if counts.idle:
                return counts
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise OperationTimeoutError(
                    f"backfill workers still present after {timeout:g}s "
                    f"(running {counts.running}, pending {counts.pending}, "
                    f"desired {counts.desired}, terminating {counts.terminating})",
                    timeout=timeout,
                    counts=counts,
                )
            logger.info("RFS Workers are still running, waiting for them to complete...")
            await self.clock.sleep(min(poll_interval, remaining))

    async def reset(
        self,
        *,
        include_failed_document_stream: bool = False,
        timeout: float = 600.0,  # noqa: ASYNC109 - a deadline on the injected clock
        poll_interval: float = 5.0,
        path: Path | str | None = None,
    ) -> BackfillResetResult:
        """console_link's ``backfill reset``: wait until no worker remains, archive (and delete)
        the working state, then optionally delete the failed-document stream's objects.

        The workers are not scaled down (use :meth:`stop` for that); console_link waits for
        them for ever, this for at most ``timeout`` seconds. A missing working-state index is
        not an error (nothing to archive).

        Args:
            include_failed_document_stream: Also delete every object of the stream's session
                (irreversible; by default the records are preserved).
            timeout: Seconds to wait for the workers to go.
            poll_interval: Seconds between checks of the worker counts.
            path: Passed to :meth:`archive`.

        Raises:
            ConfigError: ``include_failed_document_stream`` without a configured stream
                (checked before anything is done).
            OperationTimeoutError: Workers remained after ``timeout``.
            AwsError: Deleting the stream failed (the archive is already written).
        """
        stream = self.failed_documents
        if include_failed_document_stream and stream is None:
            raise ConfigError(
                "Invalid configuration",
                [
                    ConfigIssue(
                        "backfill.reindex_from_snapshot.failed_document_stream",
                        "not configured: there is no failed document stream to delete",
                    )
                ],
            )
        await self.wait_until_stopped(timeout=timeout, poll_interval=poll_interval)
        try:
            archived: Path | None = await self.archive(path)
        except WorkingIndexNotFoundError as exc:
            logger.info("%s; nothing to archive", exc)
            archived = None
        deleted = None
        if include_failed_document_stream and stream is not None:
            deleted = await stream.delete_all()
        return BackfillResetResult(
            archive=archived,
            failed_documents_location=stream.location if stream is not None else None,
            failed_documents_deleted=deleted,
        )

    # -- status -------------------------------------------------------------------------------

    async def status(
        self, *, deep: bool = False, has_failed_documents: bool | None = None
    ) -> BackfillStatusReport:
        """The workers' state, plus the work items' progress when ``deep`` (always on
        Kubernetes, as in console_link).

        A failing deep check never fails the status: the report keeps the workers' state
        and says why in ``deep_error`` (console_link only logs it).

        With a failed-document stream configured, the report also carries its location and
        whether it holds records (checked concurrently, stopping at the first record; None
        when S3 cannot be read), unless ``has_failed_documents`` is given.

        Raises:
            AsyncConsoleError: The worker counts could not be read.
        """
        stream = self.failed_documents
        if stream is None:
            return await self._status(deep, has_failed_documents)
        report, present = await self._with_presence(
            self._status(deep, has_failed_documents), has_failed_documents
        )
        return replace(
            report,
            deep=with_failures(report.deep, present),
            failed_document_stream_location=stream.location,
            failed_documents_present=present,
        )

    async def _with_presence(
        self, call: Awaitable[_T], has_failed_documents: bool | None
    ) -> tuple[_T, bool | None]:
        stream = self.failed_documents
        if stream is None or has_failed_documents is not None:
            return await call, has_failed_documents
        return await gather_pair(call, stream.presence())

    async def _status(self, deep: bool, has_failed_documents: bool | None) -> BackfillStatusReport:
        if not (deep or self.kind == "k8s"):
            counts = await self.workers.counts()
            return self._report(counts)
        try:
            # The deep read awaits the counts task itself, partway (it needs them last).
            async with asyncio.TaskGroup() as tg:
                counts_task = tg.create_task(self.workers.counts())
                deep_task = tg.create_task(self._guarded_deep(has_failed_documents, counts_task))
        except BaseExceptionGroup as group:
            raise first_failure(group) from None
        overall, error = deep_task.result()
        return self._report(counts_task.result(), overall, error)

    def _report(
        self,
        counts: WorkerCounts,
        deep: BackfillOverallStatus | None = None,
        deep_error: str | None = None,
    ) -> BackfillStatusReport:
        return BackfillStatusReport(
            status=backfill_status(self.kind, counts),
            counts=counts,
            message=counts_message(self.kind, counts),
            deep=deep,
            deep_error=deep_error,
        )

    async def _guarded_deep(
        self, has_failed_documents: bool | None, counts: Awaitable[WorkerCounts | None]
    ) -> tuple[BackfillOverallStatus | None, str | None]:
        try:
            return await self._deep(has_failed_documents, counts), None
        except AsyncConsoleError as exc:
            logger.error("Failed to get detailed status: %s", exc)
            return None, str(exc)

    async def deep_status(
        self, *, has_failed_documents: bool | None = None
    ) -> BackfillOverallStatus:
        """Progress of the work items in the working-state index.

        ``Pending`` while the index does not exist; ``Running`` without counts while the
        shards are set up; then the counts, the percentage, the ETA (workers active) or
        ``Paused`` (no workers desired), and ``Completed`` (``CompletedWithErrors`` when
        ``has_failed_documents`` is True) once every work item is done.

        With a failed-document stream configured and ``has_failed_documents`` not given, the
        stream is checked for records concurrently.

        Raises:
            AsyncConsoleError: The index could not be read (other than not existing).
        """
        overall, present = await self._with_presence(
            self._deep_status(has_failed_documents), has_failed_documents
        )
        result = with_failures(overall, present)
        assert result is not None
        return result

    async def _deep_status(self, has_failed_documents: bool | None) -> BackfillOverallStatus:
        try:
            async with asyncio.TaskGroup() as tg:
                counts_task = tg.create_task(self._counts_or_unknown())
                result = tg.create_task(self._deep(has_failed_documents, counts_task))
        except BaseExceptionGroup as group:
            raise first_failure(group) from None
        return result.result()

    async def _counts_or_unknown(self) -> WorkerCounts | None:
        try:
            return await self.workers.counts()
        except AsyncConsoleError as exc:
            # Unknown workers count as active, as in console_link.
            logger.warning("could not read backfill worker counts: %s", exc)
            return None

    async def _deep(
        self, has_failed_documents: bool | None, workers: Awaitable[WorkerCounts | None]
    ) -> BackfillOverallStatus:
        return await read_overall(
            self.target, self.index, self.clock, has_failed_documents, workers
        )

    async def check(self) -> str:
        """The workers' state in one line, e.g. ``RUNNING: 5 running, 0 pending, 5 desired (ecs)``."""
        counts = await self.workers.counts()
        status = backfill_status(self.kind, counts)
        return (
            f"{status.name}: {counts.running} running, {counts.pending} pending, "
            f"{counts.desired} desired ({self.kind})"
        )

    # -- archive ------------------------------------------------------------------------------

    async def archive(self, path: Path | str | None = None) -> Path:
        """Back up the working-state index to a JSON file, then delete the index.

        The file is console_link's format: a JSON array of scroll batches, each a
        ``{_id: _source}`` map. It is written page by page (constant memory).

        Args:
            path: The file to write, or a directory to write the default name into
                (``working_state_backup_<YYYYmmddHHMMSS>.json``): an existing directory, or
                a string ending with ``/`` (created when missing); None uses the archive
                directory. An existing file is never overwritten: a taken name gets a
                ``-1``, ``-2``... suffix.

        Returns:
            The file written.

        Raises:
            WorkersStillRunningError: A worker runs, starts, stops or is desired.
            WorkingIndexNotFoundError: The index does not exist.
        """
        counts = await self.workers.counts()
        if not counts.idle:
            raise WorkersStillRunningError(
                "RFS Workers are still in progress "
                f"(running {counts.running}, pending {counts.pending}, "
                f"desired {counts.desired}, terminating {counts.terminating})",
                counts=counts,
            )
        target = archive_path(path, self.archive_dir, self.clock.now())
        return await archive_index(
            self.target, self.index, target, batch_size=self.archive_batch_size
        )


_T = TypeVar("_T")
