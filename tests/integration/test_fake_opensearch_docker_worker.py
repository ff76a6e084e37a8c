"""A real container acts as an RFS worker against FakeOpenSearchServer (busybox wget)."""

from __future__ import annotations

import pytest

from asyncconsole.infra.docker import DockerEngineManager
from asyncconsole.testing import FakeOpenSearchServer

pytestmark = pytest.mark.integration


async def test_busybox_wget_completes_work_items(
    docker: DockerEngineManager, busybox_image: str, docker_labels: dict[str, str]
) -> None:
    async with FakeOpenSearchServer(auth=("admin", "pw")) as server:
        server.seed_working_state(in_progress=2, unclaimed=3)
        url = f"{server.url}/_asyncconsole/rfs/complete?count=4"
        cid = await docker.run_container(
            busybox_image,
            ["/bin/busybox", "wget", "-q", "-O-", "--post-data=", url],
            labels=docker_labels,
            network_mode="host",
        )
        assert await docker.wait_container(cid, timeout=30) == 0
        assert '{"completed":4}' in await docker.container_logs(cid)
        docs = server.index(".migrations_working_state").docs
        open_items = [i for i, d in docs.items() if "completedAt" not in d.source]
        assert len(open_items) == 1
        assert server.requests_matching("POST", "^/_asyncconsole/rfs/complete$")
