"""Where the Docker daemon is: console_link's ``docker.socket``, ``DOCKER_HOST``, or the default."""

from __future__ import annotations

import os

from ..._errors import ConfigError, ConfigIssue

__all__ = ["DEFAULT_SOCKET", "docker_url"]

DEFAULT_SOCKET = "/var/run/docker.sock"
_SOCKET_CANDIDATES = ("/run/docker.sock", DEFAULT_SOCKET)
_SCHEMES = ("unix://", "tcp://", "http://", "https://")


def docker_url(socket: str | os.PathLike[str] | None = None) -> str:
    """The daemon address to use: ``socket`` (a path or URL), else ``DOCKER_HOST``, else the
    default socket.

    Accepts what console_link's ``docker.socket`` key holds: a socket path
    (``/var/run/docker.sock``) or a ``unix://``, ``tcp://``, ``http(s)://`` URL.
    """
    value = os.fspath(socket) if socket is not None else ""
    if not value:
        value = os.environ.get("DOCKER_HOST", "")
    if not value:
        for candidate in _SOCKET_CANDIDATES:
            if os.path.exists(candidate):
                return f"unix://{candidate}"
        return f"unix://{DEFAULT_SOCKET}"
    if "://" in value:
        if not value.startswith(_SCHEMES):
            raise ConfigError(
                "unsupported Docker daemon address",
                [
                    ConfigIssue(
                        "docker.socket", f"{value!r}: use a socket path or {', '.join(_SCHEMES)}"
                    )
                ],
            )
        return value
    return f"unix://{os.path.abspath(value)}"
