"""Kubernetes: scale and watch Deployments; create, wait for, inspect, exec in, follow the
logs of and delete pods; read Secrets and ConfigMaps.

``K8sManager`` is the protocol services depend on; ``KubernetesManager`` is the real one
(kubernetes_asyncio, imported only when that name is first used); ``FakeK8sManager`` is an
in-memory cluster for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_names
from ._fake import FakeCall, FakeK8sManager
from ._protocol import K8sManager
from ._sim import ExecReply, PodScript
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
    "PodScript",
]


_LAZY = {"KubernetesManager": "._kubernetes_asyncio"}

__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
