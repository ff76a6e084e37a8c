"""asyncconsole: an asyncio-native SDK for running and watching OpenSearch/Elasticsearch migrations.

``import asyncconsole`` is cheap: the backends (aiohttp, aiobotocore, aiodocker,
kubernetes_asyncio) load when first used. Heavier public names are resolved lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import (
    AsyncConsoleError,
    AwsError,
    AwsNotFoundError,
    AwsTimeoutError,
    CommandError,
    CommandTimeoutError,
    ConfigError,
    ConfigIssue,
    ConfirmationRequiredError,
    ConflictError,
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    DockerTimeoutError,
    DockerUnavailableError,
    ECSError,
    ECSNotFoundError,
    ECSTimeoutError,
    HttpConflictError,
    HttpError,
    HttpNotFoundError,
    HttpTimeoutError,
    InfrastructureError,
    InvalidArgumentError,
    KafkaCommandError,
    KubernetesConflictError,
    KubernetesError,
    KubernetesNotFoundError,
    KubernetesTimeoutError,
    MalformedResponseError,
    MetadataMigrationError,
    MetricsError,
    MetricsTimeoutError,
    NoSourceClusterError,
    NoTargetClusterError,
    NotFoundError,
    OperationCancelledError,
    OperationTimeoutError,
    SnapshotExistsError,
    SnapshotFailedError,
    SnapshotNotStartedError,
    ToolNotInstalledError,
    WorkersStillRunningError,
    WorkingIndexNotFoundError,
)
from ._lazy import lazy_names
from ._resource import AsyncResource
from ._secret import Secret
from ._version import __version__

if TYPE_CHECKING:
    from ._clock import Clock, FakeClock, SystemClock, TimeoutScope
    from ._retry import NO_RETRY, RetryPolicy, is_transient
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
# asyncio (through the clock) loads with the first of these: `asyncconsole --help` needs none.
_LAZY: dict[str, str] = {
    "Clock": "._clock",
    "FakeClock": "._clock",
    "SystemClock": "._clock",
    "TimeoutScope": "._clock",
    "NO_RETRY": "._retry",
    "RetryPolicy": "._retry",
    "is_transient": "._retry",
    "Environment": ".environment",
    "Event": ".orchestrator",
    "EventKind": ".orchestrator",
    "Handle": ".orchestrator",
    "Orchestrator": ".orchestrator",
    "Outcome": ".orchestrator",
    "OutcomeStatus": ".orchestrator",
    "Report": ".orchestrator",
    "gather_outcomes": ".orchestrator",
}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)


__all__ = [
    "NO_RETRY",
    "AsyncConsoleError",
    "AsyncResource",
    "AwsError",
    "AwsNotFoundError",
    "AwsTimeoutError",
    "Clock",
    "CommandError",
    "CommandTimeoutError",
    "ConfigError",
    "ConfigIssue",
    "ConfirmationRequiredError",
    "ConflictError",
    "DockerConflictError",
    "DockerError",
    "DockerNotFoundError",
    "DockerTimeoutError",
    "DockerUnavailableError",
    "ECSError",
    "ECSNotFoundError",
    "ECSTimeoutError",
    "Environment",
    "Event",
    "EventKind",
    "FakeClock",
    "Handle",
    "HttpConflictError",
    "HttpError",
    "HttpNotFoundError",
    "HttpTimeoutError",
    "InfrastructureError",
    "InvalidArgumentError",
    "KafkaCommandError",
    "KubernetesConflictError",
    "KubernetesError",
    "KubernetesNotFoundError",
    "KubernetesTimeoutError",
    "MalformedResponseError",
    "MetadataMigrationError",
    "MetricsError",
    "MetricsTimeoutError",
    "NoSourceClusterError",
    "NoTargetClusterError",
    "NotFoundError",
    "OperationCancelledError",
    "OperationTimeoutError",
    "Orchestrator",
    "Outcome",
    "OutcomeStatus",
    "Report",
    "RetryPolicy",
    "Secret",
    "SnapshotExistsError",
    "SnapshotFailedError",
    "SnapshotNotStartedError",
    "SystemClock",
    "TimeoutScope",
    "ToolNotInstalledError",
    "WorkersStillRunningError",
    "WorkingIndexNotFoundError",
    "__version__",
    "gather_outcomes",
    "is_transient",
]
