"""Build the worker deployment a backfill or replay block configures."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Literal

from ..._errors import ConfigError
from ...config import DeploymentConfig, DockerDeploymentConfig, ECSDeploymentConfig
from ...infra.docker import DockerManager
from ...infra.ecs import ECSManager
from ...infra.kubernetes import K8sManager
from ._docker import DockerWorkers
from ._ecs import EcsWorkers
from ._k8s import K8sWorkers
from ._protocol import WorkerDeployment

__all__ = ["DEFAULT_WORKER_IMAGES", "build_workers"]

DEFAULT_WORKER_IMAGES: Mapping[str, str] = {
    "backfill": "migrations/reindex_from_snapshot:latest",
    "replay": "migrations/traffic_replayer:latest",
}
"""The Migration Assistant images Docker workers run when the config names no ``image``."""


def build_workers(
    deployment: DeploymentConfig,
    *,
    role: Literal["backfill", "replay"],
    session: str = "default",
    docker: DockerManager | None = None,
    ecs: ECSManager | None = None,
    k8s: K8sManager | None = None,
    labels: Mapping[str, str] | None = None,
) -> WorkerDeployment:
    """The :class:`WorkerDeployment` for a configured ``docker``/``ecs``/``k8s`` block.

    Args:
        deployment: ``config.backfill.rfs.deployment`` or ``config.replay.deployment``.
        role: ``backfill`` or ``replay`` (Docker label and default image).
        session: Docker session label (e.g. the backfill session name).
        docker / ecs / k8s: The manager for the configured kind.
        labels: Extra labels for Docker containers.

    Raises:
        ConfigError: The manager the deployment needs was not given.
    """
    if isinstance(deployment, DockerDeploymentConfig):
        if docker is None:
            raise ConfigError(f"{role} runs on docker but no Docker manager was given")
        command = deployment.command
        return DockerWorkers(
            docker,
            role=role,
            session=session,
            image=deployment.image or DEFAULT_WORKER_IMAGES[role],
            command=shlex.split(command) if isinstance(command, str) else command,
            env=deployment.environment,
            labels=labels,
        )
    if isinstance(deployment, ECSDeploymentConfig):
        if ecs is None:
            raise ConfigError(f"{role} runs on ecs but no ECS manager was given")
        return EcsWorkers(ecs, cluster=deployment.cluster_name, service=deployment.service_name)
    if k8s is None:
        raise ConfigError(f"{role} runs on k8s but no Kubernetes manager was given")
    return K8sWorkers(k8s, namespace=deployment.namespace, deployment=deployment.deployment_name)
