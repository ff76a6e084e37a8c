"""Shared aiobotocore plumbing for the AWS adapters (ECS, CloudWatch, Secrets Manager, STS).

Only this module and the ``_aiobotocore.py`` adapters import aiobotocore/botocore, lazily.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from .._secret import Secret

__all__ = ["AwsClientOptions", "aws_error_fields", "open_aws_client"]

# Error codes AWS uses for "slow down"; these are worth retrying.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
    }
)


@dataclass(frozen=True)
class AwsClientOptions:
    """How to build an AWS client.

    Attributes:
        region: Region name; ``None`` uses the standard chain (``AWS_DEFAULT_REGION``, config).
        endpoint_url: Override the service endpoint (moto server, VPC endpoints).
        user_agent_extra: Appended to the User-Agent (``client_options.user_agent_extra``).
        max_attempts: botocore's own attempts (1 disables its retries; asyncconsole retries
            with its :class:`~asyncconsole.RetryPolicy` instead).
        access_key / secret_key / session_token: explicit credentials; ``None`` uses the
            standard chain (environment, shared files, container and instance roles).
        connect_timeout / read_timeout: seconds; never unbounded.
        max_pool_connections: connections kept per client (concurrent calls beyond it queue).
    """

    region: str | None = None
    endpoint_url: str | None = None
    user_agent_extra: str | None = None
    max_attempts: int = 1
    access_key: str | None = None
    secret_key: Secret | None = None
    session_token: Secret | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_pool_connections: int = 10


@asynccontextmanager
async def open_aws_client(service: str, options: AwsClientOptions) -> AsyncIterator[Any]:
    """Yield an open aiobotocore client for ``service``; closes its connection pool on exit."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    config = AioConfig(
        user_agent_extra=options.user_agent_extra,
        # botocore's "max_attempts" counts retries (1 would still retry once); "total_max_attempts"
        # counts every attempt, so 1 really turns botocore's retries off.
        retries={"total_max_attempts": options.max_attempts, "mode": "standard"},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_pool_connections=options.max_pool_connections,
    )
    kwargs: dict[str, Any] = {"config": config}
    if options.region:
        kwargs["region_name"] = options.region
    if options.endpoint_url:
        kwargs["endpoint_url"] = options.endpoint_url
    if options.access_key and options.secret_key:
        kwargs["aws_access_key_id"] = options.access_key
        kwargs["aws_secret_access_key"] = options.secret_key.get()
        if options.session_token:
            kwargs["aws_session_token"] = options.session_token.get()
    # create_client's stubs are one overload per service name; the name is data here.
    session: Any = get_session()
    async with session.create_client(service, **kwargs) as client:
        yield client


def aws_error_fields(exc: BaseException) -> tuple[str | None, str, int | None, bool]:
    """``(code, message, http_status, transient)`` for a botocore/aiohttp exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {}) or {}
        code = error.get("Code")
        message = error.get("Message") or str(exc)
        status = (response.get("ResponseMetadata", {}) or {}).get("HTTPStatusCode")
        transient = code in THROTTLING_CODES or (isinstance(status, int) and status >= 500)
        return code, message, status, transient
    name = type(exc).__name__
    transient = (
        "Connect" in name or "Timeout" in name or isinstance(exc, ConnectionError | TimeoutError)
    )
    return None, f"{name}: {exc}", None, transient
