"""The fault contract for DockerEngineManager: the real dockerd behind a FaultProxy.

The calls under test go through the proxy; the containers they act on (stop and remove targets)
are made by a second manager straight on the daemon, behind the faults' back. Exec and attach
hijack the connection, which the proxy does not relay: exec is covered by the fake's contract
and by ``check_docker_manager`` on the real daemon.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from asyncconsole import RetryPolicy
from asyncconsole.infra.docker import ContainerInfo, DockerEngineManager, docker_url
from asyncconsole.testing import FaultCall, FaultProxy, ProxyInjector, check_fault_contract

pytestmark = pytest.mark.integration

TIMEOUT = 2.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)
ROLE = "asyncconsole.fault-contract"
ID = "[0-9a-f]{64}"


class Targets:
    """What the calls act on, and what they leave."""

    def __init__(self, direct: DockerEngineManager, image: str, labels: dict[str, str]) -> None:
        self.direct = direct
        self.image = image
        self.labels = labels
        self.made = {**labels, ROLE: "made"}
        self.fixture = {**labels, ROLE: "fixture"}
        self.owned: set[str] = set()
        self.adapter: DockerEngineManager | None = None
        self.running = self.exited = ""

    async def prepare(self) -> None:
        self.running = await self.direct.run_container(
            self.image, ["sh", "-c", "echo hi; sleep 600"], labels=self.fixture, init=True
        )
        self.exited = await self.direct.run_container(
            self.image, ["true"], labels=self.fixture, detach=False
        )

    async def fresh(self) -> str:
        target = {**self.labels, ROLE: "target"}
        return await self.direct.run_container(self.image, ["sleep", "600"], labels=target)

    async def create(self, docker: DockerEngineManager) -> str:
        cid = await docker.create_container(self.image, ["sleep", "600"], labels=self.made)
        self.owned.add(cid)
        return cid

    async def run(self, docker: DockerEngineManager) -> str:
        cid = await docker.run_container(self.image, ["sleep", "600"], labels=self.made, init=True)
        self.owned.add(cid)
        return cid

    async def stop(self, docker: DockerEngineManager) -> None:
        await docker.stop_container(await self.fresh(), timeout=0)

    async def remove(self, docker: DockerEngineManager) -> None:
        await docker.remove_container(await self.fresh(), force=True)

    async def leftovers(self) -> list[str]:
        """Containers made by calls whose caller never got their id, and connections the
        adapter still holds."""
        found = await self.direct.list_containers(labels=self.made, all=True)
        left = [f"container {c.id[:12]}" for c in found if c.id not in self.owned]
        client = self.adapter._client if self.adapter is not None else None
        if client is not None and client.session.connector is not None:
            held = len(client.session.connector._acquired)
            if held:
                left.append(f"{held} connection(s) still held")
        return left


def calls(t: Targets) -> list[FaultCall[DockerEngineManager]]:
    return [
        FaultCall("ping", lambda d: d.ping(), False, path=r"/_ping$", method="GET"),
        FaultCall(
            "inspect_container", lambda d: d.inspect_container(t.running), True, ContainerInfo
        ),
        FaultCall(
            "list_containers", lambda d: d.list_containers(labels=t.fixture, all=True), True, list
        ),
        FaultCall("container_logs", lambda d: d.container_logs(t.running), True, str),
        FaultCall(
            "wait_container", lambda d: d.wait_container(t.exited, timeout=TIMEOUT), True, int
        ),
        FaultCall("image_exists", lambda d: d.image_exists(t.image), True, bool),
        FaultCall(
            "create_container", t.create, False, str, path=r"/containers/create$", method="POST"
        ),
        # A run reaches the daemon with one create (then a start, reconciled the same way).
        FaultCall("run_container", t.run, False, str, path=r"/containers/create$", method="POST"),
        FaultCall("stop_container", t.stop, False, path=rf"/containers/{ID}/stop$", method="POST"),
        FaultCall("remove_container", t.remove, False, path=rf"/containers/{ID}$", method="DELETE"),
    ]


async def test_docker_engine_manager_keeps_the_fault_contract(
    busybox_image: str, docker_labels: dict[str, str]
) -> None:
    async with (
        DockerEngineManager() as direct,
        FaultProxy(docker_url(), seed=7) as proxy,
    ):
        targets = Targets(direct, busybox_image, docker_labels)
        await targets.prepare()

        @asynccontextmanager
        async def open_docker() -> AsyncIterator[DockerEngineManager]:
            async with DockerEngineManager(
                socket=f"tcp://127.0.0.1:{proxy.port}", request_timeout=TIMEOUT, retry=PATIENT
            ) as docker:
                targets.adapter = docker
                yield docker
            targets.adapter = None

        await check_fault_contract(
            open_docker,
            calls(targets),
            ProxyInjector(proxy),
            timeout=TIMEOUT,
            leftovers=targets.leftovers,
            # Each round of stop and remove makes a container: fewer rounds, same checks.
            storm_rounds=8,
            cancel_rounds=8,
        )
