"""The Docker Engine API's answers, decoded with shape checks.

Each function takes what the daemon sent (its body as bytes, or JSON already decoded) and
returns asyncconsole's value, or raises :class:`ShapeError` saying which answer was wrong and
how: an HTML page, a truncated or mis-shaped answer never escapes as ``KeyError``/``TypeError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..._decode import ShapeError, expect, loads, shaped
from ._types import ContainerInfo, ContainerState, parse_docker_time

__all__ = [
    "api_version",
    "container_info",
    "container_tty",
    "created_id",
    "engine_message",
    "exec_id",
    "exec_state",
    "image_id",
    "listed_ids",
    "progress_error",
    "wait_outcome",
]

_EXCERPT = 200
_VERSION = re.compile(r"\d+\.\d+\Z")


def engine_message(body: bytes) -> str:
    """The daemon's words in an error answer (``{"message": ...}``), or an excerpt of it."""
    try:
        answer = loads(body)
    except ShapeError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("message"), str):
        return str(answer["message"])
    text = body[:_EXCERPT].decode("utf-8", "replace").strip()
    return text or "no message"


def _decoded(answer: Any) -> Any:
    return loads(answer) if isinstance(answer, bytes) else answer


def _object(value: Any, what: str) -> Mapping[str, Any]:
    """A JSON object that may also be null (Docker sends ``"Config": null`` at times)."""
    return {} if value is None else expect(value, dict, what)


def _string(value: Any, what: str) -> str:
    return "" if value is None else expect(value, str, what)


def _id(value: Any, what: str) -> str:
    text = expect(value, str, what)
    if not text:
        raise ShapeError(f"{what}: empty")
    return text


def _labels(value: Any) -> dict[str, str]:
    labels = _object(value, "Config.Labels")
    for key, label in labels.items():
        expect(label, str, f"label {key!r}")
    return dict(labels)


def _object_id(answer: Any) -> str:
    return _id(expect(_decoded(answer), dict, "answer")["Id"], "Id")


def created_id(answer: Any) -> str:
    """The id in the answer to ``POST /containers/create`` (``{"Id": ..., "Warnings": [...]}``)."""
    return shaped(answer, _object_id, "created container")


def listed_ids(answer: Any) -> list[str]:
    """The container ids in the answer to ``GET /containers/json``."""

    def parse(items: Any) -> list[str]:
        entries = expect(_decoded(items), list, "answer")
        return [_id(expect(i, dict, "entry")["Id"], "Id") for i in entries]

    return shaped(answer, parse, "container list")


def container_info(data: Any) -> ContainerInfo:
    """A :class:`ContainerInfo` from the answer to ``GET /containers/{id}/json``."""
    return shaped(data, _container_info, "container inspection")


def _container_info(data: Any) -> ContainerInfo:
    data = expect(_decoded(data), dict, "answer")
    state = _object(data.get("State"), "State")
    config = _object(data.get("Config"), "Config")
    status = ContainerState(expect(state.get("Status", "created"), str, "State.Status"))
    exited = status in (ContainerState.EXITED, ContainerState.DEAD)
    path = _string(data.get("Path"), "Path")
    args = data.get("Args") or []
    command = ((path,) if path else ()) + tuple(
        expect(a, str, "Args entry") for a in expect(args, list, "Args")
    )
    exit_code = state.get("ExitCode")
    if exited and exit_code is not None:
        exit_code = expect(exit_code, int, "State.ExitCode")
    return ContainerInfo(
        id=_id(data["Id"], "Id"),
        name=_string(data.get("Name"), "Name").lstrip("/"),
        image=_string(config.get("Image"), "Config.Image") or _string(data.get("Image"), "Image"),
        state=status,
        labels=_labels(config.get("Labels")),
        exit_code=exit_code if exited else None,
        started_at=parse_docker_time(_string(state.get("StartedAt"), "State.StartedAt")),
        finished_at=(
            parse_docker_time(_string(state.get("FinishedAt"), "State.FinishedAt"))
            if exited
            else None
        ),
        created_at=parse_docker_time(_string(data.get("Created"), "Created")),
        command=command,
        error=_string(state.get("Error"), "State.Error"),
    )


def container_tty(data: Any) -> bool:
    """Whether the inspected container has a TTY (its log is then raw, not framed by stream)."""

    def parse(answer: Any) -> bool:
        data = expect(_decoded(answer), dict, "answer")
        _id(data["Id"], "Id")
        config = _object(data.get("Config"), "Config")
        return expect(config.get("Tty", False), bool, "Config.Tty")

    return shaped(data, parse, "container inspection")


def wait_outcome(answer: Any) -> tuple[int, str]:
    """``(exit code, error message or "")`` from the answer to ``POST /containers/{id}/wait``."""

    def parse(body: Any) -> tuple[int, str]:
        body = expect(_decoded(body), dict, "answer")
        code = expect(body["StatusCode"], int, "StatusCode")
        error = _object(body.get("Error"), "Error")
        return code, _string(error.get("Message"), "Error.Message")

    return shaped(answer, parse, "wait answer")


def exec_id(answer: Any) -> str:
    """The id in the answer to ``POST /containers/{id}/exec``."""
    return shaped(answer, _object_id, "created exec")


def exec_state(answer: Any) -> tuple[bool, int | None]:
    """``(running, exit code)`` from the answer to ``GET /exec/{id}/json``."""

    def parse(body: Any) -> tuple[bool, int | None]:
        body = expect(_decoded(body), dict, "answer")
        running = expect(body["Running"], bool, "Running")
        code = body.get("ExitCode")
        return running, None if code is None else expect(code, int, "ExitCode")

    return shaped(answer, parse, "exec inspection")


def api_version(answer: Any) -> str:
    """The Engine API version to use (``"v1.47"``) from the answer to ``GET /version``."""

    def parse(body: Any) -> str:
        version = expect(expect(_decoded(body), dict, "answer")["ApiVersion"], str, "ApiVersion")
        if not _VERSION.match(version):
            raise ShapeError(f"ApiVersion {version[:20]!r} is not MAJOR.MINOR")
        return f"v{version}"

    return shaped(answer, parse, "version answer")


def image_id(answer: Any) -> str:
    """The id in the answer to ``GET /images/{ref}/json``."""
    return shaped(answer, _object_id, "image inspection")


def progress_error(body: bytes) -> str | None:
    """The error an image import or build reported in its progress stream (one JSON object per
    line), or None when it succeeded."""
    if not body.strip():
        raise ShapeError("empty progress stream")
    for line in body.splitlines():
        if not line.strip():
            continue
        entry = expect(loads(line), dict, "progress entry")
        if "error" in entry or "errorDetail" in entry:
            detail = _object(entry.get("errorDetail"), "errorDetail")
            message = detail.get("message") or entry.get("error")
            return expect(message, str, "progress entry: error") or "failed"
    return None
