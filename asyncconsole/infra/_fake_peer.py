"""``FakePeer``: what the AWS and metrics fakes share around each attempt at a call.

A fake's simulated peer takes ``latency`` seconds on the clock, answers with the refusals a
test scripted (``fail_next``, ``throttle_next``), and logs every attempt that reached it. The
network faults (hangs, resets, garbage) come from the fake's
:class:`~asyncconsole.infra._core.FaultPlan`, applied by the adapter core.
:class:`FakeAwsPeer` adds what the AWS fakes share: answering each API request with the
method it maps to, and finding the logged attempts at one operation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from .._clock import Clock
from .._retry import RetryPolicy
from ._adapter import CoreAdapter
from ._core import Attempt, FaultPlan, Operation, PeerFailure

__all__ = ["FakeAwsPeer", "FakePeer"]

T = TypeVar("T")


class _Logged(Protocol):
    @property
    def operation(self) -> str: ...


C = TypeVar("C", bound=_Logged)


class FakePeer(CoreAdapter):
    """The simulated side of a fake: listed first in its bases, before the system's base class
    (``class FakeSecretStore(FakePeer, BaseSecretStore)``).

    Subclasses set :attr:`_operations` (the public method names refusals may target) and
    implement :meth:`_record` (one log entry per attempt).

    Args:
        endpoint: How errors name the simulated peer.
        clock: Time for latency, deadlines and retry waits.
        timeout: Seconds each call may take (None: unbounded).
        retry: Retries of transient failures (None: one attempt).
        faults: The network faults to inject (:attr:`faults`; a new, empty plan by default).
        latency: Seconds each attempt takes on ``clock``.
    """

    _operations: ClassVar[frozenset[str]]

    def __init__(
        self,
        *,
        endpoint: str,
        clock: Clock,
        timeout: float | None,
        retry: RetryPolicy | None,
        faults: FaultPlan | None,
        latency: float,
    ) -> None:
        if not latency >= 0:
            raise ValueError(f"latency must be >= 0, got {latency!r}")
        self.faults = faults or FaultPlan()
        super().__init__(
            endpoint=endpoint, clock=clock, timeout=timeout, retry=retry, faults=self.faults
        )
        self.latency = latency
        self._refusals: dict[str, list[tuple[list[int], Callable[[], BaseException]]]] = {}

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` attempts at ``operation`` raise (a copy of) ``error``, as
        the peer's answer (they are logged)."""

        def make() -> BaseException:
            try:
                return copy.copy(error)
            except Exception:  # exotic constructors: reuse the instance
                return error

        self._refuse(operation, times, make)

    def throttle_next(self, operation: str, *, times: int = 1) -> None:
        """Make the next ``times`` attempts at ``operation`` fail as AWS throttling does: code
        ``ThrottlingException``, transient (so retried when safe)."""
        self._refuse(
            operation,
            times,
            lambda: PeerFailure(
                "status",
                "throttled: Rate exceeded",
                status=400,
                code="ThrottlingException",
                transient=True,
            ),
        )

    def _refuse(self, operation: str, times: int, make: Callable[[], BaseException]) -> None:
        if operation not in self._operations:
            raise ValueError(
                f"unknown {type(self).__name__} operation {operation!r}; "
                f"one of {sorted(self._operations)}"
            )
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be an int >= 1, got {times!r}")
        self._refusals.setdefault(operation, []).append(([times], make))

    def _refusal(self, operation: str) -> BaseException | None:
        queue = self._refusals.get(operation)
        if not queue:
            return None
        remaining, make = queue[0]
        remaining[0] -= 1
        if remaining[0] <= 0:
            queue.pop(0)
        return make()

    async def _attempt(
        self, op: Operation, params: Mapping[str, Any], attempt: Attempt[T], left: float | None
    ) -> T:
        name = op.name.partition(".")[2]
        if self.latency:
            await self.clock.sleep(self.latency)
        try:
            refusal = self._refusal(name)
            if refusal is not None:
                raise refusal
            result = await attempt(left)
        except Exception as exc:
            self._record(name, params, None, exc)
            raise
        self._record(name, params, result, None)
        return result

    def _record(
        self, operation: str, params: Mapping[str, Any], result: Any, error: BaseException | None
    ) -> None:
        """Log one attempt that reached the simulated peer."""
        raise NotImplementedError


class FakeAwsPeer(FakePeer, Generic[C]):
    """A simulated AWS service, listed before the system's base class: each request
    (botocore's operation name and parameters) is answered by the method :attr:`_api` maps
    it to, in botocore's shapes; attempts are logged in :attr:`calls` (entries of type ``C``).
    """

    calls: list[C]
    _api: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]]

    def calls_to(self, operation: str) -> list[C]:
        """The logged attempts at one operation."""
        return [c for c in self.calls if c.operation == operation]

    async def _send(
        self, operation: str, params: Mapping[str, Any], left: float | None
    ) -> dict[str, Any]:
        return self._api[operation](params)
