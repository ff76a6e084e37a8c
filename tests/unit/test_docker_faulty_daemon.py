"""DockerEngineManager against daemons that misbehave: one that never answers, one that answers
garbage. Every call ends in time with a typed error (issue 10, items 4 and 5)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from asyncconsole import (
    DockerError,
    DockerTimeoutError,
    InfrastructureError,
    MalformedResponseError,
    OperationTimeoutError,
)
from asyncconsole.infra.docker import DockerEngineManager
from asyncconsole.testing import MALFORMED_ANSWERS, MuteServer

REQUEST_TIMEOUT = 0.5
GUARD = 15.0  # only stops a call that never returns from hanging the suite
CID = "c" * 64

Call = Callable[[DockerEngineManager], Awaitable[object]]

# name -> (call, its deadline: the request timeout plus what it waits for)
MUTE_CALLS: dict[str, tuple[Call, float]] = {
    "ping": (lambda d: d.ping(), REQUEST_TIMEOUT),
    "inspect_container": (lambda d: d.inspect_container(CID), REQUEST_TIMEOUT),
    "list_containers": (lambda d: d.list_containers(all=True), REQUEST_TIMEOUT),
    "container_logs": (lambda d: d.container_logs(CID), REQUEST_TIMEOUT),
    "image_exists": (lambda d: d.image_exists("busybox"), REQUEST_TIMEOUT),
    "create_container": (lambda d: d.create_container("busybox", ["true"]), REQUEST_TIMEOUT),
    "run_container": (lambda d: d.run_container("busybox", ["true"]), REQUEST_TIMEOUT),
    "start_container": (lambda d: d.start_container(CID), REQUEST_TIMEOUT),
    "stop_container(timeout=1)": (
        lambda d: d.stop_container(CID, timeout=1),
        REQUEST_TIMEOUT + 1,
    ),
    "remove_container": (lambda d: d.remove_container(CID, force=True), REQUEST_TIMEOUT),
    "wait_container(timeout=1)": (lambda d: d.wait_container(CID, timeout=1), 1.0),
    "exec_in_container(timeout=1)": (
        lambda d: d.exec_in_container(CID, ["true"], timeout=1),
        REQUEST_TIMEOUT + 1,
    ),
}


@pytest.mark.parametrize("name", [*MUTE_CALLS, "inspect_container, negotiating the version"])
async def test_a_mute_daemon_ends_every_call_within_its_deadline(name: str) -> None:
    # Issue 10 item 4: with a daemon that accepts and never answers, reads took three request
    # timeouts (every retry had its own), and ping and stop never returned at all.
    call, deadline = MUTE_CALLS[name.partition(",")[0]]
    version = "auto" if "negotiating" in name else "v1.41"
    async with (
        MuteServer() as mute,
        DockerEngineManager(
            socket=mute.url, request_timeout=REQUEST_TIMEOUT, api_version=version
        ) as docker,
    ):
        started = time.monotonic()
        with pytest.raises(OperationTimeoutError) as caught:
            async with asyncio.timeout(GUARD):
                await call(docker)
        elapsed = time.monotonic() - started
    assert isinstance(caught.value, DockerTimeoutError), repr(caught.value)
    assert mute.url.removeprefix("http://") in str(caught.value)
    assert elapsed <= deadline + 1.0, f"{name} took {elapsed:.2f}s; its deadline is {deadline}s"


@asynccontextmanager
async def daemon(answer: Callable[[web.Request], web.Response]) -> AsyncIterator[str]:
    """A daemon on 127.0.0.1 answering every request with ``answer``; yields its URL."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return answer(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"tcp://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


# name -> (call, the documented result types it may return instead of raising)
GARBLED_CALLS: dict[str, tuple[Call, tuple[type, ...]]] = {
    "ping": (lambda d: d.ping(), ()),
    "inspect_container": (lambda d: d.inspect_container(CID), ()),
    "list_containers": (lambda d: d.list_containers(all=True), ()),
    "container_logs": (lambda d: d.container_logs(CID), ()),
    "wait_container": (lambda d: d.wait_container(CID, timeout=5), ()),
    "image_exists": (lambda d: d.image_exists("busybox"), ()),
    "create_container": (lambda d: d.create_container("busybox", ["true"]), ()),
    # Answers without a body: any 2xx is the documented answer.
    "stop_container": (lambda d: d.stop_container(CID, timeout=0), (type(None),)),
    "remove_container": (lambda d: d.remove_container(CID), (type(None),)),
}


@pytest.mark.parametrize("kind", list(MALFORMED_ANSWERS))
async def test_garbage_answers_raise_typed_errors(kind: str) -> None:
    # Issue 10 item 5, for Docker: a daemon answering HTML, truncated, mis-shaped, deeply
    # nested or undecodable JSON made aiodocker raise JSONDecodeError, KeyError or TypeError.
    garbage = MALFORMED_ANSWERS[kind]

    def answer(request: web.Request) -> web.Response:
        return web.Response(
            status=garbage.status, body=garbage.body, content_type=garbage.content_type
        )

    async with daemon(answer) as url:
        async with DockerEngineManager(socket=url, api_version="v1.41") as docker:
            for name, (call, documented) in GARBLED_CALLS.items():
                await _typed_or_documented(name, call(docker), documented, url)
        async with DockerEngineManager(socket=url) as negotiating:
            # The API version is negotiated first, from an answer as garbled as the rest.
            await _typed_or_documented("version", negotiating.inspect_container(CID), (), url)


async def _typed_or_documented(
    name: str, call: Awaitable[object], documented: tuple[type, ...], url: str
) -> None:
    outcome = await _outcome(call)
    if not isinstance(outcome, Exception):
        assert documented, f"{name} returned {outcome!r} for garbage"
        assert isinstance(outcome, documented), f"{name} returned {outcome!r}"
        return
    # Typed, whatever it is: a create whose answer was garbage is looked for by its run
    # token, and the listing is garbage too, so the call reports what it got.
    assert isinstance(outcome, InfrastructureError), f"{name} raised {outcome!r}"
    assert str(outcome), repr(outcome)
    if isinstance(outcome, MalformedResponseError):
        assert (outcome.endpoint, outcome.status) == (url, 200), repr(outcome)
        assert outcome.problem, repr(outcome)
        assert name != "version" or "version answer" in str(outcome), str(outcome)


async def _outcome(call: Awaitable[object]) -> object:
    """What the call returned, or the exception it raised."""
    try:
        async with asyncio.timeout(GUARD):
            return await call
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"[1, 2, 3]"),
        ("application/json", b'{"message": 5}'),
        ("application/json", b'{"message": "x'),
        ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
        ("application/json", b"\xff\xfe"),
    ],
)
async def test_refusals_with_garbage_bodies_are_typed(content_type: str, body: bytes) -> None:
    # aiodocker read a refusal's JSON body itself, trusting it to carry "message".
    def answer(request: web.Request) -> web.Response:
        return web.Response(status=404, body=body, content_type=content_type)

    async with (
        daemon(answer) as url,
        DockerEngineManager(socket=url, api_version="v1.41") as docker,
    ):
        with pytest.raises(DockerError) as caught:
            await docker.inspect_container(CID)
    assert caught.value.context.get("status") == 404, caught.value.context
    assert "inspect container" in str(caught.value)
