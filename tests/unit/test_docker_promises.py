"""The promises of the Docker calls, on the fake daemon and its fault plan: one deadline per
call, changes never sent twice but reconciled, nothing left behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from asyncconsole import DockerTimeoutError, FakeClock
from asyncconsole.infra.docker import ContainerState, FakeDockerManager
from asyncconsole.testing import BUSYBOX_IMAGE, FaultPlan

IMAGE = BUSYBOX_IMAGE
TIMEOUT = 5.0


def fake(plan: FaultPlan, clock: FakeClock | None = None) -> FakeDockerManager:
    return FakeDockerManager(
        images=[IMAGE], clock=clock or FakeClock(), faults=plan, request_timeout=TIMEOUT
    )


@pytest.mark.parametrize("kind", ["reset", "status", "malformed"])
async def test_a_run_whose_create_answer_was_lost_finds_its_container(kind: str) -> None:
    plan = FaultPlan()
    plan.add(kind, operations={"docker.create_container"}, times=1)
    docker = fake(plan)
    cid = await docker.run_container(IMAGE, ["sleep", "60"])
    assert docker.container_ids() == [cid]
    assert (await docker.inspect_container(cid)).state is ContainerState.RUNNING
    assert plan.reached["docker.create_container"] == 1, "the create was not sent twice"


@pytest.mark.parametrize(
    ("operation", "change", "expected"),
    [
        ("docker.start_container", lambda d, c: d.start_container(c), ContainerState.RUNNING),
        ("docker.stop_container", lambda d, c: d.stop_container(c, timeout=0), "exited"),
        ("docker.remove_container", lambda d, c: d.remove_container(c, force=True), None),
    ],
)
async def test_a_change_whose_answer_was_lost_is_read_back_not_repeated(
    operation: str,
    change: Callable[[FakeDockerManager, str], Awaitable[None]],
    expected: object,
) -> None:
    plan = FaultPlan()
    docker = fake(plan)
    cid = docker.add_container(
        IMAGE, ["sleep", "60"], running=operation != "docker.start_container"
    )
    plan.add("reset", operations={operation}, times=1)
    await change(docker, cid)
    assert plan.reached[operation] == 1
    if expected is None:
        assert docker.container_ids() == []
    else:
        assert (await docker.inspect_container(cid)).state.value == getattr(
            expected, "value", expected
        )


CallOf = Callable[[FakeDockerManager, str], Awaitable[object]]


@pytest.mark.parametrize(
    ("name", "call", "deadline"),
    [
        ("inspect", lambda d, c: d.inspect_container(c), TIMEOUT),
        ("run", lambda d, c: d.run_container(IMAGE, ["true"]), TIMEOUT),
        ("stop, 4 s grace", lambda d, c: d.stop_container(c, timeout=4), TIMEOUT + 4),
        ("stop, Docker's grace", lambda d, c: d.stop_container(c), TIMEOUT + 10),
        ("wait 3 s", lambda d, c: d.wait_container(c, timeout=3), 3.0),
        ("attached run, 2 s", lambda d, c: d.run_container(IMAGE, detach=False, timeout=2), 7.0),
        ("exec, 1 s", lambda d, c: d.exec_in_container(c, ["true"], timeout=1), TIMEOUT + 1),
    ],
)
async def test_a_mute_daemon_ends_each_call_at_its_deadline(
    name: str, call: CallOf, deadline: float
) -> None:
    clock, plan = FakeClock(), FaultPlan()
    docker = fake(plan, clock)
    cid = docker.add_container(IMAGE, ["sleep", "600"])
    plan.add("hang")
    before = clock.monotonic()
    with pytest.raises(DockerTimeoutError):
        await call(docker, cid)
    # A run also tries, for at most half a second more, to remove what it may have made.
    assert deadline <= clock.monotonic() - before <= deadline + 0.5, name


async def test_a_container_added_behind_the_faults_back_must_have_its_image() -> None:
    docker = FakeDockerManager()
    with pytest.raises(ValueError, match="No such image"):
        docker.add_container("absent:1")
    assert docker.calls == []
