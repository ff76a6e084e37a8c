"""Where a backfill or replayer runs: Docker, ECS or Kubernetes (exactly one)."""

from __future__ import annotations

from typing import ClassVar, Literal, TypeAlias

from .._errors import ConfigError
from ._base import ConfigModel

__all__ = [
    "DeployedConfig",
    "DeploymentConfig",
    "DeploymentKind",
    "DockerDeploymentConfig",
    "ECSDeploymentConfig",
    "K8sDeploymentConfig",
]

DeploymentKind = Literal["docker", "ecs", "k8s"]
_DEPLOYMENT_KEYS: tuple[DeploymentKind, ...] = ("docker", "ecs", "k8s")


class DockerDeploymentConfig(ConfigModel):
    """Containers on the local Docker Engine (``docker:`` may be empty)."""

    kind: ClassVar[DeploymentKind] = "docker"

    socket: str | None = None
    """Docker socket or ``DOCKER_HOST`` URL; ``None`` means the environment's default."""
    image: str | None = None
    """asyncconsole extension: the workers' image; ``None`` means the Migration Assistant
    image of the role (``migrations/reindex_from_snapshot:latest`` for the backfill,
    ``migrations/traffic_replayer:latest`` for the replayer). Must be local: nothing is pulled."""
    command: list[str] | str | None = None
    """asyncconsole extension: the workers' arguments (a list, or a string split like a
    shell would); ``None`` runs the image's default command."""
    environment: dict[str, str] | None = None
    """asyncconsole extension: environment variables for the workers."""


class ECSDeploymentConfig(ConfigModel):
    """An AWS ECS service."""

    kind: ClassVar[DeploymentKind] = "ecs"

    cluster_name: str
    """The ECS cluster."""
    service_name: str
    """The ECS service."""
    aws_region: str | None = None
    """Region of the cluster; ``None`` means the AWS SDK's usual region resolution."""


class K8sDeploymentConfig(ConfigModel):
    """A Kubernetes Deployment."""

    kind: ClassVar[DeploymentKind] = "k8s"

    namespace: str
    """Namespace of the Deployment."""
    deployment_name: str
    """Name of the Deployment."""


DeploymentConfig: TypeAlias = DockerDeploymentConfig | ECSDeploymentConfig | K8sDeploymentConfig


class DeployedConfig(ConfigModel):
    """A block that runs on exactly one of ``docker``, ``ecs`` or ``k8s``."""

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (_DEPLOYMENT_KEYS,)

    docker: DockerDeploymentConfig | None = None
    """Run on Docker."""
    ecs: ECSDeploymentConfig | None = None
    """Run as an ECS service."""
    k8s: K8sDeploymentConfig | None = None
    """Run as a Kubernetes Deployment."""

    @property
    def deployment(self) -> DeploymentConfig:
        """The one configured deployment (check ``.kind`` or use ``isinstance``)."""
        for found in (self.docker, self.ecs, self.k8s):
            if found is not None:
                return found
        raise ConfigError("no deployment (docker, ecs or k8s) is configured")

    @property
    def deployment_kind(self) -> DeploymentKind:
        """``docker``, ``ecs`` or ``k8s``."""
        return self.deployment.kind
