"""FakeK8sManager: the contract, lifecycle over fake time, call log and fault injection."""

from __future__ import annotations

import pytest

from asyncconsole import FakeClock, KubernetesError, OperationTimeoutError
from asyncconsole._errors import KubernetesConflictError, KubernetesNotFoundError
from asyncconsole.infra.kubernetes import ExecReply, FakeK8sManager, K8sManager, PodPhase
from asyncconsole.testing import check_k8s_manager


async def test_contract_on_fake() -> None:
    fake = FakeK8sManager()
    await check_k8s_manager(
        lambda: fake,
        fake,
        sleep=fake.clock.sleep,
        active_watches=lambda: fake.active_watches,
        active_log_streams=lambda: fake.active_log_streams,
    )


async def test_contract_on_fake_with_instant_convergence() -> None:
    fake = FakeK8sManager(converge_delay=0)
    await check_k8s_manager(lambda: fake, fake, sleep=fake.clock.sleep)


async def test_is_a_k8s_manager() -> None:
    assert isinstance(FakeK8sManager(), K8sManager)


async def test_pods_converge_over_fake_time() -> None:
    clock = FakeClock(auto_advance=False)
    async with FakeK8sManager(clock=clock, converge_delay=5, terminate_delay=3) as k8s:
        k8s.add_deployment("ma", "rfs", replicas=1, labels={"app": "rfs"})
        await k8s.scale_deployment("ma", "rfs", 3)
        st = await k8s.get_deployment_status("ma", "rfs")
        assert (st.desired, st.ready, st.running, st.pending) == (3, 1, 1, 2)
        assert not st.settled
        await clock.advance(4.9)
        assert (await k8s.get_deployment_status("ma", "rfs")).pending == 2
        await clock.advance(0.2)
        st = await k8s.get_deployment_status("ma", "rfs")
        assert (st.ready, st.running, st.pending) == (3, 3, 0)
        assert st.settled

        await k8s.scale_deployment("ma", "rfs", 0)
        st = await k8s.get_deployment_status("ma", "rfs")
        # console_link's backfill maths: terminating > 0 and desired == 0 -> TERMINATING
        assert (st.desired, st.running, st.terminating) == (0, 0, 3)
        pods = await k8s.list_pods("ma", label_selector="app=rfs")
        assert [p.terminating for p in pods] == [True, True, True]
        assert all(p.phase is PodPhase.RUNNING for p in pods)
        await clock.advance(3)
        st = await k8s.get_deployment_status("ma", "rfs")
        assert (st.running, st.pending, st.terminating) == (0, 0, 0)
        assert await k8s.list_pods("ma") == []


async def test_wait_uses_fake_time() -> None:
    clock = FakeClock()
    async with FakeK8sManager(clock=clock, converge_delay=30) as k8s:
        k8s.add_deployment("ma", "replayer", replicas=0)
        await k8s.scale_deployment("ma", "replayer", 2)
        st = await k8s.wait_for_replicas("ma", "replayer", ready=2, timeout=120)
        assert (st.ready, st.running) == (2, 2)
        assert 30 <= clock.monotonic() < 32
        with pytest.raises(OperationTimeoutError, match="did not reach 5 ready"):
            await k8s.wait_for_replicas("ma", "replayer", ready=5, timeout=600)
        assert 630 <= clock.monotonic() < 632


async def test_wait_sees_a_concurrent_scale() -> None:
    async with FakeK8sManager(converge_delay=1) as k8s:
        k8s.add_deployment("ma", "w", replicas=1)
        fake_clock = k8s.clock
        assert isinstance(fake_clock, FakeClock)

        async def later() -> None:
            await fake_clock.sleep(10)
            await k8s.scale_deployment("ma", "w", 4)

        import asyncio

        async with asyncio.TaskGroup() as tg:
            tg.create_task(later())
            waited = tg.create_task(k8s.wait_for_replicas("ma", "w", ready=4, timeout=60))
        assert waited.result().ready == 4


async def test_call_log_and_fault_injection() -> None:
    async with FakeK8sManager() as k8s:
        k8s.add_deployment("ma", "w", replicas=1)
        k8s.fail("scale_deployment", KubernetesConflictError("busy", status=409), times=2)
        for _ in range(2):
            with pytest.raises(KubernetesConflictError):
                await k8s.scale_deployment("ma", "w", 2)
        await k8s.scale_deployment("ma", "w", 2)
        assert [c.args["replicas"] for c in k8s.calls_to("scale_deployment")] == [2, 2, 2]
        k8s.fail("ping", KubernetesError("unreachable"), times=None)
        for _ in range(3):
            with pytest.raises(KubernetesError, match="unreachable"):
                await k8s.ping()
        with pytest.raises(ValueError, match="no method"):
            k8s.fail("nope", KubernetesError("x"))
        assert [c.method for c in k8s.calls][:1] == ["scale_deployment"]


async def test_async_exec_handler_and_missing_container() -> None:
    async with FakeK8sManager(converge_delay=0) as k8s:
        k8s.add_pod("ma", "tool", containers=("a", "b"))

        async def handler(ns: str, pod: str, container: str, argv: object) -> ExecReply:
            return ExecReply(0, f"{pod}/{container}\n")

        k8s.exec_handler = handler
        res = await k8s.exec_in_pod("ma", "tool", ["x"], container="b")
        assert res.stdout == "tool/b\n"
        with pytest.raises(KubernetesError, match="container name must be specified") as info:
            await k8s.exec_in_pod("ma", "tool", ["x"])
        assert info.value.status == 400


async def test_default_exec_handler_is_a_tiny_shell() -> None:
    async with FakeK8sManager(converge_delay=0) as k8s:
        k8s.add_pod("ma", "p")
        assert (await k8s.exec_in_pod("ma", "p", ["echo", "a", "b"])).stdout == "a b\n"
        assert (await k8s.exec_in_pod("ma", "p", ["sh", "-c", "exit 7"])).exit_code == 7
        missing = await k8s.exec_in_pod("ma", "p", ["frobnicate"])
        assert (missing.exit_code, missing.stderr) == (127, "sh: frobnicate: not found\n")


async def test_exec_in_a_pending_pod_fails() -> None:
    async with FakeK8sManager(converge_delay=0) as k8s:
        k8s.add_pod("ma", "p", phase="Pending")
        with pytest.raises(KubernetesError, match="container not found"):
            await k8s.exec_in_pod("ma", "p", ["true"])


async def test_deleted_deployment_stops_a_wait() -> None:
    async with FakeK8sManager(converge_delay=0) as k8s:
        k8s.add_deployment("ma", "w", replicas=1)
        k8s.cluster.delete("deployments", "ma", "w")
        with pytest.raises(KubernetesNotFoundError):
            await k8s.wait_for_replicas("ma", "w", ready=1, timeout=5)
        # its pods terminate with it
        assert await k8s.list_pods("ma") == []


async def test_repr_has_no_secrets() -> None:
    fake = FakeK8sManager(default_namespace="ma")
    fake.add_secret("ma", "s", {"password": "hunter2"})
    assert "hunter2" not in repr(await fake.read_secret("ma", "s"))
    assert fake.default_namespace == "ma"


async def test_exec_timeout() -> None:
    from asyncconsole import CommandTimeoutError

    async with FakeK8sManager(converge_delay=0) as k8s:
        k8s.add_pod("ma", "p")

        async def stuck(ns: str, pod: str, container: str, argv: object) -> ExecReply:
            await k8s.clock.sleep(30)  # the fake's time, as its deadlines
            return ExecReply()

        k8s.exec_handler = stuck
        with pytest.raises(CommandTimeoutError):
            await k8s.exec_in_pod("ma", "p", ["sleep"], timeout=0.05)
        assert k8s.clock.monotonic() == pytest.approx(0.05)
