"""What a K8sManager exchanges with its API server, and the plumbing every call shares.

:class:`K8sExchanges` is the part a manager implements: one exchange per method (``_get``,
``_list``, ``_watch``, ``_exec``...), each reporting a failure as a
:class:`~asyncconsole.infra._core.PeerFailure`. The real manager makes them through
kubernetes_asyncio, the fake on its simulated cluster. Above them, shared by both: the adapter
core (deadline, retries, typed errors, one event per call), decoding with shape checks, and
the read-then-watch loop every wait follows.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Protocol, TypeVar

from ..._clock import Clock
from ..._errors import (
    KubernetesConflictError,
    KubernetesError,
    KubernetesNotFoundError,
    KubernetesTimeoutError,
)
from ..._resource import AsyncResource
from ..._retry import RetryPolicy
from .._core import (
    AdapterCore,
    ErrorTypes,
    FaultPlan,
    Operation,
    PeerFailure,
    ShapeError,
    check_timeout,
    shaped,
    time_left,
)
from ._convert import api_object, object_items, resource_version, watch_event

__all__ = [
    "DEFAULT_RETRY",
    "ERRORS",
    "K8sExchanges",
    "PodTarget",
    "Stream",
    "operation",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_log = logging.getLogger("asyncconsole.infra.kubernetes")

DEFAULT_RETRY: Final = RetryPolicy(
    attempts=3, wait_initial=0.2, wait_max=2.0, wait_jitter=0.1, timeout=30.0
)
"""Retries for calls safe to repeat (reads, scale, waits) on 429, 5xx and lost connections,
within each call's deadline."""

ERRORS: Final = ErrorTypes(
    "Kubernetes API",
    base=KubernetesError,
    timeout=KubernetesTimeoutError,
    not_found=KubernetesNotFoundError,
    conflict=KubernetesConflictError,
)


def operation(method: str, *, idempotent: bool) -> Operation:
    """The adapter core's operation ``k8s.<method>`` (fault plans and events name it so)."""
    return Operation(f"k8s.{method}", idempotent)


WATCH: Final = operation("watch", idempotent=True)
# What a wait reads before it watches, by resource: (kind in messages, operation).
_READS: Final = {
    "deployments": ("deployment", operation("read_deployment", idempotent=True)),
    "pods": ("pod", operation("read_pod", idempotent=True)),
}


class Stream(Protocol[T_co]):
    """A streamed answer (watch events, a followed log): iterate it, then ``aclose()`` it,
    which ends it on the server too. Failures while iterating are ``PeerFailure``."""

    def __aiter__(self) -> AsyncIterator[T_co]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PodTarget:
    """One container of a pod (``container`` None: the pod's only one)."""

    namespace: str
    pod: str
    container: str | None = None


Decide = Callable[[str, dict[str, Any]], "T | None"]
"""Given a change (``READ``, ``ADDED``, ``MODIFIED``, ``DELETED``) and the object, a wait's
result (it is over), or None (it goes on); raises to end the wait with an error."""


class K8sExchanges(AsyncResource, abc.ABC):
    """The exchanges a K8sManager makes (abstract), and the plumbing its calls share.

    Args:
        endpoint: Where the API server is (named in errors; free of secrets).
        namespace: What :attr:`default_namespace` reports.
        request_timeout: Seconds for each call, every attempt and wait between them included
            (None: unbounded); a wait's own ``timeout`` is its deadline instead.
        retry: Policy for transient failures of calls safe to repeat.
        clock: Time for deadlines and the waits between retries.
        faults: A fake's fault plan.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        namespace: str,
        request_timeout: float | None,
        retry: RetryPolicy | None,
        clock: Clock,
        faults: FaultPlan | None = None,
    ) -> None:
        self._timeout = check_timeout("request_timeout", request_timeout)
        self._namespace = namespace
        self._clock = clock
        self._core = AdapterCore(
            ERRORS,
            endpoint=endpoint,
            logger=_log,
            clock=clock,
            timeout=self._timeout,
            retry=retry,
            faults=faults,
        )

    @property
    def default_namespace(self) -> str:
        return self._namespace

    # ------------------------------------------------------------------ the subclass's part

    def _ready(self) -> None:
        """Raise ``RuntimeError`` when no call can be made now (closed, or not opened)."""
        if self.closed:
            raise RuntimeError(f"{type(self).__name__} is closed")

    def _called(self, method: str, **args: Any) -> None:
        """A public call starts, its arguments checked (the fake records it)."""

    @abc.abstractmethod
    async def _version(self, limit: float | None) -> tuple[int, Any]:
        """``GET /version``: the status and decoded answer (as every request below)."""

    @abc.abstractmethod
    async def _get(
        self, resource: str, namespace: str, name: str, limit: float | None
    ) -> tuple[int, Any]:
        """Read one object (``deployments``, ``pods``, ``secrets``, ``configmaps``)."""

    @abc.abstractmethod
    async def _list(
        self, resource: str, namespace: str, selectors: Mapping[str, str], limit: float | None
    ) -> tuple[int, Any]:
        """List objects; ``selectors`` has ``label_selector``/``field_selector``."""

    @abc.abstractmethod
    async def _scale(
        self, namespace: str, name: str, replicas: int, limit: float | None
    ) -> tuple[int, Any]:
        """Set a Deployment's ``spec.replicas`` through its ``scale`` subresource."""

    @abc.abstractmethod
    async def _create_pod(
        self, namespace: str, body: Mapping[str, Any], limit: float | None
    ) -> tuple[int, Any]:
        """Create a pod."""

    @abc.abstractmethod
    async def _delete_pod(
        self, namespace: str, name: str, grace_period: int | None, limit: float | None
    ) -> tuple[int, Any]:
        """Delete a pod; the answer is the pod (now terminating)."""

    @abc.abstractmethod
    async def _log_text(
        self, target: PodTarget, tail_lines: int | None, limit: float | None
    ) -> bytes:
        """A container's log (its last ``tail_lines`` lines)."""

    @abc.abstractmethod
    async def _watch(
        self, resource: str, namespace: str, name: str, version: str, limit: float | None
    ) -> Stream[Any]:
        """Open a watch of one object's changes after resource version ``version``: decoded
        events (``{"type": ..., "object": ...}``). ``limit`` bounds the opening only."""

    @abc.abstractmethod
    async def _follow_log(self, target: PodTarget, limit: float | None) -> Stream[bytes]:
        """Open a followed log: its bytes as they come. ``limit`` bounds the opening only."""

    @abc.abstractmethod
    async def _exec(
        self, target: PodTarget, argv: Sequence[str], limit: float | None
    ) -> Stream[tuple[int, bytes]]:
        """Start ``argv`` in a container (the handshake, within ``limit``); then its frames
        as they come, ``(channel, data)``: 1 stdout, 2 stderr, 3 the ``Status`` it ended with
        (JSON), as in the v4 channel protocol."""

    # ------------------------------------------------------------------ plumbing

    def _limit(self) -> float | None:
        """What the library may spend on this request: what the call's deadline leaves."""
        return time_left(self._clock)

    @staticmethod
    def _shaped(value: Any, parser: Callable[[Any], T], what: str, status: int | None) -> T:
        """``parser(value)``; an answer of another shape is a ``malformed`` failure."""
        try:
            return shaped(value, parser, what)
        except ShapeError as exc:
            raise PeerFailure("malformed", str(exc), status=status) from None

    def _typed(self, failure: PeerFailure, action: str) -> KubernetesError:
        """The typed error of a failure outside any call (a stream that broke)."""
        error = self._core.errors.make(failure, action, self._core.endpoint)
        assert isinstance(error, KubernetesError)
        return error

    async def _read(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """One object, as a call of its own (within the caller's deadline)."""
        kind, op = _READS[resource]

        async def attempt(left: float | None) -> dict[str, Any]:
            status, value = await self._get(resource, namespace, name, self._limit())
            return self._shaped(value, api_object, f"the {kind}", status)

        return await self._core.call(op, f"get {kind} {namespace}/{name}", attempt)

    async def _pods(self, namespace: str, selectors: Mapping[str, str]) -> list[dict[str, Any]]:
        """The pods matching ``selectors``, within the current call."""
        status, value = await self._list("pods", namespace, selectors, self._limit())
        return self._shaped(value, object_items, "the pod list", status)

    async def _wait(
        self,
        op: Operation,
        action: str,
        attempt: Callable[[float | None], Awaitable[T]],
        *,
        timeout: float | None,  # noqa: ASYNC109 - the wait's own deadline
        what: str,
        seen: Callable[[], str],
        **context: Any,
    ) -> T:
        """Run a wait as the call ``op``: its deadline is its own ``timeout``, and running out
        of it raises a timeout saying what was not reached and what was ``seen`` last."""

        def timed_out(limit: float | None) -> KubernetesTimeoutError:
            try:
                last = seen()
            except Exception:  # what it saw was garbage: say nothing about it
                last = ""
            within = f"within {limit:g}s" if limit is not None else "in time"
            return KubernetesTimeoutError(
                f"{action}: {what} {within}{last}",
                timeout=limit,
                endpoint=self._core.endpoint,
                **context,
            )

        return await self._core.call(
            op, action, attempt, timeout=timeout, timed_out=timed_out, **context
        )

    async def _watch_until(
        self,
        resource: str,
        namespace: str,
        name: str,
        decide: Decide[T],
        *,
        gone: Callable[[], T] | None = None,
    ) -> T:
        """Read the object, then follow its changes until ``decide`` says the wait is over.
        A missing object ends the wait with ``gone()`` when given (else not found)."""
        kind, _ = _READS[resource]
        while True:
            try:
                obj = await self._read(resource, namespace, name)
            except KubernetesNotFoundError:
                if gone is None:
                    raise
                return gone()
            result = self._shaped(obj, partial(decide, "READ"), kind, None)
            if result is not None:
                return result
            version = self._shaped(obj, resource_version, kind, None)

            async def attempt(left: float | None, version: str = version) -> Stream[Any]:
                return await self._watch(resource, namespace, name, version, self._limit())

            stream = await self._core.call(WATCH, f"watch {kind} {namespace}/{name}", attempt)
            async with contextlib.aclosing(stream):
                async for raw in stream:
                    change, obj = self._shaped(raw, watch_event, "a watch event", None)
                    if change == "ERROR":
                        if obj.get("code") == 410:
                            break  # the history it started from expired: read afresh
                        raise _watch_failed(obj)
                    if change == "BOOKMARK":
                        continue
                    result = self._shaped(obj, partial(decide, change), kind, None)
                    if result is not None:
                        return result
            # The server ended the watch (its own timeout) or history expired: read afresh.


def _watch_failed(status: Mapping[str, Any]) -> PeerFailure:
    """The failure an ``ERROR`` watch event reports (its ``Status``)."""
    code = status.get("code")
    return PeerFailure(
        "status",
        f"watch failed: {status.get('message')}",
        status=code if isinstance(code, int) else None,
        code=str(status.get("reason") or "") or None,
    )
