"""The clients and managers an :class:`~asyncconsole.Environment` owns: each opened when first
needed (alone, or with the other resources of a component), all closed together.

Services receive an :class:`OnDemand` view of each resource instead of the object itself: its
coroutine methods open the resource first, so a component the caller did not open ahead of
time still works when used, and a component that is never used never connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar, cast

from .._errors import InfrastructureError

__all__ = ["OnDemand", "Resources"]

_log = logging.getLogger("asyncconsole.environment")

T = TypeVar("T")

# Lifecycle attributes reach the object untouched (opening before closing makes no sense).
_UNWRAPPED = frozenset({"open", "aclose", "closed"})


class _State:
    """Whether one resource is open, or why it could not be opened."""

    __slots__ = ("failure", "lock", "name", "opened")

    def __init__(self, name: str) -> None:
        self.name = name
        self.opened = False
        self.failure: BaseException | None = None
        self.lock = asyncio.Lock()


def _openable(obj: Any) -> bool:
    return callable(getattr(obj, "open", None))


class Resources:
    """Objects the environment opens and closes, in the order they were added.

    Anything with ``open()`` is opened when first needed (:meth:`ensure_open`,
    :meth:`open_objects`, or a call through its :meth:`on_demand` view); anything with
    ``aclose()`` is closed by :meth:`close_all`; other objects (``FakeCommandExecutor``) are
    simply carried along. An object that failed to open stays failed (it closed itself): later
    uses raise the same error instead of trying again.
    """

    def __init__(self) -> None:
        self._items: list[tuple[str, Any]] = []
        self._states: dict[int, _State] = {}
        self._views: dict[int, Any] = {}
        self._closing = False

    def add(self, name: str, obj: Any) -> None:
        """Manage ``obj`` (once, however often it is added) under ``name``."""
        if any(existing is obj for _, existing in self._items):
            return
        self._items.append((name, obj))
        if _openable(obj):
            self._states[id(obj)] = _State(name)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def on_demand(self, obj: T) -> T:
        """``obj`` as services should hold it: an :class:`OnDemand` view if it must be opened
        (one view per object), else ``obj`` itself."""
        if id(obj) not in self._states:
            return obj
        view = self._views.get(id(obj))
        if view is None:
            view = self._views[id(obj)] = OnDemand(obj, self)
        return cast(T, view)

    def is_open(self, obj: Any) -> bool:
        """Whether ``obj`` needs no opening (opened already, or nothing to open)."""
        state = self._states.get(id(obj))
        return state is None or state.opened

    def opened(self) -> list[tuple[str, Any]]:
        """``(name, object)`` of every resource opened so far (closed ones included)."""
        return [(name, obj) for name, obj in self._items if self._is_opened(obj)]

    def _is_opened(self, obj: Any) -> bool:
        state = self._states.get(id(obj))
        return state is not None and state.opened

    async def ensure_open(self, obj: Any) -> None:
        """Open ``obj`` unless it is open; concurrent callers share one attempt.

        Raises:
            RuntimeError: The environment is closed.
            Exception: What opening raised, now or on an earlier attempt.
        """
        state = self._states.get(id(obj))
        if state is None or state.opened:
            return
        async with state.lock:
            if self._closing:
                raise RuntimeError(f"the environment is closed (cannot open {state.name})")
            if state.opened:
                return
            if state.failure is not None:
                raise state.failure
            try:
                await obj.open()
            except Exception as exc:
                state.failure = exc
                raise
            except BaseException:
                # Cancelled (or timed out) half-way: the object closed itself and cannot be
                # reopened, so later users get this explanation instead of "is closed".
                if getattr(obj, "closed", False):
                    state.failure = InfrastructureError(
                        f"{state.name} cannot be used: opening it was interrupted "
                        "(cancelled or timed out); make a new environment to try again",
                        resource=state.name,
                    )
                raise
            state.opened = True

    async def open_objects(self, objects: Iterable[Any]) -> None:
        """Open every one of ``objects`` not yet open, concurrently.

        If some fail the others are still opened (they may serve other components); the first
        failure (in the order given) is raised, with the others as notes. If cancelled, what
        was being opened is closed and marked failed; what had opened stays open until
        :meth:`close_all`.
        """
        wanted = [obj for obj in objects if not self.is_open(obj)]
        if not wanted:
            return
        if len(wanted) == 1:
            await self.ensure_open(wanted[0])
            return
        failures: list[tuple[int, Exception]] = []

        async def open_one(index: int, obj: Any) -> None:
            try:
                await self.ensure_open(obj)
            except Exception as exc:
                failures.append((index, exc))

        async with asyncio.TaskGroup() as tg:
            for index, obj in enumerate(wanted):
                tg.create_task(open_one(index, obj))
        if failures:
            failures.sort(key=lambda failure: failure[0])
            first = failures[0][1]
            for index, exc in failures[1:]:
                note = (
                    f"also failed to open {self._name(wanted[index])}: {type(exc).__name__}: {exc}"
                )
                if note not in getattr(first, "__notes__", ()):
                    first.add_note(note)
            raise first

    def _name(self, obj: Any) -> str:
        state = self._states.get(id(obj))
        return state.name if state is not None else type(obj).__name__

    async def close_all(self) -> None:
        """Close every resource concurrently, opened or not, even if some fail (failures are
        logged); nothing can be opened afterwards.

        Closing is shielded from cancellation so nothing is left open when the caller is
        cancelled while leaving ``async with``.
        """
        self._closing = True

        async def close_one(name: str, obj: Any) -> None:
            state = self._states.get(id(obj))
            try:
                if state is None:
                    await obj.aclose()
                else:
                    # Not while someone is still opening it (their open would outlive this).
                    async with state.lock:
                        await obj.aclose()
            except Exception:
                _log.warning("closing %s failed", name, exc_info=True)

        async def close_everything() -> None:
            async with asyncio.TaskGroup() as tg:
                for name, obj in reversed(self._items):
                    if callable(getattr(obj, "aclose", None)):
                        tg.create_task(close_one(name, obj))

        # Run to completion even if we are cancelled meanwhile, then pass the cancellation on.
        task = asyncio.get_running_loop().create_task(close_everything())
        cancelled = False
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
        task.result()


class OnDemand:
    """A view of a resource that opens it (through its :class:`Resources`) before the first
    coroutine call; everything else is the resource's own.

    ``isinstance`` sees the resource's class; ``__wrapped__`` is the resource itself.
    """

    __slots__ = ("_resources", "_target")

    _target: Any
    _resources: Resources

    def __init__(self, target: Any, resources: Resources) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_resources", resources)

    @property
    def __wrapped__(self) -> Any:
        return self._target

    @property  # type: ignore[misc]
    def __class__(self) -> type[Any]:
        # isinstance() falls back to __class__: checks see the resource's class.
        return type(self._target)

    def __getattr__(self, name: str) -> Any:
        target = self._target
        value = getattr(target, name)
        resources = self._resources
        if name in _UNWRAPPED or not callable(value) or resources.is_open(target):
            return value
        if inspect.iscoroutinefunction(value):

            @functools.wraps(value)
            async def opened_first(*args: Any, **kwargs: Any) -> Any:
                await resources.ensure_open(target)
                return await value(*args, **kwargs)

            return opened_first
        if inspect.isasyncgenfunction(value):

            @functools.wraps(value)
            async def opened_first_gen(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                await resources.ensure_open(target)
                async with contextlib.aclosing(value(*args, **kwargs)) as items:
                    async for item in items:
                        yield item

            return opened_first_gen
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __repr__(self) -> str:
        return repr(self._target)
