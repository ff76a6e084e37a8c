"""Reading a cluster's answers: version, index rows, errors, curl-style headers."""

from __future__ import annotations

from typing import Any

from ..._decode import expect
from ..._errors import HttpError
from ...infra.http import HttpResponse
from ._types import ClusterVersion, ConnectionStatus, IndexInfo

__all__ = ["index_rows", "parse_header", "parse_version", "response_error", "unable"]


def parse_header(header: str) -> tuple[str, str]:
    """Split a curl-style ``"Name: value"`` header; raises ``ValueError`` naming a bad one."""
    name, sep, value = header.partition(":")
    if not sep or not name.strip():
        raise ValueError(f"invalid header {header!r}: expected 'Name: value'")
    return name.strip(), value.strip()


def unable(error: BaseException) -> ConnectionStatus:
    return ConnectionStatus(
        connected=False, message=f"Unable to connect to cluster with error: {error}"
    )


def parse_version(response: HttpResponse) -> ClusterVersion:
    return response.parse(_version_of, "cluster info (version.number)")


def _version_of(info: Any) -> ClusterVersion:
    version = expect(expect(info, dict, "answer")["version"], dict, "version")
    return ClusterVersion(
        number=expect(version["number"], str, "version.number"),
        distribution=str(version.get("distribution") or "elasticsearch"),
    )


def index_rows(rows: Any) -> list[IndexInfo]:
    return [IndexInfo.from_cat(expect(row, dict, "row")) for row in expect(rows, list, "answer")]


def response_error(response: HttpResponse) -> HttpError:
    """The typed :class:`~asyncconsole.HttpError` for a 4xx/5xx response."""
    try:
        response.raise_for_status()
    except HttpError as exc:
        return exc
    return HttpError(
        f"{response.method} {response.url} -> HTTP {response.status}",
        method=response.method,
        url=response.url,
        status=response.status,
    )
