"""OpenSearch's error responses: ``{"error": {"root_cause": [...], "type", "reason"}, "status"}``."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "RawError",
    "error_body",
    "index_not_found",
    "repository_missing",
    "snapshot_missing",
]


def error_body(status: int, type_: str, reason: str, **extra: Any) -> dict[str, Any]:
    """The JSON body OpenSearch sends for an exception of ``type_``."""
    cause = {"type": type_, "reason": reason, **extra}
    return {"error": {"root_cause": [dict(cause)], **cause}, "status": status}


class ApiError(Exception):
    """Raised by a handler; the server answers with OpenSearch's error shape."""

    def __init__(self, status: int, type_: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.type = type_
        self.reason = reason
        self.extra = extra
        self.headers: dict[str, str] = {}

    def body(self) -> Any:
        """The response body (a JSON object, or text)."""
        return error_body(self.status, self.type, self.reason, **self.extra)


class RawError(ApiError):
    """An error OpenSearch reports with a plain string ``error`` (406, 405, no handler)."""

    def body(self) -> Any:
        return {"error": self.reason, "status": self.status}


def index_not_found(name: str) -> ApiError:
    """404 ``index_not_found_exception`` for ``name``."""
    return ApiError(
        404,
        "index_not_found_exception",
        f"no such index [{name}]",
        index=name,
        **{"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_"},
    )


def repository_missing(repo: str) -> ApiError:
    """404 ``repository_missing_exception``."""
    return ApiError(404, "repository_missing_exception", f"[{repo}] missing")


def snapshot_missing(repo: str, snapshot: str) -> ApiError:
    """404 ``snapshot_missing_exception``."""
    return ApiError(404, "snapshot_missing_exception", f"[{repo}:{snapshot}] is missing")
