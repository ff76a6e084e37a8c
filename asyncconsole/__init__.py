"""asyncconsole: an asyncio-native SDK for running and watching OpenSearch/Elasticsearch migrations.

``import asyncconsole`` is cheap: the backends (aiohttp, aiobotocore, aiodocker,
kubernetes_asyncio) load when first used. Heavier public names are resolved lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._clock import Clock, FakeClock, SystemClock
from ._errors import (
    AsyncConsoleError,
    AwsError,
    CommandError,
    CommandTimeoutError,
    ConfigError,
    ConfigIssue,
    ConflictError,
    DockerError,
    ECSError,
    HttpError,
    InfrastructureError,
    KubernetesError,
    MetricsError,
    NotFoundError,
    OperationCancelledError,
    OperationTimeoutError,
)
from ._resource import AsyncResource
from ._retry import NO_RETRY, RetryPolicy, is_transient
from ._secret import Secret

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .environment import Environment
    from .orchestrator import (
        Event,
        EventKind,
        Handle,
        Orchestrator,
        Outcome,
        OutcomeStatus,
        Report,
        gather_outcomes,
    )

# name -> submodule that defines it, imported on first attribute access (keeps import cheap)
_LAZY: dict[str, str] = {
    "Environment": "environment",
    "Event": "orchestrator",
    "EventKind": "orchestrator",
    "Handle": "orchestrator",
    "Orchestrator": "orchestrator",
    "Outcome": "orchestrator",
    "OutcomeStatus": "orchestrator",
    "Report": "orchestrator",
    "gather_outcomes": "orchestrator",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asyncconsole' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "NO_RETRY",
    "AsyncConsoleError",
    "AsyncResource",
    "AwsError",
    "Clock",
    "CommandError",
    "CommandTimeoutError",
    "ConfigError",
    "ConfigIssue",
    "ConflictError",
    "DockerError",
    "ECSError",
    "Environment",
    "Event",
    "EventKind",
    "FakeClock",
    "Handle",
    "HttpError",
    "InfrastructureError",
    "KubernetesError",
    "MetricsError",
    "NotFoundError",
    "OperationCancelledError",
    "OperationTimeoutError",
    "Orchestrator",
    "Outcome",
    "OutcomeStatus",
    "Report",
    "RetryPolicy",
    "Secret",
    "SystemClock",
    "__version__",
    "gather_outcomes",
    "is_transient",
]
