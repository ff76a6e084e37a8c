"""The HTTP client protocol that services depend on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ..._retry import RetryPolicy
from ._types import HttpResponse

__all__ = ["HttpClient"]


@runtime_checkable
class HttpClient(Protocol):
    """An async HTTP client bound to a base URL, with auth, timeouts and retries built in."""

    @property
    def base_url(self) -> str | None:
        """The URL request paths are appended to (None: paths must be absolute URLs)."""
        ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        data: bytes | str | Mapping[str, Any] | None = None,
        raise_for_status: bool | None = None,
        retry: RetryPolicy | bool | None = None,
        reconcile: Callable[[], Awaitable[HttpResponse | None]] | None = None,
    ) -> HttpResponse:
        """Send one request and return the complete response.

        Args:
            method: HTTP method (any case).
            path: Appended verbatim to the base URL (may carry a query string), or an absolute
                URL. Characters not allowed in a URL are percent-encoded; ``%XX`` escapes are
                kept.
            params: Query parameters added to the URL (``None`` values dropped, lists repeat).
            json: A value sent as a JSON body with ``Content-Type: application/json``.
            headers: Extra request headers.
            timeout: Total seconds for the call, every attempt and the waits between them;
                ``None`` uses the client's default (never unbounded).
            data: A raw body (bytes or str), or a mapping sent form-encoded.
            raise_for_status: Raise on 4xx/5xx; ``None`` uses the client's default.
            retry: ``None`` retries the safe methods (GET, HEAD, OPTIONS, TRACE) with the
                client's policy; ``True`` declares any other request safe to repeat; ``False``
                never retries; a :class:`~asyncconsole.RetryPolicy` overrides the policy. A
                request not safe to repeat is sent again only when it certainly never reached
                the server (the connection was refused).
            reconcile: For a request not safe to repeat whose answer was lost (reset, 5xx,
                garbage): look at the server and return the response to report when the
                request's effect is there as asked, else None (the error is raised).

        Returns:
            The response, whatever its status when ``raise_for_status`` is off.

        Raises:
            HttpError: A 4xx/5xx status (``HttpNotFoundError`` for 404, ``HttpConflictError``
                for 409) when raising, or no response at all (``status`` None).
            HttpTimeoutError: No complete response within ``timeout``.
        """
        ...

    async def ping(self, path: str = "/", *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Cheap health check: ``GET path`` once, without retries.

        Raises:
            HttpError: The server is unreachable or answered 4xx/5xx.
        """
        ...

    async def aclose(self) -> None:
        """Close the client and its connections. Idempotent."""
        ...
