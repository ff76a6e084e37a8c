"""The dashboard's rules: actions need the per-run token, GETs never act, only this machine's
names are answered on a loopback address, and the page may load nothing from elsewhere.

* Every POST must carry the token in the :data:`TOKEN_HEADER` header, else 403. A browser
  only sends a custom header cross-origin after a CORS preflight, which this server never
  grants, so another site cannot make a visitor's browser act either.
* On a loopback address the ``Host`` header must name loopback (``127.0.0.1``, ``localhost``,
  ``[::1]``), else 403: a DNS-rebinding page cannot read the API through its own name.
* A content security policy lets the page load scripts, styles and data from this server
  only.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from ._settings import is_loopback

if TYPE_CHECKING:
    from ._settings import DashboardSettings

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "TOKEN_HEADER",
    "add_security_headers",
    "security_middleware",
]

TOKEN_HEADER = "X-AsyncConsole-Token"
"""The request header carrying the per-run token on every POST."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""Scripts only from this server (no inline script); charts set inline styles."""

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refused(reason: str) -> web.Response:
    from ..cli._documents import error_document
    from ._api import json_answer

    return json_answer(error_document("Forbidden", reason, 1), status=403)


def _host_ok(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return is_loopback(name)


def security_middleware(settings: DashboardSettings) -> web.middleware:  # type: ignore[valid-type]
    """The aiohttp middleware enforcing the rules above for ``settings``."""
    token = settings.token.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if settings.loopback and not _host_ok(request.host):
            return _refused(f"host {request.host!r} is not this machine")
        if request.method not in _SAFE:
            given = request.headers.get(TOKEN_HEADER, "").encode()
            if not given or not hmac.compare_digest(given, token):
                return _refused(f"actions need the token in the {TOKEN_HEADER} header")
        return await handler(request)

    return middleware


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the policy headers on every answer (streams included)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
