"""One retry policy for every adapter and the orchestrator, built on tenacity.

tenacity does the bookkeeping (attempt counting, stop and wait composition); asyncconsole adds
what it needs on top: the injected :class:`~asyncconsole._clock.Clock` for sleeping and for the
total-time budget (so tests never sleep), server-requested waits (``Retry-After``), and one
notion of a transient error.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec, TypeVar

from ._clock import Clock, SystemClock
from ._errors import AsyncConsoleError, HttpError

__all__ = ["NO_RETRY", "RetryPolicy", "is_transient"]

P = ParamSpec("P")
T = TypeVar("T")

TRANSIENT_HTTP_STATUSES = frozenset({429, 502, 503, 504})

OnRetry = Callable[[int, BaseException, float], None]
"""Called before each wait: (attempt number that failed, its error, seconds about to wait)."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying: marked transient, a lost connection, or 429/502/503/504."""
    if isinstance(exc, HttpError):
        return exc.status is None or exc.status in TRANSIENT_HTTP_STATUSES or exc.transient
    if isinstance(exc, AsyncConsoleError):
        return exc.transient
    return isinstance(exc, ConnectionError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        attempts: Total tries including the first (1 = no retry).
        wait_initial: First backoff in seconds; doubles (``wait_exp_base``) each retry.
        wait_max: Upper bound of one backoff (a server's ``Retry-After`` may exceed it, up to
            the remaining ``timeout``).
        wait_jitter: Up to this many random seconds added to each backoff.
        timeout: Budget in seconds for all attempts and waits together: waits are clamped to
            it and no retry starts once it is spent; an attempt already under way is not cut
            short, so the total stays within ``timeout`` plus one attempt's own time limit.
            ``None`` = unbounded.
        retry_on: Predicate choosing which errors are transient.
    """

    attempts: int = 3
    wait_initial: float = 0.1
    wait_max: float = 5.0
    wait_jitter: float = 0.1
    wait_exp_base: float = 2.0
    timeout: float | None = 30.0
    retry_on: Callable[[BaseException], bool] = field(default=is_transient, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be >= 1")

    def with_(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def backoff(self, retry_number: int, exc: BaseException | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based), honouring ``retry_after``."""
        wait = min(self.wait_max, self.wait_initial * self.wait_exp_base ** (retry_number - 1))
        wait += random.uniform(0, self.wait_jitter) if self.wait_jitter > 0 else 0.0
        server_wait = getattr(exc, "retry_after", None)
        if isinstance(server_wait, int | float) and server_wait > wait:
            wait = float(server_wait)
        return wait

    async def call(
        self,
        fn: Callable[P, Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Await ``fn(*args, **kwargs)``, retrying transient failures; see :meth:`run`."""
        return await self.run(lambda: fn(*args, **kwargs))

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        clock: Clock | None = None,
        on_retry: OnRetry | None = None,
        retry_on: Callable[[BaseException], bool] | None = None,
        budget: float | None = None,
    ) -> T:
        """Await ``attempt()`` until it succeeds, fails permanently, or the budget is spent.

        ``retry_on`` replaces the policy's predicate and ``budget`` (seconds) tightens its
        ``timeout`` for this run (the adapter core passes what its deadline leaves). The last
        error is re-raised unchanged when retries are exhausted.
        """
        clk = clock or SystemClock()
        started = clk.monotonic()
        should_retry = retry_on or self.retry_on
        # The first attempt runs inline: the common case (it succeeds, or fails for good)
        # costs no retry machinery. A retryable failure is replayed to tenacity as attempt 1.
        try:
            return await attempt()
        except Exception as exc:
            if self.attempts <= 1 or not should_retry(exc):
                raise
            first: Exception | None = exc
        policy = self
        if retry_on is not None or (
            budget is not None and (self.timeout is None or budget < self.timeout)
        ):
            timeout = self.timeout if budget is None else budget
            if self.timeout is not None and budget is not None:
                timeout = min(self.timeout, budget)
            policy = replace(self, retry_on=should_retry, timeout=timeout)

        async def replay_then_attempt() -> T:
            nonlocal first
            if first is not None:
                exc, first = first, None
                raise exc
            return await attempt()

        return await policy._retrying(replay_then_attempt, clk, started, on_retry)

    async def _retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        clk: Clock,
        started: float,
        on_retry: OnRetry | None,
    ) -> T:
        import tenacity

        policy = self

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= policy.attempts:
                return True
            if policy.timeout is None:
                return False
            exc = state.outcome.exception() if state.outcome else None
            upcoming = policy.backoff(state.attempt_number, exc) if exc else 0.0
            return clk.monotonic() - started + min(upcoming, policy.wait_max) >= policy.timeout

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            seconds = policy.backoff(state.attempt_number, exc)
            if policy.timeout is not None:
                seconds = max(0.0, min(seconds, policy.timeout - (clk.monotonic() - started)))
            if on_retry is not None and exc is not None:
                on_retry(state.attempt_number, exc, seconds)
            return seconds

        retrying = tenacity.AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception(self.retry_on),
            sleep=clk.sleep,
            reraise=True,
        )

        async def call() -> T:
            # tenacity awaits only what it recognises as a coroutine function; a lambda
            # returning a coroutine would come back un-awaited.
            return await attempt()

        return await retrying(call)


NO_RETRY = RetryPolicy(attempts=1, timeout=None)
"""A policy that tries once."""
