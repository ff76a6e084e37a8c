"""FakeDockerManager: an in-memory Docker daemon whose containers live on an injected clock.

It moves simulated state only: the public calls, their checks, deadlines, retries, typed errors
and cleanup are :class:`BaseDockerManager`'s, shared with the real manager. A refusal is a
:class:`PeerFailure` with the daemon's status and words, typed by the adapter core as the real
daemon's would be.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import itertools
import tarfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..._clock import Clock, FakeClock
from ..._errors import DockerError
from ..._retry import RetryPolicy
from .._core import FaultPlan, PeerFailure
from ._base import BaseDockerManager
from ._fake_programs import (
    ExecHandler,
    FakeExecSession,
    FakeProgram,
    emulate_exec,
    emulate_program,
)
from ._fake_state import Container, Image, has_labels, is_tar, normalize_ref, select
from ._spec import RUN_TOKEN_LABEL, ContainerSpec
from ._steps import (
    DEFAULT_RETRY,
    DEFAULT_STOP_GRACE,
    ExecRequest,
    ExecSession,
    ExitWaiter,
    ImageImport,
    LogRequest,
)
from ._stream import ChunkSource
from ._types import ContainerInfo, ContainerState

__all__ = ["FakeDockerCall", "FakeDockerManager"]

_SIGKILL_EXIT, _SIGTERM_EXIT = 137, 143
_WAITING = (ContainerState.RUNNING, ContainerState.RESTARTING, ContainerState.PAUSED)


@dataclass(frozen=True)
class FakeDockerCall:
    """One call made to a :class:`FakeDockerManager`: the operation and its arguments."""

    operation: str
    args: Mapping[str, Any]


def _refused(status: int | None, words: str) -> PeerFailure:
    return PeerFailure("status", words, status=status)


class FakeDockerManager(BaseDockerManager):
    """:class:`DockerManager` as an in-memory daemon: lifecycle over (fake) time, exec, logs.

    Containers go ``created`` -> ``running`` (after ``start_delay``) -> ``exited`` (when their
    program ends, see :func:`emulate_program`, or on stop) -> gone (``auto_remove``, after
    ``remove_delay``). Stopping a program that ignores SIGTERM (a PID 1 without ``init=True``)
    takes the whole stop timeout and exits 137, as on a real daemon. Only images in the
    registry (``images=``, :meth:`add_image`, ``import_image``, ``build_image``) can run.

    Args:
        clock: Drives every delay; a :class:`~asyncconsole.FakeClock` by default, so waits cost
            no real time.
        images: Image references present from the start.
        start_delay: Seconds ``start_container`` takes before the container is running.
        remove_delay: Seconds an auto-removed container spends ``removing`` after it exits.
        programs: ``argv -> FakeProgram`` for the containers' commands (None falls back to
            :func:`emulate_program`).
        exec_handler: Answers ``exec_in_container``; None falls back to an emulation of
            ``echo``, ``true``, ``false``, ``env``, ``pwd``, ``sleep`` and simple ``sh -c``.
        poll_interval: Clock seconds between checks while waiting or following logs.
        request_timeout / cleanup_timeout / retry: As for :class:`DockerEngineManager`.
        faults: The adapter core's fault plan (a new one by default): faults by operation
            (``"docker.inspect_container"``), rate and count, as :attr:`faults`.

    Test hooks: :attr:`calls` (every call, in order), :meth:`fail_next` (fail the next calls
    of an operation), :meth:`set_latency` (delay an operation), :meth:`add_container`,
    :meth:`container_ids`, and the fault plan (``faults=``).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        images: Iterable[str] = (),
        start_delay: float = 0.0,
        remove_delay: float = 0.0,
        programs: Callable[[tuple[str, ...]], FakeProgram | None] | None = None,
        exec_handler: ExecHandler | None = None,
        poll_interval: float = 0.05,
        request_timeout: float = 60.0,
        cleanup_timeout: float = 30.0,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        faults: FaultPlan | None = None,
    ) -> None:
        plan = faults if faults is not None else FaultPlan()
        super().__init__(
            endpoint="fake://docker",
            clock=clock or FakeClock(),
            request_timeout=request_timeout,
            cleanup_timeout=cleanup_timeout,
            retry=retry,
            faults=plan,
        )
        self._plan = plan
        self.start_delay = start_delay
        self.remove_delay = remove_delay
        self.poll_interval = poll_interval
        self._programs = programs
        self._exec_handler = exec_handler
        self._containers: dict[str, Container] = {}
        self._images: dict[str, Image] = {}
        self._latency: dict[str, float] = {}
        self._names = itertools.count(1)
        self.calls: list[FakeDockerCall] = []
        for ref in images:
            self.add_image(ref)

    def __repr__(self) -> str:
        return f"FakeDockerManager(containers={len(self._containers)}, images={len(self._images)})"

    # -- test hooks ---------------------------------------------------------------------------

    def add_image(self, ref: str) -> str:
        """Put an image in the registry (as if built or loaded); return its id."""
        full = normalize_ref(ref)
        image_id = "sha256:" + hashlib.sha256(full.encode()).hexdigest()
        image = self._images.get(image_id) or Image(image_id, set())
        image.refs.add(full)
        self._images[image_id] = image
        return image_id

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` (e.g. ``"run_container"``) raise
        ``error``, also where another call makes it (a run creates, then starts)."""
        self._plan.add("error", operations={f"docker.{operation}"}, times=times, error=error)

    def set_latency(self, operation: str, seconds: float) -> None:
        """Make every call of ``operation`` take ``seconds`` (on the clock) before acting."""
        self._latency[operation] = seconds

    def calls_to(self, operation: str) -> list[FakeDockerCall]:
        """The recorded calls of one operation."""
        return [c for c in self.calls if c.operation == operation]

    def add_container(
        self,
        image: str,
        command: Sequence[str] | None = None,
        *,
        name: str | None = None,
        labels: Mapping[str, str] | None = None,
        init: bool = False,
        running: bool = True,
    ) -> str:
        """Put a container in the daemon as if someone else had made (and, when ``running``,
        started) it: no call is recorded, no fault or delay applies. Return its id."""
        spec = ContainerSpec.build(
            image,
            command,
            name=name,
            env=None,
            labels=labels,
            network_mode=None,
            auto_remove=False,
            init=init,
            entrypoint=None,
            workdir=None,
            user=None,
        )
        try:
            c = self._make(spec, uuid.uuid4().hex)
        except PeerFailure as refused:
            raise ValueError(f"cannot add the container: {refused.detail}") from None
        if running:
            self._run(c)
        return c.id

    def container_ids(self, *, labels: Mapping[str, str] | None = None) -> list[str]:
        """Ids of every container that exists (in any state), or of those carrying every
        label of ``labels``; no call is recorded and no fault applies."""
        self._refresh_all()
        wanted = labels or {}
        return [cid for cid, c in self._containers.items() if has_labels(c.labels, wanted)]

    async def _enter(self, operation: str, args: Mapping[str, Any]) -> None:
        self.calls.append(FakeDockerCall(operation, dict(args)))
        delay = self._latency.get(operation)
        if delay:
            await self.clock.sleep(delay)

    # -- state --------------------------------------------------------------------------------

    def _wall_at(self, mono: float) -> datetime:
        return self.clock.now() - timedelta(seconds=self.clock.monotonic() - mono)

    def _refresh(self, c: Container) -> None:
        now = self.clock.monotonic()
        if c.state is ContainerState.RUNNING and c.started_mono is not None:
            runtime = c.program.runtime
            if runtime is not None and now >= c.started_mono + runtime:
                self._exit(c, c.program.exit_code, at=c.started_mono + runtime)
        if (
            c.removal_due is not None
            and not c.removed
            and now >= c.removal_due
            and c.id in self._containers
        ):
            self._drop(c)

    def _refresh_all(self) -> None:
        for c in list(self._containers.values()):
            self._refresh(c)

    def _exit(self, c: Container, code: int, *, at: float | None = None) -> None:
        at = self.clock.monotonic() if at is None else at
        c.past_log.extend(self._program_output(c, until=at))
        c.state = ContainerState.EXITED
        c.exit_code = code
        c.finished_mono = at
        c.finished_at = self._wall_at(at)
        if c.spec.auto_remove:
            c.state = ContainerState.REMOVING
            c.removal_due = at + self.remove_delay
            self._refresh(c)

    def _drop(self, c: Container) -> None:
        c.removed = True
        if c.state is ContainerState.REMOVING:
            c.state = ContainerState.EXITED
        self._containers.pop(c.id, None)

    def _program_output(self, c: Container, *, until: float) -> list[tuple[int, str]]:
        if c.started_mono is None:
            return []
        return [(s, line) for at, s, line in c.program.output if c.started_mono + at <= until]

    def _log_entries(self, c: Container) -> list[tuple[int, str]]:
        self._refresh(c)
        if c.state is ContainerState.RUNNING:
            return c.past_log + self._program_output(c, until=self.clock.monotonic())
        return list(c.past_log)

    def _find(self, ref: str) -> Container:
        self._refresh_all()
        c = self._containers.get(ref)
        if c is None:
            named = [x for x in self._containers.values() if x.name == ref.lstrip("/")]
            prefixed = [x for x in self._containers.values() if ref and x.id.startswith(ref)]
            matches = named or prefixed
            if len(matches) > 1:
                raise _refused(404, f"No such container: {ref} (ambiguous prefix)")
            c = matches[0] if matches else None
        if c is None:
            raise _refused(404, f"No such container: {ref}")
        return c

    def _info(self, c: Container) -> ContainerInfo:
        self._refresh(c)
        exited = c.state in (ContainerState.EXITED, ContainerState.DEAD)
        return ContainerInfo(
            id=c.id,
            name=c.name,
            image=c.spec.image,
            state=c.state,
            labels=dict(c.labels),
            exit_code=c.exit_code if exited else None,
            started_at=c.started_at,
            finished_at=c.finished_at if exited else None,
            created_at=c.created_at,
            command=(c.spec.entrypoint or ()) + (c.spec.command or ()),
            error=c.error,
        )

    def _image(self, ref: str) -> Image | None:
        if ref in self._images:
            return self._images[ref]
        full = normalize_ref(ref)
        for image in self._images.values():
            if full in image.refs or image.id.startswith(f"sha256:{ref}"):
                return image
        return None

    # -- containers ---------------------------------------------------------------------------

    async def _ping(self, left: float | None) -> None:
        return None

    async def _create(self, spec: ContainerSpec, token: str, left: float | None) -> str:
        return self._make(spec, token).id

    def _make(self, spec: ContainerSpec, token: str) -> Container:
        if self._image(spec.image) is None:
            raise _refused(404, f"No such image: {spec.image}")
        self._refresh_all()
        if spec.name is not None:
            owner = next((c for c in self._containers.values() if c.name == spec.name), None)
            if owner is not None:
                raise _refused(
                    409,
                    f'Conflict. The container name "/{spec.name}" is already in use by '
                    f'container "{owner.id}". You have to remove (or rename) that container '
                    "to be able to reuse that name.",
                )
        cid = uuid.uuid4().hex + uuid.uuid4().hex
        c = self._containers[cid] = Container(
            id=cid,
            name=spec.name or f"fake_container_{next(self._names)}",
            spec=spec,
            labels={**spec.labels, RUN_TOKEN_LABEL: token},
            created_at=self.clock.now(),
        )
        return c

    async def _start(self, container_id: str, left: float | None) -> None:
        c = self._find(container_id)
        if c.state is ContainerState.RUNNING:
            return
        if c.state is ContainerState.REMOVING or c.removed:
            raise _refused(409, f"container {c.id} is marked for removal")
        if self.start_delay:
            await self.clock.sleep(self.start_delay)
        self._refresh(c)
        if c.removed:
            raise _refused(404, f"No such container: {c.id}")
        self._run(c)

    def _run(self, c: Container) -> None:
        argv = (c.spec.entrypoint or ()) + (c.spec.command or ())
        program = self._programs(argv) if self._programs else None
        c.program = program or emulate_program(argv)
        c.state = ContainerState.RUNNING
        c.started_mono, c.started_at = self.clock.monotonic(), self.clock.now()
        c.finished_mono = c.finished_at = c.exit_code = None
        self._refresh(c)

    async def _stop(self, container_id: str, grace: int | None, left: float | None) -> None:
        c = self._find(container_id)
        if c.state is not ContainerState.RUNNING:
            return
        if c.spec.init or c.program.handles_sigterm:
            self._exit(c, _SIGTERM_EXIT)
            return
        # The program ignores SIGTERM: Docker waits out the grace period, then kills it.
        deadline = self.clock.monotonic() + (DEFAULT_STOP_GRACE if grace is None else grace)
        while self.clock.monotonic() < deadline:
            await self.clock.sleep(min(self.poll_interval, deadline - self.clock.monotonic()))
            self._refresh(c)
            if c.state is not ContainerState.RUNNING:
                return
        self._exit(c, _SIGKILL_EXIT)

    async def _remove(self, container_id: str, force: bool, left: float | None) -> None:
        c = self._find(container_id)
        if c.state is ContainerState.REMOVING:
            raise _refused(409, f"removal of container {c.id} is already in progress")
        if c.state.is_active:
            if not force:
                raise _refused(
                    409,
                    f"You cannot remove a running container {c.id}. Stop the container "
                    "before attempting removal or force remove",
                )
            self._exit(c, _SIGKILL_EXIT)
        self._drop(c)

    async def _inspect(self, ref: str, left: float | None) -> ContainerInfo:
        return self._info(self._find(ref))

    async def _list(
        self, labels: Mapping[str, str], all: bool, left: float | None
    ) -> list[ContainerInfo]:
        self._refresh_all()
        found = []
        for c in reversed(self._containers.values()):  # newest first, like the daemon
            if not all and c.state is not ContainerState.RUNNING:
                continue
            if has_labels(c.labels, labels):
                found.append(self._info(c))
        return found

    async def _wait(self, container_id: str, condition: str, left: float | None) -> ExitWaiter:
        return _FakeWaiter(self, self._find(container_id), removed=condition == "removed")

    async def _tty(self, container_id: str, left: float | None) -> bool:
        self._find(container_id)
        return False

    async def _logs(self, request: LogRequest, left: float | None) -> ChunkSource:
        c = self._find(request.container_id)
        stdout, stderr, tail = request.stdout, request.stderr, request.tail
        lines = select(self._log_entries(c), stdout, stderr)
        if request.follow:
            skip = len(lines) - tail if tail is not None and tail < len(lines) else 0
            return _FakeLogSource(self, c, stdout, stderr, skip=max(0, skip))
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return _FakeLogSource(self, c, stdout, stderr, lines=lines)

    async def _exec(self, request: ExecRequest, left: float | None) -> ExecSession:
        c = self._find(request.container_id)
        if c.state is not ContainerState.RUNNING:
            raise _refused(409, f"Container {c.id} is not running")
        argv, workdir = request.argv, request.workdir
        exec_env = dict(item.split("=", 1) for item in request.env)
        if self._exec_handler is not None:
            answer = self._exec_handler(self._info(c), argv, exec_env, workdir)
            result = await answer if inspect.isawaitable(answer) else answer
            if result is not None:
                return FakeExecSession.of_result(self.clock, result)
        program = emulate_exec(argv, c.spec.env, exec_env, workdir or c.spec.workdir or "/")
        if program.runtime is None and request.timeout is None:
            raise DockerError(
                f"FakeDockerManager cannot emulate {' '.join(argv)!r} (it would never end)"
            )
        return FakeExecSession.of_program(self.clock, program)

    # -- images -------------------------------------------------------------------------------

    async def _image_exists(self, ref: str, left: float | None) -> bool:
        return self._image(ref) is not None

    async def _image_id(self, ref: str, left: float | None) -> str:
        image = self._image(ref)
        if image is None:
            raise _refused(404, f"No such image: {ref}")
        return image.id

    async def _import(self, request: ImageImport, left: float | None) -> None:
        ref = f"{request.repository}:{request.tag}"
        if not is_tar(request.data):
            raise _refused(500, f"cannot import image {ref}: not a tar archive")
        self.add_image(ref)

    async def _build(self, context: bytes, tag: str, dockerfile: str, left: float | None) -> None:
        try:
            with tarfile.open(fileobj=io.BytesIO(context)) as archive:
                member = archive.extractfile(dockerfile)
                text = member.read().decode() if member else ""
        except (tarfile.TarError, KeyError):
            raise _refused(500, f"Cannot locate specified Dockerfile: {dockerfile}") from None
        bases = [
            line.split()[1]
            for line in text.splitlines()
            if line.strip().upper().startswith("FROM ") and len(line.split()) > 1
        ]
        if not bases:
            raise _refused(None, f"{dockerfile} has no FROM instruction")
        for base in bases:
            if base != "scratch" and self._image(base) is None:
                raise _refused(
                    None,
                    f"pull access denied for {base}, repository does not exist or may require "
                    "'docker login'",
                )
        self.add_image(tag)

    async def _remove_image(self, ref: str, force: bool, left: float | None) -> None:
        image = self._image(ref)
        if image is None:
            raise _refused(404, f"No such image: {ref}")
        self._refresh_all()
        users = [c for c in self._containers.values() if self._image(c.spec.image) is image]
        if users and not force:
            raise _refused(
                409,
                f'conflict: unable to remove repository reference "{ref}" - container '
                f"{users[0].id[:12]} is using its referenced image",
            )
        full = normalize_ref(ref)
        if full in image.refs and len(image.refs) > 1:
            image.refs.discard(full)
        else:
            self._images.pop(image.id, None)


class _FakeWaiter:
    """Polls a fake container until it stops (or is removed), waking exactly when due."""

    def __init__(self, fake: FakeDockerManager, c: Container, *, removed: bool) -> None:
        self._fake = fake
        self._c = c
        self._removed = removed

    async def exit_code(self) -> int:
        fake, c = self._fake, self._c
        while True:
            fake._refresh(c)
            if c.removed if self._removed else c.state not in _WAITING:
                return c.exit_code or 0
            now = fake.clock.monotonic()
            step = fake.poll_interval
            # Wake exactly when the program ends or the removal is due, not a poll later.
            due = c.removal_due if c.state is ContainerState.REMOVING else None
            if c.state is ContainerState.RUNNING and c.program.runtime is not None:
                due = (c.started_mono or 0.0) + c.program.runtime
            if due is not None and due > now:
                step = min(step, due - now)
            await fake.clock.sleep(step)

    async def aclose(self) -> None:
        return None


class _FakeLogSource:
    """A fake container's log: ``lines`` as they are, or followed as it grows (ending once
    the container stops)."""

    def __init__(
        self,
        fake: FakeDockerManager,
        c: Container,
        stdout: bool,
        stderr: bool,
        *,
        skip: int = 0,
        lines: list[str] | None = None,
    ) -> None:
        self._fake = fake
        self._c = c
        self._stdout = stdout
        self._stderr = stderr
        self._sent = skip
        self._lines = lines
        self._closed = False

    async def read(self) -> bytes | None:
        if self._lines is not None:
            lines, self._lines = self._lines, []
            return "".join(f"{line}\n" for line in lines).encode() or None
        while not self._closed:
            lines = select(self._fake._log_entries(self._c), self._stdout, self._stderr)
            running = self._c.state is ContainerState.RUNNING
            if len(lines) > self._sent:
                fresh, self._sent = lines[self._sent :], len(lines)
                return "".join(f"{line}\n" for line in fresh).encode()
            if not running or self._c.removed:
                return None
            await self._fake.clock.sleep(self._fake.poll_interval)
        return None

    def close(self) -> None:
        self._closed = True
