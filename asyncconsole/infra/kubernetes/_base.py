"""The K8sManager's public calls, written once for the real manager and the fake.

:class:`BaseK8sManager` gathers them: Deployments (:mod:`._deployment_calls`), pods
(:mod:`._pod_calls`), containers (:mod:`._container_calls`), and here the health check, Secrets
and ConfigMaps. Each call checks its arguments, names its
:class:`~asyncconsole.infra._core.Operation` (safe to repeat or not) and runs on the adapter
core: one deadline (the request timeout; a wait's own timeout), retries, typed errors, one
event, decoding with shape checks. A subclass only exchanges with its API server
(:class:`~._exchange.K8sExchanges`): :class:`~.KubernetesManager` through kubernetes_asyncio,
:class:`~.FakeK8sManager` on its simulated cluster.
"""

from __future__ import annotations

from typing import Any, Final

from ..._secret import Secret
from ._container_calls import ContainerCalls
from ._convert import api_object, config_map_data, decode_secret, version_info
from ._deployment_calls import DeploymentCalls
from ._exchange import DEFAULT_RETRY, PodTarget, Stream, operation
from ._pod_calls import CREATE_TOKEN, PodCalls
from ._validate import check_name

__all__ = [
    "CREATE_TOKEN",
    "DEFAULT_RETRY",
    "BaseK8sManager",
    "PodTarget",
    "Stream",
]

PING: Final = operation("ping", idempotent=True)
CONFIG_MAP: Final = operation("read_config_map", idempotent=True)
SECRET: Final = operation("read_secret", idempotent=True)


class BaseK8sManager(DeploymentCalls, PodCalls, ContainerCalls):
    """Every :class:`~asyncconsole.infra.kubernetes.K8sManager` call on the adapter core;
    the exchanges with an API server are the subclass's. Constructed as
    :class:`~._exchange.K8sExchanges` (endpoint, namespace, request timeout, retry policy,
    clock, fault plan)."""

    async def ping(self) -> None:
        self._ready()
        self._called("ping")

        async def attempt(left: float | None) -> None:
            status, value = await self._version(self._limit())
            self._shaped(value, version_info, "the version", status)

        # A health check answers at once: a caller wanting patience retries it themselves.
        await self._core.call(PING, "GET /version", attempt, retry=None)

    async def read_config_map(self, namespace: str, name: str) -> dict[str, str]:
        check_name("namespace", namespace)
        check_name("name", name)
        self._ready()
        self._called("read_config_map", namespace=namespace, name=name)

        async def attempt(left: float | None) -> dict[str, str]:
            status, value = await self._get("configmaps", namespace, name, self._limit())
            return self._shaped(value, _config_map, "the configmap", status)

        return await self._core.call(CONFIG_MAP, f"read configmap {namespace}/{name}", attempt)

    async def read_secret(self, namespace: str, name: str) -> dict[str, Secret]:
        check_name("namespace", namespace)
        check_name("name", name)
        self._ready()
        self._called("read_secret", namespace=namespace, name=name)

        async def attempt(left: float | None) -> dict[str, Secret]:
            status, value = await self._get("secrets", namespace, name, self._limit())
            return self._shaped(value, _secret, "the secret", status)

        return await self._core.call(SECRET, f"read secret {namespace}/{name}", attempt)


def _config_map(value: Any) -> dict[str, str]:
    return config_map_data(api_object(value))


def _secret(value: Any) -> dict[str, Secret]:
    return decode_secret(api_object(value))
