"""FakeDockerManager: an in-memory Docker daemon whose containers live on an injected clock."""

from __future__ import annotations

import hashlib
import inspect
import io
import itertools
import os
import shlex
import tarfile
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..._clock import Clock, FakeClock
from ..._errors import (
    CommandTimeoutError,
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    OperationTimeoutError,
)
from ..._resource import AsyncResource
from ..commands._result import CommandResult
from ._protocol import EnvValue
from ._spec import RUN_TOKEN_LABEL, ContainerSpec, check_repository, env_list, exec_argv
from ._stream import ChunkSource, LogStream
from ._types import ContainerInfo, ContainerState

__all__ = ["FakeDockerCall", "FakeDockerManager", "FakeProgram", "emulate_program"]

STDOUT, STDERR = 1, 2
_SIGKILL_EXIT, _SIGTERM_EXIT = 137, 143


@dataclass(frozen=True)
class FakeProgram:
    """What a fake container's main process does.

    Attributes:
        output: ``(seconds after start, stream, line)`` entries, stream 1 stdout or 2 stderr.
        runtime: Seconds until it exits by itself; None runs until stopped.
        exit_code: Its exit status when it exits by itself.
        handles_sigterm: Whether SIGTERM ends it. Like a real PID 1 without ``init=True``,
            a program that does not handle SIGTERM is killed only after the stop timeout.
    """

    output: tuple[tuple[float, int, str], ...] = ()
    runtime: float | None = None
    exit_code: int = 0
    handles_sigterm: bool = False


def emulate_program(argv: Sequence[str] | None) -> FakeProgram:
    """The default behaviour of a fake container's command, after busybox.

    ``sleep N``, ``echo ...``, ``true``, ``false`` and ``sh -c`` scripts of ``echo`` (with
    ``>&2``), ``sleep``, ``true``, ``false`` and ``exit N`` statements joined by ``;``/``&&``.
    Anything else (and no command: the image's shell) runs until stopped.
    """
    if not argv:
        return FakeProgram()
    if argv[0] in ("sh", "/bin/sh") and len(argv) >= 3 and argv[1] == "-c":
        return _emulate_script(argv[2])
    script = shlex.join(argv)
    return _emulate_script(script) if argv[0].rsplit("/", 1)[-1] in _SIMPLE else FakeProgram()


_SIMPLE = {"sleep", "echo", "true", "false", "exit"}


def _emulate_script(script: str) -> FakeProgram:
    clock = 0.0
    output: list[tuple[float, int, str]] = []
    code = 0
    for statement in script.replace("&&", ";").replace("\n", ";").split(";"):
        try:
            words = shlex.split(statement)
        except ValueError:
            return FakeProgram(output=tuple(output))
        if not words:
            continue
        cmd = words[0].rsplit("/", 1)[-1]
        if cmd == "echo":
            stream = STDOUT
            if words[-1] in (">&2", "1>&2"):
                stream, words = STDERR, words[:-1]
            output.append((clock, stream, " ".join(words[1:])))
            code = 0
        elif cmd == "sleep" and len(words) == 2:
            try:
                clock += float(words[1])
            except ValueError:
                return FakeProgram(output=tuple(output))
            code = 0
        elif cmd in ("true", "false"):
            code = 0 if cmd == "true" else 1
        elif cmd == "exit":
            return FakeProgram(
                output=tuple(output),
                runtime=clock,
                exit_code=int(words[1]) if len(words) > 1 else code,
            )
        else:
            return FakeProgram(output=tuple(output))  # something we cannot emulate: runs on
    return FakeProgram(output=tuple(output), runtime=clock, exit_code=code)


@dataclass(frozen=True)
class FakeDockerCall:
    """One call made to a :class:`FakeDockerManager`: the operation and its arguments."""

    operation: str
    args: Mapping[str, Any]


ExecHandler = Callable[
    [ContainerInfo, tuple[str, ...], Mapping[str, str], str | None],
    "CommandResult | Awaitable[CommandResult | None] | None",
]
"""(container, argv, exec environment, workdir) -> a result, or None for the default emulation."""


@dataclass
class _Container:
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
class _Image:
    id: str
    refs: set[str]


class FakeDockerManager(AsyncResource):
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

    Test hooks: :attr:`calls` (every call, in order), :meth:`fail_next` (fail the next calls
    of an operation), :meth:`set_latency` (delay an operation), :meth:`container_ids`.
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
    ) -> None:
        self.clock: Clock = clock or FakeClock()
        self.start_delay = start_delay
        self.remove_delay = remove_delay
        self.poll_interval = poll_interval
        self._programs = programs
        self._exec_handler = exec_handler
        self._containers: dict[str, _Container] = {}
        self._images: dict[str, _Image] = {}
        self._failures: dict[str, deque[BaseException]] = {}
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
        full = _normalize_ref(ref)
        image_id = "sha256:" + hashlib.sha256(full.encode()).hexdigest()
        image = self._images.get(image_id) or _Image(image_id, set())
        image.refs.add(full)
        self._images[image_id] = image
        return image_id

    def fail_next(self, operation: str, error: BaseException, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` (e.g. ``"run_container"``) raise."""
        self._failures.setdefault(operation, deque()).extend([error] * times)

    def set_latency(self, operation: str, seconds: float) -> None:
        """Make every call of ``operation`` take ``seconds`` (on the clock) before acting."""
        self._latency[operation] = seconds

    def calls_to(self, operation: str) -> list[FakeDockerCall]:
        """The recorded calls of one operation."""
        return [c for c in self.calls if c.operation == operation]

    def container_ids(self) -> list[str]:
        """Ids of every container that exists (in any state)."""
        self._refresh_all()
        return list(self._containers)

    async def _enter(self, operation: str, **args: Any) -> None:
        if self.closed:
            raise RuntimeError("FakeDockerManager is closed")
        self.calls.append(FakeDockerCall(operation, args))
        delay = self._latency.get(operation)
        if delay:
            await self.clock.sleep(delay)
        pending = self._failures.get(operation)
        if pending:
            raise pending.popleft()

    # -- state --------------------------------------------------------------------------------

    def _now(self) -> tuple[float, datetime]:
        return self.clock.monotonic(), self.clock.now()

    def _wall_at(self, mono: float) -> datetime:
        now_mono, now_wall = self._now()
        return now_wall - timedelta(seconds=now_mono - mono)

    def _refresh(self, c: _Container) -> None:
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

    def _exit(self, c: _Container, code: int, *, at: float | None = None) -> None:
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

    def _drop(self, c: _Container) -> None:
        c.removed = True
        if c.state is ContainerState.REMOVING:
            c.state = ContainerState.EXITED
        self._containers.pop(c.id, None)

    def _program_output(self, c: _Container, *, until: float) -> list[tuple[int, str]]:
        if c.started_mono is None:
            return []
        return [(s, line) for at, s, line in c.program.output if c.started_mono + at <= until]

    def _log_entries(self, c: _Container) -> list[tuple[int, str]]:
        self._refresh(c)
        if c.state is ContainerState.RUNNING:
            return c.past_log + self._program_output(c, until=self.clock.monotonic())
        return list(c.past_log)

    def _find(self, ref: str) -> _Container:
        self._refresh_all()
        c = self._containers.get(ref)
        if c is None:
            named = [x for x in self._containers.values() if x.name == ref.lstrip("/")]
            prefixed = [x for x in self._containers.values() if ref and x.id.startswith(ref)]
            matches = named or prefixed
            if len(matches) > 1:
                raise DockerNotFoundError(
                    f"No such container: {ref} (ambiguous prefix)", status=404, container=ref
                )
            c = matches[0] if matches else None
        if c is None:
            raise DockerNotFoundError(
                f"cannot inspect container: No such container: {ref}", status=404, container=ref
            )
        return c

    def _info(self, c: _Container) -> ContainerInfo:
        self._refresh(c)
        exited = c.state in (ContainerState.EXITED, ContainerState.DEAD)
        command = (c.spec.entrypoint or ()) + (c.spec.command or ())
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
            command=command,
            error=c.error,
        )

    def _image(self, ref: str) -> _Image | None:
        if ref in self._images:
            return self._images[ref]
        full = _normalize_ref(ref)
        for image in self._images.values():
            if full in image.refs or image.id.startswith(f"sha256:{ref}"):
                return image
        return None

    # -- lifecycle ----------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._enter("ping")

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
        await self._enter("create_container", image=image, command=spec.command, name=name)
        return self._create(spec).id

    def _create(self, spec: ContainerSpec) -> _Container:
        if self._image(spec.image) is None:
            raise DockerNotFoundError(
                f"cannot create container: No such image: {spec.image}",
                status=404,
                image=spec.image,
            )
        self._refresh_all()
        cid = uuid.uuid4().hex + uuid.uuid4().hex
        if spec.name is not None:
            owner = next((c for c in self._containers.values() if c.name == spec.name), None)
            if owner is not None:
                raise DockerConflictError(
                    f'cannot create container: Conflict. The container name "/{spec.name}" is '
                    f'already in use by container "{owner.id}". You have to remove (or rename) '
                    "that container to be able to reuse that name.",
                    status=409,
                    name=spec.name,
                )
        name = spec.name or f"fake_container_{next(self._names)}"
        container = _Container(
            id=cid,
            name=name,
            spec=spec,
            labels={**spec.labels, RUN_TOKEN_LABEL: uuid.uuid4().hex},
            created_at=self.clock.now(),
        )
        self._containers[cid] = container
        return container

    async def start_container(self, container_id: str) -> None:
        await self._enter("start_container", container_id=container_id)
        await self._start(self._find(container_id))

    async def _start(self, c: _Container) -> None:
        if c.state is ContainerState.RUNNING:
            return
        if c.state is ContainerState.REMOVING or c.removed:
            raise DockerConflictError(
                f"cannot start container: container {c.id} is marked for removal",
                status=409,
                container=c.id,
            )
        if self.start_delay:
            await self.clock.sleep(self.start_delay)
        self._refresh(c)
        if c.removed:
            raise DockerNotFoundError(
                f"cannot start container: No such container: {c.id}", status=404, container=c.id
            )
        argv = (c.spec.entrypoint or ()) + (c.spec.command or ())
        program = self._programs(argv) if self._programs else None
        c.program = program or emulate_program(argv)
        c.state = ContainerState.RUNNING
        c.started_mono, c.started_at = self._now()
        c.finished_mono = c.finished_at = c.exit_code = None
        self._refresh(c)

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
        await self._enter(
            "run_container", image=image, command=spec.command, name=name, detach=detach
        )
        c = self._create(spec)
        try:
            await self._start(c)
            if detach:
                return c.id
            code = await self._wait(c, timeout, removed=auto_remove)
        except BaseException:
            # As the real manager: the caller never got the id, so leave nothing behind.
            self._drop(c)
            raise
        if code != 0:
            tail = "" if auto_remove else "\n".join(line for _, line in self._log_entries(c)[-20:])
            raise DockerError(
                f"container {c.name} ({image}) exited with code {code}"
                + (f": {tail}" if tail else ""),
                container=c.id,
                exit_code=code,
            )
        return c.id

    async def _wait(self, c: _Container, limit: float | None, *, removed: bool = False) -> int:
        deadline = None if limit is None else self.clock.monotonic() + limit
        while True:
            self._refresh(c)
            done = (
                c.removed
                if removed
                else c.state
                not in (
                    ContainerState.RUNNING,
                    ContainerState.RESTARTING,
                    ContainerState.PAUSED,
                )
            )
            if done:
                return c.exit_code or 0
            now = self.clock.monotonic()
            if deadline is not None and now >= deadline:
                raise OperationTimeoutError(
                    f"container {c.id[:12]} still running after {limit}s",
                    timeout=limit,
                    container=c.id,
                )
            step = self.poll_interval
            if deadline is not None:
                step = min(step, deadline - now)
            # Wake exactly when the program ends or the removal is due, not a poll later.
            due = c.removal_due if c.state is ContainerState.REMOVING else None
            if c.state is ContainerState.RUNNING and c.program.runtime is not None:
                due = (c.started_mono or 0.0) + c.program.runtime
            if due is not None and due > now:
                step = min(step, due - now)
            await self.clock.sleep(step)

    async def stop_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        await self._enter("stop_container", container_id=container_id, timeout=timeout)
        c = self._find(container_id)
        if c.state is not ContainerState.RUNNING:
            return
        if c.spec.init or c.program.handles_sigterm:
            self._exit(c, _SIGTERM_EXIT)
            return
        grace = 10.0 if timeout is None else max(0.0, float(timeout))
        # The program ignores SIGTERM: Docker waits out the grace period, then kills it.
        deadline = self.clock.monotonic() + grace
        while self.clock.monotonic() < deadline:
            await self.clock.sleep(min(self.poll_interval, deadline - self.clock.monotonic()))
            self._refresh(c)
            if c.state is not ContainerState.RUNNING:
                return
        self._exit(c, _SIGKILL_EXIT)

    async def remove_container(self, container_id: str, *, force: bool = False) -> None:
        await self._enter("remove_container", container_id=container_id, force=force)
        c = self._find(container_id)
        if c.state is ContainerState.REMOVING:
            raise DockerConflictError(
                f"cannot remove container: removal of container {c.id} is already in progress",
                status=409,
                container=c.id,
            )
        if c.state.is_active:
            if not force:
                raise DockerConflictError(
                    f"cannot remove container: You cannot remove a running container {c.id}. "
                    "Stop the container before attempting removal or force remove",
                    status=409,
                    container=c.id,
                )
            self._exit(c, _SIGKILL_EXIT)
        self._drop(c)

    async def wait_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        await self._enter("wait_container", container_id=container_id, timeout=timeout)
        return await self._wait(self._find(container_id), timeout)

    async def inspect_container(self, container_id: str) -> ContainerInfo:
        await self._enter("inspect_container", container_id=container_id)
        return self._info(self._find(container_id))

    async def list_containers(
        self, *, labels: Mapping[str, str] | None = None, all: bool = False
    ) -> list[ContainerInfo]:
        await self._enter("list_containers", labels=dict(labels or {}), all=all)
        self._refresh_all()
        wanted = dict(labels or {})
        found = []
        for c in reversed(self._containers.values()):  # newest first, like the daemon
            if not all and c.state is not ContainerState.RUNNING:
                continue
            if _has_labels(c.labels, wanted):
                found.append(self._info(c))
        return found

    # -- exec and logs ------------------------------------------------------------------------

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
        args = exec_argv(argv)
        exec_env = dict(item.split("=", 1) for item in env_list(env))
        await self._enter("exec_in_container", container_id=container_id, argv=args)
        c = self._find(container_id)
        if c.state is not ContainerState.RUNNING:
            raise DockerConflictError(
                f"cannot exec in container: Container {c.id} is not running",
                status=409,
                container=c.id,
            )
        started = self.clock.monotonic()
        result: CommandResult | None = None
        if self._exec_handler is not None:
            answer = self._exec_handler(self._info(c), args, exec_env, workdir)
            result = await answer if inspect.isawaitable(answer) else answer
        if result is None:
            result = await self._emulate_exec(c, args, exec_env, workdir, timeout)
        return CommandResult(
            argv=args,
            exit_code=result.exit_code,
            stdout=result.stdout,
            stderr=result.stderr,
            duration=self.clock.monotonic() - started,
        )

    async def _emulate_exec(
        self,
        c: _Container,
        args: tuple[str, ...],
        exec_env: Mapping[str, str],
        workdir: str | None,
        limit: float | None,
    ) -> CommandResult:
        cmd = args[0].rsplit("/", 1)[-1]
        if cmd == "env":
            merged = dict(item.split("=", 1) for item in c.spec.env)
            merged.update(exec_env)
            text = "".join(f"{k}={v}\n" for k, v in merged.items())
            return CommandResult(args, 0, text)
        if cmd == "pwd":
            return CommandResult(args, 0, f"{workdir or c.spec.workdir or '/'}\n")
        if cmd in _SIMPLE or (cmd == "sh" and len(args) >= 3 and args[1] == "-c"):
            program = emulate_program(args)
            out = "".join(f"{line}\n" for _, s, line in program.output if s == STDOUT)
            err = "".join(f"{line}\n" for _, s, line in program.output if s == STDERR)
            runtime = program.runtime
            if runtime is None:
                runtime = float("inf")
            if limit is not None and runtime > limit:
                await self.clock.sleep(limit)
                raise CommandTimeoutError(
                    f"command {' '.join(args)!r} in container {c.id[:12]} ran past {limit}s "
                    "(it may still be running there)",
                    argv=args,
                    timeout=limit,
                    stdout=out,
                    stderr=err,
                )
            if runtime == float("inf"):
                raise DockerError(
                    f"FakeDockerManager cannot emulate {' '.join(args)!r} (it would never end)"
                )
            if runtime:
                await self.clock.sleep(runtime)
            return CommandResult(args, program.exit_code, out, err)
        return CommandResult(
            args,
            126,
            "OCI runtime exec failed: exec failed: unable to start container process: exec: "
            f'"{args[0]}": executable file not found in $PATH: unknown\r\n',
        )

    async def container_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> str:
        if not (stdout or stderr):
            raise ValueError("ask for stdout, stderr or both")
        await self._enter("container_logs", container_id=container_id, tail=tail)
        lines = _select(self._log_entries(self._find(container_id)), stdout, stderr)
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return "".join(f"{line}\n" for line in lines)

    def follow_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> LogStream:
        async def open_source() -> ChunkSource:
            if not (stdout or stderr):
                raise ValueError("ask for stdout, stderr or both")
            await self._enter("follow_logs", container_id=container_id, tail=tail)
            c = self._find(container_id)
            entries = _select(self._log_entries(c), stdout, stderr)
            skip = len(entries) - tail if tail is not None and tail < len(entries) else 0
            return _FakeLogSource(self, c, stdout, stderr, skip=max(0, skip))

        return LogStream(open_source)

    # -- images -------------------------------------------------------------------------------

    async def image_exists(self, ref: str) -> bool:
        await self._enter("image_exists", ref=ref)
        return self._image(ref) is not None

    async def import_image(
        self,
        rootfs: bytes | os.PathLike[str] | str,
        repository: str,
        tag: str = "latest",
        *,
        changes: Sequence[str] = (),
    ) -> str:
        check_repository(repository)
        await self._enter("import_image", repository=repository, tag=tag, changes=tuple(changes))
        data = rootfs if isinstance(rootfs, bytes) else await _read(rootfs)
        if not _is_tar(data):
            raise DockerError(f"cannot import image {repository}:{tag}: not a tar archive")
        return self.add_image(f"{repository}:{tag}")

    async def build_image(self, context: bytes, tag: str, *, dockerfile: str = "Dockerfile") -> str:
        await self._enter("build_image", tag=tag, dockerfile=dockerfile)
        try:
            with tarfile.open(fileobj=io.BytesIO(context)) as archive:
                member = archive.extractfile(dockerfile)
                text = member.read().decode() if member else ""
        except (tarfile.TarError, KeyError) as exc:
            raise DockerError(f"cannot build image {tag}: no {dockerfile} in the context") from exc
        bases = [
            line.split()[1]
            for line in text.splitlines()
            if line.strip().upper().startswith("FROM ") and len(line.split()) > 1
        ]
        if not bases:
            raise DockerError(f"cannot build image {tag}: {dockerfile} has no FROM instruction")
        for base in bases:
            if base != "scratch" and self._image(base) is None:
                raise DockerError(
                    f"cannot build image {tag}: pull access denied for {base}, repository does "
                    "not exist or may require 'docker login'"
                )
        return self.add_image(tag)

    async def remove_image(self, ref: str, *, force: bool = False) -> None:
        await self._enter("remove_image", ref=ref, force=force)
        image = self._image(ref)
        if image is None:
            raise DockerNotFoundError(
                f"cannot remove image: No such image: {ref}", status=404, image=ref
            )
        self._refresh_all()
        users = [c for c in self._containers.values() if self._image(c.spec.image) is image]
        if users and not force:
            raise DockerConflictError(
                f"cannot remove image: conflict: unable to remove repository reference "
                f'"{ref}" - container {users[0].id[:12]} is using its referenced image',
                status=409,
                image=ref,
            )
        full = _normalize_ref(ref)
        if full in image.refs and len(image.refs) > 1:
            image.refs.discard(full)
        else:
            self._images.pop(image.id, None)


class _FakeLogSource:
    """Reads a fake container's log as it grows; ends once the container stops."""

    def __init__(
        self, fake: FakeDockerManager, c: _Container, stdout: bool, stderr: bool, *, skip: int
    ) -> None:
        self._fake = fake
        self._c = c
        self._stdout = stdout
        self._stderr = stderr
        self._sent = skip
        self._closed = False

    async def read(self) -> bytes | None:
        while not self._closed:
            lines = _select(self._fake._log_entries(self._c), self._stdout, self._stderr)
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


def _has_labels(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


def _select(entries: list[tuple[int, str]], stdout: bool, stderr: bool) -> list[str]:
    return [line for s, line in entries if (s == STDOUT and stdout) or (s == STDERR and stderr)]


def _normalize_ref(ref: str) -> str:
    last = ref.rsplit("/", 1)[-1]
    return ref if (":" in last or "@" in ref) else f"{ref}:latest"


def _is_tar(data: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(data)):
            return True
    except tarfile.TarError:
        return False


async def _read(path: os.PathLike[str] | str) -> bytes:
    import anyio

    return await anyio.Path(os.fspath(path)).read_bytes()
