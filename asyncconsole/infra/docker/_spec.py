"""Checked container arguments, shared by the real manager and the fake so both refuse alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..._secret import Secret
from ._protocol import EnvValue

__all__ = [
    "RUN_TOKEN_LABEL",
    "ContainerSpec",
    "argv_tuple",
    "check_repository",
    "env_list",
    "exec_argv",
]

RUN_TOKEN_LABEL = "asyncconsole.run-token"
"""Label put on every container asyncconsole creates, so one whose creation was interrupted
(before its id came back) can still be found and removed."""


def argv_tuple(value: Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    """``value`` as a tuple of strings; a plain string is refused (it would not be split)."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        raise ValueError(
            f"{what} must be a list of arguments, not a string: {value!r} "
            f"(use [{', '.join(repr(p) for p in str(value).split())}] or ['sh', '-c', ...])"
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{what} arguments must be strings, got {item!r}")
    return items


def exec_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """The argv of an exec as a tuple, refused unless it names a command."""
    args = argv_tuple(argv, "argv")
    if not args:
        raise ValueError("argv must name a command")
    return args


def check_repository(repository: str) -> None:
    """Raise ``ValueError`` unless ``repository`` is an image name without a tag."""
    if not repository or ":" in repository.rsplit("/", 1)[-1]:
        raise ValueError(f"repository must be a name without a tag, got {repository!r}")


def env_list(env: Mapping[str, EnvValue] | None) -> list[str]:
    """``KEY=value`` strings, revealing secrets (only ever sent to the daemon, never logged)."""
    out = []
    for key, value in (env or {}).items():
        if not key or "=" in key:
            raise ValueError(f"invalid environment variable name {key!r}")
        out.append(f"{key}={value.get() if isinstance(value, Secret) else value}")
    return out


@dataclass(frozen=True)
class ContainerSpec:
    """A container to create, validated."""

    image: str
    command: tuple[str, ...] | None = None
    name: str | None = None
    env: tuple[str, ...] = field(default=(), repr=False)  # revealed secrets: never shown
    labels: Mapping[str, str] = field(default_factory=dict)
    network_mode: str | None = None
    auto_remove: bool = False
    init: bool = False
    entrypoint: tuple[str, ...] | None = None
    workdir: str | None = None
    user: str | None = None

    @classmethod
    def build(
        cls,
        image: str,
        command: Sequence[str] | None,
        *,
        name: str | None,
        env: Mapping[str, EnvValue] | None,
        labels: Mapping[str, str] | None,
        network_mode: str | None,
        auto_remove: bool,
        init: bool,
        entrypoint: Sequence[str] | None,
        workdir: str | None,
        user: str | None,
    ) -> ContainerSpec:
        """Check every argument; raise ``ValueError`` naming the one that is wrong."""
        if not isinstance(image, str) or not image.strip():
            raise ValueError(f"image must be a non-empty reference, got {image!r}")
        if name is not None and (not name or "/" in name.lstrip("/")):
            raise ValueError(f"invalid container name {name!r}")
        checked_labels: dict[str, str] = {}
        for key, value in (labels or {}).items():
            if not isinstance(key, str) or not isinstance(value, str) or not key:
                raise ValueError(f"labels must map non-empty strings to strings: {key!r}={value!r}")
            checked_labels[key] = value
        return cls(
            image=image,
            command=argv_tuple(command, "command"),
            name=name.lstrip("/") if name else None,
            env=tuple(env_list(env)),
            labels=checked_labels,
            network_mode=network_mode,
            auto_remove=auto_remove,
            init=init,
            entrypoint=argv_tuple(entrypoint, "entrypoint"),
            workdir=workdir,
            user=user,
        )

    def engine_config(self, token: str) -> dict[str, Any]:
        """The body of ``POST /containers/create``, labelled with the run ``token``."""
        host: dict[str, Any] = {"AutoRemove": self.auto_remove, "Init": self.init}
        if self.network_mode:
            host["NetworkMode"] = self.network_mode
        config: dict[str, Any] = {
            "Image": self.image,
            "Labels": {**self.labels, RUN_TOKEN_LABEL: token},
            "Env": list(self.env),
            "HostConfig": host,
            "AttachStdin": False,
            "AttachStdout": False,
            "AttachStderr": False,
            "Tty": False,
        }
        if self.command is not None:
            config["Cmd"] = list(self.command)
        if self.entrypoint is not None:
            config["Entrypoint"] = list(self.entrypoint)
        if self.workdir:
            config["WorkingDir"] = self.workdir
        if self.user:
            config["User"] = self.user
        return config
