"""Workers as an ECS service."""

from __future__ import annotations

from typing import Any

from ...infra.ecs import ECSManager
from ._types import WorkerCounts

__all__ = ["EcsWorkers"]


class EcsWorkers:
    """:class:`WorkerDeployment` as an ECS service: ``UpdateService`` / ``DescribeServices``.

    ``terminating`` is 0 as in console_link unless ``count_terminating`` (two more calls that
    count the service's stopping tasks).
    """

    kind = "ecs"

    def __init__(
        self, ecs: ECSManager, *, cluster: str, service: str, count_terminating: bool = False
    ) -> None:
        if not cluster or not service:
            raise ValueError("EcsWorkers needs a cluster and a service name")
        self._ecs = ecs
        self.cluster = cluster
        self.service = service
        self.count_terminating = count_terminating

    def __repr__(self) -> str:
        return f"EcsWorkers(cluster={self.cluster!r}, service={self.service!r})"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "cluster_name": self.cluster, "service_name": self.service}

    async def scale(self, replicas: int) -> None:
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ValueError(f"replicas must be an int >= 0, not {replicas!r}")
        await self._ecs.scale_service(self.cluster, self.service, replicas)

    async def counts(self) -> WorkerCounts:
        status = await self._ecs.get_service_status(
            self.cluster, self.service, count_terminating=self.count_terminating
        )
        return WorkerCounts(status.running, status.pending, status.desired, status.terminating or 0)
