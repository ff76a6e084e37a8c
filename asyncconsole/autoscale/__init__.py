"""Autoscaling the backfill's and the replayer's workers from the target cluster's health.

More workers help until the target pushes back; then they hurt. An :class:`Autoscaler` watches
both sides every period: the work done (work items per minute from the backfill's
working-state index), the target's pressure (CPU, write queue and rejections from its
``_nodes/stats``, Prometheus or CloudWatch) and the workers' counts, and scales within
``[min, max]`` on any deployment kind (Docker, ECS, Kubernetes)::

    policy = TargetHealthPolicy(min_workers=2, max_workers=20, target_cpu=70)
    autoscaler = Autoscaler.for_backfill(env.backfill, policy=policy, dry_run=False)
    async for decision in autoscaler.decisions():
        print(decision)       # 4 → 6: CPU 35% < 70%, 0 rejections in 5 min, +48% items/min ...

The policy is pluggable (:class:`ScalingPolicy`); every decision is a :class:`ScalingDecision`
with its reason in words and in figures (``to_dict()``). Guide: ``docs/guides/autoscaling.md``.
"""

from ._autoscaler import Autoscaler
from ._decision import ScaleAction, ScalingDecision
from ._observation import Observation, Pressure, Progress
from ._policy import Proposal, ScalingPolicy
from ._pressure import (
    NODE_STATS_PATH,
    MetricSpec,
    MetricsPressure,
    NodeStatsPressure,
    PressureSource,
)
from ._progress import IndexingProgress, MetricProgress, ProgressSource, WorkingStateProgress
from ._target_health import TargetHealthPolicy

__all__ = [
    "NODE_STATS_PATH",
    "Autoscaler",
    "IndexingProgress",
    "MetricProgress",
    "MetricSpec",
    "MetricsPressure",
    "NodeStatsPressure",
    "Observation",
    "Pressure",
    "PressureSource",
    "Progress",
    "ProgressSource",
    "Proposal",
    "ScaleAction",
    "ScalingDecision",
    "ScalingPolicy",
    "TargetHealthPolicy",
    "WorkingStateProgress",
]
