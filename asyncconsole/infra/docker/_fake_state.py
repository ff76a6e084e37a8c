"""The fake Docker daemon's records (containers, images) and the pure rules it applies."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ._fake_programs import STDERR, STDOUT, FakeProgram
from ._spec import ContainerSpec
from ._types import ContainerState

__all__ = ["Container", "Image", "has_labels", "is_tar", "normalize_ref", "select"]


@dataclass
class Container:
    """One container as the fake daemon keeps it."""

    id: str
    name: str
    spec: ContainerSpec
    labels: dict[str, str]
    created_at: datetime
    program: FakeProgram = field(default_factory=FakeProgram)
    state: ContainerState = ContainerState.CREATED
    started_mono: float | None = None
    started_at: datetime | None = None
    finished_mono: float | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    error: str = ""
    removed: bool = False
    removal_due: float | None = None
    # Output emitted by completed runs, then the current run's program output (timed).
    past_log: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Image:
    """One image: its id and the references that name it."""

    id: str
    refs: set[str]


def has_labels(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """Whether ``labels`` carries every label of ``wanted``."""
    return all(labels.get(k) == v for k, v in wanted.items())


def select(entries: list[tuple[int, str]], stdout: bool, stderr: bool) -> list[str]:
    """The lines of the streams asked for."""
    return [line for s, line in entries if (s == STDOUT and stdout) or (s == STDERR and stderr)]


def normalize_ref(ref: str) -> str:
    """``ref`` with Docker's default tag when it has none."""
    last = ref.rsplit("/", 1)[-1]
    return ref if (":" in last or "@" in ref) else f"{ref}:latest"


def is_tar(data: bytes) -> bool:
    """Whether ``data`` is a tar archive."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data)):
            return True
    except tarfile.TarError:
        return False
