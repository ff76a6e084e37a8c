"""Workers as labelled containers on a Docker daemon (console_link only has a stub)."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any, Final

from ..._concurrency import map_bounded
from ..._errors import DockerNotFoundError, InvalidArgumentError
from ..._redact import mask_described
from ..._secret import MASK, Secret
from ...infra.docker import ContainerInfo, ContainerState, DockerManager, EnvValue
from ._types import WorkerCounts

__all__ = [
    "DOCKER_SCALE_CONCURRENCY",
    "MAX_DOCKER_REPLICAS",
    "ROLE_LABEL",
    "SESSION_LABEL",
    "DockerWorkers",
]

ROLE_LABEL = "asyncconsole.role"
"""Container label naming the workers' role (``backfill`` or ``replay``)."""
SESSION_LABEL = "asyncconsole.session"
"""Container label naming the session the workers belong to."""
MAX_DOCKER_REPLICAS: Final = 1000
"""The most workers :meth:`DockerWorkers.scale` accepts by default: one daemon runs them all,
and a count beyond what a host can run is a mistake to report, not containers to start."""
DOCKER_SCALE_CONCURRENCY: Final = 8
"""Containers :meth:`DockerWorkers.scale` starts, stops or removes at once by default."""

logger = logging.getLogger("asyncconsole.services.workers")

_RUNNING = (ContainerState.RUNNING, ContainerState.PAUSED)
_PENDING = (ContainerState.CREATED, ContainerState.RESTARTING)
_DEAD = (ContainerState.EXITED, ContainerState.DEAD)
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


def _retire_order(info: ContainerInfo) -> tuple[int, float]:
    # Drop workers that are not doing anything yet first, then the newest ones.
    created = info.created_at.timestamp() if info.created_at else 0.0
    return (0 if info.state in _PENDING else 1, -created)


class DockerWorkers:
    """:class:`WorkerDeployment` as containers labelled with their role and session.

    Every container carries ``asyncconsole.role=<role>`` and ``asyncconsole.session=<session>``
    (plus ``labels``). :meth:`scale` starts or stops containers, ``concurrency`` at a time,
    until exactly ``replicas`` are running or starting, and removes the session's exited
    containers; a cancelled scale leaves no container half started (each start either
    completes or removes what it made);
    :meth:`counts` reads the labelled containers' states (running or paused: running; created
    or restarting: pending; being removed: terminating; desired = running + pending).

    Args:
        docker: The daemon.
        role: ``backfill`` or ``replay`` (any label value works).
        session: Separates several migrations on one daemon.
        image: The workers' image (must be local: nothing is pulled).
        command: The workers' arguments; None runs the image's default command.
        env: Environment variables; :class:`~asyncconsole.Secret` values are masked in
            :meth:`describe` and revealed only to the daemon.
        network_mode: ``host`` (default), ``none``, ``bridge`` or a network name.
        labels: Extra labels for every container (not used to find them).
        init: Run an init process as PID 1 so the worker gets SIGTERM on stop.
        stop_timeout: Seconds a worker has to exit after SIGTERM before it is killed.
        max_replicas: The most workers :meth:`scale` accepts
            (:data:`MAX_DOCKER_REPLICAS`).
        concurrency: Containers started, stopped or removed at once
            (:data:`DOCKER_SCALE_CONCURRENCY`).
    """

    kind = "docker"

    def __init__(
        self,
        docker: DockerManager,
        *,
        role: str,
        session: str,
        image: str,
        command: Sequence[str] | None = None,
        env: Mapping[str, EnvValue] | None = None,
        network_mode: str | None = "host",
        labels: Mapping[str, str] | None = None,
        init: bool = True,
        stop_timeout: float = 10.0,
        max_replicas: int = MAX_DOCKER_REPLICAS,
        concurrency: int = DOCKER_SCALE_CONCURRENCY,
    ) -> None:
        for what, value in (("role", role), ("session", session), ("image", image)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"DockerWorkers {what} must be a non-empty string, not {value!r}")
        if isinstance(command, str):
            raise ValueError("DockerWorkers command must be a list of arguments, not a string")
        if stop_timeout < 0:
            raise ValueError(f"stop_timeout must be >= 0, not {stop_timeout!r}")
        for what, limit in (("max_replicas", max_replicas), ("concurrency", concurrency)):
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ValueError(f"DockerWorkers {what} must be an int >= 1, not {limit!r}")
        self._docker = docker
        self.role = role
        self.session = session
        self.image = image
        self.command = list(command) if command is not None else None
        self.env: dict[str, EnvValue] = dict(env or {})
        self.network_mode = network_mode
        self.init = init
        self.stop_timeout = stop_timeout
        self.max_replicas = max_replicas
        self.concurrency = concurrency
        self.selector = {ROLE_LABEL: role, SESSION_LABEL: session}
        self.labels = {**dict(labels or {}), **self.selector}
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"DockerWorkers(role={self.role!r}, session={self.session!r}, image={self.image!r})"

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = mask_described(
            {
                "kind": self.kind,
                "role": self.role,
                "session": self.session,
                "image": self.image,
                "command": self.command,
                "environment": {
                    k: MASK if isinstance(v, Secret) else v for k, v in sorted(self.env.items())
                },
                "network_mode": self.network_mode,
            }
        )
        return described

    async def containers(self) -> list[ContainerInfo]:
        """Every container of this role and session, in any state, newest first."""
        return await self._docker.list_containers(labels=self.selector, all=True)

    async def counts(self) -> WorkerCounts:
        found = await self.containers()
        running = sum(1 for c in found if c.state in _RUNNING)
        pending = sum(1 for c in found if c.state in _PENDING)
        terminating = sum(1 for c in found if c.state is ContainerState.REMOVING)
        return WorkerCounts(running, pending, running + pending, terminating)

    async def scale(self, replicas: int) -> None:
        """Start or stop containers until ``replicas`` are running or starting.

        Raises:
            InvalidArgumentError: ``replicas`` is not an int from 0 to ``max_replicas``
                (a ``ValueError`` too); nothing is started.
        """
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise InvalidArgumentError(
                f"replicas must be an int >= 0, not {replicas!r}", argument="replicas"
            )
        if replicas > self.max_replicas:
            raise InvalidArgumentError(
                f"replicas must be at most {self.max_replicas} for Docker workers (one daemon "
                f"runs them all), not {replicas}",
                argument="replicas",
            )
        # Two concurrent scales of one deployment would both count the same containers.
        async with self._lock:
            found = await self.containers()
            active = sorted((c for c in found if c.state in _RUNNING + _PENDING), key=_retire_order)
            dead = [c for c in found if c.state in _DEAD]
            surplus = active[: max(0, len(active) - replicas)]
            missing = max(0, replicas - len(active))
            logger.info(
                "scaling %s workers (session %s) from %d to %d",
                self.role,
                self.session,
                len(active),
                replicas,
            )
            # Made one at a time as slots free up: memory stays flat whatever the count.
            jobs: chain[Callable[[], Awaitable[None]]] = chain(
                (functools.partial(self._retire, c.id) for c in surplus),
                (functools.partial(self._remove, c.id) for c in dead),
                repeat(self._start_one, missing),
            )
            await map_bounded(_run, jobs, limit=self.concurrency)

    def _name(self) -> str:
        base = _NAME_UNSAFE.sub("-", f"asyncconsole-{self.role}-{self.session}").strip("-.")
        return f"{base}-{secrets.token_hex(3)}"

    async def _start_one(self) -> None:
        await self._docker.run_container(
            self.image,
            self.command,
            name=self._name(),
            env=self.env or None,
            labels=self.labels,
            network_mode=self.network_mode,
            init=self.init,
        )

    async def _retire(self, container_id: str) -> None:
        try:
            await self._docker.stop_container(container_id, timeout=self.stop_timeout)
        except DockerNotFoundError:
            return
        await self._remove(container_id)

    async def _remove(self, container_id: str) -> None:
        try:
            await self._docker.remove_container(container_id, force=True)
        except DockerNotFoundError:
            pass  # gone meanwhile (auto-removed, or another caller)


async def _run(job: Callable[[], Awaitable[None]]) -> None:
    await job()
