"""``CoreAdapter``: the base of an adapter whose public calls run through the adapter core.

A system's base class (``BaseECSManager``, ``BaseMetricsCollector``...) derives from it and
holds the public methods; its real and fake subclasses only say how one attempt reaches the
peer. The core (deadline, retries, typed errors, events, a fake's faults) is built here once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from .._clock import Clock
from .._errors import InfrastructureError
from .._resource import AsyncResource
from .._retry import RetryPolicy
from ._core import AdapterCore, Attempt, ErrorTypes, FaultPlan, Operation, PeerFailure

__all__ = ["CoreAdapter"]

T = TypeVar("T")


class CoreAdapter(AsyncResource):
    """An :class:`~asyncconsole._resource.AsyncResource` with one :class:`AdapterCore`.

    Subclasses set :attr:`_errors` (their system's error classes) and :attr:`_log` (where each
    call's event goes), and run each public call with :meth:`_run`.
    """

    _errors: ClassVar[ErrorTypes]
    _log: ClassVar[logging.Logger]

    def __init__(
        self,
        *,
        endpoint: str,
        clock: Clock | None,
        timeout: float | None,
        retry: RetryPolicy | None,
        faults: FaultPlan | None = None,
        self_timed: bool = False,
    ) -> None:
        self._core = AdapterCore(
            self._errors,
            endpoint=endpoint,
            logger=self._log,
            clock=clock,
            timeout=timeout,
            retry=retry,
            faults=faults,
            self_timed=self_timed,
        )

    @property
    def clock(self) -> Clock:
        """Time for deadlines, retry waits and polling."""
        return self._core.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._core.clock = clock

    @property
    def retry(self) -> RetryPolicy | None:
        """The retry policy of calls safe to repeat (None: one attempt)."""
        return self._core.retry

    @retry.setter
    def retry(self, policy: RetryPolicy | None) -> None:
        self._core.retry = policy

    @property
    def request_timeout(self) -> float | None:
        """Seconds each public call may take, retries included (None: unbounded)."""
        return self._core.timeout

    @property
    def endpoint(self) -> str:
        """Where the peer is, free of secrets (named in errors and events)."""
        return self._core.endpoint

    def _typed(self, failure: PeerFailure, action: str) -> InfrastructureError:
        """The typed error for a failure met outside a call (reading a streamed answer)."""
        return self._errors.make(failure, action, self._core.endpoint)

    def _check_usable(self) -> None:
        """Raise ``RuntimeError`` unless calls can be made now (a real adapter also needs
        to be open)."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")

    async def _run(
        self,
        op: Operation,
        action: str,
        attempt: Attempt[T],
        *,
        params: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> T:
        """Run ``attempt`` as the public call ``op`` on ``action`` (see :meth:`AdapterCore.call`);
        ``params`` are its arguments, for a fake's call log."""
        self._check_usable()
        if type(self)._attempt is not CoreAdapter._attempt:
            inner = attempt

            async def attempt(left: float | None) -> T:
                return await self._attempt(op, params or {}, inner, left)

        return await self._core.call(op, action, attempt, **options)

    async def _attempt(
        self, op: Operation, params: Mapping[str, Any], attempt: Attempt[T], left: float | None
    ) -> T:
        """One attempt at ``op``; a fake overrides it to simulate its peer around the attempt
        (latency, scripted refusals, its call log)."""
        return await attempt(left)
