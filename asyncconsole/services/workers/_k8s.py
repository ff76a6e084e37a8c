"""Workers as a Kubernetes Deployment."""

from __future__ import annotations

from typing import Any

from ...infra.kubernetes import K8sManager
from ._types import WorkerCounts

__all__ = ["K8sWorkers"]


class K8sWorkers:
    """:class:`WorkerDeployment` as a Kubernetes Deployment scaled through its ``scale``
    subresource.

    Counts come from the Deployment's status as :class:`~asyncconsole.infra.kubernetes.K8sManager`
    reports it: the pods its selector matches, counted the console_link way (a pod with a
    deletion timestamp is terminating, else phase Running is running and Pending is pending);
    desired is ``spec.replicas``.
    """

    kind = "k8s"

    def __init__(self, k8s: K8sManager, *, namespace: str, deployment: str) -> None:
        if not namespace or not deployment:
            raise ValueError("K8sWorkers needs a namespace and a deployment name")
        self._k8s = k8s
        self.namespace = namespace
        self.deployment = deployment

    def __repr__(self) -> str:
        return f"K8sWorkers(namespace={self.namespace!r}, deployment={self.deployment!r})"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "namespace": self.namespace, "deployment_name": self.deployment}

    async def scale(self, replicas: int) -> None:
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ValueError(f"replicas must be an int >= 0, not {replicas!r}")
        await self._k8s.scale_deployment(self.namespace, self.deployment, replicas)

    async def counts(self) -> WorkerCounts:
        status = await self._k8s.get_deployment_status(self.namespace, self.deployment)
        return WorkerCounts(status.running, status.pending, status.desired, status.terminating)
