"""The deep status: the working-state index's progress searches, read and turned into a
:class:`BackfillOverallStatus` (state, percentage, ETA, start and finish)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..._clock import Clock
from ..._errors import HttpError
from ..._observe import observe
from ..clusters import Cluster
from ..workers import WorkerCounts
from ._queries import COUNT_KEYS, SearchFailure, progress_answers, progress_searches
from ._types import BackfillOverallStatus, StepState

__all__ = ["read_overall", "with_failures"]

logger = logging.getLogger("asyncconsole.services.backfill")


async def read_overall(
    target: Cluster,
    index: str,
    clock: Clock,
    has_failed_documents: bool | None,
    workers: Awaitable[WorkerCounts | None],
) -> BackfillOverallStatus:
    """The progress of the work items in ``index`` on ``target``.

    ``workers`` is awaited only once the counts are read (None counts as active workers), so
    the caller can read them alongside.

    Raises:
        AsyncConsoleError: The index could not be read (other than not existing).
    """
    async with observe(logger, "backfill.deep_status", index) as info:
        now = clock.now()
        answers = await _progress(target, index, int(now.timestamp()))
        if answers is None:
            info["status"] = StepState.PENDING.value
            return BackfillOverallStatus.pending()
        setup_done, started_epoch = _shard_setup(answers["shard_setup"], index)
        if not setup_done:
            info["status"] = "initializing"
            return BackfillOverallStatus(StepState.RUNNING)
        counts: dict[str, int] = {key: answers[key] for key in COUNT_KEYS}
        _warn_if_inconsistent(counts)
        max_completed = answers["max_completed"]
        if isinstance(max_completed, SearchFailure):
            logger.debug("max completedAt aggregation failed: %s", max_completed)
            max_completed = None
        worker_counts = await workers
        active = worker_counts is None or worker_counts.desired != 0
        result = _overall(
            counts,
            started_epoch=started_epoch,
            max_completed=_epoch(max_completed),
            now=now,
            active=active,
            has_failed_documents=has_failed_documents,
        )
        info["status"] = result.status.value
        return result


def with_failures(
    overall: BackfillOverallStatus | None, present: bool | None
) -> BackfillOverallStatus | None:
    """``Completed`` becomes ``CompletedWithErrors`` when the stream holds records."""
    if overall is not None and present is True and overall.status is StepState.COMPLETED:
        return replace(overall, status=StepState.COMPLETED_WITH_ERRORS)
    return overall


async def _progress(target: Cluster, index: str, now: int) -> dict[str, Any] | None:
    """Every progress search in one ``_msearch``; None when the index does not exist.

    Raises:
        HttpError: The request failed, or a count failed (a count is never taken as 0).
        MalformedResponseError: The answer is not what ``_msearch`` answers.
    """
    response = await target.call_api(
        f"/{index}/_msearch",
        "POST",
        data=progress_searches(now),
        headers={"Content-Type": "application/x-ndjson"},
        retry=True,  # searches only: safe to repeat
    )
    answers = response.parse(progress_answers, "backfill progress searches (_msearch)")
    setup = answers["shard_setup"]
    if isinstance(setup, SearchFailure) and setup.type == "index_not_found_exception":
        return None
    for key in COUNT_KEYS:
        failure = answers[key]
        if isinstance(failure, SearchFailure) and not isinstance(setup, SearchFailure):
            raise HttpError(
                f"work item count ({key}) on {index} failed: {failure}",
                method=response.method,
                url=response.url,
                status=failure.status,
            )
    return answers


def _epoch(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(value)


def _shard_setup(setup: Any, index: str) -> tuple[bool, int | None]:
    if isinstance(setup, SearchFailure):
        # console_link treats a failed setup check as "still initializing" (a garbage
        # answer, though, is an error: it says nothing about the setup).
        logger.info("shard_setup check on %s failed: %s", index, setup)
        return False, None
    if not isinstance(setup, dict) or "completedAt" not in setup:
        return False, None
    return True, _epoch(setup["completedAt"])


def _warn_if_inconsistent(counts: dict[str, int]) -> None:
    if counts["incomplete"] + counts["completed"] != counts["total"]:
        logger.warning(
            "Incomplete (%d) and completed (%d) work items do not sum to the total (%d); "
            "this may be transient (the queries ran at slightly different times)",
            counts["incomplete"],
            counts["completed"],
            counts["total"],
        )
    if counts["unclaimed"] + counts["in_progress"] != counts["incomplete"]:
        logger.warning(
            "Unclaimed (%d) and in progress (%d) work items do not sum to the incomplete "
            "(%d); this may be transient",
            counts["unclaimed"],
            counts["in_progress"],
            counts["incomplete"],
        )


def _overall(
    counts: dict[str, int],
    *,
    started_epoch: int | None,
    max_completed: int | None,
    now: datetime,
    active: bool,
    has_failed_documents: bool | None,
) -> BackfillOverallStatus:
    total, completed = counts["total"], counts["completed"]
    started = datetime.fromtimestamp(started_epoch, UTC) if started_epoch else None
    finished: datetime | None = None
    eta_ms: float | None = None
    if total == 0 or completed >= total:
        finished = datetime.fromtimestamp(max_completed, UTC) if max_completed else now
        percentage = 100.0
        state = (
            StepState.COMPLETED_WITH_ERRORS if has_failed_documents is True else StepState.COMPLETED
        )
    else:
        percentage = completed / total * 100.0
        if active:
            state = StepState.RUNNING
            if started_epoch and 0.0 < percentage < 100.0:
                elapsed = max(now.timestamp() - started_epoch, 0.001)
                eta_ms = elapsed * (100.0 - percentage) / percentage * 1000.0
        else:
            state = StepState.PAUSED
    return BackfillOverallStatus(
        status=state,
        percentage_completed=percentage,
        eta_ms=eta_ms,
        started=started,
        finished=finished,
        shard_total=total,
        shard_complete=completed,
        shard_in_progress=counts["in_progress"],
        shard_waiting=counts["unclaimed"],
    )
