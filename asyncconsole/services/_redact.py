"""Masking credentials written into URLs (``https://user:pw@host``) before they leave a service
in descriptions, check details, reprs or error messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .._secret import MASK

__all__ = [
    "is_sensitive_name",
    "mask_arguments",
    "mask_described",
    "mask_url",
    "mask_urls_in",
]

# user:password@ in a URL anywhere in a text (the same rule the display layer applies to cells)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@:]*):[^\s/@]+@")


def mask_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part replaced by ``********``.

    The user name, host, path and query are kept, so the result still says where the URL
    points; a URL without a password is returned unchanged.
    """
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return mask_urls_in(url)
    if not has_password:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}:{MASK}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def mask_urls_in(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it masked."""
    return _URL_PASSWORD.sub(r"\1:" + MASK + "@", text)


# Environment variables whose values are credentials by their name (RFS_TARGET_PASSWORD, ...).
_SENSITIVE_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API[_-]?KEY", re.I)


def is_sensitive_name(name: str) -> bool:
    """Whether an environment variable's name says its value is a credential."""
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
