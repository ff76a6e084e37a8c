"""The one rooted error tree of asyncconsole.

Every error asyncconsole raises derives from :class:`AsyncConsoleError`; third-party exceptions
are translated inside the adapters (``raise ... from exc``) so callers never catch aiohttp,
botocore, aiodocker or kubernetes_asyncio types::

    AsyncConsoleError
    ├── ConfigError                  invalid migration_services.yaml (every problem, with key paths)
    ├── InfrastructureError          an external system failed or refused (+ sent: whether the
    │   │                            request may have reached it)
    │   ├── MalformedResponseError   an answer that is not what the API documents (+ endpoint,
    │   │                            status, problem; also a builtin ``ValueError``)
    │   ├── CommandError             a subprocess exited non-zero (exit code, stderr tail)
    │   │   ├── CommandTimeoutError  it ran past its timeout (output so far; also an
    │   │   │                        OperationTimeoutError)
    │   │   ├── KafkaCommandError    a Kafka CLI tool failed (operation, output)
    │   │   ├── MetadataMigrationError  the MetadataMigration tool failed (its output)
    │   │   └── ToolNotInstalledError  an external tool is not installed (also a NotFoundError)
    │   ├── DockerError              Docker Engine
    │   │   ├── DockerNotFoundError  no such container or image (also a NotFoundError)
    │   │   ├── DockerConflictError  name in use / wrong state (also a ConflictError)
    │   │   ├── DockerUnavailableError  the daemon cannot be reached
    │   │   └── DockerTimeoutError   no answer in time (also an OperationTimeoutError)
    │   ├── KubernetesError          Kubernetes API (+ status)
    │   │   ├── KubernetesNotFoundError  no such object (also a NotFoundError)
    │   │   ├── KubernetesConflictError  HTTP 409 (also a ConflictError)
    │   │   └── KubernetesTimeoutError  no answer / not done in time (also an OperationTimeoutError)
    │   ├── ECSError                 AWS ECS (+ code)
    │   │   ├── ECSNotFoundError     no such cluster, service or task (also a NotFoundError)
    │   │   └── ECSTimeoutError      no answer / not stable in time (also an OperationTimeoutError)
    │   ├── HttpError                HTTP (method, url, status, body excerpt)
    │   │   ├── HttpNotFoundError    404 (also a NotFoundError)
    │   │   ├── HttpConflictError    409 (also a ConflictError)
    │   │   └── HttpTimeoutError     no response in time (also an OperationTimeoutError)
    │   ├── MetricsError             Prometheus / CloudWatch (+ query)
    │   │   └── MetricsTimeoutError  no answer in time (also an OperationTimeoutError)
    │   └── AwsError                 other AWS APIs (Secrets Manager, STS, S3) (+ code)
    │       ├── AwsNotFoundError     no such secret/object (also a NotFoundError)
    │       └── AwsTimeoutError      no answer in time (also an OperationTimeoutError)
    ├── NotFoundError                a named thing does not exist (also an InfrastructureError
    │                                when raised by an adapter, see the combined classes below)
    │   ├── SnapshotNotStartedError  the configured snapshot does not exist (yet)
    │   └── WorkingIndexNotFoundError  the backfill's working-state index does not exist
    ├── ConflictError                a name is taken / a state forbids the operation
    │   ├── SnapshotExistsError      a snapshot with that name already exists
    │   └── WorkersStillRunningError  backfill workers still run (archive refused)
    ├── ConfirmationRequiredError    a destructive operation was called without confirm=True
    ├── NoSourceClusterError         an operation needs a source cluster and none is configured
    ├── NoTargetClusterError         an operation needs a target cluster and none is configured
    ├── InvalidArgumentError         an argument is invalid (also a builtin ``ValueError``)
    ├── SnapshotFailedError          a snapshot ended FAILED or PARTIAL
    ├── OperationTimeoutError        a deadline passed (also a builtin ``TimeoutError``)
    └── OperationCancelledError      an orchestrated operation was stopped or never run (why)

Adapters raise the combined classes (``DockerNotFoundError`` is both a ``DockerError`` and a
``NotFoundError``) so callers can catch by system or by kind.

Every error carries its context as attributes and never the value of a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AsyncConsoleError",
    "AwsError",
    "AwsNotFoundError",
    "AwsTimeoutError",
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
    "SnapshotExistsError",
    "SnapshotFailedError",
    "SnapshotNotStartedError",
    "ToolNotInstalledError",
    "WorkersStillRunningError",
    "WorkingIndexNotFoundError",
]


class AsyncConsoleError(Exception):
    """Root of every error asyncconsole raises.

    ``transient`` marks an error worth retrying (a dropped connection, HTTP 503, throttling);
    ``retry_after`` is the server's requested wait in seconds, when it gave one.
    """

    transient: bool = False
    retry_after: float | None = None

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = dict(context)

    def __str__(self) -> str:
        return self.message


class ConfigIssue:
    """One problem in a configuration: the dotted key path and what is wrong there."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __repr__(self) -> str:
        return f"ConfigIssue(path={self.path!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigIssue) and (self.path, self.message) == (
            other.path,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.message))


class ConfigError(AsyncConsoleError):
    """The configuration is invalid; ``issues`` lists every problem with its key path.

    Each distinct issue is listed once, in the order first given. ``summary`` is the message
    without the issues; ``str(error)`` and ``message`` include them, one per line, up to
    :attr:`SHOWN` of them and then how many more there are.
    """

    SHOWN = 50

    def __init__(
        self,
        message: str,
        issues: Sequence[ConfigIssue] = (),
        *,
        source: str | None = None,
    ) -> None:
        self.issues: list[ConfigIssue] = list(dict.fromkeys(issues))
        self.summary = message
        self.source = source
        text = message
        if self.issues:
            shown = self.issues[: self.SHOWN]
            text += ":\n" + "\n".join(f"  {issue}" for issue in shown)
            if len(self.issues) > len(shown):
                text += f"\n  ... and {len(self.issues) - len(shown):,} more issues"
        super().__init__(text, source=source)


class NotFoundError(AsyncConsoleError):
    """A named resource (container, deployment, service, index, snapshot...) does not exist."""


class ConflictError(AsyncConsoleError):
    """The operation conflicts with existing state (name in use, already exists, busy)."""


class OperationTimeoutError(AsyncConsoleError, TimeoutError):
    """A deadline passed before the operation finished."""

    def __init__(self, message: str, *, timeout: float | None = None, **context: Any) -> None:
        super().__init__(message, timeout=timeout, **context)
        self.timeout = timeout


class OperationCancelledError(AsyncConsoleError):
    """An orchestrated operation was cancelled, or never run; ``reason`` says why.

    ``dependency`` names the operation it was waiting for when that one did not succeed.
    Raised by awaiting the operation's handle, and recorded as its outcome's error.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        reason: str,
        dependency: str | None = None,
    ) -> None:
        super().__init__(message, operation=operation, reason=reason, dependency=dependency)
        self.operation = operation
        self.reason = reason
        self.dependency = dependency


class ConfirmationRequiredError(AsyncConsoleError):
    """A destructive operation (clearing indices, deleting snapshots) was not confirmed."""


class NoSourceClusterError(AsyncConsoleError):
    """The operation needs a source cluster and the configuration has none."""

    def __init__(
        self, message: str = "Unable to continue without a source cluster specified"
    ) -> None:
        super().__init__(message)


class NoTargetClusterError(AsyncConsoleError):
    """The operation needs a target cluster and the configuration has none."""

    def __init__(
        self, message: str = "Unable to continue without a target cluster specified"
    ) -> None:
        super().__init__(message)


class InvalidArgumentError(AsyncConsoleError, ValueError):
    """An argument to an operation is invalid (an unknown metric component or statistic, a
    negative lookback); ``argument`` names it."""

    def __init__(self, message: str, *, argument: str, **context: Any) -> None:
        super().__init__(message, argument=argument, **context)
        self.argument = argument


class SnapshotNotStartedError(NotFoundError):
    """The snapshot does not exist in its repository (``Snapshot not started``)."""


class SnapshotExistsError(ConflictError):
    """A snapshot with the requested name already exists in the repository."""


class WorkersStillRunningError(ConflictError):
    """Backfill workers are still running, starting or wanted, so the working state cannot be
    archived (console_link's ``RfsWorkersInProgress``); ``counts`` holds what was seen."""

    def __init__(self, message: str = "RFS Workers are still in progress", **context: Any) -> None:
        super().__init__(message, **context)
        self.counts = context.get("counts")


class WorkingIndexNotFoundError(NotFoundError):
    """The backfill's working-state index does not exist (console_link's
    ``WorkingIndexDoesntExist``); ``index`` names it."""

    def __init__(self, index: str) -> None:
        super().__init__(f"The working state index '{index}' does not exist", index=index)
        self.index = index


class SnapshotFailedError(AsyncConsoleError):
    """A snapshot finished in state ``FAILED`` or ``PARTIAL``; ``state`` is the raw state."""

    def __init__(self, message: str, *, state: str | None = None, **context: Any) -> None:
        super().__init__(message, state=state, **context)
        self.state = state


class InfrastructureError(AsyncConsoleError):
    """An external system failed, refused, or could not be reached.

    ``sent`` says whether the request may have reached the system (so it may have acted):
    ``False`` only when it certainly did not (the connection was refused, the name did not
    resolve). A request that is not safe to repeat is retried only when ``sent`` is False.
    """

    sent: bool = True


class MalformedResponseError(InfrastructureError, ValueError):
    """An answer that is not what the API documents: not JSON (an HTML error page), truncated,
    of the wrong shape, nested too deeply, not UTF-8, empty.

    ``endpoint`` names where it came from, ``status`` its status (when it had one) and
    ``problem`` what was wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        problem: str = "",
        **context: Any,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, problem=problem, **context)
        self.endpoint = endpoint
        self.status = status
        self.problem = problem


class CommandError(InfrastructureError):
    """A command exited non-zero (with ``check=True``) or could not be started."""

    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str] = (),
        exit_code: int | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        super().__init__(message, argv=list(argv), exit_code=exit_code)
        self.argv = list(argv)
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


class CommandTimeoutError(CommandError, OperationTimeoutError):
    """A command ran past its timeout; carries the output captured so far."""

    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str] = (),
        timeout: float | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        CommandError.__init__(
            self, message, argv=argv, exit_code=None, stdout=stdout, stderr=stderr
        )
        self.timeout = timeout
        self.context["timeout"] = timeout


class ToolNotInstalledError(CommandError, NotFoundError):
    """An external tool (a Kafka CLI script, the MetadataMigration tool) is not installed;
    ``tool`` names it and ``searched`` lists where it was looked for."""

    def __init__(self, message: str, *, tool: str, searched: Sequence[str] = ()) -> None:
        CommandError.__init__(self, message, argv=(tool,))
        self.tool = tool
        self.searched = list(searched)
        self.context.update(tool=tool, searched=list(searched))


class KafkaCommandError(CommandError):
    """A Kafka CLI tool exited non-zero; ``operation`` names what was attempted
    (``Create Topic``) and ``stdout``/``stderr`` hold its output (secrets masked)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        argv: Sequence[str] = (),
        exit_code: int | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        super().__init__(message, argv=argv, exit_code=exit_code, stdout=stdout, stderr=stderr)
        self.operation = operation
        self.context["operation"] = operation


class MetadataMigrationError(CommandError):
    """The MetadataMigration tool exited non-zero; ``command`` is ``migrate`` or ``evaluate``
    and ``stdout``/``stderr`` hold the tool's output (secrets masked)."""

    def __init__(
        self,
        message: str,
        *,
        command: str,
        argv: Sequence[str] = (),
        exit_code: int | None = None,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        super().__init__(message, argv=argv, exit_code=exit_code, stdout=stdout, stderr=stderr)
        self.command = command
        self.context["command"] = command


class DockerError(InfrastructureError):
    """Docker Engine failed or refused."""


class DockerNotFoundError(DockerError, NotFoundError):
    """No such container or image."""


class DockerConflictError(DockerError, ConflictError):
    """A container name is in use, or the container is in the wrong state."""


class DockerUnavailableError(DockerError):
    """The Docker daemon cannot be reached."""


class DockerTimeoutError(DockerError, OperationTimeoutError):
    """The Docker daemon did not answer (or the operation did not finish) in time."""

    def __init__(self, message: str, *, timeout: float | None = None, **context: Any) -> None:
        DockerError.__init__(self, message, timeout=timeout, **context)
        self.timeout = timeout


class KubernetesError(InfrastructureError):
    """The Kubernetes API failed or refused."""

    def __init__(self, message: str, *, status: int | None = None, **context: Any) -> None:
        super().__init__(message, status=status, **context)
        self.status = status


class KubernetesNotFoundError(KubernetesError, NotFoundError):
    """No such deployment, pod, secret or namespace."""


class KubernetesConflictError(KubernetesError, ConflictError):
    """The object changed or already exists (HTTP 409)."""


class KubernetesTimeoutError(KubernetesError, OperationTimeoutError):
    """The Kubernetes API did not answer (or the wait did not end) in time."""

    def __init__(self, message: str, *, timeout: float | None = None, **context: Any) -> None:
        KubernetesError.__init__(self, message, timeout=timeout, **context)
        self.timeout = timeout


class ECSError(InfrastructureError):
    """AWS ECS failed or refused (including ``failures[]`` in a successful response)."""

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message, code=code, **context)
        self.code = code


class ECSNotFoundError(ECSError, NotFoundError):
    """No such ECS cluster, service or task."""


class ECSTimeoutError(ECSError, OperationTimeoutError):
    """ECS did not answer (or the service did not become stable) in time."""

    def __init__(self, message: str, *, timeout: float | None = None, **context: Any) -> None:
        ECSError.__init__(self, message, timeout=timeout, **context)
        self.timeout = timeout


class AwsError(InfrastructureError):
    """An AWS API other than ECS failed (Secrets Manager, STS, S3)."""

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message, code=code, **context)
        self.code = code


class AwsNotFoundError(AwsError, NotFoundError):
    """No such AWS resource (a Secrets Manager secret, an S3 object)."""


class AwsTimeoutError(AwsError, OperationTimeoutError):
    """An AWS API did not answer in time."""

    def __init__(self, message: str, *, timeout: float | None = None, **context: Any) -> None:
        AwsError.__init__(self, message, timeout=timeout, **context)
        self.timeout = timeout


class MetricsError(InfrastructureError):
    """A metrics backend failed or rejected a query; ``query`` names it."""

    def __init__(self, message: str, *, query: str | None = None, **context: Any) -> None:
        super().__init__(message, query=query, **context)
        self.query = query


class MetricsTimeoutError(MetricsError, OperationTimeoutError):
    """A metrics backend did not answer in time."""

    def __init__(self, message: str, *, timeout: float | None = None, **context: Any) -> None:
        MetricsError.__init__(self, message, timeout=timeout, **context)
        self.timeout = timeout


class HttpError(InfrastructureError):
    """An HTTP request failed: a status outside 2xx, or no response at all (``status`` None)."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status: int | None = None,
        body_excerpt: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, status=status)
        self.method = method
        self.url = url
        self.status = status
        self.body_excerpt = body_excerpt
        self.headers = dict(headers or {})


class HttpNotFoundError(HttpError, NotFoundError):
    """The server answered 404 Not Found."""


class HttpConflictError(HttpError, ConflictError):
    """The server answered 409 Conflict."""


class HttpTimeoutError(HttpError, OperationTimeoutError):
    """No (complete) HTTP response arrived within the timeout; ``status`` is None."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        timeout: float | None = None,
    ) -> None:
        HttpError.__init__(self, message, method=method, url=url, status=None)
        self.timeout = timeout
        self.context["timeout"] = timeout
