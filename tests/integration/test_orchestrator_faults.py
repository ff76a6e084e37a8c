"""Fault injection: flaky HTTP (503s and connection resets) and a throttling ECS.

Idempotent operations get a retry policy and all succeed; non-idempotent ones get none and
are tried exactly once; server-side counts prove every attempt is accounted for: nothing lost,
nothing doubled.
"""

from __future__ import annotations

import collections
import re

import pytest

from asyncconsole import NO_RETRY, ECSError, FakeClock, HttpError, Orchestrator, RetryPolicy
from asyncconsole.infra.ecs import FakeECSManager
from asyncconsole.infra.http import AiohttpClient, HttpRequest, HttpResponse
from asyncconsole.testing import HttpHandlerServer

pytestmark = pytest.mark.integration

GETS = 40
POSTS = 30
RETRY = RetryPolicy(attempts=6, wait_initial=0.01, wait_jitter=0.0, timeout=None)


class FlakyService:
    """Fails a share of requests: 503 or a dropped connection, by a fixed schedule per key.

    GET /items/<k>: the first ``k % 4`` requests for that key fail, with 503 for even keys and
    alternately a reset and a 503 for odd ones (so every key succeeds within 4 requests).
    POST /items/<k>: fails when ``k % 3`` is 0 (503) or 1 (reset), after counting it: a reset
    POST may have been processed, which is why it must not be repeated.
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, int]] = collections.Counter()
        self.created: list[int] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = re.fullmatch(r"/items/(\d+)", request.path)
        assert match, request.path
        key = int(match.group(1))
        self.counts[(request.method, key)] += 1
        n = self.counts[(request.method, key)]
        if request.method == "GET":
            kind = "503" if key % 2 == 0 else ("503", "reset")[n % 2]
            fault = kind if n <= key % 4 else None
        else:
            fault = {0: "503", 1: "reset"}.get(key % 3)
        if fault == "reset":
            raise ConnectionResetError("dropped by the flaky service")
        if fault == "503":
            return HttpResponse.build(503, json={"error": "busy"}, request=request)
        if request.method == "POST":
            self.created.append(key)
        return HttpResponse.build(200, json={"key": key, "try": n}, request=request)


async def test_flaky_http_idempotent_retried_non_idempotent_not_repeated() -> None:
    service = FlakyService()
    clock = FakeClock()
    async with (
        HttpHandlerServer(service) as server,
        AiohttpClient(base_url=server.url, retry=False, timeout=10) as http,
    ):

        async def get(key: int) -> int:
            response = await http.request("GET", f"/items/{key}")
            value: int = response.json()["key"]
            return value

        async def post(key: int) -> int:
            response = await http.request("POST", f"/items/{key}", json={"key": key})
            value: int = response.json()["key"]
            return value

        async with Orchestrator(max_concurrency=8, clock=clock) as orch:
            for k in range(GETS):
                orch.submit(f"get{k}", get, k, retry=RETRY)
            for k in range(POSTS):
                orch.submit(f"post{k}", post, k)  # default: one attempt

    out = orch.outcomes
    assert len(out) == GETS + POSTS  # nothing lost
    for k in range(GETS):
        o = out[f"get{k}"]
        assert (o.status, o.value) == ("ok", k)
        # Through every failure, and not one request after the success.
        assert service.counts[("GET", k)] == k % 4 + 1
        if k % 2 == 0:
            assert o.attempts == k % 4 + 1
        else:
            # aiohttp itself resends an idempotent request once when the connection drops
            # (it cannot be turned off), so some resets never reach the orchestrator.
            assert 1 <= o.attempts <= k % 4 + 1
    for k in range(POSTS):
        o = out[f"post{k}"]
        assert o.attempts == 1
        assert service.counts[("POST", k)] == 1  # never repeated
        if k % 3 == 2:
            assert (o.status, o.value) == ("ok", k)
        else:
            assert o.status == "failed"
            assert isinstance(o.error, HttpError)
            assert o.error.status == (503 if k % 3 == 0 else None)
    # Every request the server saw belongs to one operation (nothing stray or duplicated).
    assert len(server.requests) == sum(service.counts.values())
    assert len(server.requests) == sum(k % 4 + 1 for k in range(GETS)) + POSTS
    post_attempts = sum(out[f"post{k}"].attempts for k in range(POSTS))
    assert post_attempts == POSTS == sum(n for (m, _), n in service.counts.items() if m == "POST")
    assert sorted(service.created) == sorted(k for k in range(POSTS) if out[f"post{k}"].ok)
    assert clock.sleeps  # the waits between retries went through the injected clock


async def test_throttling_ecs_idempotent_retried_run_task_not_repeated() -> None:
    clock = FakeClock()
    # The manager's own retries are off: here the orchestrator's policy does the retrying.
    ecs = FakeECSManager(clock=clock, retry=NO_RETRY)
    services = [f"svc{i}" for i in range(8)]
    for name in services:
        ecs.add_service("migration", name, desired=1, started=True)
    ecs.register_task_definition("snapshot")
    ecs.throttle_next("scale_service", times=10)
    ecs.throttle_next("get_service_status", times=5)
    ecs.throttle_next("run_task", times=3)
    policy = RetryPolicy(attempts=8, wait_initial=0.5, wait_jitter=0.1, timeout=None)

    await ecs.open()
    async with Orchestrator(max_concurrency=4, clock=clock) as orch:
        for i, name in enumerate(services):
            orch.submit(f"scale:{name}", ecs.scale_service, "migration", name, i + 2, retry=policy)
            orch.submit(f"status:{name}", ecs.get_service_status, "migration", name, retry=policy)
        for i in range(6):
            orch.submit(f"run:{i}", ecs.run_task, "migration", "snapshot", started_by=f"job{i}")

    out = orch.outcomes
    assert len(out) == 2 * len(services) + 6
    for i, name in enumerate(services):
        assert out[f"scale:{name}"].status == "ok"
        assert out[f"status:{name}"].status == "ok"
        status = await ecs.get_service_status("migration", name)
        assert status.desired == i + 2
    # Every attempt is one logged call (the checks above added one status call per service).
    scale_attempts = sum(out[f"scale:{n}"].attempts for n in services)
    status_attempts = sum(out[f"status:{n}"].attempts for n in services)
    assert scale_attempts == len(ecs.calls_to("scale_service")) == len(services) + 10
    assert status_attempts == len(ecs.calls_to("get_service_status")) - len(services)
    assert status_attempts == len(services) + 5
    runs = [out[f"run:{i}"] for i in range(6)]
    assert all(o.attempts == 1 for o in runs)
    assert len(ecs.calls_to("run_task")) == 6  # never repeated
    failed = [o for o in runs if not o.ok]
    assert len(failed) == 3
    assert all(
        isinstance(o.error, ECSError) and o.error.code == "ThrottlingException" for o in failed
    )
    tasks = await ecs.list_tasks("migration")
    jobs = sorted(t.started_by for t in tasks if t.started_by and t.started_by.startswith("job"))
    assert jobs == [f"job{i}" for i in range(6) if out[f"run:{i}"].ok]  # one task each, once
    await ecs.aclose()
