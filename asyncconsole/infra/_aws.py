"""What every AWS adapter shares (ECS, S3, Secrets Manager, CloudWatch), real and fake.

- :class:`AwsApi`: the base of a system's adapter base class: one API request per
  :meth:`AwsApi._send` (botocore's operation name and parameters in, its answer out), decoded
  with shape checks by :func:`decoded`. A fake simulates the service at that level.
- :class:`AiobotocoreAdapter`: the real side, once for all services: the constructor (region,
  endpoint, credentials, timeouts, retries), one pooled aiobotocore client, and the one place
  where botocore's exceptions become :class:`~asyncconsole.infra._core.PeerFailure`.

Only this module imports aiobotocore/botocore, lazily.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import (
    AbstractContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
    nullcontext,
)
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict, TypeVar

from .._clock import Clock
from .._errors import AwsError, AwsNotFoundError, AwsTimeoutError, ConfigError
from .._redact import mask_url
from .._retry import RetryPolicy
from .._secret import Secret
from ._adapter import CoreAdapter
from ._core import ErrorTypes, PeerFailure, ShapeError, shaped

__all__ = [
    "AiobotocoreAdapter",
    "AwsApi",
    "AwsClientOptions",
    "AwsDefaults",
    "AwsOptions",
    "aws_errors",
    "aws_failure",
    "decoded",
    "open_aws_client",
]

T = TypeVar("T")

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
        connect_timeout / read_timeout: seconds per socket operation; never unbounded.
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


def decoded(answer: Any, parser: Callable[[Any], T], what: str) -> T:
    """``parser(answer)``; an answer of an unexpected shape is a ``malformed`` failure (the
    core makes it a :class:`~asyncconsole.MalformedResponseError` naming endpoint and status)."""
    try:
        return shaped(answer, parser, what)
    except ShapeError as exc:
        meta = answer.get("ResponseMetadata") if isinstance(answer, dict) else None
        status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
        raise PeerFailure(
            "malformed", str(exc), status=status if isinstance(status, int) else None
        ) from None


def _aws_error(cls: type[AwsError], message: str, *, action: str, **context: Any) -> AwsError:
    # AWS says "not found" with an error code (and often a 400), not only with a 404.
    if cls is AwsError and context.get("code") in NOT_FOUND_CODES:
        cls = AwsNotFoundError
    return cls(message, **context)


NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchBucket", "NoSuchKey", "NotFound", "404"}
)


def aws_errors(system: str) -> ErrorTypes:
    """The error classes of an AWS API other than ECS (``AwsError`` and its kinds)."""
    return ErrorTypes(
        system, base=AwsError, timeout=AwsTimeoutError, not_found=AwsNotFoundError, build=_aws_error
    )


class AwsApi(CoreAdapter):
    """An adapter that speaks an AWS API one request at a time (real or simulated)."""

    def _reading(self) -> AbstractContextManager[None]:
        """Around reading a streamed answer's body: the real adapter translates its errors."""
        return nullcontext()

    async def _send(
        self, operation: str, params: Mapping[str, Any], left: float | None
    ) -> dict[str, Any]:
        """One request: botocore's snake_case ``operation`` with its ``params``; its answer as
        botocore returns it. Failures are raised as :class:`PeerFailure`. ``left``: seconds
        before the call's deadline."""
        raise NotImplementedError

    async def _paginate(
        self, operation: str, params: Mapping[str, Any], left: float | None
    ) -> list[dict[str, Any]]:
        """Every page of a listing (a simulated service answers in one page)."""
        return [await self._send(operation, params, left)]


class AwsOptions(TypedDict, total=False):
    """:class:`AiobotocoreAdapter`'s keyword options, for adapters that add their own."""

    user_agent_extra: str | None
    access_key: str | None
    secret_key: Secret | str | None
    session_token: Secret | str | None
    retry: RetryPolicy | None
    clock: Clock | None
    connect_timeout: float | None
    read_timeout: float | None
    max_pool_connections: int | None


@dataclass(frozen=True)
class AwsDefaults:
    """One AWS adapter's defaults (what its constructor uses when given ``None``)."""

    retry: RetryPolicy
    request_timeout: float = 60.0
    read_timeout: float = 30.0
    connect_timeout: float = 10.0
    max_pool_connections: int = 10


class AiobotocoreAdapter(AwsApi):
    """The real side of every AWS adapter: one pooled aiobotocore client for :attr:`_service`.

    Args:
        region: AWS region; ``None`` uses the standard chain (``AWS_DEFAULT_REGION``, config).
        endpoint_url: Override the service endpoint (moto server, VPC endpoint).
        user_agent_extra: Appended to the User-Agent.
        access_key / secret_key / session_token: Explicit credentials (both halves of the
            key pair, or neither); ``None`` uses the standard chain (environment, shared files,
            container and instance roles). Secrets are never shown.
        retry: Retries of transient failures (throttling, 5xx, lost connections) for calls
            safe to repeat; botocore's own retries are off.
        clock: Time for deadlines and retry waits.
        request_timeout: Seconds each public call may take, every attempt and wait included.
        connect_timeout / read_timeout: botocore's per-socket-operation limits.
        max_pool_connections: Connections kept open (concurrent calls beyond it queue).

    ``None`` takes the adapter's default (:attr:`_defaults`).
    """

    _service: ClassVar[str]
    _title: ClassVar[str]
    _defaults: ClassVar[AwsDefaults]
    _region_hint: ClassVar[str] = "pass region= or set AWS_DEFAULT_REGION"

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        user_agent_extra: str | None = None,
        access_key: str | None = None,
        secret_key: Secret | str | None = None,
        session_token: Secret | str | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        request_timeout: float | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_pool_connections: int | None = None,
    ) -> None:
        # Half a key pair is a mistake worth reporting, not a reason to fall back silently.
        if (access_key is None) != (secret_key is None):
            raise ConfigError(
                f"{type(self).__name__} needs both access_key and secret_key, or neither"
            )
        defaults = self._defaults
        self._options = AwsClientOptions(
            region=region,
            endpoint_url=endpoint_url,
            user_agent_extra=user_agent_extra,
            access_key=access_key,
            secret_key=_as_secret(secret_key),
            session_token=_as_secret(session_token),
            connect_timeout=_positive("connect_timeout", connect_timeout, defaults.connect_timeout),
            read_timeout=_positive("read_timeout", read_timeout, defaults.read_timeout),
            max_pool_connections=max_pool_connections or defaults.max_pool_connections,
        )
        if endpoint_url:
            where = mask_url(endpoint_url)
        else:
            where = f"{self._service} in {region or 'the default region'}"
        super().__init__(
            endpoint=where,
            clock=clock,
            timeout=_positive("request_timeout", request_timeout, defaults.request_timeout),
            retry=retry or defaults.retry,
        )
        self._stack = AsyncExitStack()
        self._client: Any = None

    def __repr__(self) -> str:
        o = self._options
        return f"{type(self).__name__}(region={o.region!r}, endpoint_url={o.endpoint_url!r})"

    async def _open(self) -> None:
        try:
            client = await self._stack.enter_async_context(
                open_aws_client(self._service, self._options)
            )
        except Exception as exc:
            if type(exc).__name__ == "NoRegionError":
                raise ConfigError(f"No AWS region for {self._title}: {self._region_hint}") from exc
            failure = aws_failure(exc, None)
            detail = failure.detail if failure is not None else f"{type(exc).__name__}: {exc}"
            raise self._errors.base(f"Cannot create the {self._title} client: {detail}") from exc
        # Remember each answer's status, so an answer botocore cannot parse is reported with it.
        client.meta.events.register("before-parse", _remember_status)
        self._client = client
        self._core.endpoint = mask_url(str(client.meta.endpoint_url))

    async def _close(self) -> None:
        self._client = None
        await self._stack.aclose()

    def _check_usable(self) -> None:
        super()._check_usable()
        if self._client is None:
            name = type(self).__name__
            raise RuntimeError(f"{name} is not open: use 'async with {name}(...)' or await open()")

    async def _send(
        self, operation: str, params: Mapping[str, Any], left: float | None
    ) -> dict[str, Any]:
        # botocore's own timeouts are per socket operation; the core's deadline ends the call.
        with _translated(self._options.read_timeout):
            answer: dict[str, Any] = await getattr(self._client, operation)(**params)
            return answer

    def _reading(self) -> AbstractContextManager[None]:
        return _translated(self._options.read_timeout)

    async def _paginate(
        self, operation: str, params: Mapping[str, Any], left: float | None
    ) -> list[dict[str, Any]]:
        with _translated(self._options.read_timeout):
            pages = self._client.get_paginator(operation).paginate(**params)
            return [page async for page in pages]


# The status of the answer being parsed by botocore in this task (see _translated).
_ANSWERED: ContextVar[list[int | None] | None] = ContextVar("aws_answered", default=None)


def _remember_status(response_dict: Mapping[str, Any] | None = None, **_: Any) -> None:
    box = _ANSWERED.get()
    if box is not None and isinstance(response_dict, Mapping):
        status = response_dict.get("status_code")
        box[0] = status if isinstance(status, int) else None


@contextmanager
def _translated(read_timeout: float | None = None) -> Iterator[None]:
    """Raise what botocore raises in the block as a :class:`PeerFailure` (the one place).
    ``read_timeout``: botocore's, the limit a read timeout in the block reports."""
    box: list[int | None] = [None]
    token = _ANSWERED.set(box)
    try:
        yield
    except PeerFailure:
        raise
    except Exception as exc:
        if type(exc).__name__ == "ParamValidationError":
            raise ValueError(str(exc)) from exc
        failure = aws_failure(exc, box[0], read_timeout)
        if failure is None:
            raise
        raise failure from exc
    finally:
        _ANSWERED.reset(token)


# What botocore's parsers raise on an answer they cannot read (JSON nested 10,000 deep, a
# list where an object is due, bytes that are not UTF-8...).
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)


def aws_failure(
    exc: BaseException, answered: int | None, read_timeout: float | None = None
) -> PeerFailure | None:
    """The :class:`PeerFailure` for an exception of botocore (or aiohttp under it), or None
    when it is not about the peer. ``answered``: the status of the answer being parsed, if any;
    ``read_timeout``: the client's, reported as the limit that expired when a read timed out
    (not the whole call's limit, which may be far from spent)."""
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    response = getattr(exc, "response", None)
    if isinstance(exc, bx.ClientError) and isinstance(response, dict):
        error = response.get("Error") or {}
        code = str(error.get("Code") or "") or None
        message = str(error.get("Message") or "") or str(exc)
        meta = response.get("ResponseMetadata") or {}
        status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
        status = status if isinstance(status, int) else answered
        transient = code in THROTTLING_CODES or (
            status is not None and (status == 429 or status >= 500)
        )
        detail = f"{code}: {message}" if code and code not in message else message
        return PeerFailure("status", detail, status=status, code=code, transient=transient)
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, bx.ReadTimeoutError):
        return _read_timed_out(text, read_timeout)
    if isinstance(exc, bx.SSLError):
        return PeerFailure("unreachable", text, transient=False)
    if isinstance(exc, bx.ConnectionError):  # refused, connect timeout, proxy, DNS
        return PeerFailure("unreachable", text)
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return PeerFailure("unreachable", text, transient=False)
    if isinstance(exc, ResponseParserError) or (
        answered is not None and isinstance(exc, _PARSE_ERRORS)
    ):
        return PeerFailure("malformed", text, status=answered)
    if isinstance(exc, bx.HTTPClientError):  # the connection dropped: it may have been sent
        return PeerFailure("lost", text)
    if isinstance(exc, bx.BotoCoreError):
        return PeerFailure("lost", text, transient=False)
    import aiohttp  # under aiobotocore: a streamed body's read fails with its errors

    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return PeerFailure("lost", text)
    if isinstance(exc, TimeoutError):  # reading a streamed body
        return _read_timed_out(text, read_timeout)
    return None


def _read_timed_out(text: str, read_timeout: float | None) -> PeerFailure:
    failure = PeerFailure("timeout", text)
    if read_timeout is not None:  # else the core reports the call's limit
        failure.context["timeout"] = read_timeout
    return failure


def _positive(name: str, value: float | None, default: float) -> float:
    seconds = default if value is None else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < 1e9:
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(seconds)


def _as_secret(value: Secret | str | None) -> Secret | None:
    return value if isinstance(value, Secret) or value is None else Secret(value)
