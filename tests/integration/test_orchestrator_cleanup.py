"""Leaving an orchestrator early leaves nothing behind: real processes, real sockets, containers.

Each test starts real work (``sleep 60`` children, HTTP requests to a server that never
answers, fake containers), leaves the block early in one of the ways it can be left (the caller
cancelled, an exception in the block, the deadline, ``fail_fast``) and then checks, straight
away and without sleeping, that nothing survived.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import psutil
import pytest

from asyncconsole import Orchestrator
from asyncconsole.infra.commands import SubprocessExecutor
from asyncconsole.infra.http import AiohttpClient, HttpRequest, HttpResponse
from asyncconsole.testing import HttpHandlerServer

pytestmark = pytest.mark.integration

WAYS = ["caller_cancelled", "block_raised", "deadline", "fail_fast"]


async def leave_early(way: str, submit: Callable[[Orchestrator], Awaitable[None]]) -> Orchestrator:
    """Run ``submit`` in an orchestrator and leave it early in the given way."""
    started = asyncio.Event()

    async def failing() -> None:
        await started.wait()
        raise RuntimeError("one operation failed")

    # The deadline leaves room for real processes to start on a busy machine.
    orch = Orchestrator(timeout=1.0 if way == "deadline" else None, fail_fast=way == "fail_fast")

    async def block() -> None:
        async with orch:
            await submit(orch)
            started.set()
            if way == "fail_fast":
                orch.submit("failing", failing)
            if way == "block_raised":
                raise LookupError("the block gave up")
            if way == "caller_cancelled":
                await asyncio.Event().wait()

    if way == "caller_cancelled":
        task = asyncio.create_task(block())
        await started.wait()
        await asyncio.sleep(0.05)  # let the work really start
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    elif way == "block_raised":
        await asyncio.sleep(0)
        with pytest.raises(LookupError):
            await block()
    elif way == "fail_fast":
        with pytest.raises(ExceptionGroup):
            await block()
    else:
        await block()
    return orch


def assert_nothing_left(orch: Orchestrator, *, expect_unfinished: set[str]) -> None:
    # (in-process servers have tasks of their own: look at the orchestrator's)
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("asyncconsole:")] == []
    assert orch.closed
    statuses = {name: o.status.value for name, o in orch.outcomes.items() if name != "failing"}
    assert set(statuses) == expect_unfinished
    assert set(statuses.values()) <= {"cancelled", "timed_out"}


def sleep_children(marker: str) -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.cmdline() == ["sleep", marker] and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.parametrize("way", WAYS)
async def test_raw_subprocesses_are_gone(way: str) -> None:
    pids: list[int] = []

    async def child() -> None:
        proc = await asyncio.create_subprocess_exec("sleep", "60")
        pids.append(proc.pid)
        try:
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    async def submit(orch: Orchestrator) -> None:
        for i in range(6):
            orch.submit(f"sleep{i}", child)
        for _ in range(500):  # every child really started before the block is left
            if len(pids) == 6:
                break
            await asyncio.sleep(0.002)

    orch = await leave_early(way, submit)
    assert len(pids) == 6  # they all really started
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # gone and reaped, not even a zombie
    assert_nothing_left(orch, expect_unfinished={f"sleep{i}" for i in range(6)})


@pytest.mark.parametrize("way", WAYS)
async def test_subprocess_executor_children_are_gone(way: str) -> None:
    marker = f"60.{os.getpid() % 1000}{WAYS.index(way)}"
    executor = SubprocessExecutor(grace_period=1.0)

    async def submit(orch: Orchestrator) -> None:
        for i in range(5):
            orch.submit(f"cmd{i}", executor.run, ["sleep", marker], check=True)
        for _ in range(200):  # wait until every child exists (real processes take a moment)
            if len(sleep_children(marker)) == 5:
                break
            await asyncio.sleep(0.01)
        assert len(sleep_children(marker)) == 5

    orch = await leave_early(way, submit)
    assert sleep_children(marker) == []
    assert_nothing_left(orch, expect_unfinished={f"cmd{i}" for i in range(5)})
    await executor.aclose()


@pytest.fixture
async def hanging_server() -> Any:
    never = asyncio.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        await never.wait()  # the server never answers
        return HttpResponse.build(200, request=request)

    async with HttpHandlerServer(handler) as server:
        yield server


@pytest.mark.parametrize("way", WAYS)
async def test_aiohttp_sessions_are_closed(way: str, hanging_server: Any) -> None:
    sessions: list[aiohttp.ClientSession] = []
    clients: list[AiohttpClient] = []

    async def raw(url: str) -> None:
        async with aiohttp.ClientSession() as session:
            sessions.append(session)
            async with session.get(url) as response:
                await response.read()

    async def wrapped(url: str) -> None:
        async with AiohttpClient(base_url=url, retry=False, timeout=30) as http:
            clients.append(http)
            await http.request("GET", "/slow")

    async def submit(orch: Orchestrator) -> None:
        for i in range(4):
            orch.submit(f"raw{i}", raw, f"{hanging_server.url}/slow")
            orch.submit(f"client{i}", wrapped, hanging_server.url)
        for _ in range(200):  # until every request has reached the server
            if len(hanging_server.requests) == 8:
                break
            await asyncio.sleep(0.01)
        assert len(hanging_server.requests) == 8

    orch = await leave_early(way, submit)
    assert len(sessions) == 4
    assert all(s.closed for s in sessions)
    assert len(clients) == 4
    assert all(c.closed for c in clients)
    names = {f"raw{i}" for i in range(4)} | {f"client{i}" for i in range(4)}
    assert_nothing_left(orch, expect_unfinished=names)
    sessions.clear()
    clients.clear()
    gc.collect()  # an unclosed session would warn now, and filterwarnings=error fails the test
