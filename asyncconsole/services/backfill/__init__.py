"""The reindex-from-snapshot backfill on Docker, ECS or Kubernetes.

::

    backfill = Backfill(config.backfill, target, workers)
    await backfill.start()                          # the configured scale (default 5)
    report = await backfill.status(deep=True)       # BackfillStatusReport; print(report)
    progress = await backfill.deep_status()         # BackfillOverallStatus; .to_dict()
    path = await backfill.stop()                    # scale 0, wait (bounded), archive
"""

from ._backfill import Backfill, backfill_status
from ._queries import count_queries
from ._types import BackfillOverallStatus, BackfillStatus, BackfillStatusReport, StepState

__all__ = [
    "Backfill",
    "BackfillOverallStatus",
    "BackfillStatus",
    "BackfillStatusReport",
    "StepState",
    "backfill_status",
    "count_queries",
]
