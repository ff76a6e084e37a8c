"""The steps a Docker daemon performs, and how public calls run them: shared by real and fake.

:class:`DockerSteps` declares each step (``_create``, ``_inspect``, ``_logs``...) that
:class:`DockerEngineManager` implements by moving bytes through aiodocker and
:class:`FakeDockerManager` by moving simulated state. A step reports a failed exchange as a
:class:`~asyncconsole.infra._core.PeerFailure`; the adapter core types it, so both raise alike.
The rest of this module is the plumbing every public call uses: steps as parts of another call,
reconciling a change whose answer was lost, and cleanup that leaves nothing behind.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

from ..._clock import Clock, SystemClock
from ..._errors import (
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    DockerTimeoutError,
    DockerUnavailableError,
)
from ..._redact import mask_url
from ..._resource import AsyncResource
from ..._retry import RetryPolicy
from .._core import (
    AdapterCore,
    ErrorTypes,
    FaultPlan,
    Operation,
    check_timeout,
    time_left,
    undo,
)
from ._spec import RUN_TOKEN_LABEL, ContainerSpec
from ._stream import ChunkSource
from ._types import ContainerInfo

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_STOP_GRACE",
    "ERRORS",
    "DockerSteps",
    "ExecRequest",
    "ExecSession",
    "ExitWaiter",
    "ImageImport",
    "LogRequest",
]

log = logging.getLogger("asyncconsole.infra.docker")
T = TypeVar("T")

ERRORS: Final = ErrorTypes(
    "Docker daemon",
    base=DockerError,
    timeout=DockerTimeoutError,
    not_found=DockerNotFoundError,
    conflict=DockerConflictError,
    unavailable=DockerUnavailableError,
)

DEFAULT_RETRY: Final = RetryPolicy(
    attempts=3, wait_initial=0.2, wait_max=2.0, wait_jitter=0.1, timeout=30.0
)
"""Retries for transient failures (unreachable, lost answers, 502/503/504) within the call's
deadline: of reads (inspect, list, logs, waits, image checks) always, of calls that change
state only when the request certainly never reached the daemon. A change whose answer was lost
is reconciled instead: the daemon is asked whether it happened."""

DEFAULT_STOP_GRACE: Final = 10.0
"""Seconds Docker waits after SIGTERM when ``stop_container`` is given no timeout."""

CLEANUP_GRACE: Final = 0.5
"""Seconds a cleanup may run past the deadline of the call it cleans up after, so the call
still returns within its timeout + 1 s."""

# What each call is for the adapter core (event name, fault plans, whether to repeat it).
PING: Final = Operation("docker.ping", idempotent=True)
CREATE: Final = Operation("docker.create_container", idempotent=False)
START: Final = Operation("docker.start_container", idempotent=False)
RUN: Final = Operation("docker.run_container", idempotent=False, compound=True)
STOP: Final = Operation("docker.stop_container", idempotent=False)
REMOVE: Final = Operation("docker.remove_container", idempotent=False)
WAIT: Final = Operation("docker.wait_container", idempotent=True)
INSPECT: Final = Operation("docker.inspect_container", idempotent=True)
LIST: Final = Operation("docker.list_containers", idempotent=True)
EXEC: Final = Operation("docker.exec_in_container", idempotent=False)
LOGS: Final = Operation("docker.container_logs", idempotent=True)
FOLLOW: Final = Operation("docker.follow_logs", idempotent=True)
IMAGE: Final = Operation("docker.image_exists", idempotent=True)
IMPORT: Final = Operation("docker.import_image", idempotent=False)
BUILD: Final = Operation("docker.build_image", idempotent=False)
REMOVE_IMAGE: Final = Operation("docker.remove_image", idempotent=False)
CLEANUP: Final = Operation("docker.cleanup", idempotent=False, compound=True)


@dataclass(frozen=True, slots=True)
class LogRequest:
    """Which part of a container's log to read, and how it is framed."""

    container_id: str
    stdout: bool
    stderr: bool
    tail: int | None
    tty: bool = False
    follow: bool = False


@dataclass(frozen=True, slots=True)
class ExecRequest:
    """A command to run in a container (``env`` holds revealed secrets: never shown)."""

    container_id: str
    argv: tuple[str, ...]
    env: tuple[str, ...] = field(repr=False)
    workdir: str | None
    user: str | None
    timeout: float | None


@dataclass(frozen=True, slots=True)
class ImageImport:
    """A root filesystem tarball to make an image of."""

    data: bytes = field(repr=False)
    repository: str
    tag: str
    changes: tuple[str, ...]


class ExitWaiter(Protocol):
    """A wait registered with the daemon (before the start it waits for, if need be)."""

    async def exit_code(self) -> int:
        """The container's exit code, once the awaited condition holds."""
        ...

    async def aclose(self) -> None:
        """Stop waiting (release the connection)."""
        ...


class ExecSession(Protocol):
    """A command started in a container: its output, then its exit code."""

    async def read(self) -> tuple[int, bytes] | None:
        """The next chunk of output as ``(stream, bytes)`` (1 stdout, 2 stderr); None at the end."""
        ...

    async def exit_code(self) -> int:
        """The command's exit status, once its output has ended."""
        ...

    async def aclose(self) -> None:
        """Release the session (the command keeps running if it has not ended)."""
        ...


class DockerSteps(AsyncResource, abc.ABC):
    """The steps a daemon performs (abstract) and the plumbing that runs them as calls.

    Args:
        endpoint: Where the daemon is (named in errors; credentials are masked).
        clock: Time for deadlines, polls and the waits between retries.
        request_timeout: Seconds for each public call, retries included.
        cleanup_timeout: Seconds allowed for removing a half-made container after a failed or
            cancelled run (less once the call's own deadline has passed).
        retry: Policy for transient failures (see :data:`DEFAULT_RETRY`); ``NO_RETRY`` or
            None turns retries off.
        faults: A fake's fault plan, applied by the adapter core around each step.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        clock: Clock | None,
        request_timeout: float,
        cleanup_timeout: float,
        retry: RetryPolicy | None,
        faults: FaultPlan | None = None,
    ) -> None:
        limit = check_timeout("request_timeout", request_timeout)
        if not limit:
            raise ValueError(f"request_timeout must be positive, not {request_timeout!r}")
        self.clock: Clock = clock or SystemClock()
        self.request_timeout: float = limit
        self.cleanup_timeout: float = check_timeout("cleanup_timeout", cleanup_timeout) or 0.0
        self.retry = retry
        self._core = AdapterCore(
            ERRORS,
            endpoint=mask_url(endpoint),
            logger=log,
            clock=self.clock,
            timeout=limit,
            retry=retry,
            faults=faults,
        )

    # -- the steps (each raises PeerFailure for a failed exchange) ----------------------------

    @abc.abstractmethod
    async def _ping(self, left: float | None) -> None: ...

    @abc.abstractmethod
    async def _create(self, spec: ContainerSpec, token: str, left: float | None) -> str:
        """Create the container ``spec`` describes, labelled with the run ``token``."""

    @abc.abstractmethod
    async def _start(self, container_id: str, left: float | None) -> None: ...

    @abc.abstractmethod
    async def _stop(self, container_id: str, grace: int | None, left: float | None) -> None: ...

    @abc.abstractmethod
    async def _remove(self, container_id: str, force: bool, left: float | None) -> None: ...

    @abc.abstractmethod
    async def _inspect(self, ref: str, left: float | None) -> ContainerInfo: ...

    @abc.abstractmethod
    async def _list(
        self, labels: Mapping[str, str], all: bool, left: float | None
    ) -> list[ContainerInfo]:
        """Containers carrying every label, newest first (running ones unless ``all``)."""

    @abc.abstractmethod
    async def _wait(self, container_id: str, condition: str, left: float | None) -> ExitWaiter:
        """Register a wait for ``condition`` (``not-running``, ``next-exit``, ``removed``)."""

    @abc.abstractmethod
    async def _tty(self, container_id: str, left: float | None) -> bool:
        """Whether the container has a TTY (its log is then raw, not framed by stream)."""

    @abc.abstractmethod
    async def _logs(self, request: LogRequest, left: float | None) -> ChunkSource:
        """The log's payload bytes (without framing), to its current end or followed."""

    @abc.abstractmethod
    async def _exec(self, request: ExecRequest, left: float | None) -> ExecSession: ...

    @abc.abstractmethod
    async def _image_exists(self, ref: str, left: float | None) -> bool: ...

    @abc.abstractmethod
    async def _image_id(self, ref: str, left: float | None) -> str: ...

    @abc.abstractmethod
    async def _import(self, request: ImageImport, left: float | None) -> None: ...

    @abc.abstractmethod
    async def _build(self, context: bytes, tag: str, dockerfile: str, left: float | None) -> None:
        """Build ``tag``; a failed build is a ``PeerFailure("status", <the daemon's words>)``."""

    @abc.abstractmethod
    async def _remove_image(self, ref: str, force: bool, left: float | None) -> None: ...

    async def _enter(self, operation: str, args: Mapping[str, Any]) -> None:
        """Called as each public call starts, its arguments checked (a fake records it)."""

    # -- running steps as calls ---------------------------------------------------------------

    async def _begin(self, operation: str, **args: Any) -> None:
        if self.closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        await self._enter(operation, args)

    def _plus(self, seconds: float | None) -> float | None:
        """The deadline of a call that waits ``seconds`` (None: as long as it takes)."""
        return None if seconds is None else self.request_timeout + seconds

    def _short(self) -> float:
        """Seconds a short request may take within the current call."""
        left = time_left(self.clock)
        return self.request_timeout if left is None else min(left, self.request_timeout)

    async def _step(
        self,
        op: Operation,
        action: str,
        attempt: Callable[[float | None], Awaitable[T]],
        **options: Any,
    ) -> T:
        """A call made as part of another: its own deadline, retries and typing, no event."""
        return await self._core.call(op, action, attempt, quiet=True, **options)

    async def _change(
        self,
        op: Operation,
        action: str,
        step: Callable[[float | None], Awaitable[None]],
        done: Callable[[], Awaitable[bool]],
        **options: Any,
    ) -> None:
        """A call that changes state: never sent twice; when its answer was lost, ``done``
        reads whether the change happened."""

        async def attempt(left: float | None) -> bool:
            await step(left)
            return True

        async def reconcile() -> bool | None:
            return True if await done() else None

        await self._core.call(op, action, attempt, reconcile=reconcile, **options)

    async def _inspected(self, container_id: str) -> ContainerInfo | None:
        """The container as inspected now, None when it is gone."""
        try:
            return await self._step(
                INSPECT,
                container_action("inspect", container_id),
                lambda left: self._inspect(container_id, left),
            )
        except DockerNotFoundError:
            return None

    async def _log_text(self, request: LogRequest, *, quiet: bool) -> str:
        """The log to its current end, as text."""

        async def attempt(left: float | None) -> str:
            source = await self._logs(await self._framed(request), left)
            chunks = []
            try:
                while (chunk := await source.read()) is not None:
                    chunks.append(chunk)
            finally:
                source.close()
            return text_of(chunks)

        action = f"read the log of container {request.container_id[:12]}"
        return await self._core.call(LOGS, action, attempt, quiet=quiet)

    async def _framed(self, request: LogRequest) -> LogRequest:
        """``request`` knowing whether the container's log is raw (TTY) or framed."""
        tty = await self._step(
            INSPECT,
            container_action("inspect", request.container_id),
            lambda left: self._tty(request.container_id, left),
        )
        return LogRequest(
            request.container_id, request.stdout, request.stderr, request.tail, tty, request.follow
        )

    # -- leaving nothing behind ---------------------------------------------------------------

    def _deadline(self) -> float:
        """When a call starting now must end: in the request timeout, or by its caller's
        deadline if that comes first."""
        left = time_left(self.clock)
        limit = self.request_timeout if left is None else min(left, self.request_timeout)
        return self.clock.monotonic() + limit

    async def _undo(
        self, what: str, step: Callable[[], Awaitable[None]], *, until: float | None = None
    ) -> None:
        """Run the cleanup ``step`` to its end even if cancelled again meanwhile, its failure
        logged (the caller is raising something already). It may take ``cleanup_timeout``,
        but no more than :data:`CLEANUP_GRACE` past the deadline of the call it cleans up
        after (``until``, else the enclosing call's), so that call returns in time."""
        left = time_left(self.clock) if until is None else until - self.clock.monotonic()
        limit = self.cleanup_timeout
        if left is not None:
            limit = min(limit, max(0.0, left) + CLEANUP_GRACE)

        async def attempt(left: float | None) -> None:
            await step()

        # The cleanup's calls get a deadline of their own on the adapter's clock (a fake's
        # hang must end in fake time too); undo() bounds it in real time as well.
        await undo(
            what,
            self._step(CLEANUP, what, attempt, timeout=limit, retry=None),
            limit=limit + CLEANUP_GRACE,
            logger=log,
        )

    async def _discard(self, container_id: str) -> None:
        """Force-remove a container nobody else knows of; gone or going is fine."""
        try:
            await self._step(
                REMOVE,
                container_action("remove", container_id),
                lambda left: self._remove(container_id, True, left),
            )
        except (DockerNotFoundError, DockerConflictError):
            pass  # already gone, or its removal (auto-remove) is under way

    async def _labelled(self, token: str) -> list[str]:
        """Ids of the containers a run labelled with ``token``."""
        found = await self._step(
            LIST,
            f"list containers of run {token[:12]}",
            lambda left: self._list({RUN_TOKEN_LABEL: token}, True, left),
        )
        return [info.id for info in found]

    async def _sweep(self, token: str) -> None:
        """Remove what a run labelled ``token`` made (its create's answer was lost)."""
        for container_id in await self._labelled(token):
            await self._discard(container_id)


def container_action(verb: str, container_id: str) -> str:
    """``"<verb> container <short id or name>"``: how errors and events name a call."""
    shown = container_id[:12] if len(container_id) == 64 else container_id
    return f"{verb} container {shown}"


def text_of(chunks: Sequence[bytes]) -> str:
    """Output bytes as text (undecodable bytes replaced, as ``docker logs`` shows them)."""
    return b"".join(chunks).decode("utf-8", "replace")
