"""A failed round or request as the CLI's error document, with the HTTP status that fits."""

from __future__ import annotations

from typing import Any

from .._errors import ConfigError, InvalidArgumentError, NotFoundError

__all__ = ["error_fields", "http_status"]


def http_status(exc: BaseException) -> int:
    """404 for what does not exist (a snapshot not started), 400 for a bad argument or
    config, 502 for a peer that failed or answered wrongly."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, InvalidArgumentError | ConfigError | ValueError):
        return 400
    return 502


def error_fields(exc: BaseException) -> dict[str, Any]:
    """``{"error": <the CLI's --json error document>, "status": <HTTP status>}``: the error
    exactly as ``--json`` would print it for a command that failed this way."""
    from ..cli._app import EXIT_FAILURE, EXIT_USAGE, _one_line
    from ..cli._documents import error_document

    status = http_status(exc)
    kind = getattr(exc, "json_type", type(exc).__name__)
    code = EXIT_USAGE if status == 400 else EXIT_FAILURE
    message = exc.summary if isinstance(exc, ConfigError) else _one_line(exc)
    return {"error": error_document(kind, message, code), "status": status}
