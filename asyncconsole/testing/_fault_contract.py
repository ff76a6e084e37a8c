"""``check_fault_contract``: the promises every adapter keeps under faults, checked alike for all.

One shape for every adapter, real and fake: the caller says how to open the adapter, which
public calls to exercise (:class:`FaultCall`), and how faults reach it (a
:class:`FaultInjector`: a :class:`ProxyInjector` in front of a real peer, a
:class:`PlanInjector` on a fake's fault plan). The contract then checks:

- **mute peer**: every call, all made at once, ends within its timeout + 1 s with a typed
  timeout;
- **storm** (30% resets and 503s): calls safe to repeat succeed; the others reach the peer at
  most once per call, and either succeed or raise a typed error;
- **garbage**: each malformed answer gives the documented result or a typed error, never
  ``AttributeError``/``JSONDecodeError``/``RecursionError``...;
- **cancellation** at any moment: nothing is left (the caller's ``leftovers``, and no task)
  within 1 s. What the earlier checks left is not counted: when every answer is garbage, no
  cleanup can get through either.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from .._clock import Clock
from .._errors import (
    AsyncConsoleError,
    InfrastructureError,
    MalformedResponseError,
    OperationTimeoutError,
)
from ..infra._core import FaultPlan
from ._faults import MALFORMED_ANSWERS, FaultProxy

__all__ = [
    "FaultCall",
    "FaultInjector",
    "PlanInjector",
    "ProxyInjector",
    "ScriptInjector",
    "check_fault_contract",
]

A = TypeVar("A")

GRACE = 1.0
"""Seconds past its timeout a call may take to return (the promise)."""


@dataclass(frozen=True)
class FaultCall(Generic[A]):
    """One public call the contract exercises.

    Attributes:
        name: For messages (``"inspect_container"``).
        call: Makes the call on an open adapter. A call that is not idempotent must be
            repeatable (a fresh name each time, say).
        idempotent: Whether the adapter may repeat it.
        returns: The documented result type(s), checked when the call succeeds.
        operation: The adapter core's operation name (a fake's fault plan counts by it).
        path: A regex searched in the HTTP path its request uses (a proxy counts by it).
        method: Its HTTP method (with ``path``).
        peer_operation: The operation its request names in the proxy's ``operation_header``
            (``"AmazonEC2ContainerServiceV20141113.RunTask"``) or ``operation_field``
            (``"ListMetrics"``), for APIs that send every operation to one path; a proxy counts
            by it instead of ``path``.

    Only a call that is not idempotent needs ``operation`` or ``path``: it is the one whose
    requests are counted.
    """

    name: str
    call: Callable[[A], Awaitable[Any]]
    idempotent: bool
    returns: type | tuple[type, ...] | None = None
    operation: str | None = None
    path: str | None = None
    method: str | None = None
    peer_operation: str | None = None


class FaultInjector(Protocol):
    """How the contract makes the peer misbehave, and counts what reached it."""

    malformed_kinds: Sequence[str]
    """The garbage answers it can inject (:data:`MALFORMED_ANSWERS` names)."""

    def mute(self) -> None:
        """From now on, the peer accepts requests and never answers."""
        ...

    def storm(self, rate: float, seed: int) -> None:
        """From now on, ``rate`` of the requests are lost after the peer acted (half reset,
        half answered 503)."""
        ...

    def malformed(self, kind: str) -> None:
        """From now on, the peer acts and then answers garbage ``kind``."""
        ...

    def clear(self) -> None:
        """No more faults."""
        ...

    def reached(self, call: FaultCall[Any]) -> int:
        """How many requests of ``call`` reached the peer so far."""
        ...


class ProxyInjector:
    """Faults from a :class:`~asyncconsole.testing.FaultProxy` in front of a real peer."""

    malformed_kinds: Sequence[str] = tuple(MALFORMED_ANSWERS)

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy

    def mute(self) -> None:
        self.proxy.clear()
        self.proxy.add("hang")

    def storm(self, rate: float, seed: int) -> None:
        self.proxy.clear()
        self.proxy._random.seed(seed)
        self.proxy.add("reset", rate=rate / 2)
        self.proxy.add("status", rate=(rate / 2) / (1 - rate / 2), status=503)

    def malformed(self, kind: str) -> None:
        self.proxy.clear()
        self.proxy.add("garbage", answer=kind)

    def clear(self) -> None:
        self.proxy.clear()

    def reached(self, call: FaultCall[Any]) -> int:
        import re

        if call.peer_operation is not None:
            return self.proxy.forwarded_operations[call.peer_operation]
        if call.path is None:
            raise ValueError(f"FaultCall {call.name!r} needs path= to count at a proxy")
        pattern = re.compile(call.path)
        return sum(
            n
            for (method, path), n in self.proxy.forwarded.items()
            if pattern.search(path) and (call.method is None or call.method == method)
        )


class PlanInjector:
    """Faults from a fake's :class:`~asyncconsole.infra._core.FaultPlan` (the adapter core
    applies it around every attempt)."""

    malformed_kinds: Sequence[str] = ("garbage",)

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan

    def mute(self) -> None:
        self.plan.clear()
        self.plan.add("hang")

    def storm(self, rate: float, seed: int) -> None:
        self.plan.clear()
        self.plan._random.seed(seed)
        self.plan.add("reset", rate=rate / 2)
        self.plan.add("status", rate=(rate / 2) / (1 - rate / 2), status=503)

    def malformed(self, kind: str) -> None:
        self.plan.clear()
        self.plan.add("malformed")

    def clear(self) -> None:
        self.plan.clear()

    def reached(self, call: FaultCall[Any]) -> int:
        if call.operation is None:
            raise ValueError(f"FaultCall {call.name!r} needs operation= to count in a plan")
        return self.plan.reached[call.operation]


Leftovers = Callable[[], Awaitable[Sequence[str]]]


async def check_fault_contract(
    open_adapter: Callable[[], AbstractAsyncContextManager[A]],
    calls: Sequence[FaultCall[A]],
    injector: FaultInjector,
    *,
    timeout: float,  # noqa: ASYNC109 - the adapter's per-call timeout, as opened
    clock: Clock | None = None,
    leftovers: Leftovers | None = None,
    storm_rounds: int = 12,
    cancel_rounds: int = 12,
    malformed_kinds: Iterable[str] | None = None,
    seed: int = 0,
) -> None:
    """Check the fault promises of the adapter ``open_adapter()`` opens; AssertionError on a
    violation.

    Args:
        open_adapter: A fresh, unopened adapter whose calls time out after ``timeout``
            seconds and whose retry policy gives calls safe to repeat at least 6 attempts
            (so a 30% storm cannot exhaust it by chance).
        calls: The public calls to exercise.
        injector: Where faults come from.
        timeout: The adapter's per-call timeout.
        clock: The adapter's clock when it is a fake one (elapsed time is read on it);
            None: real time.
        leftovers: After a cancellation, what the adapter left behind (running processes,
            containers, pods, open watches), as descriptions; must be back within 1 s to
            what it was before the cancellation rounds began (garbage answers may have
            defeated cleanup earlier).
        storm_rounds / cancel_rounds: Calls per check.
        malformed_kinds: Garbage to try (default: all the injector can make).
        seed: Seeds the storm and the cancellation moments.
    """
    kinds = list(injector.malformed_kinds if malformed_kinds is None else malformed_kinds)
    rng = random.Random(seed)
    async with open_adapter() as adapter:
        await _check_mute(adapter, calls, injector, timeout, clock)
        await _check_storm(adapter, calls, injector, storm_rounds, seed)
        for kind in kinds:
            await _check_malformed(adapter, calls, injector, kind)
        injector.clear()
        before = frozenset(await leftovers()) if leftovers is not None else frozenset()
        await _check_cancellation(adapter, calls, cancel_rounds, rng, leftovers, before)
    if leftovers is not None:
        await _nothing_left(leftovers, "after the adapter was closed", before)


async def _check_mute(
    adapter: A,
    calls: Sequence[FaultCall[A]],
    injector: FaultInjector,
    limit: float,
    clock: Clock | None,
) -> None:
    injector.mute()
    now = clock.monotonic if clock else time.monotonic

    async def one(call: FaultCall[A]) -> None:
        started = now()
        try:
            # The guard only stops a broken adapter from hanging the suite.
            async with asyncio.timeout(limit + GRACE + 5):
                await call.call(adapter)
        except OperationTimeoutError as exc:
            _typed(exc, call, "a mute peer")
        except TimeoutError:
            raise AssertionError(
                f"{call.name}: still waiting on a mute peer {limit + GRACE + 5:g}s later"
            ) from None
        else:
            raise AssertionError(f"{call.name}: returned although the peer never answered")
        elapsed = now() - started
        _check(
            elapsed <= limit + GRACE,
            f"{call.name}: took {elapsed:.2f}s on a mute peer; the promise is the call's "
            f"timeout ({limit:g}s) + {GRACE:g}s",
        )

    try:
        # All at once: each call keeps its own promise while the others wait on the same
        # mute peer too (a shared connection pool must not stretch a call past its timeout).
        async with asyncio.TaskGroup() as group:
            for call in calls:
                group.create_task(one(call))
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # the first broken promise, as a plain error
    finally:
        injector.clear()


async def _check_storm(
    adapter: A,
    calls: Sequence[FaultCall[A]],
    injector: FaultInjector,
    rounds: int,
    seed: int,
) -> None:
    injector.storm(0.3, seed)
    try:
        for call in calls:
            for _ in range(rounds):
                # Only a call not safe to repeat is counted: its request reaches the peer once.
                before = 0 if call.idempotent else injector.reached(call)
                try:
                    result = await call.call(adapter)
                except AsyncConsoleError as exc:
                    _check(
                        not call.idempotent,
                        f"{call.name}: safe to repeat, yet failed in a 30% storm: {exc!r}",
                    )
                    _typed(exc, call, "a 30% storm")
                else:
                    _returns(result, call)
                if not call.idempotent:
                    sent = injector.reached(call) - before
                    _check(
                        sent <= 1,
                        f"{call.name}: not safe to repeat, yet reached the peer {sent} times",
                    )
    finally:
        injector.clear()


async def _check_malformed(
    adapter: A, calls: Sequence[FaultCall[A]], injector: FaultInjector, kind: str
) -> None:
    injector.malformed(kind)
    try:
        for call in calls:
            try:
                result = await call.call(adapter)
            except AsyncConsoleError as exc:
                _typed(exc, call, f"garbage ({kind})")
                if isinstance(exc, MalformedResponseError):
                    _check(exc.endpoint, f"{call.name}: {exc!r} names no endpoint")
            except Exception as exc:
                raise AssertionError(
                    f"{call.name}: garbage ({kind}) raised {type(exc).__name__}, not a typed "
                    f"asyncconsole error: {exc!r}"
                ) from exc
            else:
                _returns(result, call)
    finally:
        injector.clear()


async def _check_cancellation(
    adapter: A,
    calls: Sequence[FaultCall[A]],
    rounds: int,
    rng: random.Random,
    leftovers: Leftovers | None,
    before: frozenset[str],
) -> None:
    baseline = set(asyncio.all_tasks())
    for call in calls:
        for round_ in range(rounds):
            task = asyncio.ensure_future(call.call(adapter))
            if round_ % 2 == 0:
                for _ in range(rng.randrange(0, 6)):  # the first loop turns: while starting
                    await asyncio.sleep(0)
            else:
                await asyncio.sleep(rng.uniform(0, 0.05))
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, AsyncConsoleError):
                pass
            if leftovers is not None:
                await _nothing_left(leftovers, f"after cancelling {call.name}", before)
            await _no_tasks_left(baseline, call)


async def _nothing_left(leftovers: Leftovers, when: str, before: frozenset[str]) -> None:
    deadline = time.monotonic() + GRACE
    while True:
        left = [item for item in await leftovers() if item not in before]
        if not left:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"{when}: still there {GRACE:g}s later: {list(left)}")
        await asyncio.sleep(0.02)


async def _no_tasks_left(baseline: set[asyncio.Task[Any]], call: FaultCall[Any]) -> None:
    deadline = time.monotonic() + GRACE
    while True:
        extra = {t for t in asyncio.all_tasks() - baseline if _adapters(t)}
        if not extra:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"after cancelling {call.name}: tasks still running: {extra}")
        await asyncio.sleep(0.02)


def _check(ok: object, message: str) -> None:
    if not ok:
        raise AssertionError(message)


def _adapters(task: asyncio.Task[Any]) -> bool:
    """Whether ``task`` runs adapter code (not a peer served in this loop, not the test)."""
    if task.done() or task is asyncio.current_task():
        return False
    code = getattr(task.get_coro(), "cr_code", None)
    where = getattr(code, "co_filename", "").replace("\\", "/")
    return "/asyncconsole/" in where and "/asyncconsole/testing/" not in where


def _typed(exc: AsyncConsoleError, call: FaultCall[Any], under: str) -> None:
    _check(
        isinstance(exc, InfrastructureError),
        f"{call.name}: under {under} raised {type(exc).__name__}, not an InfrastructureError",
    )
    _check(str(exc), f"{call.name}: under {under} raised {type(exc).__name__} with no message")


def _returns(result: Any, call: FaultCall[Any]) -> None:
    if call.returns is not None:
        _check(
            isinstance(result, call.returns),
            f"{call.name}: returned {type(result).__name__}, documented {call.returns}",
        )


class ScriptInjector:
    """Faults for command executors: the calls run :attr:`script`, a shell script this
    injector rewrites for each fault (a process is the executor's peer).

    Mute: it sleeps forever. Storm: a seeded ``rate`` of its runs is killed (SIGKILL) or
    exits 75 (EX_TEMPFAIL). Garbage: it writes bytes that are not text (``binary``), invalid
    UTF-8 (``bad_utf8``), NUL bytes (``nul``) or one 2 MB line (``long_line``). Each run
    appends to a count file, so :meth:`reached` says how many runs started.
    """

    malformed_kinds: Sequence[str] = ("binary", "bad_utf8", "nul", "long_line")

    _GARBAGE = {
        "binary": r"printf '\037\213\010\000\377\376\375'",
        "bad_utf8": r"printf 'caf\351 \377\376\n'",
        "nul": r"printf 'a\000b\000\n'",
        "long_line": "head -c 2000000 /dev/zero | tr '\\000' x",
    }

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.script = self.directory / "peer.sh"
        self._runs = self.directory / "runs"
        self._plan = self.directory / "plan"
        self._runs.touch()
        self.clear()

    def _write(self, body: str) -> None:
        head = f"#!/bin/sh\necho run >> '{self._runs}'\n"
        self.script.write_text(head + body)
        self.script.chmod(0o755)

    def mute(self) -> None:
        self._write("exec sleep 3600\n")

    def storm(self, rate: float, seed: int) -> None:
        # The outcome of run N is line N of the plan, drawn here so a run can be repeated.
        draw = random.Random(seed)
        outcomes = [
            "kill" if r < rate / 2 else "fail" if r < rate else "ok"
            for r in (draw.random() for _ in range(10_000))
        ]
        self._plan.write_text("\n".join(outcomes) + "\n")
        self._write(
            f"n=$(wc -l < '{self._runs}')\n"
            f"case $(sed -n \"${{n}}p\" '{self._plan}') in\n"
            "  kill) kill -9 $$ ;;\n"
            "  fail) echo 'busy, try later' >&2; exit 75 ;;\n"
            "esac\necho ok\n"
        )

    def malformed(self, kind: str) -> None:
        self._write(self._GARBAGE[kind] + "\n")

    def clear(self) -> None:
        self._write("echo ok\n")

    def reached(self, call: FaultCall[Any]) -> int:
        return len(self._runs.read_text().splitlines())
