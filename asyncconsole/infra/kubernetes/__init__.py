"""Kubernetes: scale and watch Deployments, inspect pods, exec, logs and Secrets.

``K8sManager`` is the protocol services depend on; ``KubernetesManager`` is the real one
(kubernetes_asyncio, imported only when that name is first used); ``FakeK8sManager`` is an
in-memory cluster for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._fake import FakeCall, FakeK8sManager
from ._protocol import K8sManager
from ._sim import ExecReply
from ._types import DeploymentStatus, PodInfo, PodPhase

if TYPE_CHECKING:
    from ._kubernetes_asyncio import KubernetesManager

__all__ = [
    "DeploymentStatus",
    "ExecReply",
    "FakeCall",
    "FakeK8sManager",
    "K8sManager",
    "KubernetesManager",
    "PodInfo",
    "PodPhase",
]


def __getattr__(name: str) -> Any:
    if name == "KubernetesManager":
        from ._kubernetes_asyncio import KubernetesManager

        globals()[name] = KubernetesManager
        return KubernetesManager
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
