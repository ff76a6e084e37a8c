"""check_docker_manager: the behaviour every DockerManager must show, fake or real."""

from __future__ import annotations

import asyncio
import io
import tarfile
import traceback
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, suppress
from datetime import UTC

from ..._errors import (
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    OperationTimeoutError,
)
from ._busybox import BUSYBOX_IMAGE
from ._protocol import DockerManager
from ._types import ContainerState

__all__ = ["CONTRACT_LABEL", "check_docker_manager"]

CONTRACT_LABEL = "asyncconsole.contract"
"""Label the suite puts (with a fresh value per run) on every container it creates."""


async def check_docker_manager(
    open_manager: Callable[[], AbstractAsyncContextManager[DockerManager]],
    *,
    image: str = BUSYBOX_IMAGE,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Check that a :class:`DockerManager` behaves like Docker; raise ``AssertionError`` if not.

    Args:
        open_manager: Returns an async context manager yielding the manager under test
            (``DockerEngineManager``, ``lambda: FakeDockerManager(images=[...])``).
        image: A local busybox image (see ``ensure_busybox_image``): the checks run ``sh``,
            ``sleep``, ``echo``, ``env`` and ``pwd`` in it.
        labels: Extra labels for every container the suite creates, so a test session can
            find and remove them. Whatever happens, the suite removes its containers itself.

    Takes a few seconds against a real daemon (one stop deliberately waits out a 1 s grace
    period); no time at all against the fake with its fake clock.
    """
    run = uuid.uuid4().hex[:12]
    base = {**(labels or {}), CONTRACT_LABEL: run}
    async with open_manager() as docker:
        try:
            await docker.ping()
            ctx = _Ctx(docker, image, base, run)
            for check in (
                _check_lifecycle,
                _check_sigterm_ignored_without_init,
                _check_exec,
                _check_attached_run_and_logs,
                _check_wait,
                _check_auto_remove,
                _check_errors,
                _check_follow_running,
                _check_concurrency,
                _check_cancelled_run_leaves_nothing,
                _check_images,
            ):
                try:
                    await check(ctx)
                except AssertionError as exc:
                    raise AssertionError(
                        f"{check.__name__.removeprefix('_check_')}: {_describe(exc)}"
                    ) from exc
        finally:
            with suppress(DockerError):
                for info in await docker.list_containers(labels={CONTRACT_LABEL: run}, all=True):
                    with suppress(DockerNotFoundError, DockerConflictError):
                        await docker.remove_container(info.id, force=True)


def _describe(exc: AssertionError) -> str:
    """The assertion's message, or the failing source line when it has none."""
    if str(exc):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    return f"assertion failed: {frames[-1].line}" if frames else "assertion failed"


class _Ctx:
    def __init__(self, docker: DockerManager, image: str, labels: dict[str, str], run: str):
        self.docker = docker
        self.image = image
        self.labels = labels
        self.run = run

    def tagged(self, role: str) -> dict[str, str]:
        return {**self.labels, "asyncconsole.contract.role": role}


async def _expect(
    error: type[BaseException], call: Callable[[], Awaitable[object]], what: str
) -> BaseException:
    try:
        await call()
    except error as exc:
        return exc
    except BaseException as exc:
        raise AssertionError(f"{what}: expected {error.__name__}, got {exc!r}") from exc
    raise AssertionError(f"{what}: expected {error.__name__}, nothing was raised")


async def _ids(ctx: _Ctx, role: str, *, all: bool) -> set[str]:
    return {c.id for c in await ctx.docker.list_containers(labels=ctx.tagged(role), all=all)}


async def _check_lifecycle(ctx: _Ctx) -> None:
    docker, labels = ctx.docker, ctx.tagged("lifecycle")
    name = f"ac-contract-{ctx.run}-life"
    cid = await docker.run_container(
        ctx.image, ["sleep", "60"], name=name, env={"GREETING": "hi"}, labels=labels, init=True
    )
    assert isinstance(cid, str), f"run_container returned {cid!r}"
    assert len(cid) == 64, f"run_container returned {cid!r}"
    info = await docker.inspect_container(cid)
    assert info.id == cid, info
    assert info.name == name, info
    assert info.image == ctx.image, f"image {info.image!r} != {ctx.image!r}"
    assert info.state is ContainerState.RUNNING, info.state
    assert info.state.value == "running", info.state
    assert info.running, info
    assert all(info.labels.get(k) == v for k, v in labels.items()), info.labels
    assert info.started_at is not None, info
    assert info.started_at.utcoffset() == UTC.utcoffset(None), f"not UTC: {info.started_at!r}"
    assert info.finished_at is None, info
    assert info.exit_code is None, info
    assert info.created_at is not None, info
    assert info.created_at <= info.started_at, info
    assert (await docker.inspect_container(name)).id == cid, "inspect by name"
    assert await _ids(ctx, "lifecycle", all=False) == {cid}, "list running by label"
    env = await docker.exec_in_container(cid, ["env"])
    assert "GREETING=hi" in env.stdout.splitlines(), env
    await docker.stop_container(cid, timeout=1)
    stopped = await docker.inspect_container(cid)
    assert stopped.state is ContainerState.EXITED, stopped.state
    assert stopped.exit_code == 143, f"SIGTERM under init exits 143, got {stopped.exit_code}"
    assert stopped.finished_at is not None, stopped
    assert stopped.finished_at >= info.started_at, stopped
    await docker.stop_container(cid, timeout=1)  # stopping a stopped container: no-op
    assert await _ids(ctx, "lifecycle", all=False) == set(), "stopped listed as running"
    assert await _ids(ctx, "lifecycle", all=True) == {cid}, "stopped not listed with all=True"
    await docker.start_container(cid)
    assert (await docker.inspect_container(cid)).state is ContainerState.RUNNING, "restart"
    await docker.remove_container(cid, force=True)
    await _expect(DockerNotFoundError, lambda: docker.inspect_container(cid), "removed container")
    assert await _ids(ctx, "lifecycle", all=True) == set(), "removed container still listed"
    created = await docker.create_container(ctx.image, ["sleep", "60"], labels=labels, init=True)
    created_info = await docker.inspect_container(created)
    assert created_info.state is ContainerState.CREATED, created_info
    await docker.remove_container(created)


async def _check_sigterm_ignored_without_init(ctx: _Ctx) -> None:
    docker = ctx.docker
    cid = await docker.run_container(ctx.image, ["sleep", "60"], labels=ctx.tagged("sigterm"))
    await docker.stop_container(cid, timeout=1)
    info = await docker.inspect_container(cid)
    assert info.exit_code == 137, f"PID 1 ignoring SIGTERM is killed (137), got {info.exit_code}"
    await docker.remove_container(cid)


async def _check_exec(ctx: _Ctx) -> None:
    docker = ctx.docker
    cid = await docker.run_container(
        ctx.image, ["sleep", "60"], labels=ctx.tagged("exec"), init=True
    )
    res = await docker.exec_in_container(cid, ["echo", "x"])
    assert (res.exit_code, res.stdout, res.stderr) == (0, "x\n", ""), res
    assert res.argv == ("echo", "x"), res
    assert res.ok, res
    assert res.duration >= 0, res
    res = await docker.exec_in_container(cid, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (res.exit_code, res.stdout, res.stderr) == (3, "out\n", "err\n"), res
    assert not res.ok, res
    res = await docker.exec_in_container(cid, ["pwd"], workdir="/bin")
    assert res.stdout == "/bin\n", res
    res = await docker.exec_in_container(cid, ["env"], env={"ONLY_HERE": "1"})
    assert "ONLY_HERE=1" in res.stdout.splitlines(), res
    res = await docker.exec_in_container(cid, ["no-such-command-here"])
    assert res.exit_code in (126, 127), res
    assert "not found" in res.stdout + res.stderr, res
    await docker.remove_container(cid, force=True)
    await _expect(
        DockerNotFoundError, lambda: docker.exec_in_container(cid, ["true"]), "exec in removed"
    )


async def _check_attached_run_and_logs(ctx: _Ctx) -> None:
    docker = ctx.docker
    cid = await docker.run_container(
        ctx.image,
        ["sh", "-c", "echo one; echo two >&2"],
        labels=ctx.tagged("logs"),
        detach=False,
    )
    info = await docker.inspect_container(cid)
    assert info.state is ContainerState.EXITED, info
    assert info.exit_code == 0, info
    # Docker copies stdout and stderr concurrently, so the order of lines *across* the two
    # streams is whatever the daemon logged first; once the container has exited that order
    # is fixed, and every read of the log must agree with it.
    combined = await docker.container_logs(cid)
    assert sorted(combined.splitlines()) == ["one", "two"], f"combined log {combined!r}"
    only_out = await docker.container_logs(cid, stderr=False)
    assert only_out == "one\n", f"stdout-only log {only_out!r}"
    only_err = await docker.container_logs(cid, stdout=False)
    assert only_err == "two\n", f"stderr-only log {only_err!r}"
    last = await docker.container_logs(cid, tail=1)
    assert last == combined.splitlines(keepends=True)[-1], f"tail=1 {last!r} of {combined!r}"
    async with docker.follow_logs(cid) as lines:
        followed = [line async for line in lines]
    assert followed == combined.splitlines(), f"followed {followed!r}, log {combined!r}"
    assert lines.closed, "a finished follow_logs stream should be closed"
    await docker.remove_container(cid)

    failure = await _expect(
        DockerError,
        lambda: docker.run_container(
            ctx.image, ["sh", "-c", "echo broken; exit 3"], labels=ctx.tagged("logs"), detach=False
        ),
        "attached run exiting 3",
    )
    assert isinstance(failure, DockerError), repr(failure)
    assert failure.context.get("exit_code") == 3, failure.context
    assert "broken" in str(failure), str(failure)
    assert "code 3" in str(failure), str(failure)
    kept = failure.context.get("container")
    assert isinstance(kept, str), "the error names the container"
    kept_info = await docker.inspect_container(kept)
    assert kept_info.exit_code == 3, kept_info
    await docker.remove_container(kept)


async def _check_wait(ctx: _Ctx) -> None:
    docker = ctx.docker
    cid = await docker.run_container(
        ctx.image, ["sh", "-c", "sleep 0.2; exit 4"], labels=ctx.tagged("wait")
    )
    assert await docker.wait_container(cid, timeout=30) == 4
    assert await docker.wait_container(cid) == 4, "waiting on an exited container"
    await docker.remove_container(cid)
    cid = await docker.run_container(
        ctx.image, ["sleep", "60"], labels=ctx.tagged("wait"), init=True
    )
    err = await _expect(
        OperationTimeoutError, lambda: docker.wait_container(cid, timeout=0.2), "wait timeout"
    )
    assert isinstance(err, TimeoutError)
    assert (await docker.inspect_container(cid)).running, "a timed-out wait must not stop it"
    await docker.remove_container(cid, force=True)
    await _expect(DockerNotFoundError, lambda: docker.wait_container(cid), "wait on removed")


async def _check_auto_remove(ctx: _Ctx) -> None:
    docker = ctx.docker
    cid = await docker.run_container(
        ctx.image, ["echo", "bye"], labels=ctx.tagged("rm"), auto_remove=True, detach=False
    )
    await _expect(DockerNotFoundError, lambda: docker.inspect_container(cid), "auto-removed")
    await _expect(
        OperationTimeoutError,
        lambda: docker.run_container(
            ctx.image, ["sleep", "60"], labels=ctx.tagged("rm"), detach=False, timeout=0.3
        ),
        "attached run past its timeout",
    )
    assert await _ids(ctx, "rm", all=True) == set(), "timed-out attached run left a container"


async def _check_errors(ctx: _Ctx) -> None:
    docker, labels = ctx.docker, ctx.tagged("errors")
    missing = f"ac-contract-{ctx.run}-missing"
    await _expect(DockerNotFoundError, lambda: docker.inspect_container(missing), "inspect")
    await _expect(DockerNotFoundError, lambda: docker.stop_container(missing), "stop")
    await _expect(DockerNotFoundError, lambda: docker.remove_container(missing), "remove")
    await _expect(DockerNotFoundError, lambda: docker.start_container(missing), "start")
    await _expect(
        DockerNotFoundError,
        lambda: docker.run_container(f"asyncconsole-contract/absent-{ctx.run}:x", labels=labels),
        "run with an absent image",
    )
    await _expect(
        ValueError,
        lambda: docker.run_container(ctx.image, "sleep 60", labels=labels),
        "command given as a string",
    )
    name = f"ac-contract-{ctx.run}-taken"
    cid = await docker.run_container(
        ctx.image, ["sleep", "60"], name=name, labels=labels, init=True
    )
    await _expect(
        DockerConflictError,
        lambda: docker.run_container(ctx.image, ["sleep", "60"], name=name, labels=labels),
        "name in use",
    )
    await _expect(DockerConflictError, lambda: docker.remove_container(cid), "remove running")
    await docker.remove_container(cid, force=True)
    created = await docker.create_container(ctx.image, ["sleep", "60"], labels=labels)
    await _expect(
        DockerConflictError,
        lambda: docker.exec_in_container(created, ["true"]),
        "exec in a container that is not running",
    )
    await docker.remove_container(created)
    assert await _ids(ctx, "errors", all=True) == set(), "a refused run left a container"


async def _check_follow_running(ctx: _Ctx) -> None:
    docker = ctx.docker
    cid = await docker.run_container(
        ctx.image, ["sh", "-c", "echo ready; sleep 60"], labels=ctx.tagged("follow")
    )
    async with asyncio.timeout(30), docker.follow_logs(cid) as lines:
        first = await anext(lines)
    assert first == "ready", first
    assert lines.closed, "leaving the block closes the stream"
    stream = docker.follow_logs(cid)
    again = await anext(stream)
    assert again == "ready", again
    await docker.remove_container(cid, force=True)
    async with asyncio.timeout(30):
        rest = [line async for line in stream]
    assert rest == [], f"the stream should end with the container, got {rest}"
    assert stream.closed, "a stream that ended should be closed"
    await _expect(
        DockerNotFoundError, lambda: anext(docker.follow_logs(cid)), "follow a removed container"
    )


async def _check_concurrency(ctx: _Ctx) -> None:
    docker, labels = ctx.docker, ctx.tagged("many")
    async with asyncio.TaskGroup() as tg:
        runs = [
            tg.create_task(
                docker.run_container(ctx.image, ["sleep", "60"], labels=labels, init=True)
            )
            for _ in range(5)
        ]
    ids = {t.result() for t in runs}
    assert len(ids) == 5, f"5 concurrent runs gave {len(ids)} distinct ids"
    listed = await _ids(ctx, "many", all=False)
    assert listed == ids, f"listed {sorted(listed)}, started {sorted(ids)}"
    async with asyncio.TaskGroup() as tg:
        inspections = [tg.create_task(docker.inspect_container(cid)) for cid in ids]
        execs = [tg.create_task(docker.exec_in_container(cid, ["echo", cid[:6]])) for cid in ids]
    states = [t.result().state for t in inspections]
    assert all(s is ContainerState.RUNNING for s in states), states
    outputs = sorted(t.result().stdout for t in execs)
    assert outputs == sorted(f"{cid[:6]}\n" for cid in ids), outputs
    async with asyncio.TaskGroup() as tg:
        for cid in ids:
            tg.create_task(docker.remove_container(cid, force=True))
    assert await _ids(ctx, "many", all=True) == set()


async def _check_cancelled_run_leaves_nothing(ctx: _Ctx) -> None:
    docker = ctx.docker
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(
            docker.run_container(
                ctx.image, ["sleep", "3600"], labels=ctx.tagged("cancel"), detach=False
            )
        )
        async with asyncio.timeout(30):
            while not await _ids(ctx, "cancel", all=False):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        task.cancel()
    assert task.cancelled(), "the run should have been cancelled"
    assert await _ids(ctx, "cancel", all=True) == set(), "a cancelled run left its container"


async def _check_images(ctx: _Ctx) -> None:
    docker = ctx.docker
    assert await docker.image_exists(ctx.image), f"{ctx.image} should exist"
    absent = f"asyncconsole-contract/absent-{ctx.run}:x"
    assert not await docker.image_exists(absent), f"{absent} should not exist"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        content = b"made by the contract suite\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    repository = f"asyncconsole-contract/imported-{ctx.run}"
    image_id = await docker.import_image(
        buffer.getvalue(), repository, "v1", changes=['CMD ["/bin/sh"]']
    )
    assert image_id.startswith("sha256:"), image_id
    assert await docker.image_exists(f"{repository}:v1"), "imported image not found"
    await docker.remove_image(f"{repository}:v1")
    assert not await docker.image_exists(f"{repository}:v1"), "removed image still exists"
    await _expect(
        DockerNotFoundError, lambda: docker.remove_image(f"{repository}:v1"), "remove absent image"
    )
