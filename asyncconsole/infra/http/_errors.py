"""Building HttpErrors the same way for the real client and the fake: redacted URL, excerpt."""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING

from ..._errors import (
    HttpConflictError,
    HttpError,
    HttpNotFoundError,
    HttpTimeoutError,
    MalformedResponseError,
)
from ..._redact import mask_url

if TYPE_CHECKING:
    from ._types import HttpResponse

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
EXCERPT_CHARS = 500

# Response headers never copied into an error (a server may echo auth material).
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "set-cookie", "cookie"})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def status_error(response: HttpResponse) -> HttpError:
    """The error for a 4xx/5xx response (404 and 409 get their combined classes)."""
    method, url, status = response.method, mask_url(response.url), response.status
    excerpt = response.body[:EXCERPT_CHARS].decode("utf-8", errors="replace")
    reason = f" {response.reason}" if response.reason else ""
    message = f"{method} {url} -> HTTP {status}{reason}"
    if excerpt:
        message += f": {excerpt[:200]}"
    cls = HttpNotFoundError if status == 404 else HttpConflictError if status == 409 else HttpError
    headers = {k: v for k, v in response.headers.raw_items() if k.lower() not in _SECRET_HEADERS}
    err = cls(message, method=method, url=url, status=status, body_excerpt=excerpt, headers=headers)
    if status in TRANSIENT_STATUSES:
        err.transient = True
        err.retry_after = parse_retry_after(response.headers.get("retry-after"))
    return err


def malformed_error(response: HttpResponse, problem: str) -> MalformedResponseError:
    """The error for an answer that is not what the API documents."""
    url = mask_url(response.url)
    return MalformedResponseError(
        f"{response.method} {url} -> HTTP {response.status}: malformed answer: {problem}",
        endpoint=url,
        status=response.status,
        problem=problem,
        method=response.method,
    )


def connection_error(
    method: str, url: str, cause: BaseException, *, sent: bool = True
) -> HttpError:
    """A request that got no response (refused, reset, DNS): ``status`` None, transient.

    ``sent`` False says it certainly never reached the server (no connection was made), so
    even a request that is not safe to repeat may be sent again.
    """
    safe = mask_url(url)
    detail = type(cause).__name__
    text = str(cause)
    if text:
        detail += f": {text}"
    err = HttpError(
        f"{method} {safe} failed without a response ({_scrub(detail, url, safe)})",
        method=method,
        url=safe,
    )
    err.transient = True
    err.sent = sent
    return err


def tls_error(method: str, url: str, cause: BaseException) -> HttpError:
    """A TLS failure (bad certificate, hostname mismatch): not worth retrying."""
    safe = mask_url(url)
    err = HttpError(
        f"{method} {safe} failed TLS verification ({type(cause).__name__}); pass ca_bundle= "
        "or allow_insecure=True for self-signed certificates",
        method=method,
        url=safe,
    )
    err.transient = False
    return err


def timeout_error(
    method: str, url: str, timeout: float | None, *, connect: bool = False
) -> HttpTimeoutError:
    """No complete response within ``timeout`` seconds (``connect``: no connection within it,
    so the request was never sent)."""
    safe = mask_url(url)
    shown = round(timeout, 3) if isinstance(timeout, float) else timeout
    what = f"could not connect within {shown}s" if connect else f"timed out after {shown}s"
    err = HttpTimeoutError(f"{method} {safe} {what}", method=method, url=safe, timeout=timeout)
    err.sent = not connect
    return err


def _scrub(text: str, url: str, safe: str) -> str:
    # Library messages may quote the URL they were given, credentials included.
    return text.replace(url, safe) if url != safe else text
