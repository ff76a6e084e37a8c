"""The infrastructure an :class:`~asyncconsole.Environment` runs on: injected, or built from
the config with the real implementations (lazily imported, nothing connected until used)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from .._clock import Clock, SystemClock

if TYPE_CHECKING:
    from ..config import ClusterConfig
    from ..infra.commands import CommandExecutor
    from ..infra.docker import DockerManager
    from ..infra.ecs import ECSManager
    from ..infra.http import HttpAuth, HttpClient
    from ..infra.kubernetes import K8sManager
    from ..infra.metrics import MetricsCollector
    from ..infra.s3 import ObjectStore
    from ..infra.secrets import SecretStore

__all__ = ["HttpClientFactory", "Infrastructure", "aiohttp_client_factory"]

HttpClientFactory: TypeAlias = "Callable[[ClusterConfig, HttpAuth | None], HttpClient]"
"""Builds the HTTP client of one cluster from its config and resolved auth (not yet opened)."""


@dataclass(frozen=True, kw_only=True)
class Infrastructure:
    """What an :class:`~asyncconsole.Environment` talks to; every field is optional.

    Anything left ``None`` is built from the config with the real implementation when the
    config needs it: an ``AiohttpClient`` per cluster (``allow_insecure``,
    ``client_options.user_agent_extra``, auth), ``DockerEngineManager(socket=...)`` per Docker
    socket, ``KubernetesManager()`` (kubeconfig or in-cluster) for Kubernetes deployments and
    ``k8s_secret_name`` auth, ``AwsECSManager(region=...)`` per ECS region, a Prometheus or
    CloudWatch collector for ``metrics_source``, ``AwsSecretsManager`` (the ARN's region) for
    ``user_secret_arn`` auth, and a ``SubprocessExecutor`` for the metadata and Kafka tools.

    Attributes:
        http: Factory of cluster HTTP clients ``(cluster config, auth) -> HttpClient``; the
            clients it returns belong to the environment (opened when their component is first
            needed, closed with the environment).
        executor: Runs the metadata-migration and Kafka command-line tools.
        docker: Docker Engine for ``docker`` backfill/replay deployments.
        k8s: Kubernetes for ``k8s`` deployments and ``k8s_secret_name`` credentials.
        kubeconfig: One kubeconfig file for the ``KubernetesManager`` built when ``k8s`` is
            not given (default: ``KUBECONFIG``, a list, or the in-cluster service account).
        ecs: ECS for ``ecs`` deployments (all regions).
        metrics: The metrics collector (instead of the configured ``metrics_source``).
        secrets: Where ``user_secret_arn`` secrets are read (each fetched once).
        object_store: S3 for the backfill's failed-document stream (all buckets and regions;
            default: an ``AwsS3Store`` per ``s3_region``/``s3_endpoint``).
        clock: Time source for every service and built client (default: the system clock).
        aws_endpoint_url: Endpoint for every AWS client built here (moto, VPC endpoints).
        k8s_secret_namespace: Namespace of ``k8s_secret_name`` secrets (console_link: ``ma``).
        metadata_tool: Path of the MetadataMigration tool (default: the Migration Assistant's
            ``/root/metadataMigration/bin/MetadataMigration``).
        kafka_tools_home: Directory searched first for the Kafka command-line scripts.
        manage_injected: Whether the environment also opens (when first needed) and closes the
            objects given here (``False`` leaves them to the caller, who opens them first, e.g.
            when shared between environments).
    """

    http: HttpClientFactory | None = None
    executor: CommandExecutor | None = None
    docker: DockerManager | None = None
    k8s: K8sManager | None = None
    kubeconfig: str | None = None
    ecs: ECSManager | None = None
    metrics: MetricsCollector | None = None
    secrets: SecretStore | None = None
    object_store: ObjectStore | None = None
    clock: Clock | None = None
    aws_endpoint_url: str | None = None
    k8s_secret_namespace: str = "ma"
    metadata_tool: str | None = None
    kafka_tools_home: str | None = None
    manage_injected: bool = True

    def resolved_clock(self) -> Clock:
        """:attr:`clock`, or the system clock."""
        return self.clock if self.clock is not None else SystemClock()


def aiohttp_client_factory(
    *, user_agent_extra: str | None = None, clock: Clock | None = None, timeout: float = 60.0
) -> HttpClientFactory:
    """The default :data:`HttpClientFactory`: one pooled ``AiohttpClient`` per cluster.

    Args:
        user_agent_extra: Appended to every request's User-Agent.
        clock: Clock for retry waits.
        timeout: Default seconds per request attempt.
    """
    from ..infra.http import AiohttpClient

    def build(config: ClusterConfig, auth: HttpAuth | None) -> HttpClient:
        return AiohttpClient(
            config.endpoint,
            auth=auth,
            allow_insecure=config.allow_insecure,
            user_agent_extra=user_agent_extra,
            clock=clock,
            timeout=timeout,
        )

    return build
