"""``FakeSecretStore``: an in-memory Secrets Manager with a call log and fault injection."""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ..._clock import Clock, FakeClock
from ..._errors import AwsError, AwsNotFoundError
from ..._resource import AsyncResource
from ..._retry import NO_RETRY, RetryPolicy
from ..._secret import Secret
from ._format import decode_json_object

__all__ = ["FakeSecretStore", "FakeSecretStoreCall"]

T = TypeVar("T")

OPERATIONS = frozenset({"ping", "get_secret_string"})


@dataclass(frozen=True)
class FakeSecretStoreCall:
    """One attempt at an operation on a :class:`FakeSecretStore` (values are never logged).

    Attributes:
        operation: ``"ping"`` or ``"get_secret_string"``.
        secret_id: The id asked for ("" for ping).
        error: What the attempt raised, or None.
    """

    operation: str
    secret_id: str
    error: BaseException | None = None


class FakeSecretStore(AsyncResource):
    """Secrets in a dict, addressable by name or by a Secrets-Manager-style ARN.

    ``fail_next``/``throttle_next`` inject faults; ``retry`` (none by default) retries them
    on ``clock`` like the real store does.

    Example::

        store = FakeSecretStore({"db": '{"username": "admin", "password": "pw"}'})
        creds = await get_basic_auth_secret(store, "db")
    """

    def __init__(
        self,
        secrets: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        latency: float = 0.0,
        retry: RetryPolicy = NO_RETRY,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        self.clock: Clock = clock or FakeClock()
        self.latency = latency
        self.retry = retry
        self.region = region
        self.account_id = account_id
        self.calls: list[FakeSecretStoreCall] = []
        self._values: dict[str, Secret] = {}
        self._arns: dict[str, str] = {}  # name -> ARN
        self._faults: dict[str, list[tuple[list[int], Callable[[], BaseException]]]] = {}
        for name, value in (secrets or {}).items():
            self.put_secret(name, value)

    def put_secret(self, name: str, value: str | Secret) -> str:
        """Create or replace a secret; returns its ARN (either works as ``secret_id``)."""
        if not name:
            raise ValueError("secret name must be non-empty")
        arn = self._arns.get(name) or (
            f"arn:aws:secretsmanager:{self.region}:{self.account_id}:secret:{name}-"
            f"{zlib.crc32(name.encode()) % 10**6:06d}"
        )
        self._arns[name] = arn
        self._values[name] = value if isinstance(value, Secret) else Secret(value)
        return arn

    def delete_secret(self, name: str) -> None:
        """Remove a secret (later reads raise ``AwsNotFoundError``)."""
        self._values.pop(name, None)
        self._arns.pop(name, None)

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` attempts at ``operation`` raise (a copy of) ``error``."""
        self._add_fault(operation, times, lambda: copy.copy(error))

    def throttle_next(self, operation: str, *, times: int = 1) -> None:
        """Make the next ``times`` attempts fail as AWS throttling does (transient)."""

        def make() -> BaseException:
            err = AwsError("Secrets Manager throttled: Rate exceeded", code="ThrottlingException")
            err.transient = True
            return err

        self._add_fault(operation, times, make)

    def calls_to(self, operation: str) -> list[FakeSecretStoreCall]:
        """The logged attempts at one operation."""
        return [c for c in self.calls if c.operation == operation]

    def _add_fault(self, operation: str, times: int, make: Callable[[], BaseException]) -> None:
        if operation not in OPERATIONS:
            raise ValueError(f"unknown FakeSecretStore operation {operation!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        self._faults.setdefault(operation, []).append(([times], make))

    async def _attempt(self, operation: str, secret_id: str, fn: Callable[[], T]) -> T:
        if self.closed:
            raise RuntimeError("FakeSecretStore is closed")

        async def attempt() -> T:
            if self.latency:
                await self.clock.sleep(self.latency)
            try:
                queue = self._faults.get(operation)
                if queue:
                    remaining, make = queue[0]
                    remaining[0] -= 1
                    if remaining[0] <= 0:
                        queue.pop(0)
                    raise make()
                result = fn()
            except Exception as exc:
                self.calls.append(FakeSecretStoreCall(operation, secret_id, exc))
                raise
            self.calls.append(FakeSecretStoreCall(operation, secret_id))
            return result

        return await self.retry.run(attempt, clock=self.clock)

    async def ping(self) -> None:
        await self._attempt("ping", "", lambda: None)

    async def get_secret_string(self, secret_id: str) -> Secret:
        if not isinstance(secret_id, str) or not secret_id:
            raise ValueError(f"secret_id must be a non-empty string, got {secret_id!r}")

        def read() -> Secret:
            name = next((n for n, arn in self._arns.items() if arn == secret_id), secret_id)
            value = self._values.get(name)
            if value is None:
                raise AwsNotFoundError(
                    f"Secret {secret_id} not found: Secrets Manager can't find the specified "
                    "secret.",
                    code="ResourceNotFoundException",
                )
            return value

        return await self._attempt("get_secret_string", secret_id, read)

    async def get_json_secret(self, secret_id: str) -> dict[str, Secret]:
        return decode_json_object(secret_id, await self.get_secret_string(secret_id))
