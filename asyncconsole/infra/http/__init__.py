"""Async HTTP: the ``HttpClient`` protocol, the pooled aiohttp client, a fake, and auth.

``AiohttpClient`` (and aiohttp with it) is imported on first use, so importing this package is
cheap. ``sign_sigv4`` is a pure, stdlib-only AWS Signature Version 4 signer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._errors import HttpConflictError, HttpError, HttpNotFoundError, HttpTimeoutError
from ..._lazy import lazy_names
from ._auth import AwsCredentials, BasicAuth, HttpAuth, SigV4Auth
from ._client import DEFAULT_RETRY, IDEMPOTENT_METHODS, SAFE_METHODS
from ._fake import FakeHttpClient, HttpRouter
from ._protocol import HttpClient
from ._sigv4 import sign_sigv4
from ._types import Headers, HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ._aiohttp import AiohttpClient

__all__ = [
    "DEFAULT_RETRY",
    "IDEMPOTENT_METHODS",
    "SAFE_METHODS",
    "AiohttpClient",
    "AwsCredentials",
    "BasicAuth",
    "FakeHttpClient",
    "Headers",
    "HttpAuth",
    "HttpClient",
    "HttpConflictError",
    "HttpError",
    "HttpNotFoundError",
    "HttpRequest",
    "HttpResponse",
    "HttpRouter",
    "HttpTimeoutError",
    "SigV4Auth",
    "sign_sigv4",
]

_LAZY = {"AiohttpClient": "._aiohttp"}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
