"""Shared aiobotocore plumbing for the AWS adapters (ECS, CloudWatch, S3, Secrets Manager, STS).

Only this module and the ``_aiobotocore.py`` adapters import aiobotocore/botocore, lazily.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from .._clock import Clock, SystemClock
from .._errors import ConfigError, InfrastructureError
from .._resource import AsyncResource
from .._retry import NO_RETRY, OnRetry, RetryPolicy
from .._secret import Secret

__all__ = ["AwsClientOptions", "AwsClientResource", "aws_error_fields", "open_aws_client"]

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


class AwsClientResource(AsyncResource, ABC):
    """An :class:`AsyncResource` owning one pooled aiobotocore client: what every AWS adapter shares.

    It builds the :class:`AwsClientOptions` from the adapters' common keyword options, opens and
    closes the client, and sends requests with :meth:`_call` (retried with the adapter's
    :class:`~asyncconsole.RetryPolicy` on its clock when idempotent, errors translated by
    :meth:`_translate`). Each public method wraps its requests in ``observe()`` itself, so one
    log event stands for one operation however many requests (pages, batches) it took.

    Subclasses set :attr:`_service` (botocore's name) and implement :meth:`_translate`; the
    default :meth:`_open_error` also wants :attr:`_title` (in messages) and :attr:`_error` (the
    type of a failure to create the client).
    """

    _service: ClassVar[str]
    _title: ClassVar[str]
    _error: ClassVar[type[InfrastructureError]]
    _region_hint: ClassVar[str] = "pass region= or set AWS_DEFAULT_REGION"
    # Logger for a DEBUG line before each retry; None logs none.
    _retry_log: ClassVar[logging.Logger | None] = None
    # Errors the client call may raise that pass through untranslated.
    _passthrough: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(
        self,
        region: str | None,
        endpoint_url: str | None,
        *,
        user_agent_extra: str | None,
        access_key: str | None,
        secret_key: Secret | str | None,
        session_token: Secret | str | None,
        retry: RetryPolicy,
        clock: Clock | None,
        connect_timeout: float,
        read_timeout: float,
        max_pool_connections: int = AwsClientOptions.max_pool_connections,
    ) -> None:
        # Half a key pair is a mistake worth reporting, not a reason to fall back silently.
        if (access_key is None) != (secret_key is None):
            raise ConfigError(
                f"{type(self).__name__} needs both access_key and secret_key, or neither"
            )
        self._options = AwsClientOptions(
            region=region,
            endpoint_url=endpoint_url,
            user_agent_extra=user_agent_extra,
            access_key=access_key,
            secret_key=_as_secret(secret_key),
            session_token=_as_secret(session_token),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
        )
        self._retry = retry
        self._clock: Clock = clock or SystemClock()
        self._stack = AsyncExitStack()
        self._client: Any = None

    def __repr__(self) -> str:
        o = self._options
        return f"{type(self).__name__}(region={o.region!r}, endpoint_url={o.endpoint_url!r})"

    async def _open(self) -> None:
        try:
            self._client = await self._stack.enter_async_context(
                open_aws_client(self._service, self._options)
            )
        except Exception as exc:
            raise self._open_error(exc) from exc

    async def _close(self) -> None:
        self._client = None
        await self._stack.aclose()

    def _open_error(self, exc: Exception) -> Exception:
        """The error raised when the client cannot be created."""
        if type(exc).__name__ == "NoRegionError":
            return ConfigError(f"No AWS region for {self._title}: {self._region_hint}")
        code, message, _, _ = aws_error_fields(exc)
        return self._error(f"Cannot create the {self._title} client: {message}", code=code)

    def _require(self) -> Any:
        """The open client, or a ``RuntimeError`` saying how to open it."""
        if self._client is None:
            name = type(self).__name__
            raise RuntimeError(f"{name} is not open: use 'async with {name}(...)'")
        return self._client

    @abstractmethod
    def _translate(self, exc: Exception, operation: str, target: str) -> Exception:
        """The asyncconsole error for ``exc`` raised by ``operation`` on ``target``."""

    async def _call(
        self, operation: str, target: str, *, idempotent: bool = True, **params: Any
    ) -> dict[str, Any]:
        """One API request (botocore's snake_case ``operation``), retried if idempotent."""
        method = getattr(self._require(), operation)

        async def attempt() -> dict[str, Any]:
            try:
                response: dict[str, Any] = await method(**params)
            except self._passthrough:
                raise
            except Exception as exc:
                raise self._translate(exc, operation, target) from exc
            return response

        policy = self._retry if idempotent else NO_RETRY
        return await policy.run(
            attempt, clock=self._clock, on_retry=self._on_retry(operation, target)
        )

    def _on_retry(self, operation: str, target: str) -> OnRetry | None:
        log = self._retry_log
        if log is None:
            return None
        template = f"{self._service} %s %s attempt %d failed (%s); retrying in %.2fs"

        def on_retry(number: int, exc: BaseException, wait: float) -> None:
            log.debug(template, operation, target, number, exc, wait)

        return on_retry


def _as_secret(value: Secret | str | None) -> Secret | None:
    return value if isinstance(value, Secret) or value is None else Secret(value)
