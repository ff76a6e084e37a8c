"""The one home of redaction: credentials in URLs, in command lines and in described config.

A URL keeps what says where it points (scheme, user, host, path, harmless query values); its
password and credential-like query values (presigned signatures, tokens) become ``********``.
Secrets held in :class:`~asyncconsole._secret.Secret` mask themselves; this module covers the
plain strings that can carry one anyway (an endpoint ``https://user:pw@host``, a tool's flag).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._secret import MASK

__all__ = [
    "is_sensitive_name",
    "mask_arguments",
    "mask_described",
    "mask_url",
    "mask_urls_in",
]

# user:password@ in a URL anywhere in a text
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@:]*):[^\s/@]+@")

# Query parameters whose values are credentials (presigned URLs, tokens in links).
_SECRET_PARAMS = frozenset(
    {
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "signature",
        "token",
        "access_token",
        "password",
        "secret",
        "api_key",
        "apikey",
    }
)

# Names (environment variables, flags) whose values are credentials (RFS_TARGET_PASSWORD, ...).
_SENSITIVE_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API[_-]?KEY", re.I)


def mask_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part and credential-like query
    values replaced by ``********``; a URL without either is returned as it is."""
    if "@" not in url and "?" not in url:
        return url
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return mask_urls_in(url)
    netloc = parts.netloc
    if has_password:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = []
        for pair in query.split("&"):
            key, eq, _ = pair.partition("=")
            pairs.append(f"{key}={MASK}" if eq and key.lower() in _SECRET_PARAMS else pair)
        query = "&".join(pairs)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_urls_in(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it masked."""
    if "@" not in text:
        return text
    return _URL_PASSWORD.sub(r"\1:" + MASK + "@", text)


def is_sensitive_name(name: str) -> bool:
    """Whether a variable's or flag's name says its value is a credential."""
    return bool(_SENSITIVE_NAME.search(name))


def mask_arguments(argv: list[str]) -> list[str]:
    """Command-line arguments with the value of every secret-named flag masked
    (``--target-password pw`` and ``--target-password=pw``) and URL passwords masked."""
    masked: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            masked.append(MASK)
            hide_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if flag.startswith("-") and is_sensitive_name(flag):
            if eq:
                masked.append(f"{flag}={MASK}")
            else:
                masked.append(arg)
                hide_next = True
            continue
        masked.append(mask_urls_in(arg))
    return masked


def mask_described(data: Any) -> Any:
    """A ``describe()`` dump with credentials masked: URL passwords in every string, the
    values of ``environment`` variables whose names say they are secrets, and the values of
    secret-named flags in a ``command`` list."""
    if isinstance(data, str):
        return mask_urls_in(data)
    if isinstance(data, list | tuple):
        return [mask_described(item) for item in data]
    if isinstance(data, Mapping):
        masked: dict[Any, Any] = {}
        for key, value in data.items():
            if key == "command" and isinstance(value, list | tuple):
                masked[key] = mask_arguments([str(item) for item in value])
            elif key == "environment" and isinstance(value, Mapping):
                masked[key] = {
                    name: MASK if is_sensitive_name(str(name)) else mask_described(v)
                    for name, v in value.items()
                }
            else:
                masked[key] = mask_described(value)
        return masked
    return data
