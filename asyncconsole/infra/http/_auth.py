"""Authentication for HTTP requests: HTTP Basic, AWS SigV4, and the protocol both follow."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from ..._clock import Clock
from ..._errors import AwsError, ConfigError
from ..._secret import Secret

if TYPE_CHECKING:
    from ._types import HttpRequest

__all__ = ["AwsCredentials", "BasicAuth", "HttpAuth", "SigV4Auth"]


@runtime_checkable
class HttpAuth(Protocol):
    """Something that adds authentication headers to a request just before it is sent."""

    async def headers_for(self, request: HttpRequest) -> Mapping[str, str]:
        """The complete headers to send for ``request`` (its own headers plus auth headers).

        Called once per attempt, so signatures and tokens are fresh on retries.
        """
        ...


class BasicAuth:
    """HTTP Basic authentication; the password is held as a :class:`~asyncconsole.Secret`."""

    __slots__ = ("_header", "password", "username")

    def __init__(self, username: str, password: str | Secret) -> None:
        self.username = username
        self.password = password if isinstance(password, Secret) else Secret(password)
        token = base64.b64encode(f"{username}:{self.password.get()}".encode()).decode("ascii")
        self._header = Secret(f"Basic {token}")

    async def headers_for(self, request: HttpRequest) -> Mapping[str, str]:
        headers = dict(request.headers.raw_items())
        headers["Authorization"] = self._header.get()
        return headers

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password={self.password!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BasicAuth):
            return (self.username, self.password) == (other.username, other.password)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.username, self.password))


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    """AWS credentials: access key id, secret access key and an optional session token.

    The secret key and token are held as :class:`~asyncconsole.Secret` (plain strings are
    wrapped), so they never show in reprs or logs.
    """

    access_key: str
    secret_key: Secret
    token: Secret | None = None
    # Derived signing keys per (date, region, service): four HMACs saved on every request.
    _keys: dict[tuple[str, str, str], bytes] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )

    def __init__(
        self, access_key: str, secret_key: str | Secret, token: str | Secret | None = None
    ) -> None:
        object.__setattr__(self, "access_key", access_key)
        object.__setattr__(self, "secret_key", _secret(secret_key))
        object.__setattr__(self, "token", None if not token else _secret(token))
        object.__setattr__(self, "_keys", {})

    def signing_key(self, datestamp: str, region: str, service: str) -> bytes:
        """The SigV4 signing key for a day (``YYYYMMDD``), region and service."""
        cache_key = (datestamp, region, service)
        key = self._keys.get(cache_key)
        if key is None:
            key = f"AWS4{self.secret_key.get()}".encode()
            for part in (datestamp, region, service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            if len(self._keys) > 16:
                self._keys.clear()
            self._keys[cache_key] = key
        return key


def _secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


class SigV4Auth:
    """AWS Signature Version 4 for Amazon OpenSearch Service (``es``) and Serverless (``aoss``).

    Without ``credentials``, the standard AWS chain (environment, profile, container or
    instance role...) is resolved through botocore on first use, off the event loop, and
    refreshed when it expires. Without ``region``, botocore's configured region is used.

    ``signing_endpoint`` is for a proxy in front of the domain (console_link's
    ``sigv4_signing_endpoint``): requests go to the client's URL but are signed for, and carry
    the ``Host`` of, the signing endpoint. ``clock`` supplies the signing time (tests).
    """

    def __init__(
        self,
        region: str | None = None,
        service: str = "es",
        credentials: AwsCredentials | None = None,
        signing_endpoint: str | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if not service:
            raise ConfigError("SigV4Auth service must be a non-empty signing name (es, aoss)")
        self.region = region
        self.service = service
        self.credentials = credentials
        self.signing_endpoint = signing_endpoint.rstrip("/") if signing_endpoint else None
        self._signing_parts = urlsplit(self.signing_endpoint) if self.signing_endpoint else None
        if self._signing_parts is not None and not self._signing_parts.netloc:
            raise ConfigError(f"SigV4Auth signing_endpoint {signing_endpoint!r} has no host")
        self._clock = clock
        self._botocore_creds: Any = None
        self._frozen: Any = None
        self._converted: AwsCredentials | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"SigV4Auth(region={self.region!r}, service={self.service!r}, "
            f"credentials={'<given>' if self.credentials else '<aws chain>'}, "
            f"signing_endpoint={self.signing_endpoint!r})"
        )

    async def current_credentials(self) -> AwsCredentials:
        """The credentials to sign with now (resolving or refreshing the AWS chain if needed)."""
        if self.credentials is not None:
            return self.credentials
        creds = self._botocore_creds
        if creds is None:
            async with self._lock:
                if self._botocore_creds is None:
                    await asyncio.to_thread(self._resolve_chain)
            creds = self._botocore_creds
        refresh_needed = getattr(creds, "refresh_needed", None)
        if refresh_needed is not None and refresh_needed():
            # Refreshing may call STS or the instance metadata service: not on the loop.
            frozen = await asyncio.to_thread(creds.get_frozen_credentials)
        else:
            frozen = creds.get_frozen_credentials()
        # Compared by value: plain botocore Credentials hand out a new tuple on every call, and
        # keeping the same AwsCredentials keeps its cached signing keys.
        if self._converted is None or frozen != self._frozen:
            self._frozen = frozen
            self._converted = AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token)
        return self._converted

    def _resolve_chain(self) -> None:
        import botocore.session

        session = botocore.session.get_session()
        creds = session.get_credentials()
        if creds is None:
            raise AwsError(
                "SigV4 signing needs AWS credentials and none were found in the standard chain "
                "(environment, shared config/credentials files, container or instance role)",
                code="NoCredentials",
            )
        if self.region is None:
            region = session.get_config_variable("region")
            if not region:
                raise ConfigError(
                    "SigV4Auth needs a region: pass region= or configure AWS_REGION / a profile"
                )
            self.region = region
        self._botocore_creds = creds

    async def headers_for(self, request: HttpRequest) -> Mapping[str, str]:
        from ._sigv4 import sign_sigv4

        credentials = await self.current_credentials()
        region = self.region
        if region is None:
            await asyncio.to_thread(self._resolve_region)
            region = self.region
            assert region is not None
        url = request.url
        headers: Mapping[str, str] = request.headers
        if self._signing_parts is not None:
            parts = urlsplit(url)
            target = self._signing_parts
            url = urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))
            hdrs = {k: v for k, v in request.headers.raw_items() if k.lower() != "host"}
            hdrs["Host"] = _host_of(target.scheme, target.netloc)
            headers = hdrs
        return sign_sigv4(
            request.method,
            url,
            headers,
            request.body,
            credentials=credentials,
            region=region,
            service=self.service,
            timestamp=self._clock.now() if self._clock is not None else None,
        )

    def _resolve_region(self) -> None:
        import botocore.session

        region = botocore.session.get_session().get_config_variable("region")
        if not region:
            raise ConfigError(
                "SigV4Auth needs a region: pass region= or configure AWS_REGION / a profile"
            )
        self.region = region


def _host_of(scheme: str, netloc: str) -> str:
    from ._sigv4 import _host_header

    return _host_header(scheme, netloc)
