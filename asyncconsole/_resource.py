"""A base for objects that own connections or processes and must be closed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["AsyncResource"]


class AsyncResource:
    """``async with obj:`` opens (``_open``) and closes (``aclose``) exactly once.

    Subclasses override :meth:`_open` and :meth:`_close`. ``aclose`` is idempotent and safe to
    call after a failed open.
    """

    _opened: bool = False
    _closed: bool = False

    async def _open(self) -> None:
        """Acquire sessions/clients. Called once by ``__aenter__``."""

    async def _close(self) -> None:
        """Release everything ``_open`` (or later use) acquired."""

    async def open(self) -> Self:
        """Open without a ``with`` block; pair with :meth:`aclose`."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        if not self._opened:
            self._opened = True
            try:
                await self._open()
            except BaseException:
                await self.aclose()
                raise
        return self

    async def aclose(self) -> None:
        """Close, releasing every session, client and process. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
