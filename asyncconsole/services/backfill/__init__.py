"""The reindex-from-snapshot backfill on Docker, ECS or Kubernetes.

::

    backfill = Backfill(config.backfill, target, workers)
    await backfill.start()                          # the configured scale (default 5)
    report = await backfill.status(deep=True)       # BackfillStatusReport; print(report)
    progress = await backfill.deep_status()         # BackfillOverallStatus; .to_dict()
    path = await backfill.stop()                    # scale 0, wait (bounded), archive
    result = await backfill.reset(include_failed_document_stream=True)
    stream = backfill.failed_documents              # FailedDocumentStream | None
    await stream.count(); await stream.list(limit=100)
"""

from ._backfill import Backfill, backfill_status
from ._failed_documents import (
    DEFAULT_LIST_LIMIT,
    MANIFEST_NAME,
    FailedDocument,
    FailedDocumentStream,
)
from ._queries import count_queries
from ._types import (
    BackfillOverallStatus,
    BackfillResetResult,
    BackfillStatus,
    BackfillStatusReport,
    StepState,
)

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "MANIFEST_NAME",
    "Backfill",
    "BackfillOverallStatus",
    "BackfillResetResult",
    "BackfillStatus",
    "BackfillStatusReport",
    "FailedDocument",
    "FailedDocumentStream",
    "StepState",
    "backfill_status",
    "count_queries",
]
