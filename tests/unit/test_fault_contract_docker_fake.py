"""The fault contract for FakeDockerManager: the adapter core applies its fault plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncconsole import FakeClock, RetryPolicy
from asyncconsole.infra.docker import ContainerInfo, FakeDockerManager
from asyncconsole.testing import (
    BUSYBOX_IMAGE,
    FaultCall,
    FaultPlan,
    PlanInjector,
    check_fault_contract,
)

TIMEOUT = 5.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)
MADE = {"fault-contract": "made"}
"""Labels of what the calls under test create: the leftovers, unless the caller got the id."""


class Targets:
    """Containers the calls act on, put in the daemon behind the faults' back."""

    def __init__(self, docker: FakeDockerManager) -> None:
        self.docker = docker
        self.running = docker.add_container(BUSYBOX_IMAGE, ["sh", "-c", "echo hi; sleep 600"])
        self.exited = docker.add_container(BUSYBOX_IMAGE, ["true"])
        self.owned: set[str] = set()

    def fresh(self) -> str:
        return self.docker.add_container(BUSYBOX_IMAGE, ["sleep", "600"], init=True)

    async def create(self, docker: FakeDockerManager) -> str:
        cid = await docker.create_container(BUSYBOX_IMAGE, ["sleep", "600"], labels=MADE)
        self.owned.add(cid)
        return cid

    async def run(self, docker: FakeDockerManager) -> str:
        cid = await docker.run_container(BUSYBOX_IMAGE, ["sleep", "600"], labels=MADE)
        self.owned.add(cid)
        return cid

    async def leftovers(self) -> list[str]:
        made = self.docker.container_ids(labels=MADE)
        return [f"container {cid[:12]}" for cid in made if cid not in self.owned]


def calls(targets: Targets) -> list[FaultCall[FakeDockerManager]]:
    def op(name: str) -> str:
        return f"docker.{name}"

    return [
        FaultCall("ping", lambda d: d.ping(), False, operation=op("ping")),
        FaultCall(
            "inspect_container",
            lambda d: d.inspect_container(targets.running),
            True,
            ContainerInfo,
            operation=op("inspect_container"),
        ),
        FaultCall(
            "list_containers",
            lambda d: d.list_containers(labels=MADE, all=True),
            True,
            list,
            operation=op("list_containers"),
        ),
        FaultCall(
            "container_logs",
            lambda d: d.container_logs(targets.running),
            True,
            str,
            operation=op("container_logs"),
        ),
        FaultCall(
            "wait_container",
            lambda d: d.wait_container(targets.exited, timeout=TIMEOUT),
            True,
            int,
            operation=op("wait_container"),
        ),
        FaultCall(
            "image_exists",
            lambda d: d.image_exists(BUSYBOX_IMAGE),
            True,
            bool,
            operation=op("image_exists"),
        ),
        FaultCall("create_container", targets.create, False, str, operation=op("create_container")),
        # A run reaches the daemon with one create (then a start, reconciled the same way).
        FaultCall("run_container", targets.run, False, str, operation=op("create_container")),
        FaultCall(
            "stop_container",
            lambda d: d.stop_container(targets.fresh(), timeout=0),
            False,
            operation=op("stop_container"),
        ),
        FaultCall(
            "remove_container",
            lambda d: d.remove_container(targets.fresh(), force=True),
            False,
            operation=op("remove_container"),
        ),
        FaultCall(
            "exec_in_container",
            # A mute daemon ends it at request_timeout + its timeout: keep that within + 1 s.
            lambda d: d.exec_in_container(targets.running, ["echo", "x"], timeout=0.5),
            False,
            operation=op("exec_in_container"),
        ),
    ]


async def test_fake_docker_manager_keeps_the_fault_contract() -> None:
    clock, plan = FakeClock(), FaultPlan()
    docker = FakeDockerManager(
        images=[BUSYBOX_IMAGE], clock=clock, faults=plan, request_timeout=TIMEOUT, retry=PATIENT
    )
    targets = Targets(docker)

    @asynccontextmanager
    async def open_docker() -> AsyncIterator[FakeDockerManager]:
        async with docker:
            yield docker

    await check_fault_contract(
        open_docker,
        calls(targets),
        PlanInjector(plan),
        timeout=TIMEOUT,
        clock=clock,
        leftovers=targets.leftovers,
    )
