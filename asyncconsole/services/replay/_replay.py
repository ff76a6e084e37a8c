"""The traffic replayer: start, stop, scale and status of its workers."""

from __future__ import annotations

import logging
from typing import Any

from ..._clock import Clock, SystemClock
from ..._observe import observe
from ..._redact import mask_described
from ...config import ReplayConfig
from ..workers import WorkerCounts, WorkerDeployment
from ._types import ReplayStatus, ReplayStatusReport

__all__ = ["Replay", "replay_status"]

logger = logging.getLogger("asyncconsole.services.replay")


def replay_status(kind: str, counts: WorkerCounts) -> ReplayStatus:
    """console_link's replayer status for a deployment kind and its counts.

    ECS: running > 0 RUNNING, pending > 0 STARTING, else STOPPED. Kubernetes: terminating
    with nothing desired TERMINATING, running > 0 RUNNING, **desired** > 0 STARTING (not
    pending, unlike the backfill), else STOPPED. Docker (a stub in console_link) follows the
    Kubernetes order with pending for STARTING, like the backfill.
    """
    if kind != "ecs" and counts.terminating > 0 and counts.desired == 0:
        return ReplayStatus.TERMINATING
    if counts.running > 0:
        return ReplayStatus.RUNNING
    if (counts.desired if kind == "k8s" else counts.pending) > 0:
        return ReplayStatus.STARTING
    return ReplayStatus.STOPPED


class Replay:
    """The traffic replayer's workers on Docker, ECS or Kubernetes.

    Unlike console_link, Docker replayers are real containers (console_link's start and
    stop do nothing and its status always says running), and every deployment kind can
    scale.

    Args:
        config: The ``replay`` block.
        workers: The replayers.
        clock: Time source (for symmetry with the other services; nothing waits here).
    """

    def __init__(
        self, config: ReplayConfig, workers: WorkerDeployment, *, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.workers = workers
        self.clock: Clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"Replay(kind={self.kind!r}, scale={self.config.scale})"

    @property
    def kind(self) -> str:
        """Where the replayers run: ``docker``, ``ecs`` or ``k8s``."""
        return self.workers.kind

    def describe(self) -> dict[str, Any]:
        """The ``replay`` block as plain data, plus the workers' placement (credentials in
        URLs and secret-named environment variables masked)."""
        described: dict[str, Any] = mask_described(
            {**self.config.model_dump(mode="json"), "workers": self.workers.describe()}
        )
        return described

    async def start(self) -> None:
        """Run the configured number of replayers (``scale``, default 1)."""
        await self.scale(self.config.scale)

    async def stop(self) -> None:
        """Scale the replayers to 0."""
        await self.scale(0)

    async def scale(self, units: int) -> None:
        """Ask for ``units`` replayers.

        Raises:
            ValueError: ``units`` is not an int >= 0.
        """
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise ValueError(f"replay scale must be an int >= 0, not {units!r}")
        async with observe(logger, "replay.scale", self.kind, replicas=units):
            await self.workers.scale(units)

    async def status(self) -> ReplayStatusReport:
        """The replayers' state and counts."""
        counts = await self.workers.counts()
        return ReplayStatusReport(
            status=replay_status(self.kind, counts),
            counts=counts,
            message=str(counts),  # console_link's replayer line, on Kubernetes too
        )

    async def check(self) -> str:
        """The replayers' state in one line, e.g. ``RUNNING: 1 running, 0 pending, 1 desired (k8s)``."""
        counts = await self.workers.counts()
        status = replay_status(self.kind, counts)
        return (
            f"{status.name}: {counts.running} running, {counts.pending} pending, "
            f"{counts.desired} desired ({self.kind})"
        )
