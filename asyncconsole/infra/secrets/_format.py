"""Reading structure out of secret strings, with console_link's messages for basic auth."""

from __future__ import annotations

import json
from typing import Any

from ..._errors import AwsError
from ..._secret import Secret
from ._protocol import SecretStore
from ._types import BasicAuthSecret

__all__ = ["decode_json_object", "get_basic_auth_secret"]

INVALID_FORMAT = "InvalidSecretFormat"


def _loads(secret: Secret) -> Any:
    try:
        return json.loads(secret.get())
    except ValueError:
        return _NOT_JSON


_NOT_JSON = object()


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"


def _as_secret(value: Any) -> Secret:
    return Secret(value if isinstance(value, str) else json.dumps(value))


def decode_json_object(secret_id: str, secret: Secret) -> dict[str, Secret]:
    """The JSON object in ``secret``, values wrapped in :class:`Secret`.

    Raises:
        AwsError: code ``InvalidSecretFormat``; the message names the id, not the value.
    """
    data = _loads(secret)
    if data is _NOT_JSON:
        # ``from None``: json's error carries the document, i.e. the secret itself.
        raise AwsError(
            f"Expected secret {secret_id} to be a JSON object", code=INVALID_FORMAT
        ) from None
    if not isinstance(data, dict):
        raise AwsError(
            f"Secret {secret_id} is a JSON {_json_kind(data)}, not an object",
            code=INVALID_FORMAT,
        )
    return {str(k): _as_secret(v) for k, v in data.items()}


async def get_basic_auth_secret(store: SecretStore, secret_id: str) -> BasicAuthSecret:
    """Read ``{"username": ..., "password": ...}`` from ``store`` (``user_secret_arn``).

    Error messages are console_link's, word for word.

    Raises:
        AwsNotFoundError: no such secret.
        AwsError: code ``InvalidSecretFormat`` when the value is not such an object.
    """
    data = _loads(await store.get_secret_string(secret_id))
    if data is _NOT_JSON:
        raise AwsError(
            f"Expected secret {secret_id} to be a JSON object with username and password fields",
            code=INVALID_FORMAT,
        ) from None
    if not isinstance(data, dict) or not data:
        raise AwsError(
            "Secret is not a valid object containing a username and password.",
            code=INVALID_FORMAT,
        )
    missing = [key for key in ("username", "password") if key not in data]
    if missing:
        raise AwsError(
            f"Secret {secret_id} is missing required key(s): {', '.join(missing)}",
            code=INVALID_FORMAT,
        )
    return BasicAuthSecret(
        username=_as_secret(data["username"]).get(), password=_as_secret(data["password"])
    )
