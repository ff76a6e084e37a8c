"""The secret-store protocol: read secret strings (and JSON key/value secrets) by id."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..._secret import Secret

__all__ = ["SecretStore"]


@runtime_checkable
class SecretStore(Protocol):
    """Where secrets live (AWS Secrets Manager, or a fake). Values never leave as plain ``str``.

    Errors are :class:`~asyncconsole.AwsError` (``AwsNotFoundError`` for a missing secret);
    their messages name the secret id, never its value.
    """

    async def ping(self) -> None:
        """Cheap health check: the store answers with these credentials.

        Raises:
            AwsError: the store is unreachable or refuses the credentials.
        """
        ...

    async def get_secret_string(self, secret_id: str) -> Secret:
        """The current value of a secret.

        Args:
            secret_id: Secret name or ARN.

        Raises:
            AwsNotFoundError: no such secret.
            AwsError: any other refusal (access denied, decryption failure...).
        """
        ...

    async def get_json_secret(self, secret_id: str) -> dict[str, Secret]:
        """A key/value secret: its value parsed as a JSON object, each value kept secret.

        Non-string JSON values are kept as their JSON text (``5`` → ``"5"``).

        Raises:
            AwsNotFoundError: no such secret.
            AwsError: code ``InvalidSecretFormat`` when the value is not a JSON object.
        """
        ...
