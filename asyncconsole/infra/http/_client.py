"""The request pipeline shared by the real client and the fake, so both behave the same.

URL building, bodies, auth, ``raise_for_status`` and the HTTP errors live here; the deadline,
the retries (which know idempotency), reconciliation and the one event per request are the
adapter core's (:mod:`asyncconsole.infra._core`). Subclasses only move bytes
(:meth:`BaseHttpClient._send`).
"""

from __future__ import annotations

import abc
import json as _json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias
from urllib.parse import quote, unquote_plus, urlencode

from ..._clock import Clock, SystemClock
from ..._errors import HttpConflictError, HttpError, HttpNotFoundError, HttpTimeoutError
from ..._redact import mask_url
from ..._resource import AsyncResource
from ..._retry import RetryPolicy
from .._core import AdapterCore, ErrorTypes, FaultPlan, Operation
from ._auth import HttpAuth
from ._errors import TRANSIENT_STATUSES, status_error, timeout_error
from ._sigv4 import CANONICAL_QUERY
from ._types import Headers, HttpRequest, HttpResponse

__all__ = [
    "DEFAULT_RETRY",
    "IDEMPOTENT_METHODS",
    "SAFE_METHODS",
    "BaseHttpClient",
    "Params",
    "Reconcile",
    "RetryOption",
    "should_retry",
]

_log = logging.getLogger("asyncconsole.http")

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""HTTP's idempotent methods (RFC 9110). Not what asyncconsole retries by default: see
:data:`SAFE_METHODS`."""

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""The methods retried by default. PUT and DELETE are idempotent for HTTP but not for
OpenSearch's creates and deletes: a repeated ``PUT /index`` answers "already exists" and a
repeated ``DELETE`` "not found" for what the first one did. A request opts in with
``retry=True`` (a read sent as POST, a delete whose 404 the caller accepts), or passes
``reconcile=`` to look at the peer when its answer was lost."""

Params: TypeAlias = Mapping[str, Any] | Sequence[tuple[str, Any]]
RetryOption: TypeAlias = RetryPolicy | bool | None
Data: TypeAlias = bytes | str | Mapping[str, Any] | None
Reconcile: TypeAlias = Callable[[], Awaitable[HttpResponse | None]]
"""Looks at the server after a lost answer; returns the response to report when the request's
effect is there as asked, else None."""


def should_retry(exc: BaseException) -> bool:
    """HTTP's notion of transient: no response (but not a timeout or TLS failure), 429/502/503/504."""
    if isinstance(exc, HttpTimeoutError):
        return False
    if isinstance(exc, HttpError):
        if exc.status is None:
            return exc.transient
        return exc.status in TRANSIENT_STATUSES
    return False


DEFAULT_RETRY: Final = RetryPolicy(
    attempts=3,
    wait_initial=0.25,
    wait_max=5.0,
    wait_jitter=0.25,
    timeout=30.0,
    retry_on=should_retry,
)
"""Three tries with exponential backoff and jitter within the call's deadline, for requests
safe to repeat."""


def _http_error(cls: type[HttpError], message: str, **context: Any) -> HttpError:
    # The core's own errors (its deadline passed, an injected fault) in HTTP's words.
    method, _, url = str(context.get("action", "")).partition(" ")
    if issubclass(cls, HttpTimeoutError):
        return timeout_error(method, url, context.get("timeout"))
    return cls(message, method=method, url=url, status=context.get("status"))


_ERRORS: Final = ErrorTypes(
    "HTTP server",
    base=HttpError,
    timeout=HttpTimeoutError,
    not_found=HttpNotFoundError,
    conflict=HttpConflictError,
    build=_http_error,
)
_SAFE_OP: Final = Operation("http.request", idempotent=True)
_UNSAFE_OP: Final = Operation("http.request", idempotent=False)

# Characters left as they are in a path: RFC 3986 pchar plus "/" and existing %XX escapes.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_PATH_OK = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~]*\Z")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def quote_path(path: str) -> str:
    """Percent-encode what may not appear in a URL path; keep valid ``%XX`` escapes as they are."""
    if _PATH_OK.match(path):
        return path
    return quote(_BAD_PERCENT.sub("%25", path), safe=_PATH_SAFE)


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _param_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def encode_query(query: str, params: Params | None) -> str:
    """The query to send: ``query`` (from the path) normalised, then ``params`` appended.

    Names and values are encoded with RFC 3986 unreserved characters only, which is also
    SigV4's canonical encoding, so what is sent is exactly what is signed. ``+`` in a given
    query means a space (form encoding, as OpenSearch reads it). ``None`` values are dropped;
    list values repeat the name; booleans are ``true``/``false``.
    """
    parts: list[str] = []
    if query:
        if CANONICAL_QUERY.match(query):
            parts.append(query)
        else:
            for pair in query.split("&"):
                if pair:
                    key, _, value = pair.partition("=")
                    parts.append(f"{_encode(unquote_plus(key))}={_encode(unquote_plus(value))}")
    if params:
        items = params.items() if isinstance(params, Mapping) else params
        for key, value in items:
            if value is None:
                continue
            name = _encode(str(key))
            if isinstance(value, list | tuple):
                parts.extend(f"{name}={_encode(_param_value(v))}" for v in value if v is not None)
            else:
                parts.append(f"{name}={_encode(_param_value(value))}")
    return "&".join(parts)


class BaseHttpClient(AsyncResource, abc.ABC):
    """Builds requests, applies auth, retries and raise_for_status; subclasses send them."""

    def __init__(
        self,
        base_url: str | None,
        *,
        auth: HttpAuth | None,
        timeout: float,
        retry: RetryOption,
        raise_for_status: bool,
        clock: Clock | None,
        faults: FaultPlan | None = None,
    ) -> None:
        if base_url is not None:
            if not base_url.startswith(("http://", "https://")):
                raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
            base_url = base_url.rstrip("/")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._base_url = base_url
        self.auth = auth
        self.timeout = float(timeout)
        self.raise_for_status = raise_for_status
        self.retry = _as_policy(retry, DEFAULT_RETRY)
        self.clock: Clock = clock or SystemClock()
        self.faults = faults
        self._urls: dict[str, str] = {}
        self._actions: dict[str, str] = {}
        # The deadline spans every attempt; aiohttp's own total timeout (given what is left)
        # ends an attempt, so the core arms no extra timer (self_timed).
        self._core = AdapterCore(
            _ERRORS,
            endpoint=mask_url(base_url or ""),
            logger=_log,
            clock=self.clock,
            timeout=self.timeout,
            retry=self.retry,
            faults=faults,
            self_timed=True,
        )

    @property
    def base_url(self) -> str | None:
        return self._base_url

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._core.endpoint!r}, "
            f"auth={self.auth!r}, timeout={self.timeout})"
        )

    def url_for(self, path: str, params: Params | None = None) -> str:
        """The absolute URL a request for ``path`` goes to (base URL + path, encoded)."""
        if params:
            return self._build_url(path, params)
        # Services call the same few paths over and over: remember their URLs.
        url = self._urls.get(path)
        if url is None:
            url = self._build_url(path, None)
            if len(self._urls) >= 512:
                self._urls.clear()
            self._urls[path] = url
        return url

    def _build_url(self, path: str, params: Params | None) -> str:
        if path.startswith(("http://", "https://")):
            slash = path.find("/", path.index("//") + 2)
            if slash == -1:
                prefix, rest = path, "/"
            else:
                prefix, rest = path[:slash], path[slash:]
        elif self._base_url is None:
            raise ValueError(f"{path!r} is not an absolute URL and the client has no base_url")
        else:
            prefix = self._base_url
            rest = path if path.startswith("/") else "/" + path
        raw_path, _, query = rest.partition("?")
        raw_path, _, _ = raw_path.partition("#")
        url = prefix + quote_path(raw_path)
        if query or params:
            encoded = encode_query(query.partition("#")[0], params)
            if encoded:
                url = f"{url}?{encoded}"
        return url

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        data: Data = None,
        raise_for_status: bool | None = None,
        retry: RetryOption = None,
        reconcile: Reconcile | None = None,
    ) -> HttpResponse:
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        if not self._opened:
            await self.open()
        method = method.upper()
        url = self.url_for(path, params)
        hdrs: dict[str, str] = dict(headers) if headers else {}
        body = b""
        if json is not None:
            if data is not None:
                raise ValueError("pass either json= or data=, not both")
            body = _json.dumps(json, separators=(",", ":")).encode()
            if not _has(hdrs, "content-type"):
                hdrs["Content-Type"] = "application/json"
        elif data is not None:
            if isinstance(data, bytes):
                body = data
            elif isinstance(data, str):
                body = data.encode()
            else:
                body = urlencode(
                    [(k, _param_value(v)) for k, v in data.items() if v is not None]
                ).encode()
                if not _has(hdrs, "content-type"):
                    hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if timeout is None:
            limit = self.timeout  # checked once, by the constructor
        elif isinstance(timeout, int | float) and 0 < timeout < float("inf"):
            limit = float(timeout)
        else:  # aiohttp reads 0 as "no timeout": never unbounded
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        rfs = self.raise_for_status if raise_for_status is None else raise_for_status
        policy = self._policy(method, retry)
        if method in SAFE_METHODS or retry is True or isinstance(retry, RetryPolicy):
            op = _SAFE_OP
        else:
            op = _UNSAFE_OP
        auth = self.auth
        send = self._send
        # A tuple is Headers' cheapest input (no mapping checks): this is the hottest path.
        sent_headers = Headers(tuple(hdrs.items()) if hdrs else ())

        async def attempt(left: float | None) -> HttpResponse:
            request = HttpRequest(method, url, sent_headers, body)
            if auth is not None:
                # Signed per attempt: a retry gets a fresh date and signature.
                signed = await auth.headers_for(request)
                request = HttpRequest(method, url, Headers(signed), body)
            response = await send(request, limit if left is None else left)
            if policy is not None and response.status in TRANSIENT_STATUSES:
                raise _TransientStatus(response)
            return response

        try:
            response = await self._core.call(
                op,
                self._action(method, url),
                attempt,
                timeout=limit,
                retry=policy,
                reconcile=reconcile,
                describe=_status_of,
                method=method,
            )
        except _TransientStatus as exc:
            # Retries exhausted (or not allowed) on a transient status: hand back the response
            # itself and let raise_for_status decide, exactly as without retries.
            response = exc.response
        if rfs and response.status >= 400:
            raise status_error(response)
        return response

    def _action(self, method: str, url: str) -> str:
        """``"GET <url>"`` with credentials masked, for errors and events (cached per URL)."""
        masked = self._actions.get(url)
        if masked is None:
            masked = mask_url(url)
            if len(self._actions) >= 512:
                self._actions.clear()
            self._actions[url] = masked
        return f"{method} {masked}"

    async def get(self, path: str, **kwargs: Any) -> HttpResponse:
        """``request("GET", path, ...)``."""
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> HttpResponse:
        """``request("POST", path, ...)``."""
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> HttpResponse:
        """``request("PUT", path, ...)``."""
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        """``request("DELETE", path, ...)``."""
        return await self.request("DELETE", path, **kwargs)

    async def head(self, path: str, **kwargs: Any) -> HttpResponse:
        """``request("HEAD", path, ...)``."""
        return await self.request("HEAD", path, **kwargs)

    async def ping(self, path: str = "/", *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self.request("GET", path, timeout=timeout, retry=False, raise_for_status=True)

    def _policy(self, method: str, retry: RetryOption) -> RetryPolicy | None:
        if retry is None:
            return self.retry if method in SAFE_METHODS else None
        return _as_policy(retry, self.retry or DEFAULT_RETRY)

    @abc.abstractmethod
    async def _send(self, request: HttpRequest, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        """Send one request and read the whole response; translate failures to HttpError."""


class _TransientStatus(HttpError):
    """A 429/502/503/504 response on its way through the retry loop (never escapes it)."""

    def __init__(self, response: HttpResponse) -> None:
        error = status_error(response)
        super().__init__(
            error.message,
            method=error.method,
            url=error.url,
            status=error.status,
            body_excerpt=error.body_excerpt,
            headers=error.headers,
        )
        self.transient = True
        self.retry_after = error.retry_after
        self.response = response


def _status_of(response: HttpResponse) -> dict[str, int]:
    return {"status": response.status}


def _has(headers: Mapping[str, str], name: str) -> bool:
    return any(k.lower() == name for k in headers)


def _as_policy(retry: RetryOption, default: RetryPolicy) -> RetryPolicy | None:
    if retry is None or retry is False:
        return None
    if retry is True:
        return default
    if isinstance(retry, RetryPolicy):
        return retry
    raise TypeError(f"retry must be a RetryPolicy, True or False, not {type(retry).__name__}")
