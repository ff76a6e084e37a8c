"""``FakeSecretStore``: an in-memory Secrets Manager with a call log and fault injection."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..._clock import Clock, FakeClock
from ..._retry import NO_RETRY, RetryPolicy
from ..._secret import Secret
from .._core import FaultPlan, PeerFailure
from .._fake_peer import FakeAwsPeer
from ._base import BaseSecretStore

__all__ = ["FakeSecretStore", "FakeSecretStoreCall"]

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


class FakeSecretStore(FakeAwsPeer[FakeSecretStoreCall], BaseSecretStore):
    """Secrets in a dict, addressable by name or by a Secrets-Manager-style ARN.

    ``fail_next``/``throttle_next`` script refusals; ``retry`` (none by default) retries
    them on ``clock`` like the real store does; :attr:`faults` injects network faults.

    Example::

        store = FakeSecretStore({"db": '{"username": "admin", "password": "pw"}'})
        creds = await get_basic_auth_secret(store, "db")
    """

    _operations = OPERATIONS

    def __init__(
        self,
        secrets: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        latency: float = 0.0,
        retry: RetryPolicy = NO_RETRY,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        request_timeout: float | None = 60.0,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(
            endpoint=f"fake Secrets Manager ({region})",
            clock=clock or FakeClock(),
            timeout=request_timeout,
            retry=retry,
            faults=faults,
            latency=latency,
        )
        self.region = region
        self.account_id = account_id
        self.calls: list[FakeSecretStoreCall] = []
        self._values: dict[str, Secret] = {}
        self._arns: dict[str, str] = {}  # name -> ARN
        self._api = {
            "list_secrets": self._list_secrets,
            "get_secret_value": self._get_secret_value,
        }
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

    def _record(
        self, operation: str, params: Mapping[str, Any], result: Any, error: BaseException | None
    ) -> None:
        self.calls.append(FakeSecretStoreCall(operation, params.get("secret_id", ""), error))

    def _list_secrets(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"SecretList": [{"Name": name, "ARN": arn} for name, arn in self._arns.items()]}

    def _get_secret_value(self, params: Mapping[str, Any]) -> dict[str, Any]:
        secret_id = params["SecretId"]
        name = next((n for n, arn in self._arns.items() if arn == secret_id), secret_id)
        value = self._values.get(name)
        if value is None:
            raise PeerFailure(
                "status",
                "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
                status=400,
                code="ResourceNotFoundException",
            )
        return {"ARN": self._arns[name], "Name": name, "SecretString": value.get()}
