"""The adapter core: one public call = one deadline, safe retries, typed errors, one event.

Every adapter, real or fake, runs each public call through :meth:`AdapterCore.call`:

- **Deadline.** One deadline covers every attempt and every wait between them, taken on the
  adapter's :class:`~asyncconsole.Clock`. A call nested in another (a wait that reads) never
  outlives the outer one: the earlier deadline rules. The attempt is told the seconds left so
  its library's own timeout can end it first, cleanly; the core's scope is the backstop.
- **Retries.** Transient failures are retried by the adapter's
  :class:`~asyncconsole.RetryPolicy` within the deadline, but a request that is not safe to
  repeat (:attr:`Operation.idempotent` False) is sent again only when it certainly never
  reached the peer. When its answer was lost, ``reconcile`` looks at the peer instead: if the
  effect is there as asked, the call succeeded.
- **Typed errors.** Adapters report :class:`PeerFailure`; the core makes the system's typed
  error from it (:class:`ErrorTypes`), naming the action, the endpoint and the status.
- **Observation.** One log event (and span, with OpenTelemetry) per call, with its outcome.
- **Faults.** A fake's :class:`FaultPlan` is applied around each attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from ..._clock import Clock, SystemClock
from ..._errors import InfrastructureError, MalformedResponseError, OperationTimeoutError
from ..._observe import observe, tracing_enabled
from ..._retry import RetryPolicy
from ._errors import ErrorTypes
from ._failure import PeerFailure
from ._faults import FaultPlan

__all__ = [
    "DEFAULT",
    "AdapterCore",
    "Attempt",
    "Operation",
    "check_timeout",
    "detach_deadline",
    "time_left",
]

T = TypeVar("T")

Attempt = Callable[[float | None], Awaitable[T]]
"""One try at a call: given the seconds left before the call's deadline (None: no deadline),
talk to the peer once; raise :class:`PeerFailure` when that fails."""


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default()
"""Stands for "the adapter's own setting" (its request timeout)."""

# The deadline of the call being made, on its clock, and the task whose scope enforces it
# (None: no scope, the call's attempts end themselves). A nested call obeys it, and arms its
# own scope when no scope of the caller's can reach it: it runs in another task (a step
# shielded from cancellation, a child of a TaskGroup) or the caller has none.
_DEADLINE: ContextVar[tuple[Clock, float, asyncio.Task[Any] | None] | None] = ContextVar(
    "asyncconsole_deadline", default=None
)


def detach_deadline() -> None:
    """Forget, in the current context, the deadline of the call being made: what runs next
    (cleanup after that call failed, often because its deadline passed) takes its own."""
    _DEADLINE.set(None)


def time_left(clock: Clock) -> float | None:
    """Seconds left before the deadline of the enclosing adapter call on ``clock`` (None:
    there is none). Waits that poll use it to never sleep past their caller's deadline."""
    current = _DEADLINE.get()
    if current is None or current[0] is not clock:
        return None
    return max(0.0, current[1] - clock.monotonic())


@dataclass(frozen=True, slots=True)
class Operation:
    """What an adapter call is, for the core.

    Attributes:
        name: The event and span name (``"docker.inspect_container"``); fault plans match it.
        idempotent: Repeating it after a lost answer leaves the peer as one success would
            (reads, scale to N, put a value). Creates and deletes are not: a repeat answers
            "already exists" / "not found" for what the first one did.
        compound: It is made of other calls (a run is a create then a start), which talk to
            the peer themselves: a fake's faults that strike after the peer acted (a lost or
            garbled answer) are injected into those, never into it, since its parts' effects
            are already done and answered. Faults before it (a hang, a refusal) still apply.
    """

    name: str
    idempotent: bool
    compound: bool = False


class AdapterCore:
    """The shared machinery of one adapter instance (see the module docstring).

    Args:
        errors: The system's error classes.
        endpoint: Where the peer is, free of secrets (named in every error).
        logger: Where each call's event goes.
        clock: Time for deadlines and the waits between retries.
        timeout: Default seconds per call (None: unbounded).
        retry: Policy for transient failures (None: one attempt).
        faults: A fake's fault plan (None for real adapters).
        self_timed: The attempts end themselves when the time they are given runs out (the
            HTTP client's aiohttp timeout covers the pool wait, connect, send and read), so no
            backstop scope is armed: one timer less per call on the hottest path.
    """

    __slots__ = (
        "clock",
        "endpoint",
        "errors",
        "faults",
        "logger",
        "retry",
        "self_timed",
        "timeout",
    )

    def __init__(
        self,
        errors: ErrorTypes,
        *,
        endpoint: str,
        logger: logging.Logger,
        clock: Clock | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        faults: FaultPlan | None = None,
        self_timed: bool = False,
    ) -> None:
        self.errors = errors
        self.self_timed = self_timed
        self.endpoint = endpoint
        self.logger = logger
        self.clock: Clock = clock or SystemClock()
        self.timeout = check_timeout("timeout", timeout)
        self.retry = retry
        self.faults = faults

    async def call(
        self,
        op: Operation,
        action: str,
        attempt: Attempt[T],
        *,
        timeout: float | _Default | None = DEFAULT,  # noqa: ASYNC109
        reconcile: Callable[[], Awaitable[T | None]] | None = None,
        retry: RetryPolicy | _Default | None = DEFAULT,
        describe: Callable[[T], Mapping[str, Any]] | None = None,
        timed_out: Callable[[float | None], InfrastructureError] | None = None,
        quiet: bool = False,
        **attributes: Any,
    ) -> T:
        """Run ``attempt`` as the public call ``op`` on ``action`` (``"get deployment ns/web"``).

        Args:
            timeout: Seconds for the whole call (default: the adapter's).
            reconcile: For a non-idempotent call whose answer was lost: look at the peer and
                return the call's result if its effect is there as asked, else None.
            retry: Override the adapter's policy for this call.
            describe: Fields its result adds to the call's log event (``{"status": 200}``).
            timed_out: Makes the error raised when this call's own deadline passes, given its
                timeout (a wait saying what it saw last, an exec carrying its output so far);
                it should be an ``OperationTimeoutError``. Default: the system's timeout error.
            quiet: A step of another call (the create of a run, a cleanup): no log event or
                span of its own, the enclosing call's covers it.
            attributes: Extra fields for the call's log event.

        Raises:
            InfrastructureError: The system's typed error (its timeout class when the deadline
                passed, :class:`~asyncconsole.MalformedResponseError` for a garbage answer).
        """
        limit = self.timeout if isinstance(timeout, _Default) else check_timeout("timeout", timeout)
        policy = self.retry if isinstance(retry, _Default) else retry
        if not quiet and (self.logger.isEnabledFor(logging.INFO) or tracing_enabled()):
            async with observe(self.logger, op.name, action, **attributes) as info:
                result = await self._bounded(
                    op, action, attempt, limit, policy, reconcile, info, timed_out
                )
                if describe is not None:
                    info.update(describe(result))
                return result
        if self.self_timed and self.faults is None and _DEADLINE.get() is None:
            # The hot path (thousands of HTTP requests a second): nothing observes the call
            # and its attempt ends itself, so the first attempt runs right here; the retry
            # machinery starts only if it fails, with that failure as attempt 1.
            started = self.clock.monotonic()
            try:
                return await attempt(limit)
            except PeerFailure as failure:
                first: InfrastructureError = self._typed(failure, action, limit)
            except InfrastructureError as exc:
                first = exc
            return await self._bounded(
                op, action, attempt, limit, policy, reconcile, None, timed_out, (started, first)
            )
        return await self._bounded(op, action, attempt, limit, policy, reconcile, None, timed_out)

    def _typed(self, failure: PeerFailure, action: str, limit: float | None) -> InfrastructureError:
        """The typed error for ``failure``, chained to its cause."""
        if failure.kind == "timeout":
            failure.context.setdefault("timeout", limit)
        error = self.errors.make(failure, action, self.endpoint)
        error.__cause__ = failure.__cause__
        return error

    async def _bounded(
        self,
        op: Operation,
        action: str,
        attempt: Attempt[T],
        limit: float | None,
        policy: RetryPolicy | None,
        reconcile: Callable[[], Awaitable[T | None]] | None,
        info: dict[str, Any] | None,
        timed_out: Callable[[float | None], InfrastructureError] | None = None,
        first: tuple[float, InfrastructureError] | None = None,
    ) -> T:
        clock = self.clock
        start = clock.monotonic() if first is None else first[0]
        own = None if limit is None else start + limit
        replay = None if first is None else first[1]
        current = _DEADLINE.get()
        outer = None
        if current is not None and current[0] is clock:
            outer = current[1]
        if outer is not None and (own is None or outer <= own):
            enforcer = current[2] if current is not None else None
            if enforcer is not None and enforcer is asyncio.current_task():
                # The caller's deadline comes first and its scope, in this task, will end us.
                return await self._attempts(
                    op, action, attempt, outer, limit, policy, reconcile, info, replay
                )
            # No scope of the caller's can end us (it is in another task: a shielded step;
            # or it has none, its attempts ending themselves): arm ours at its deadline.
            own = outer
        elif own is None:
            return await self._attempts(
                op, action, attempt, None, limit, policy, reconcile, info, replay
            )
        if self.self_timed and self.faults is None:
            # No scope: none to name (asking for the current task costs on the hottest path).
            token = _DEADLINE.set((clock, own, None))
            try:
                return await self._attempts(
                    op, action, attempt, own, limit, policy, reconcile, info, replay
                )
            finally:
                _DEADLINE.reset(token)
        token = _DEADLINE.set((clock, own, asyncio.current_task()))
        scope = clock.timeout_at(own)
        try:
            async with scope:
                return await self._attempts(
                    op, action, attempt, own, limit, policy, reconcile, info, replay
                )
        except TimeoutError:
            if not scope.expired():
                raise
            if timed_out is not None:
                raise timed_out(limit) from None
            raise self.errors.timed_out(action, self.endpoint, limit) from None
        finally:
            _DEADLINE.reset(token)

    async def _attempts(
        self,
        op: Operation,
        action: str,
        attempt: Attempt[T],
        deadline: float | None,
        limit: float | None,
        policy: RetryPolicy | None,
        reconcile: Callable[[], Awaitable[T | None]] | None,
        info: dict[str, Any] | None,
        replay: InfrastructureError | None = None,
    ) -> T:
        clock = self.clock

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - clock.monotonic())

        async def once() -> T:
            nonlocal replay
            if replay is not None:  # the first attempt, already made by call()
                failed, replay = replay, None
                raise failed
            try:
                faults = self.faults
                if faults is not None:
                    await faults.before(op.name, clock)
                result = await attempt(left())
                if faults is not None and not op.compound:
                    try:
                        faults.after(op.name)
                    except PeerFailure:
                        await _dropped(result)
                        raise
                return result
            except PeerFailure as failure:
                raise self._typed(failure, action, limit) from failure.__cause__

        def retryable(exc: BaseException) -> bool:
            # The policy says what is transient; the operation says whether a repeat is safe.
            assert policy is not None
            return policy.retry_on(exc) and (op.idempotent or not getattr(exc, "sent", True))

        def on_retry(number: int, exc: BaseException, wait: float) -> None:
            if info is not None:
                info["attempts"] = number + 1
            if self.logger.isEnabledFor(logging.INFO):
                self.logger.info(
                    "%s.retry %s: attempt %d failed (%s), retrying in %.2fs",
                    op.name.partition(".")[0],
                    action,
                    number,
                    exc,
                    wait,
                )

        try:
            if policy is None or policy.attempts <= 1:
                return await once()
            return await policy.run(
                once, clock=clock, on_retry=on_retry, retry_on=retryable, budget=left()
            )
        except InfrastructureError as exc:
            if reconcile is None or op.idempotent or not _effect_unknown(exc):
                raise
            budget = left()
            if budget is not None and budget <= 0:
                raise
            try:
                found = await reconcile()
            except InfrastructureError:
                raise exc from None
            if found is None:
                raise
            if info is not None:
                info["reconciled"] = True
            return found


async def _dropped(result: object) -> None:
    """An answer a fault plan loses takes what it opened with it (a stream: its connection
    dropped, so the peer ended it), as a real lost answer would."""
    close = getattr(result, "aclose", None)
    if close is not None:
        await close()


def _effect_unknown(exc: InfrastructureError) -> bool:
    """Whether a failed non-idempotent request may still have taken effect: it may have
    reached the peer, and the peer's answer (if any) did not say it refused."""
    if not exc.sent:
        return False
    if isinstance(exc, OperationTimeoutError | MalformedResponseError):
        return True
    status = getattr(exc, "status", None) or exc.context.get("status")
    if isinstance(status, int) and 400 <= status < 500:
        return False  # the peer answered that it refused (AWS throttles with a 400)
    return exc.transient


_INF = float("inf")


def check_timeout(name: str, value: float | None) -> float | None:
    """``value`` as seconds, or a ``ValueError`` naming ``name`` when it is negative, NaN or
    infinite (``None`` means no limit)."""
    if value is None:
        return None
    if type(value) is float and 0.0 <= value < _INF:  # the common case, checked cheaply
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds or None, not {value!r}")
    seconds = float(value)
    if not 0.0 <= seconds < float("inf"):
        raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value!r}")
    return seconds
