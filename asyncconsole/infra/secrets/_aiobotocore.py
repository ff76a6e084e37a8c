"""``AwsSecretsManager``: Secrets Manager through aiobotocore (imported lazily via ``_aws.py``)."""

from __future__ import annotations

import logging

from ..._clock import Clock
from ..._errors import AwsError, AwsNotFoundError
from ..._observe import observe
from ..._retry import RetryPolicy
from ..._secret import Secret
from .._aws import AwsClientResource, aws_error_fields
from ._format import INVALID_FORMAT, decode_json_object

__all__ = ["AwsSecretsManager"]

logger = logging.getLogger("asyncconsole.infra.secrets")

DEFAULT_RETRY = RetryPolicy(
    attempts=4, wait_initial=0.2, wait_max=5.0, wait_jitter=0.2, timeout=60.0
)

_NOT_FOUND_CODES = frozenset({"ResourceNotFoundException"})


class AwsSecretsManager(AwsClientResource):
    """The :class:`SecretStore` for AWS Secrets Manager (``GetSecretValue``), on one client.

    Region and credentials come from the arguments or the standard AWS chain; botocore's own
    retries are off and throttling is retried with ``retry`` on ``clock``. Wrap it in
    :class:`CachedSecretStore` to fetch each secret once.
    """

    _service = "secretsmanager"
    _title = "Secrets Manager"
    _error = AwsError

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        user_agent_extra: str | None = None,
        access_key: str | None = None,
        secret_key: Secret | str | None = None,
        session_token: Secret | str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Clock | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            region,
            endpoint_url,
            user_agent_extra=user_agent_extra,
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            retry=retry,
            clock=clock,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def _translate(self, exc: Exception, operation: str, target: str) -> AwsError:
        code, message, status, transient = aws_error_fields(exc)
        if code in _NOT_FOUND_CODES:
            err: AwsError = AwsNotFoundError(f"Secret {target} not found: {message}", code=code)
        else:
            what = f"{code}: {message}" if code else message
            err = AwsError(
                f"Secrets Manager {operation} {target} failed: {what}", code=code, status=status
            )
        err.transient = transient
        return err

    async def ping(self) -> None:
        async with observe(logger, "secrets.ping", self._options.endpoint_url or "aws"):
            await self._call("list_secrets", "secrets", MaxResults=1)

    async def get_secret_string(self, secret_id: str) -> Secret:
        if not isinstance(secret_id, str) or not secret_id:
            raise ValueError(f"secret_id must be a non-empty string, got {secret_id!r}")
        async with observe(logger, "secrets.get_secret_value", secret_id):
            resp = await self._call("get_secret_value", secret_id, SecretId=secret_id)
            text = resp.get("SecretString")
            if isinstance(text, str):
                return Secret(text)
            blob = resp.get("SecretBinary")
            if isinstance(blob, bytes | bytearray):
                try:
                    return Secret(bytes(blob).decode("utf-8"))
                except UnicodeDecodeError:
                    pass
            raise AwsError(
                f"Secret {secret_id} has no SecretString (nor UTF-8 SecretBinary)",
                code=INVALID_FORMAT,
            )

    async def get_json_secret(self, secret_id: str) -> dict[str, Secret]:
        return decode_json_object(secret_id, await self.get_secret_string(secret_id))
