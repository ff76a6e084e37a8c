"""``CachedSecretStore``: fetch each secret once, however many callers ask at the same time."""

from __future__ import annotations

import asyncio

from ..._clock import Clock, SystemClock
from ..._secret import Secret
from ._format import decode_json_object
from ._protocol import SecretStore

__all__ = ["CachedSecretStore"]


class CachedSecretStore:
    """Wraps a :class:`SecretStore` so each secret id is fetched once (console_link fetched it
    on every HTTP request).

    Concurrent requests for the same id share one fetch: the others wait for it and get its
    value, or its error (failures are not cached; the next request fetches again). With
    ``ttl`` (seconds on ``clock``) values are refetched when older; :meth:`invalidate` drops
    them now (after a rotation). The wrapped store stays the caller's to close.
    """

    def __init__(
        self, store: SecretStore, *, ttl: float | None = None, clock: Clock | None = None
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise ValueError(f"ttl must be > 0 or None, got {ttl}")
        self.store = store
        self.ttl = ttl
        self._clock: Clock = clock or SystemClock()
        self._values: dict[str, tuple[Secret, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # secret id -> (number of failed fetches so far, the last failure)
        self._failures: dict[str, tuple[int, BaseException]] = {}

    def _fresh(self, secret_id: str) -> Secret | None:
        hit = self._values.get(secret_id)
        if hit is None:
            return None
        value, fetched = hit
        if self.ttl is not None and self._clock.monotonic() - fetched >= self.ttl:
            return None
        return value

    def invalidate(self, secret_id: str | None = None) -> None:
        """Forget one cached secret, or all of them."""
        if secret_id is None:
            self._values.clear()
        else:
            self._values.pop(secret_id, None)

    async def ping(self) -> None:
        """Ping the wrapped store."""
        await self.store.ping()

    async def get_secret_string(self, secret_id: str) -> Secret:
        """The secret's value, from the cache or from one shared fetch."""
        value = self._fresh(secret_id)
        if value is not None:
            return value
        failures_before = self._failures.get(secret_id, (0, None))[0]
        lock = self._locks.setdefault(secret_id, asyncio.Lock())
        async with lock:
            value = self._fresh(secret_id)
            if value is not None:
                return value
            count, error = self._failures.get(secret_id, (0, None))
            if count > failures_before and error is not None:
                raise error  # the fetch we waited for failed: share its error, don't refetch
            try:
                value = await self.store.get_secret_string(secret_id)
            except Exception as exc:
                self._failures[secret_id] = (count + 1, exc)
                raise
            self._values[secret_id] = (value, self._clock.monotonic())
            return value

    async def get_json_secret(self, secret_id: str) -> dict[str, Secret]:
        """The cached secret parsed as a JSON object (see :meth:`SecretStore.get_json_secret`)."""
        return decode_json_object(secret_id, await self.get_secret_string(secret_id))
