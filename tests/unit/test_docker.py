"""The Docker component without a daemon: the fake (and its contract), streams, parsing, config."""

from __future__ import annotations

import asyncio
import gc
import io
import tarfile
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from asyncconsole import FakeClock, Secret
from asyncconsole._errors import (
    CommandTimeoutError,
    ConfigError,
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    DockerUnavailableError,
    NotFoundError,
    OperationTimeoutError,
)
from asyncconsole.infra.commands._result import CommandResult
from asyncconsole.infra.docker import (
    ContainerInfo,
    ContainerState,
    DockerEngineManager,
    DockerManager,
    FakeDockerManager,
    FakeProgram,
    LogStream,
    docker_url,
    emulate_program,
)
from asyncconsole.infra.docker._answers import container_info as _container_info
from asyncconsole.infra.docker._busybox import (
    BUSYBOX_APPLETS,
    BUSYBOX_IMAGE,
    busybox_rootfs,
    ensure_busybox_image,
    find_busybox,
)
from asyncconsole.infra.docker._spec import RUN_TOKEN_LABEL, ContainerSpec
from asyncconsole.testing import check_docker_manager

IMAGE = BUSYBOX_IMAGE


def _fake(**kwargs: object) -> FakeDockerManager:
    return FakeDockerManager(images=[IMAGE], **kwargs)  # type: ignore[arg-type]


# -- the contract, against the fake -------------------------------------------------------------


async def test_contract_on_fake() -> None:
    await check_docker_manager(_fake)


async def test_contract_on_fake_with_start_delay_and_real_polling() -> None:
    await check_docker_manager(lambda: _fake(start_delay=0.5, remove_delay=0.2))


async def test_fake_is_a_docker_manager() -> None:
    assert isinstance(_fake(), DockerManager)


# -- lifecycle over fake time -------------------------------------------------------------------


async def test_lifecycle_follows_the_clock() -> None:
    clock = FakeClock(auto_advance=False)
    docker = _fake(clock=clock, start_delay=2.0, remove_delay=1.0)
    cid = await docker.create_container(
        IMAGE, ["sh", "-c", "echo a; sleep 5; echo b; exit 2"], auto_remove=True
    )
    assert (await docker.inspect_container(cid)).state is ContainerState.CREATED
    async with asyncio.TaskGroup() as tg:
        starting = tg.create_task(docker.start_container(cid))
        await asyncio.sleep(0)
        assert (await docker.inspect_container(cid)).state is ContainerState.CREATED
        await clock.advance(2.0)
    assert starting.done()
    info = await docker.inspect_container(cid)
    assert info.state is ContainerState.RUNNING
    assert info.started_at == datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)
    assert await docker.container_logs(cid) == "a\n"
    await clock.advance(5.0)
    gone = await docker.inspect_container(cid)
    assert gone.state is ContainerState.REMOVING
    assert gone.labels[RUN_TOKEN_LABEL]
    await clock.advance(1.0)
    with pytest.raises(DockerNotFoundError):
        await docker.inspect_container(cid)


async def test_exit_time_and_code_come_from_the_program() -> None:
    clock = FakeClock(auto_advance=False)
    docker = _fake(clock=clock)
    cid = await docker.run_container(IMAGE, ["sh", "-c", "sleep 3; exit 7"])
    await clock.advance(10)
    info = await docker.inspect_container(cid)
    assert info.state is ContainerState.EXITED
    assert info.exit_code == 7
    assert info.started_at is not None
    assert info.finished_at is not None
    assert (info.finished_at - info.started_at).total_seconds() == 3


async def test_stop_without_init_waits_out_the_grace_period() -> None:
    clock = FakeClock()
    docker = _fake(clock=clock)
    cid = await docker.run_container(IMAGE, ["sleep", "600"])
    before = clock.monotonic()
    await docker.stop_container(cid, timeout=4)
    assert clock.monotonic() - before == pytest.approx(4)
    assert (await docker.inspect_container(cid)).exit_code == 137
    handled = _fake(clock=clock, programs=lambda argv: FakeProgram(handles_sigterm=True))
    cid = await handled.run_container(IMAGE, ["server"])
    before = clock.monotonic()
    await handled.stop_container(cid, timeout=4)
    assert clock.monotonic() == before
    assert (await handled.inspect_container(cid)).exit_code == 143


async def test_custom_programs_and_exec_handler() -> None:
    seen: list[tuple[str, ...]] = []

    def program(argv: tuple[str, ...]) -> FakeProgram | None:
        if argv[:1] == ("/rfs/run",):
            return FakeProgram(output=((0.0, 1, "migrating"), (2.0, 2, "warn")), runtime=None)
        return None

    async def handler(
        info: ContainerInfo, argv: tuple[str, ...], env: Mapping[str, str], workdir: str | None
    ) -> CommandResult | None:
        seen.append(argv)
        if argv[0] == "status":
            return CommandResult(argv, 0, f"{info.name} ok {env.get('V')}\n")
        return None

    clock = FakeClock(auto_advance=False)
    docker = _fake(clock=clock, programs=program, exec_handler=handler)
    cid = await docker.run_container(IMAGE, ["/rfs/run"], name="rfs")
    res = await docker.exec_in_container(cid, ["status"], env={"V": Secret("x")})
    assert res.stdout == "rfs ok x\n"
    assert (await docker.exec_in_container(cid, ["echo", "fallback"])).stdout == "fallback\n"
    assert seen == [("status",), ("echo", "fallback")]
    assert await docker.container_logs(cid) == "migrating\n"
    await clock.advance(2)
    assert await docker.container_logs(cid, stdout=False) == "warn\n"


async def test_fake_exec_timeout_and_emulation_limits() -> None:
    docker = _fake()
    cid = await docker.run_container(IMAGE, ["sleep", "600"])
    with pytest.raises(CommandTimeoutError) as caught:
        await docker.exec_in_container(cid, ["sh", "-c", "echo half; sleep 60"], timeout=1)
    assert caught.value.stdout == "half\n"
    with pytest.raises(DockerError, match="cannot emulate"):
        await docker.exec_in_container(cid, ["sh", "-c", "echo x; tail -f /dev/null"])
    with pytest.raises(ValueError, match="argv"):
        await docker.exec_in_container(cid, [])


def test_emulate_program() -> None:
    assert emulate_program(None) == FakeProgram()
    assert emulate_program(["sleep", "2.5"]) == FakeProgram(runtime=2.5)
    assert emulate_program(["echo", "a", "b"]) == FakeProgram(output=((0.0, 1, "a b"),), runtime=0)
    assert emulate_program(["false"]).exit_code == 1
    prog = emulate_program(["sh", "-c", "echo x >&2 && sleep 1; echo y; exit 4; echo never"])
    assert prog == FakeProgram(output=((0.0, 2, "x"), (1.0, 1, "y")), runtime=1.0, exit_code=4)
    assert emulate_program(["/opt/app/server", "--port", "1"]).runtime is None
    assert emulate_program(["sh", "-c", "echo a; curl x"]).runtime is None


# -- fault injection, call log, cancellation ----------------------------------------------------


async def test_fail_next_latency_and_call_log() -> None:
    clock = FakeClock()
    docker = _fake(clock=clock)
    docker.fail_next("run_container", DockerUnavailableError("daemon down"), times=2)
    for _ in range(2):
        with pytest.raises(DockerUnavailableError):
            await docker.run_container(IMAGE, ["sleep", "1"])
    cid = await docker.run_container(IMAGE, ["sleep", "1"], labels={"a": "b"})
    assert [c.operation for c in docker.calls] == ["run_container"] * 3
    assert docker.calls_to("run_container")[-1].args["command"] == ("sleep", "1")
    docker.set_latency("inspect_container", 3.0)
    before = clock.monotonic()
    await docker.inspect_container(cid)
    assert clock.monotonic() - before == pytest.approx(3.0)
    assert docker.container_ids() == [cid]


async def test_cancelled_fake_run_leaves_nothing() -> None:
    clock = FakeClock(auto_advance=False)
    docker = _fake(clock=clock, start_delay=5)
    task_holder: list[asyncio.Task[str]] = []
    async with asyncio.TaskGroup() as tg:
        task_holder.append(tg.create_task(docker.run_container(IMAGE, ["sleep", "60"])))
        for _ in range(50):  # the create is a few loop turns away; the start takes 5 s
            if docker.container_ids():
                break
            await asyncio.sleep(0)
        assert len(docker.container_ids()) == 1
        task_holder[0].cancel()
    assert task_holder[0].cancelled()
    assert docker.container_ids() == []


async def test_closed_fake_refuses() -> None:
    async with _fake() as docker:
        await docker.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await docker.ping()


async def test_fake_images() -> None:
    docker = FakeDockerManager()
    assert not await docker.image_exists("busybox")
    with pytest.raises(DockerNotFoundError, match="No such image"):
        await docker.run_container("busybox", ["true"])
    with pytest.raises(DockerError, match="not a tar"):
        await docker.import_image(b"garbage", "x/y")
    with pytest.raises(ValueError, match="without a tag"):
        await docker.import_image(b"", "x/y:1")
    imports = len(docker.calls_to("import_image"))
    image_id = await ensure_busybox_image(docker, "local/bb:1", binary=_any_static_busybox())
    assert image_id == "local/bb:1"
    assert await docker.image_exists("local/bb:1")
    assert len(docker.calls_to("import_image")) == imports + 1
    await ensure_busybox_image(docker, "local/bb:1")
    assert len(docker.calls_to("import_image")) == imports + 1, "no second import"
    ctx = io.BytesIO()
    with tarfile.open(fileobj=ctx, mode="w") as tar:
        data = b'FROM local/bb:1\nCMD ["true"]\n'
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    built = await docker.build_image(ctx.getvalue(), "local/app")
    assert built.startswith("sha256:")
    assert await docker.image_exists("local/app:latest")
    cid = await docker.run_container("local/app", ["sleep", "9"])
    with pytest.raises(DockerConflictError, match="is using"):
        await docker.remove_image("local/app")
    await docker.remove_container(cid, force=True)
    await docker.remove_image("local/app")
    assert not await docker.image_exists("local/app")


def _any_static_busybox() -> str:
    try:
        return str(find_busybox())
    except NotFoundError:
        pytest.skip("no static busybox on this host")


# -- arguments ------------------------------------------------------------------------------------


def test_spec_validation_and_engine_config() -> None:
    def build(**overrides: object) -> ContainerSpec:
        args: dict[str, object] = {
            "name": None,
            "env": None,
            "labels": None,
            "network_mode": None,
            "auto_remove": False,
            "init": False,
            "entrypoint": None,
            "workdir": None,
            "user": None,
        }
        command = overrides.pop("command", ["sleep", "1"])
        args.update(overrides)
        return ContainerSpec.build(IMAGE, command, **args)  # type: ignore[arg-type]

    with pytest.raises(ValueError, match=r"\['sleep', '60'\]"):
        build(command="sleep 60")
    with pytest.raises(ValueError, match="strings"):
        build(command=["sleep", 60])
    with pytest.raises(ValueError, match="environment variable"):
        build(env={"A=B": "c"})
    with pytest.raises(ValueError, match="labels"):
        build(labels={"": "x"})
    spec = build(
        env={"PASSWORD": Secret("hunter2")},
        labels={"app": "rfs"},
        network_mode="host",
        auto_remove=True,
        init=True,
        name="/rfs-1",
        workdir="/w",
    )
    assert "hunter2" not in repr(ContainerSpec.build.__doc__)
    config = spec.engine_config("tok")
    assert config["Env"] == ["PASSWORD=hunter2"]
    assert config["Labels"] == {"app": "rfs", RUN_TOKEN_LABEL: "tok"}
    assert config["HostConfig"] == {"AutoRemove": True, "Init": True, "NetworkMode": "host"}
    assert config["Cmd"] == ["sleep", "1"]
    assert config["WorkingDir"] == "/w"
    assert spec.name == "rfs-1"


# -- log streams ----------------------------------------------------------------------------------


class _Chunks:
    def __init__(self, chunks: list[bytes], *, hang: bool = False) -> None:
        self.chunks = list(chunks)
        self.hang = hang
        self.closed = 0

    async def read(self) -> bytes | None:
        if self.chunks:
            return self.chunks.pop(0)
        if self.hang:
            await asyncio.Event().wait()
        return None

    def close(self) -> None:
        self.closed += 1


def _stream(source: _Chunks) -> LogStream:
    async def open_source() -> _Chunks:
        return source

    return LogStream(open_source)


async def test_log_stream_splits_lines_across_chunks() -> None:
    euro = "€".encode()
    source = _Chunks([b"al", b"pha\r\nbe", b"ta\n" + euro[:1], euro[1:] + b"\n", b"tail"])
    lines = [line async for line in _stream(source)]
    assert lines == ["alpha", "beta", "€", "tail"]
    assert source.closed == 1


async def test_log_stream_closes_on_break_cancel_and_gc() -> None:
    source = _Chunks([b"1\n2\n3\n"], hang=True)
    async with _stream(source) as lines:
        async for line in lines:
            if line == "2":
                break
    assert source.closed == 1
    assert lines.closed

    hanging = _Chunks([], hang=True)
    stream = _stream(hanging)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await anext(stream)
    assert hanging.closed == 1
    assert stream.closed
    with pytest.raises(StopAsyncIteration):
        await anext(stream)

    abandoned = _Chunks([b"x\n"], hang=True)
    stream = _stream(abandoned)
    assert await anext(stream) == "x"
    del stream
    gc.collect()
    assert abandoned.closed == 1


# -- the real adapter's pure parts ----------------------------------------------------------------


def test_docker_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert docker_url("/tmp/d.sock") == "unix:///tmp/d.sock"
    assert docker_url("unix:///x.sock") == "unix:///x.sock"
    assert docker_url("tcp://127.0.0.1:2375") == "tcp://127.0.0.1:2375"
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
    assert docker_url() == "tcp://10.0.0.1:2375"
    assert docker_url("/other.sock") == "unix:///other.sock", "explicit config wins"
    monkeypatch.delenv("DOCKER_HOST")
    assert docker_url().startswith("unix:///")
    with pytest.raises(ConfigError, match=r"docker\.socket"):
        docker_url("ssh://me@host")


async def test_unreachable_daemon_names_the_socket(tmp_path: object) -> None:
    socket = f"{tmp_path}/no-daemon.sock"
    clock = FakeClock()
    async with DockerEngineManager(socket=socket, clock=clock) as docker:
        with pytest.raises(DockerUnavailableError, match=r"no-daemon\.sock") as caught:
            await docker.ping()
        assert caught.value.transient
        assert clock.sleeps == [], "a health check is not retried"
        with pytest.raises(DockerUnavailableError, match=r"no-daemon\.sock"):
            await docker.list_containers()
        assert len(clock.sleeps) == 2, f"a read is retried by the default policy: {clock.sleeps}"


async def test_reads_are_retried_and_changes_are_not() -> None:
    from aiohttp import web

    from tests.fixtures.peers import free_port

    hits: dict[str, int] = {}
    busy = {"inspect": 2, "stop": 1}

    def count(kind: str) -> web.Response | None:
        hits[kind] = hits.get(kind, 0) + 1
        if busy.get(kind, 0) >= hits[kind]:
            return web.json_response({"message": "daemon busy"}, status=503)
        return None

    async def inspect(request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        data = {"Id": cid, "Name": "/x", "State": {"Status": "running"}, "Config": {}}
        return count("inspect") or web.json_response(data)

    async def stop(request: web.Request) -> web.Response:
        return count("stop") or web.Response(status=204)

    app = web.Application()
    app.router.add_get("/v1.41/containers/{cid}/json", inspect)
    app.router.add_post("/v1.41/containers/{cid}/stop", stop)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    clock = FakeClock()
    try:
        async with DockerEngineManager(
            socket=f"tcp://127.0.0.1:{port}", api_version="v1.41", clock=clock
        ) as docker:
            info = await docker.inspect_container("c" * 64)
            assert (info.id, info.state) == ("c" * 64, ContainerState.RUNNING), info
            assert hits["inspect"] == 3, f"two 503s then success, got {hits}"
            assert len(clock.sleeps) == 2, clock.sleeps
            with pytest.raises(DockerError, match="daemon busy") as caught:
                await docker.stop_container("c" * 64)
            assert caught.value.transient, "a 503 is marked transient for callers"
            assert hits["stop"] == 1, f"a state change must not be repeated: {hits}"
    finally:
        await runner.cleanup()


async def test_engine_manager_must_be_open() -> None:
    docker = DockerEngineManager(socket="/nowhere.sock")
    assert "nowhere.sock" in repr(docker)
    with pytest.raises(RuntimeError, match="async with"):
        await docker.inspect_container("x")


def test_container_info_from_inspect() -> None:
    data = {
        "Id": "a" * 64,
        "Name": "/rfs-1",
        "Image": "sha256:" + "b" * 64,
        "Created": "2026-11-26T08:25:01.123456789Z",
        "Path": "sleep",
        "Args": ["60"],
        "State": {
            "Status": "exited",
            "ExitCode": 137,
            "Error": "",
            "StartedAt": "2026-11-26T08:25:02.5Z",
            "FinishedAt": "2026-11-26T08:25:04.000000001+00:00",
        },
        "Config": {"Image": "busybox:1", "Labels": {"app": "rfs"}},
    }
    info = _container_info(data)
    assert info.name == "rfs-1"
    assert info.image == "busybox:1"
    assert info.state is ContainerState.EXITED
    assert info.exit_code == 137
    assert info.command == ("sleep", "60")
    assert info.created_at == datetime(2026, 11, 26, 8, 25, 1, 123456, tzinfo=UTC)
    assert info.started_at == datetime(2026, 11, 26, 8, 25, 2, 500000, tzinfo=UTC)
    assert info.finished_at == datetime(2026, 11, 26, 8, 25, 4, tzinfo=UTC)
    running = _container_info(
        {
            **data,
            "State": {"Status": "running", "ExitCode": 0, "FinishedAt": "0001-01-01T00:00:00Z"},
        }
    )
    assert running.exit_code is None
    assert running.finished_at is None
    assert running.running


# -- the busybox image ----------------------------------------------------------------------------


def test_busybox_rootfs_layout() -> None:
    data = busybox_rootfs(_any_static_busybox())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
        assert "bin/busybox" in names
        assert tar.getmember("bin/busybox").mode == 0o755
        for applet in BUSYBOX_APPLETS:
            assert tar.getmember(f"bin/{applet}").linkname == "busybox"
        assert tar.getmember("tmp").mode == 0o1777
        assert "etc/passwd" in names


def test_busybox_missing_or_dynamic_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(NotFoundError, match="busybox-static"):
        find_busybox(f"{tmp_path}/nope")
    with pytest.raises(NotFoundError, match="statically linked"):
        find_busybox("/bin/ls")  # dynamically linked: useless in an image without libc


async def test_wait_timeout_in_fake_time() -> None:
    clock = FakeClock()
    docker = _fake(clock=clock)
    cid = await docker.run_container(IMAGE, ["sleep", "100"])
    before = clock.monotonic()
    with pytest.raises(OperationTimeoutError):
        await docker.wait_container(cid, timeout=30)
    assert clock.monotonic() - before == pytest.approx(30, abs=1e-6)
    assert await docker.wait_container(cid) == 0
    assert clock.monotonic() - before == pytest.approx(100, abs=1e-6)
