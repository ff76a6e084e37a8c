"""What asyncconsole needs from a Docker daemon: containers, exec, logs, local images."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from ..._secret import Secret
from ..commands._result import CommandResult
from ._stream import LogStream
from ._types import ContainerInfo

__all__ = ["DockerManager", "EnvValue"]

EnvValue = str | Secret
"""An environment value; :class:`~asyncconsole.Secret` values are revealed only to the daemon."""


@runtime_checkable
class DockerManager(Protocol):
    """Containers and local images on one Docker daemon.

    Every method raises the :class:`~asyncconsole.DockerError` family: ``DockerNotFoundError``
    for a missing container or image, ``DockerConflictError`` for a name in use or a container
    in the wrong state, ``DockerUnavailableError`` when the daemon cannot be reached or the
    connection dropped, ``DockerTimeoutError`` (an ``OperationTimeoutError``) when a call's
    deadline passed, :class:`~asyncconsole.MalformedResponseError` when an answer is not what
    the Engine API documents. Calls may run concurrently on one manager; a call that fails or
    is cancelled leaves no container behind that the caller did not get the id of.
    """

    async def ping(self) -> None:
        """Check the daemon answers; raises ``DockerUnavailableError`` if it does not."""
        ...

    async def run_container(
        self,
        image: str,
        command: Sequence[str] | None = None,
        *,
        name: str | None = None,
        env: Mapping[str, EnvValue] | None = None,
        labels: Mapping[str, str] | None = None,
        network_mode: str | None = None,
        auto_remove: bool = False,
        detach: bool = True,
        init: bool = False,
        entrypoint: Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        """Create and start a container; return its id.

        Args:
            image: A local image reference (nothing is pulled).
            command: The arguments (a list, not a shell string); None for the image's default.
            name: The container name; Docker picks one when None.
            env: Environment variables.
            labels: Labels, for finding the container again (:meth:`list_containers`).
            network_mode: ``host``, ``none``, ``bridge`` or a network name.
            auto_remove: Remove the container once it exits (``docker run --rm``).
            detach: Return once started (True) or wait for the exit (False). With False a
                non-zero exit raises ``DockerError`` carrying ``exit_code`` and the container id.
            init: Run an init process as PID 1, so the command gets SIGTERM on stop.
            entrypoint: Override the image's entrypoint.
            workdir: The working directory of the command.
            user: ``user``, ``user:group`` or numeric ids.
            timeout: With ``detach=False``, the most seconds to wait for the exit; on expiry
                the container is removed and ``OperationTimeoutError`` is raised.

        If the call fails or is cancelled after the daemon created the container, the
        container is removed: a failed ``run_container`` leaves nothing behind.
        """
        ...

    async def create_container(
        self,
        image: str,
        command: Sequence[str] | None = None,
        *,
        name: str | None = None,
        env: Mapping[str, EnvValue] | None = None,
        labels: Mapping[str, str] | None = None,
        network_mode: str | None = None,
        auto_remove: bool = False,
        init: bool = False,
        entrypoint: Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
    ) -> str:
        """Create a container without starting it; return its id. Arguments as ``run_container``."""
        ...

    async def start_container(self, container_id: str) -> None:
        """Start a created or stopped container (no-op if it is running)."""
        ...

    async def stop_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        """Send SIGTERM, then SIGKILL after ``timeout`` seconds (Docker's default when None).

        A no-op for a container that is not running.
        """
        ...

    async def remove_container(self, container_id: str, *, force: bool = False) -> None:
        """Remove a container; ``force`` kills it first if it is running.

        Without ``force`` a running container raises ``DockerConflictError``.
        """
        ...

    async def wait_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        """Wait until the container is not running; return its exit code.

        Raises:
            OperationTimeoutError: ``timeout`` seconds passed first (the container keeps running).
        """
        ...

    async def inspect_container(self, container_id: str) -> ContainerInfo:
        """Inspect one container by id, id prefix or name."""
        ...

    async def list_containers(
        self, *, labels: Mapping[str, str] | None = None, all: bool = False
    ) -> list[ContainerInfo]:
        """Containers carrying every given label; running ones only unless ``all``."""
        ...

    async def exec_in_container(
        self,
        container_id: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, EnvValue] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> CommandResult:
        """Run ``argv`` in a running container; stdout and stderr come back separately.

        A command that cannot be started (not found, bad workdir) is a result with exit code
        126 or 127, as with ``docker exec``; only daemon refusals raise.

        Raises:
            DockerConflictError: The container is not running.
            CommandTimeoutError: ``timeout`` passed; carries the output so far (the process in
                the container is not killed: Docker has no API for that).
        """
        ...

    async def container_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> str:
        """The container's log so far (stdout and stderr interleaved), or its last ``tail`` lines.

        Docker copies the two streams concurrently: lines written close together to stdout
        and stderr may be logged in either order (each stream keeps its own order).
        """
        ...

    def follow_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> LogStream:
        """Follow the log: every line so far (or the last ``tail``) then new ones as written.

        The stream ends when the container stops. Nothing is requested until the first line
        is awaited; errors (``DockerNotFoundError``...) surface there.
        """
        ...

    async def image_exists(self, ref: str) -> bool:
        """Whether the image (``repo:tag``, id or digest) is present locally."""
        ...

    async def import_image(
        self,
        rootfs: bytes | os.PathLike[str] | str,
        repository: str,
        tag: str = "latest",
        *,
        changes: Sequence[str] = (),
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        """Make an image from a root filesystem tarball (``docker import``); return its id.

        Args:
            rootfs: The tar archive's bytes, or the path of the archive.
            repository: The image's repository name, e.g. ``asyncconsole-test/busybox``.
            tag: Its tag.
            changes: Dockerfile instructions to apply, e.g. ``['CMD ["/bin/sh"]']``.
            timeout: Seconds for the whole import (None: as long as it takes).
        """
        ...

    async def build_image(
        self,
        context: bytes,
        tag: str,
        *,
        dockerfile: str = "Dockerfile",
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        """Build an image from a tar build context holding ``dockerfile``; return its id.

        Base images must already be local (``FROM scratch`` always works): nothing is pulled.
        ``timeout`` bounds the whole build (None: as long as it takes).
        """
        ...

    async def remove_image(self, ref: str, *, force: bool = False) -> None:
        """Remove a local image (untag it; delete it when no tag is left)."""
        ...
