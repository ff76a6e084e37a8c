"""The control loop against a fake target with a capacity: it finds the worker count that gives
the most throughput without rejections, from too few and from too many workers, and stays.

Everything runs on a ``FakeClock`` (30 one-minute periods take about a second of real time):
simulated RFS workers send ``_bulk`` requests to a ``FakeOpenSearch`` whose ``LoadModel``
indexes ``capacity`` documents per second; the real ``Autoscaler`` reads ``_nodes/stats`` and
the working-state index, and scales a ``FakeWorkerDeployment``.

The stated bounds (periods are one minute; a step up needs its count measured for the
three-minute cool-down):

* limited by the write queue (capacity 5 docs/s, 0.6 docs/s a worker, best = 8): from 2
  workers the count is at 8 from period 20 on, after one overshoot (9); from 20 workers it is
  at 8 from period 5 on, with no overshoot;
* limited by CPU (target 70 %, about 6 % a worker, best = 11): from 2 at 11 from period 20 on,
  from 20 at 11 from period 4 on, never crossing it.
"""

from __future__ import annotations

import pytest

from asyncconsole.autoscale import ScaleAction
from tests.autoscale_scenario import Run, Scenario, describe, simulate

QUEUE_BOUND = Scenario()
CPU_BOUND = Scenario(capacity=10.0, busy_cpu=100.0, queue_size=50, policy={"target_cpu": 70})


def _settled_tail(run: Run, workers: int) -> list[int]:
    at = run.first_period_at(workers)
    assert at is not None, describe(run)
    return run.counts[at - 1 :]


def _assert_holds_without_pressure(run: Run, workers: int, *, last: int = 5) -> None:
    """The last periods run ``workers`` workers, settled, without a rejection, at full rate."""
    tail = run.trace[-last:]
    assert all(p.desired == p.running == workers for p in tail), describe(run)
    assert all(p.rejected == 0 for p in tail), describe(run)
    assert all(p.decision.action is ScaleAction.HOLD for p in tail), describe(run)
    expected = workers * run.scenario.docs_per_second * 60 / run.scenario.docs_per_item
    for period in tail:
        assert period.per_minute == pytest.approx(expected, rel=0.1), describe(run)


@pytest.mark.parametrize(
    ("start", "within", "crossings"),
    [(2, 20, 1), (20, 5, 0)],
    ids=["from-too-few", "from-too-many"],
)
async def test_the_write_queue_limit_is_found(start: int, within: int, crossings: int) -> None:
    scenario = Scenario(start_workers=start, periods=30)
    run = await simulate(scenario)
    best = scenario.best
    assert best == 8
    converged = run.first_period_at(best)
    assert converged is not None, describe(run)
    assert converged <= within, describe(run)
    assert run.crossings(best) <= crossings, describe(run)
    assert set(_settled_tail(run, best)) == {best}
    _assert_holds_without_pressure(run, best)
    # No count above the best one was ever kept: each was left within five periods.
    assert max(run.counts[converged - 1 :]) == best


@pytest.mark.parametrize(
    ("start", "within"), [(2, 20), (20, 4)], ids=["from-too-few", "from-too-many"]
)
async def test_the_cpu_target_is_found(start: int, within: int) -> None:
    scenario = Scenario(
        start_workers=start,
        periods=30,
        capacity=CPU_BOUND.capacity,
        busy_cpu=CPU_BOUND.busy_cpu,
        queue_size=CPU_BOUND.queue_size,
        policy=CPU_BOUND.policy,
    )
    run = await simulate(scenario)
    # CPU = 2 % idle + 100 % x 0.6 n / 10: 11 workers run at 68 %, 12 would be 74 % > 70 %.
    converged = run.first_period_at(11)
    assert converged is not None, describe(run)
    assert converged <= within, describe(run)
    assert run.crossings(11) == 0, describe(run)
    _assert_holds_without_pressure(run, 11)
    assert all(p.cpu is not None and p.cpu <= 70 for p in run.trace[-5:]), describe(run)


async def test_the_count_never_flaps_once_found() -> None:
    run = await simulate(Scenario(start_workers=2, periods=45))
    changes = [
        (number, p.decision.current, p.decision.target)
        for number, p in enumerate(run.trace, 1)
        if p.decision.action is not ScaleAction.HOLD
    ]
    # Up, up, up, up, one step back down: then nothing for the remaining 25 minutes.
    assert [(a, b) for _, a, b in changes] == [(2, 3), (3, 4), (4, 6), (6, 9), (9, 8)], describe(
        run
    )
    assert changes[-1][0] == 20
    assert run.policy.known_limits(run.trace[-1].elapsed) == {9: "queue"}


async def test_every_decision_says_why_in_words_and_figures() -> None:
    run = await simulate(Scenario(start_workers=4, periods=8))
    up = next(p.decision for p in run.trace if p.decision.action is ScaleAction.UP)
    assert up.reason == "4 → 6: CPU 28% < 70%, 0 rejections in 3 min, 24 items/min"
    assert up.rule == "headroom"
    data = up.to_dict()
    assert data["from"] == 4
    assert data["to"] == 6
    assert data["applied"] is True
    assert data["pressure"]["source"] == "_nodes/stats"
    assert data["facts"]["cpu_percent"] == pytest.approx(28.0)
    assert data["progress"]["unit"] == "items"


async def test_a_dry_run_reports_and_never_scales() -> None:
    run = await simulate(Scenario(start_workers=20, periods=6), dry_run=True)
    assert run.workers.scale_calls == []
    downs = [p.decision for p in run.trace if p.decision.action is ScaleAction.DOWN]
    assert downs, describe(run)
    assert all(d.dry_run and not d.applied for d in downs)
    assert str(downs[0]).startswith("(dry run) 20 → 10: ")
    assert all(p.desired == 20 for p in run.trace)


async def test_the_loop_ends_when_the_backfill_is_complete() -> None:
    run = await simulate(Scenario(start_workers=8, periods=100, items=300))
    last = run.trace[-1]
    assert last.decision.rule == "complete"
    assert len(run.trace) < 100
    assert run.fleet.finished


async def test_the_replayer_finds_the_same_limit_from_the_indexing_rate() -> None:
    # Replayers have no work items: throughput is the target's own indexing rate (docs/min).
    run = await simulate(Scenario(start_workers=20, periods=12, replay=True))
    converged = run.first_period_at(8)
    assert converged is not None, describe(run)
    assert converged <= 5, describe(run)
    assert run.crossings(8) == 0, describe(run)
    assert {p.decision.role for p in run.trace} == {"replay"}
    tail = run.trace[-3:]
    assert all(p.rejected == 0 for p in tail), describe(run)
    for period in tail:
        assert period.per_minute == pytest.approx(8 * 0.6 * 60, rel=0.1), describe(run)
    assert run.trace[-1].decision.observation.progress is not None
    assert run.trace[-1].decision.observation.progress.unit == "docs"
