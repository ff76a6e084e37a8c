"""Scaling Docker workers is bounded: a fan-out of a few containers at a time, a maximum count
that is refused at once (also by the CLI, exit 2), and a cancelled scale leaves nothing half
started (issue 10, item 6)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest
from click.testing import CliRunner

from asyncconsole import Environment, FakeClock, InvalidArgumentError
from asyncconsole.cli import CliState, cli
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.docker import ContainerState, FakeDockerManager
from asyncconsole.services.workers import (
    DOCKER_SCALE_CONCURRENCY,
    MAX_DOCKER_REPLICAS,
    DockerWorkers,
)
from tests.unit.test_cli_support import Servers, servers

__all__ = ["servers"]

IMAGE = "migrations/reindex_from_snapshot:latest"


class Counting:
    """A Docker manager that counts the runs in flight (and passes every call on)."""

    def __init__(self, docker: FakeDockerManager, *, stop_after: int | None = None) -> None:
        self.docker = docker
        self.running = 0
        self.peak = 0
        self.started = 0
        self.stop_after = stop_after
        self.enough = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.docker, name)

    async def run_container(
        self, image: str, command: Sequence[str] | None = None, **kw: Any
    ) -> str:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            cid = await self.docker.run_container(image, command, **kw)
        finally:
            self.running -= 1
        self.started += 1
        if self.started == self.stop_after:
            self.enough.set()
        return cid


def workers(docker: Any, **kw: Any) -> DockerWorkers:
    return DockerWorkers(docker, role="backfill", session="s1", image=IMAGE, **kw)


async def test_scaling_up_starts_a_few_containers_at_a_time() -> None:
    # Before: every container was started at once (a task and a request each), so a large
    # count grew without bound.
    docker = FakeDockerManager(images=[IMAGE], clock=FakeClock(), start_delay=2.0)
    counting = Counting(docker)
    deployment = workers(counting)
    await deployment.scale(50)
    assert len(docker.container_ids()) == 50
    assert (await deployment.counts()).running == 50
    assert counting.peak == DOCKER_SCALE_CONCURRENCY, counting.peak
    narrow = workers(Counting(docker), concurrency=2)
    await narrow.scale(55)
    assert len(docker.container_ids()) == 55


async def test_a_count_beyond_the_maximum_is_refused_before_anything_starts() -> None:
    docker = FakeDockerManager(images=[IMAGE])
    deployment = workers(docker)
    for huge in (MAX_DOCKER_REPLICAS + 1, 10**26):
        with pytest.raises(InvalidArgumentError, match=r"at most 1000") as caught:
            await deployment.scale(huge)
        assert caught.value.argument == "replicas"
        assert isinstance(caught.value, ValueError)
    assert docker.calls == [], "nothing may be asked of the daemon"
    small = workers(docker, max_replicas=2)
    with pytest.raises(InvalidArgumentError, match="at most 2"):
        await small.scale(3)
    with pytest.raises(ValueError, match="max_replicas"):
        workers(docker, max_replicas=0)
    with pytest.raises(ValueError, match="concurrency"):
        workers(docker, concurrency=0)


async def test_a_cancelled_scale_leaves_no_container_half_started() -> None:
    clock = FakeClock(auto_advance=False)
    docker = FakeDockerManager(images=[IMAGE], clock=clock, start_delay=5.0)
    deployment = workers(docker, concurrency=3)
    scaling = asyncio.ensure_future(deployment.scale(10))
    for _ in range(100):
        await asyncio.sleep(0)
    assert len(docker.container_ids()) == 3, "three creates made, their starts under way"
    scaling.cancel()
    while not scaling.done():  # the interrupted starts finish (5 s), then their containers go
        await clock.advance(1.0)
    assert scaling.cancelled()
    assert docker.container_ids() == []


async def test_a_scale_cancelled_midway_keeps_only_whole_workers() -> None:
    docker = FakeDockerManager(images=[IMAGE], clock=FakeClock(), start_delay=5.0)
    counting = Counting(docker, stop_after=3)
    scaling = asyncio.ensure_future(workers(counting, concurrency=3).scale(8))
    await counting.enough.wait()  # three workers started; the next three are on their way
    scaling.cancel()
    await asyncio.gather(scaling, return_exceptions=True)
    assert scaling.cancelled()
    states = [c.state for c in await docker.list_containers(all=True)]
    assert states == [ContainerState.RUNNING] * 3, states


def test_the_cli_refuses_a_huge_count_with_a_usage_error(servers: Servers) -> None:
    # Before: `asyncconsole backfill scale 99999999999999999999999999` grew until killed.
    docker = FakeDockerManager(images=[IMAGE])
    config = servers.config(backfill={"reindex_from_snapshot": {"docker": {"image": IMAGE}}})
    infra = Infrastructure(docker=docker, manage_injected=False)
    state = CliState(env_factory=lambda _path: Environment.from_dict(config, infra=infra))
    args = ["--json", "backfill", "scale", "99999999999999999999999999"]
    result = CliRunner().invoke(cli, args, obj=state, catch_exceptions=False)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "replicas must be at most 1000" in result.stderr
    error = json.loads(result.stdout)["error"]
    assert (error["type"], error["exit_code"]) == ("InvalidArgumentError", 2)
    assert docker.calls_to("run_container") == []
