"""The ``WorkerDeployment`` protocol: a scalable set of workers (backfill or replay)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ._types import WorkerCounts

__all__ = ["WorkerDeployment"]


@runtime_checkable
class WorkerDeployment(Protocol):
    """Workers of one role (backfill or replay) on Docker, ECS or Kubernetes.

    Implementations raise the infrastructure's own errors (``DockerError``, ``ECSError``,
    ``KubernetesError`` and their ``NotFoundError`` variants) and ``ValueError`` (an
    :class:`~asyncconsole.InvalidArgumentError` naming ``replicas``, for Docker) for a negative
    replica count, or one beyond what the deployment accepts, before any call is made.
    """

    @property
    def kind(self) -> str:
        """``"docker"``, ``"ecs"`` or ``"k8s"``."""
        ...

    async def scale(self, replicas: int) -> None:
        """Ask for ``replicas`` workers.

        ECS and Kubernetes only record the wish (their controllers converge later); Docker
        starts or stops containers and returns once there are exactly ``replicas``.
        """
        ...

    async def counts(self) -> WorkerCounts:
        """Running, pending, desired and terminating workers now."""
        ...

    def describe(self) -> dict[str, Any]:
        """Where the workers run, as plain data (secrets masked)."""
        ...
