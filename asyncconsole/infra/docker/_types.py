"""Values crossing the Docker protocol: container state and what an inspection tells."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..._display import DisplayMixin, Table, badge, table

__all__ = ["ContainerInfo", "ContainerState"]


class ContainerState(enum.Enum):
    """A container's state as Docker Engine names it (``State.Status``)."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    EXITED = "exited"
    DEAD = "dead"
    REMOVING = "removing"

    @property
    def is_active(self) -> bool:
        """Whether a process is (or is about to be) alive: running, paused or restarting."""
        return self in (ContainerState.RUNNING, ContainerState.PAUSED, ContainerState.RESTARTING)


@dataclass(frozen=True, slots=True)
class ContainerInfo(DisplayMixin):
    """One container, as inspected.

    Attributes:
        id: The full 64-hex-digit container id.
        name: The container's name, without Docker's leading ``/``.
        image: The image reference the container was created from (as given, e.g. ``busybox:1``).
        state: The lifecycle state.
        labels: The container's labels (including the image's).
        exit_code: The exit status once the process has exited (``exited``/``dead``), else None.
        started_at: When the process last started (UTC), None if it never started.
        finished_at: When the process last exited (UTC), None if it has not exited.
        created_at: When the container was created (UTC).
        command: The command the container runs (entrypoint and arguments).
        error: The daemon's error text for the last start/run failure, or ``""``.
    """

    id: str
    name: str
    image: str
    state: ContainerState
    labels: Mapping[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    created_at: datetime | None = None
    command: tuple[str, ...] = ()
    error: str = ""

    @property
    def running(self) -> bool:
        """Whether the state is ``running``."""
        return self.state is ContainerState.RUNNING

    def _display_tables(self) -> Table:
        # One row, so that several containers read as one table. The command and labels are
        # left out: a worker's command line can carry credentials.
        headings = ["Name", "Id", "Image", "State", "Exit code", "Started", "Finished", "Error"]
        state = badge(self.state)
        when = (self.started_at, self.finished_at)
        return table(
            headings,
            [(self.name, self.id[:12], self.image, state, self.exit_code, *when, self.error)],
        )


_ZERO_TIME_PREFIX = "0001-01-01"


def parse_docker_time(value: str | None) -> datetime | None:
    """Docker's RFC 3339 timestamps (nanoseconds, ``Z``) as aware UTC datetimes; zero time is None."""
    if not value or value.startswith(_ZERO_TIME_PREFIX):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python parses at most microseconds: cut the fraction to 6 digits, keep the offset.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
