"""The container calls of a Docker manager: create, run, start, stop, remove, wait, inspect, list.

Creates are labelled with a run token, so a create whose answer was lost is found again
(reconciled) and a run that fails or is cancelled removes what it made. Starts, stops and
removes are never sent twice: after a lost answer the container's state says whether they
happened.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Mapping, Sequence

from ..._errors import DockerError, DockerTimeoutError, InfrastructureError
from .._core import check_timeout, finish
from ._protocol import EnvValue
from ._spec import ContainerSpec
from ._steps import (
    CREATE,
    DEFAULT_STOP_GRACE,
    INSPECT,
    LIST,
    PING,
    REMOVE,
    RUN,
    START,
    STOP,
    WAIT,
    DockerSteps,
    LogRequest,
    container_action,
)
from ._types import ContainerInfo

__all__ = ["ContainerCalls"]


class ContainerCalls(DockerSteps):
    """The container calls of :class:`DockerManager`, on the steps of :class:`DockerSteps`."""

    async def ping(self) -> None:
        await self._begin("ping")
        # A health check: one try, so an unreachable daemon is reported at once.
        await self._core.call(PING, "ping", self._ping, retry=None)

    # -- creating and running -----------------------------------------------------------------

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
        spec = ContainerSpec.build(
            image,
            command,
            name=name,
            env=env,
            labels=labels,
            network_mode=network_mode,
            auto_remove=auto_remove,
            init=init,
            entrypoint=entrypoint,
            workdir=workdir,
            user=user,
        )
        await self._begin("create_container", image=image, command=spec.command, name=name)
        return await self._create_owned(spec, quiet=False)

    async def _create_owned(self, spec: ContainerSpec, *, quiet: bool) -> str:
        """Create ``spec``; whatever happens (a lost answer, a cancellation), leave nothing
        the caller does not get the id of."""
        token = uuid.uuid4().hex
        action = f"create container from {spec.image}" + (f" as {spec.name}" if spec.name else "")
        until = self._deadline()  # the create's own, which runs in a task of its own

        async def reconcile() -> str | None:
            # The answer was lost: the run token says whether the daemon made it.
            found = await self._labelled(token)
            return found[0] if len(found) == 1 else None

        # The daemon completes a create even when we hang up, so a cancelled create is allowed
        # to finish (shielded) and what it made is then removed.
        task = asyncio.ensure_future(
            self._core.call(
                CREATE,
                action,
                lambda left: self._create(spec, token, left),
                reconcile=reconcile,
                quiet=quiet,
                describe=_short_id,
                image=spec.image,
            )
        )
        try:
            return await asyncio.shield(task)
        except BaseException:
            await self._undo(
                f"undo create (run {token[:12]})", lambda: self._unmake(task, token), until=until
            )
            raise

    async def _unmake(self, task: asyncio.Future[str], token: str) -> None:
        try:
            container_id = await task
        except InfrastructureError as exc:
            if exc.sent and not _refused(exc):
                await self._sweep(token)  # it may exist without our knowing its id
            return
        except BaseException:
            await self._sweep(token)
            return
        await self._discard(container_id)

    async def start_container(self, container_id: str) -> None:
        await self._begin("start_container", container_id=container_id)
        await self._started(container_id, fresh=False, quiet=False)

    async def _started(self, container_id: str, *, fresh: bool, quiet: bool = True) -> None:
        async def done() -> bool:
            info = await self._inspected(container_id)
            if info is None or info.started_at is None:
                return False
            # A container never started before ran if it has a start time; another must be up.
            return fresh or info.state.is_active

        await self._change(
            START,
            container_action("start", container_id),
            lambda left: self._start(container_id, left),
            done,
            quiet=quiet,
        )

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
        spec = ContainerSpec.build(
            image,
            command,
            name=name,
            env=env,
            labels=labels,
            network_mode=network_mode,
            auto_remove=auto_remove,
            init=init,
            entrypoint=entrypoint,
            workdir=workdir,
            user=user,
        )
        limit = check_timeout("timeout", timeout)
        await self._begin(
            "run_container", image=image, command=spec.command, name=name, detach=detach
        )

        async def attempt(left: float | None) -> str:
            container_id = await self._create_owned(spec, quiet=True)
            try:
                if detach:
                    await finish(self._started(container_id, fresh=True))
                    return container_id
                code = await self._run_attached(container_id, spec, limit)
            except BaseException:
                # The caller never gets this id: remove the container rather than orphan it.
                await self._undo(
                    f"remove container {container_id[:12]}", lambda: self._discard(container_id)
                )
                raise
            if code != 0:
                raise await self._exit_error(container_id, spec, code)
            return container_id

        return await self._core.call(
            RUN,
            f"run container from {image}",
            attempt,
            timeout=self.request_timeout if detach else self._plus(limit),
            retry=None,
            describe=_short_id,
            image=image,
            name=name,
            detach=detach,
        )

    async def _run_attached(
        self, container_id: str, spec: ContainerSpec, limit: float | None
    ) -> int:
        # Register the wait before starting, as `docker run` does: an auto-removed container
        # may otherwise be gone before we ask.
        condition = "removed" if spec.auto_remove else "next-exit"
        waiter = await self._wait(container_id, condition, self._short())
        try:
            await finish(self._started(container_id, fresh=True))
            scope = self.clock.timeout(limit)
            try:
                async with scope:
                    return await waiter.exit_code()
            except TimeoutError:
                if not scope.expired():
                    raise
                raise DockerTimeoutError(
                    f"container {container_id[:12]} ({spec.image}) still running after "
                    f"{limit:g}s; removed it",
                    timeout=limit,
                    container=container_id,
                ) from None
        finally:
            await waiter.aclose()

    async def _exit_error(self, container_id: str, spec: ContainerSpec, code: int) -> DockerError:
        tail = ""
        if not spec.auto_remove:
            try:
                request = LogRequest(container_id, stdout=True, stderr=True, tail=20)
                tail = (await self._log_text(request, quiet=True)).strip()
            except DockerError:
                tail = ""
        return DockerError(
            f"container {spec.name or container_id[:12]} ({spec.image}) exited with code {code}"
            + (f": {tail[-2000:]}" if tail else ""),
            container=container_id,
            exit_code=code,
        )

    # -- stopping, removing, waiting, reading -------------------------------------------------

    async def stop_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        grace = check_timeout("timeout", timeout)
        seconds = None if grace is None else math.ceil(grace)
        await self._begin("stop_container", container_id=container_id, timeout=timeout)

        async def done() -> bool:
            info = await self._inspected(container_id)
            return info is not None and not info.state.is_active

        await self._change(
            STOP,
            container_action("stop", container_id),
            lambda left: self._stop(container_id, seconds, left),
            done,
            # The daemon waits out the grace period before it answers.
            timeout=self._plus(DEFAULT_STOP_GRACE if seconds is None else seconds),
            grace=seconds,
        )

    async def remove_container(self, container_id: str, *, force: bool = False) -> None:
        await self._begin("remove_container", container_id=container_id, force=force)

        async def done() -> bool:
            return await self._inspected(container_id) is None

        await self._change(
            REMOVE,
            container_action("remove", container_id),
            lambda left: self._remove(container_id, force, left),
            done,
            force=force,
        )

    async def wait_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        limit = check_timeout("timeout", timeout)
        await self._begin("wait_container", container_id=container_id, timeout=timeout)

        async def attempt(left: float | None) -> int:
            waiter = await self._wait(container_id, "not-running", self._short())
            try:
                return await waiter.exit_code()
            finally:
                await waiter.aclose()

        return await self._core.call(
            WAIT,
            f"wait for container {container_id[:12]} to stop",
            attempt,
            timeout=limit,
            describe=_exit_code,
        )

    async def inspect_container(self, container_id: str) -> ContainerInfo:
        await self._begin("inspect_container", container_id=container_id)
        return await self._core.call(
            INSPECT,
            container_action("inspect", container_id),
            lambda left: self._inspect(container_id, left),
        )

    async def list_containers(
        self, *, labels: Mapping[str, str] | None = None, all: bool = False
    ) -> list[ContainerInfo]:
        wanted = dict(labels or {})
        for key, value in wanted.items():
            if not isinstance(key, str) or not isinstance(value, str) or not key:
                raise ValueError(f"labels must map non-empty strings to strings: {key!r}={value!r}")
        await self._begin("list_containers", labels=wanted, all=all)
        return await self._core.call(
            LIST,
            "list containers",
            lambda left: self._list(wanted, all, left),
            describe=_count,
            all=all,
        )


def _refused(exc: InfrastructureError) -> bool:
    """Whether the daemon answered no (a 4xx): the request took no effect."""
    status = exc.context.get("status")
    return isinstance(status, int) and 400 <= status < 500


def _short_id(container_id: str) -> dict[str, str]:
    return {"container": container_id[:12]}


def _exit_code(code: int) -> dict[str, int]:
    return {"exit_code": code}


def _count(found: list[ContainerInfo]) -> dict[str, int]:
    return {"count": len(found)}
