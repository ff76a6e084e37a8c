"""What a dashboard run is allowed to do, where it listens, and how often it polls."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["DEFAULT_INTERVALS", "DashboardSettings", "is_loopback", "new_token"]

DEFAULT_INTERVALS: Mapping[str, float] = MappingProxyType(
    {
        "overview": 5.0,
        "clusters": 5.0,
        "snapshot": 2.0,
        "backfill": 2.0,
        "replay": 3.0,
        "metrics": 30.0,
        "series": 10.0,
    }
)
"""Seconds between two polls of each resource while someone watches it."""


def new_token() -> str:
    """A fresh per-run token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (127.0.0.0/8, ::1,
    ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class DashboardSettings:
    """How one ``asyncconsole serve`` run behaves.

    Attributes:
        host: Address to bind (loopback by default).
        port: Port to bind (0 picks a free one).
        read_only: No actions at all: the action routes do not exist and the page has no
            buttons.
        allow_remote: Must be true to bind a non-loopback address (then anyone who can reach
            the port sees the migration's state; actions still need the token).
        token: The secret that every POST must carry in the ``X-AsyncConsole-Token`` header;
            default a fresh random one per run.
        intervals: Seconds between polls per resource (see :data:`DEFAULT_INTERVALS`);
            missing keys take the defaults.

    Raises:
        ValueError: A non-loopback ``host`` without ``allow_remote``, an empty token, or a
            non-positive interval.
    """

    host: str = "127.0.0.1"
    port: int = 0
    read_only: bool = False
    allow_remote: bool = False
    token: str = field(default_factory=new_token, repr=False)
    intervals: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.remote_ok:
            raise ValueError(
                f"binding {self.host} exposes the dashboard to other machines; "
                "say so explicitly (allow_remote=True, --allow-remote)"
            )
        if not self.token:
            raise ValueError("the token must not be empty")
        merged = {**DEFAULT_INTERVALS, **self.intervals}
        bad = {name: value for name, value in merged.items() if not value > 0}
        if bad:
            raise ValueError(f"poll intervals must be positive: {bad}")
        object.__setattr__(self, "intervals", MappingProxyType(merged))

    @property
    def loopback(self) -> bool:
        """Whether the bound address is loopback-only."""
        return is_loopback(self.host)

    @property
    def remote_ok(self) -> bool:
        """Whether this address may be bound (loopback, or ``allow_remote``)."""
        return self.loopback or self.allow_remote

    def interval(self, resource: str) -> float:
        """Seconds between polls of ``resource``."""
        return self.intervals[resource]
