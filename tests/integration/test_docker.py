"""DockerEngineManager against the real dockerd, with the locally imported busybox image."""

from __future__ import annotations

import asyncio
import io
import logging
import tarfile

import pytest

from asyncconsole import Secret
from asyncconsole._errors import (
    CommandTimeoutError,
    DockerError,
    DockerNotFoundError,
)
from asyncconsole.infra.commands._result import CommandResult
from asyncconsole.infra.docker import ContainerInfo, DockerEngineManager, DockerManager
from asyncconsole.testing import check_docker_manager

pytestmark = pytest.mark.integration


def _acquired(docker: DockerEngineManager) -> int:
    # aiohttp's count of connections handed out and not yet released: a stream left open
    # by a cancelled call would keep one.
    client = docker._client
    assert client is not None
    return len(client.connector._acquired)


def _context(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


async def test_contract_on_real_daemon(busybox_image: str, docker_labels: dict[str, str]) -> None:
    await check_docker_manager(DockerEngineManager, image=busybox_image, labels=docker_labels)


async def test_design_call_shape(busybox_image: str, docker_labels: dict[str, str]) -> None:
    async with DockerEngineManager() as docker:
        assert isinstance(docker, DockerManager)
        labels = {**docker_labels, "k": "shape"}
        cid = await docker.run_container(busybox_image, command=["sleep", "60"], labels=labels)
        info = await docker.inspect_container(cid)
        assert info.state.value == "running"
        found = await docker.list_containers(labels=labels)
        assert [c.id for c in found] == [cid]
        assert all(isinstance(c, ContainerInfo) for c in found)
        out = await docker.exec_in_container(cid, ["echo", "x"])
        assert isinstance(out, CommandResult)
        assert (out.exit_code, out.stdout) == (0, "x\n")
        await docker.stop_container(cid, timeout=0)
        await docker.remove_container(cid, force=True)
        assert await docker.list_containers(labels=labels, all=True) == []


async def test_each_call_logs_one_event(
    busybox_image: str, docker_labels: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncconsole.infra.docker")
    async with DockerEngineManager() as docker:
        await docker.ping()
        cid = await docker.run_container(busybox_image, ["true"], labels=docker_labels)
        await docker.wait_container(cid, timeout=30)
        await docker.remove_container(cid)
        with pytest.raises(DockerNotFoundError):
            await docker.inspect_container(cid)
    events = [getattr(r, "asyncconsole", None) for r in caplog.records]
    got = [(e["operation"], e["outcome"]) for e in events if e]
    assert got == [
        ("docker.ping", "ok"),
        ("docker.run_container", "ok"),
        ("docker.wait_container", "ok"),
        ("docker.remove_container", "ok"),
        ("docker.inspect_container", "error: DockerNotFoundError"),
    ], got
    assert all(e["duration"] >= 0 and e["target"] for e in events if e), events


@pytest.mark.parametrize("form", ["path", "unix-url"])
async def test_socket_from_console_link_config(form: str, busybox_image: str) -> None:
    from asyncconsole.infra.docker._aiodocker import DEFAULT_SOCKET

    socket = DEFAULT_SOCKET if form == "path" else f"unix://{DEFAULT_SOCKET}"
    async with DockerEngineManager(socket=socket) as docker:
        assert docker.url == f"unix://{DEFAULT_SOCKET}"
        await docker.ping()
        assert await docker.image_exists(busybox_image)


async def test_failed_start_leaves_no_container(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    labels = {**docker_labels, "case": "bad-command"}
    with pytest.raises(DockerError, match="executable file not found") as caught:
        await docker.run_container(busybox_image, ["no-such-binary"], labels=labels)
    assert caught.value.context.get("status") == 400
    assert await docker.list_containers(labels=labels, all=True) == []


@pytest.mark.parametrize("delay", [0.0, 0.001, 0.003, 0.006, 0.012, 0.025, 0.05])
async def test_run_cancelled_at_any_moment_leaves_nothing(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str], delay: float
) -> None:
    labels = {**docker_labels, "case": f"cancel-{delay}"}
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(
            docker.run_container(busybox_image, ["sleep", "60"], labels=labels, detach=False)
        )
        await asyncio.sleep(delay)
        task.cancel()
    assert task.cancelled()
    assert await docker.list_containers(labels=labels, all=True) == []
    assert _acquired(docker) == 0


async def test_cancelled_wait_and_follow_close_their_streams(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    cid = await docker.run_container(
        busybox_image, ["sh", "-c", "echo ready; sleep 60"], labels=docker_labels, init=True
    )
    stream = docker.follow_logs(cid)
    async with asyncio.TaskGroup() as tg:
        waiter = tg.create_task(docker.wait_container(cid))

        async def follow() -> None:
            async for _ in stream:
                pass

        follower = tg.create_task(follow())
        await asyncio.sleep(0.3)
        assert _acquired(docker) == 2, "wait and follow each hold a streaming connection"
        waiter.cancel()
        follower.cancel()
    assert waiter.cancelled()
    assert follower.cancelled()
    assert stream.closed
    assert _acquired(docker) == 0
    assert (await docker.inspect_container(cid)).running, "cancelling a wait must not stop it"


async def test_abandoned_follow_is_closed_by_break_in_context(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    cid = await docker.run_container(
        busybox_image, ["sh", "-c", "seq 1 5; sleep 60"], labels=docker_labels, init=True
    )
    async with docker.follow_logs(cid) as lines:
        async for line in lines:
            if line == "3":
                break
    assert lines.closed
    assert _acquired(docker) == 0
    assert (await docker.container_logs(cid)).split() == ["1", "2", "3", "4", "5"]


async def test_exec_env_secret_user_and_timeout(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    cid = await docker.run_container(
        busybox_image, ["sleep", "60"], env={"BASE": "1"}, labels=docker_labels, init=True
    )
    res = await docker.exec_in_container(cid, ["env"], env={"TOKEN": Secret("s3cr3t")})
    assert "TOKEN=s3cr3t" in res.stdout.splitlines()
    assert "BASE=1" in res.stdout.splitlines()
    res = await docker.exec_in_container(cid, ["id", "-u"], user="65534")
    assert res.stdout.strip() == "65534"
    with pytest.raises(CommandTimeoutError) as caught:
        await docker.exec_in_container(cid, ["sh", "-c", "echo partial; sleep 30"], timeout=0.5)
    assert caught.value.stdout == "partial\n"
    assert isinstance(caught.value, TimeoutError)
    assert _acquired(docker) == 0


async def test_attached_auto_remove_failure(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    with pytest.raises(DockerError, match="exited with code 5") as caught:
        await docker.run_container(
            busybox_image,
            ["sh", "-c", "exit 5"],
            labels=docker_labels,
            auto_remove=True,
            detach=False,
        )
    assert caught.value.context["exit_code"] == 5
    with pytest.raises(DockerNotFoundError):
        await docker.inspect_container(caught.value.context["container"])


async def test_build_image_from_local_base(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    tag = f"asyncconsole-test/built:{docker_labels['asyncconsole.test']}"
    dockerfile = f'FROM {busybox_image}\nCOPY greeting /greeting\nCMD ["cat", "/greeting"]\n'
    image_id = await docker.build_image(
        _context({"Dockerfile": dockerfile.encode(), "greeting": b"built\n"}), tag
    )
    try:
        assert image_id.startswith("sha256:")
        cid = await docker.run_container(tag, labels=docker_labels, detach=False)
        assert await docker.container_logs(cid) == "built\n"
        await docker.remove_container(cid)
    finally:
        await docker.remove_image(tag, force=True)
    assert not await docker.image_exists(tag)
    with pytest.raises(DockerError, match=r"^build image "):  # nothing can be pulled
        await docker.build_image(_context({"Dockerfile": b"FROM asyncconsole-test/nope:1\n"}), tag)


async def test_list_many_concurrently(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    async with asyncio.TaskGroup() as tg:
        tasks = [
            tg.create_task(
                docker.run_container(
                    busybox_image, ["sleep", "60"], labels=docker_labels, init=True
                )
            )
            for _ in range(4)
        ]
    ids = {t.result() for t in tasks}
    async with asyncio.TaskGroup() as tg:
        listings = [tg.create_task(docker.list_containers(labels=docker_labels)) for _ in range(10)]
    for listing in listings:
        assert {c.id for c in listing.result()} == ids
