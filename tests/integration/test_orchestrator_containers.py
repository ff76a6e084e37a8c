"""Leaving an orchestrator early leaves no fake container behind (see test_orchestrator_cleanup)."""

from __future__ import annotations

import asyncio

import pytest

from asyncconsole import FakeClock, Orchestrator
from asyncconsole.infra.docker import FakeDockerManager
from tests.integration.test_orchestrator_cleanup import WAYS, assert_nothing_left, leave_early

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("way", WAYS)
async def test_fake_containers_are_removed(way: str) -> None:
    # Time stands still for the fake daemon, so its containers run until stopped.
    docker = FakeDockerManager(clock=FakeClock(auto_advance=False), images=["busybox:latest"])
    labels = {"test": "orchestrator-cleanup"}

    async def attached() -> None:
        # run_container(detach=False) removes its container itself when cancelled.
        await docker.run_container("busybox:latest", ["sleep", "60"], labels=labels, detach=False)

    async def detached() -> None:
        cid = await docker.run_container("busybox:latest", ["sleep", "60"], labels=labels)
        try:
            await docker.wait_container(cid)
        finally:
            await docker.remove_container(cid, force=True)

    async def submit(orch: Orchestrator) -> None:
        for i in range(3):
            orch.submit(f"attached{i}", attached)
            orch.submit(f"detached{i}", detached)
        for _ in range(100):
            if len(await docker.list_containers(labels=labels)) == 6:
                break
            await asyncio.sleep(0)
        assert len(await docker.list_containers(labels=labels)) == 6

    async with docker:
        orch = await leave_early(way, submit)
        assert await docker.list_containers(labels=labels, all=True) == []
        assert docker.container_ids() == []
    names = {f"attached{i}" for i in range(3)} | {f"detached{i}" for i in range(3)}
    assert_nothing_left(orch, expect_unfinished=names)
