"""``BaseSecretStore``: the :class:`SecretStore` methods, once, for Secrets Manager and the fake.

The argument checks, the ``GetSecretValue`` request and its decoding, the deadline, retries,
typed errors and events live here; :class:`AwsSecretsManager` sends the requests through
aiobotocore and :class:`FakeSecretStore` answers them from a dict.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Final

from ..._errors import AwsError, AwsNotFoundError
from ..._secret import Secret
from .._aws import AwsApi, aws_errors, decoded
from .._core import Operation
from ._format import INVALID_FORMAT, decode_json_object

__all__ = ["BaseSecretStore"]

_PING: Final = Operation("secrets.ping", idempotent=True)
_GET: Final = Operation("secrets.get_secret_string", idempotent=True)


def _secret_error(cls: type[AwsError], message: str, *, action: str, **context: Any) -> AwsError:
    error = _AWS.build(cls, message, action=action, **context)  # type: ignore[misc]
    if isinstance(error, AwsNotFoundError):
        # console_link's words: "Secret <id> not found: ..."
        detail = message.removeprefix(f"{action}: ")
        return AwsNotFoundError(f"Secret {action} not found: {detail}", **context)
    assert isinstance(error, AwsError)
    return error


_AWS: Final = aws_errors("Secrets Manager")


class BaseSecretStore(AwsApi):
    """Secrets read with ``GetSecretValue`` (see the module docstring)."""

    _errors = replace(_AWS, build=_secret_error)
    _log = logging.getLogger("asyncconsole.infra.secrets")

    async def ping(self) -> None:
        async def attempt(left: float | None) -> None:
            answer = await self._send("list_secrets", {"MaxResults": 1}, left)
            decoded(answer, lambda a: list(a["SecretList"]), "ListSecrets")

        await self._run(_PING, self.endpoint, attempt)

    async def get_secret_string(self, secret_id: str) -> Secret:
        if not isinstance(secret_id, str) or not secret_id:
            raise ValueError(f"secret_id must be a non-empty string, got {secret_id!r}")

        async def attempt(left: float | None) -> Secret | None:
            answer = await self._send("get_secret_value", {"SecretId": secret_id}, left)
            return decoded(answer, _value, "GetSecretValue")

        value = await self._run(_GET, secret_id, attempt, params={"secret_id": secret_id})
        if value is None:
            raise AwsError(
                f"Secret {secret_id} has no SecretString (nor UTF-8 SecretBinary)",
                code=INVALID_FORMAT,
            )
        return value

    async def get_json_secret(self, secret_id: str) -> dict[str, Secret]:
        return decode_json_object(secret_id, await self.get_secret_string(secret_id))


def _value(answer: Any) -> Secret | None:
    """The secret's text (``SecretString``, else UTF-8 ``SecretBinary``), never shown."""
    if not isinstance(answer, dict):
        raise TypeError(f"expected an object, got {type(answer).__name__}")
    text = answer.get("SecretString")
    if isinstance(text, str):
        return Secret(text)
    blob = answer.get("SecretBinary")
    if isinstance(blob, bytes | bytearray):
        try:
            return Secret(bytes(blob).decode("utf-8"))
        except UnicodeDecodeError:
            return None
    if "SecretString" in answer or "SecretBinary" in answer or "ARN" in answer:
        return None  # a secret without a readable value
    raise KeyError("SecretString")
