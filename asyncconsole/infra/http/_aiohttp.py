"""The real HTTP client: one pooled ``aiohttp.ClientSession`` per client."""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import aiohttp
from yarl import URL

from ..._clock import Clock
from ..._redact import mask_url
from ._auth import HttpAuth
from ._client import DEFAULT_RETRY, BaseHttpClient, RetryOption
from ._errors import connection_error, timeout_error, tls_error
from ._types import Headers, HttpRequest, HttpResponse

__all__ = ["AiohttpClient", "user_agent"]


def user_agent(extra: str | None = None) -> str:
    """``asyncconsole/<version>``, plus `` <extra>`` (console_link's ``user_agent_extra``)."""
    from ..._version import __version__

    agent = f"asyncconsole/{__version__}"
    return f"{agent} {extra}" if extra else agent


class AiohttpClient(BaseHttpClient):
    """HTTP client on one pooled aiohttp session, with auth, timeouts, retries and TLS options.

    Args:
        base_url: Prepended verbatim to every request path (``https://host:9200``); paths may
            also be absolute URLs.
        auth: :class:`BasicAuth`, :class:`SigV4Auth` or any :class:`HttpAuth`.
        timeout: Default total seconds per attempt (connect, send, read the whole body).
        connect_timeout: Seconds to establish a connection (capped by ``timeout``).
        allow_insecure: Skip TLS certificate verification (self-signed clusters).
        ca_bundle: Path of a PEM file of CA certificates to trust instead of the system's.
        user_agent_extra: Appended to the ``User-Agent`` (``asyncconsole/<version> <extra>``).
        limit: Most connections open at once; ``limit_per_host`` the most to one host (0 = no
            per-host limit).
        retry: Policy for transient failures of idempotent requests (``False`` to never retry);
            a request can override it, or opt in for a POST with ``retry=True``.
        raise_for_status: Raise :class:`~asyncconsole.HttpError` on 4xx/5xx by default.
        clock: Clock for retry waits (tests inject a fake one).
        headers: Headers sent with every request.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        auth: HttpAuth | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        allow_insecure: bool = False,
        ca_bundle: str | None = None,
        user_agent_extra: str | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
        retry: RetryOption = DEFAULT_RETRY,
        raise_for_status: bool = True,
        clock: Clock | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            timeout=timeout,
            retry=retry,
            raise_for_status=raise_for_status,
            clock=clock,
        )
        if not connect_timeout > 0:
            raise ValueError(f"connect_timeout must be positive, got {connect_timeout!r}")
        self.connect_timeout = float(connect_timeout)
        self.allow_insecure = allow_insecure
        self.ca_bundle = ca_bundle
        self.user_agent = user_agent(user_agent_extra)
        self.limit = limit
        self.limit_per_host = limit_per_host
        self._default_headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._targets: dict[str, URL] = {}

    def _ssl(self) -> ssl.SSLContext | bool:
        if self.allow_insecure:
            return False
        if self.ca_bundle:
            try:
                return ssl.create_default_context(cafile=self.ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"cannot load ca_bundle {self.ca_bundle!r}: {exc}") from exc
        return True

    async def _open(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.limit, limit_per_host=self.limit_per_host, ssl=self._ssl()
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.user_agent, **self._default_headers},
            timeout=self._timeout(self.timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
        )
        # aiohttp resends a PUT or DELETE by itself when a pooled connection drops; the adapter
        # core decides what is safe to repeat (SAFE_METHODS, or an opt-in), so turn that off.
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False

    async def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _timeout(self, total: float) -> aiohttp.ClientTimeout:
        # An attempt gets what the call's deadline leaves (a first attempt: all of it, less
        # microseconds): to the next 10 ms, so the same few timeouts are reused.
        total = round(total + 0.005, 2)
        cached = self._timeouts.get(total)
        if cached is None:
            # sock_connect, not connect: "connect" arms one more timer on every request, even
            # when a pooled connection is reused; "total" bounds the pool wait anyway.
            cached = aiohttp.ClientTimeout(
                total=total, sock_connect=min(total, self.connect_timeout)
            )
            if len(self._timeouts) < 32:
                self._timeouts[total] = cached
        return cached

    async def _send(self, request: HttpRequest, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        method, url, body = request.method, request.url, request.body
        session = self._session
        if session is None:
            raise RuntimeError("AiohttpClient is closed")
        target = self._targets.get(url)
        if target is None:
            try:
                # encoded=True: send exactly the path and query that were built (and signed).
                target = URL(url, encoded=True)
            except ValueError as exc:
                raise ValueError(f"{method} {mask_url(url)}: invalid URL ({exc})") from exc
            # The same few URLs are requested over and over: parse each once.
            if len(self._targets) >= 512:
                self._targets.clear()
            self._targets[url] = target
        try:
            async with session.request(
                method,
                target,
                headers=request.headers.raw_items() or None,
                data=body or None,
                timeout=self._timeout(timeout),
            ) as resp:
                payload = await resp.read()
                return HttpResponse(
                    method,
                    url,
                    resp.status,
                    Headers(tuple(resp.headers.items())),
                    payload,
                    resp.reason or "",
                )
        except aiohttp.ConnectionTimeoutError as exc:
            # sock_connect fired: say so, with that limit (not the total the caller chose).
            limit = min(timeout, self.connect_timeout)
            raise timeout_error(method, url, limit, connect=True) from exc
        except TimeoutError as exc:
            raise timeout_error(method, url, timeout) from exc
        except aiohttp.ClientSSLError as exc:
            raise tls_error(method, url, exc) from exc
        except aiohttp.InvalidURL as exc:
            raise ValueError(f"{method} {mask_url(url)}: invalid URL") from exc
        except aiohttp.ClientConnectorError as exc:
            raise connection_error(method, url, exc, sent=False) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise connection_error(method, url, exc) from exc
