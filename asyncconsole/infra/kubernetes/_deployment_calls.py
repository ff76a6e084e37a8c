"""The K8sManager's Deployment calls: status, scale, wait for ready replicas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..._concurrency import gather_pair
from ..._errors import KubernetesNotFoundError
from .._core import PeerFailure, check_timeout
from ._convert import api_object, deployment_status, replicas_reached, replicas_seen
from ._exchange import K8sExchanges, operation
from ._selectors import selector_from_spec
from ._types import DeploymentStatus
from ._validate import check_count, check_name

__all__ = ["DeploymentCalls"]

STATUS: Final = operation("get_deployment_status", idempotent=True)
SCALE: Final = operation("scale_deployment", idempotent=True)
WAIT_REPLICAS: Final = operation("wait_for_replicas", idempotent=True)


class DeploymentCalls(K8sExchanges):
    """``get_deployment_status``, ``scale_deployment`` and ``wait_for_replicas``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Deployment -> its pods' label selector (immutable): a status read lists the pods
        # alongside reading the Deployment, one round trip of wall time instead of two.
        self._selectors: dict[tuple[str, str], str] = {}

    async def get_deployment_status(self, namespace: str, name: str) -> DeploymentStatus:
        check_name("namespace", namespace)
        check_name("name", name)
        self._ready()
        self._called("get_deployment_status", namespace=namespace, name=name)
        key = (namespace, name)

        async def attempt(left: float | None) -> DeploymentStatus:
            selector = self._selectors.get(key)
            pods: list[dict[str, Any]] | None = None
            if selector is None:
                dep = await self._deployment(namespace, name)
            else:
                dep, pods = await gather_pair(
                    self._deployment(namespace, name),
                    self._pods(namespace, {"label_selector": selector}),
                )
            current = self._shaped(dep, _selector_of, "the deployment", None)
            if pods is None or selector != current:  # first read, or re-created differently
                self._selectors[key] = current
                pods = await self._pods(namespace, {"label_selector": current})
            return self._shaped((dep, pods), _status, "the deployment", None)

        try:
            return await self._core.call(STATUS, f"get deployment {namespace}/{name}", attempt)
        except KubernetesNotFoundError:
            self._selectors.pop(key, None)
            raise

    async def _deployment(self, namespace: str, name: str) -> dict[str, Any]:
        status, value = await self._get("deployments", namespace, name, self._limit())
        return self._shaped(value, api_object, "the deployment", status)

    async def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        check_name("namespace", namespace)
        check_name("name", name)
        check_count("replicas", replicas)
        self._ready()
        self._called("scale_deployment", namespace=namespace, name=name, replicas=replicas)

        async def attempt(left: float | None) -> None:
            status, value = await self._scale(namespace, name, replicas, self._limit())
            self._shaped(value, api_object, "the scale", status)

        # Setting a count is safe to repeat: retried when its answer is lost.
        await self._core.call(SCALE, f"scale deployment {namespace}/{name} to {replicas}", attempt)

    async def wait_for_replicas(
        self,
        namespace: str,
        name: str,
        *,
        ready: int,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> DeploymentStatus:
        check_name("namespace", namespace)
        check_name("name", name)
        check_count("ready", ready)
        check_timeout("timeout", timeout)
        self._ready()
        self._called(
            "wait_for_replicas", namespace=namespace, name=name, ready=ready, timeout=timeout
        )
        last: list[dict[str, Any]] = []

        def decide(change: str, dep: dict[str, Any]) -> dict[str, Any] | None:
            if change == "DELETED":
                raise PeerFailure("status", "the deployment was deleted while waiting", status=404)
            last[:] = [dep]
            return dep if replicas_reached(dep, ready) else None

        async def attempt(left: float | None) -> DeploymentStatus:
            dep = await self._watch_until("deployments", namespace, name, decide)
            selector = self._shaped(dep, _selector_of, "the deployment", None)
            self._selectors[(namespace, name)] = selector
            pods = await self._pods(namespace, {"label_selector": selector})
            return self._shaped((dep, pods), _status, "the deployment", None)

        return await self._wait(
            WAIT_REPLICAS,
            f"wait for deployment {namespace}/{name}",
            attempt,
            timeout=timeout,
            what=f"did not reach {ready} ready replicas",
            seen=lambda: replicas_seen(last[-1] if last else None),
            namespace=namespace,
            name=name,
            ready=ready,
        )


def _selector_of(dep: Mapping[str, Any]) -> str:
    return selector_from_spec(dep.get("spec", {}).get("selector"))


def _status(pair: tuple[Mapping[str, Any], list[dict[str, Any]]]) -> DeploymentStatus:
    return deployment_status(*pair)
