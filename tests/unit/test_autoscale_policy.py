"""TargetHealthPolicy rule by rule, fed observations written by hand (one per minute)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole.autoscale import (
    Observation,
    Pressure,
    Progress,
    Proposal,
    ScalingPolicy,
    TargetHealthPolicy,
)
from asyncconsole.services.workers import WorkerCounts

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Feed:
    """Feeds one observation a minute to a policy, as the autoscaler would."""

    policy: TargetHealthPolicy
    minute: int = 0
    proposals: list[Proposal] = field(default_factory=list)

    def __call__(
        self,
        workers: int,
        *,
        cpu: float | None = 40.0,
        rejected: int | None = 0,
        completed: int | None = 100,
        queue: int | None = 0,
        rate: float | None = None,
        remaining: int | None = 1000,
        settled: bool = True,
        running: int | None = None,
        first: bool = False,
        pressure: bool = True,
    ) -> Proposal:
        counts = WorkerCounts(running if running is not None else workers, 0, workers, 0)
        observation = Observation(
            time=START + timedelta(minutes=self.minute),
            elapsed=60.0 * self.minute,
            interval=None if first else 60.0,
            workers=counts,
            settled=settled,
            progress=Progress(rate if rate is not None else 10.0 * workers, remaining=remaining),
            pressure=(
                Pressure(
                    cpu_percent=cpu,
                    write_queue=queue,
                    write_rejected=rejected,
                    write_completed=completed,
                )
                if pressure
                else None
            ),
        )
        self.minute += 1
        proposal = self.policy.decide(observation)
        self.proposals.append(proposal)
        return proposal

    def measure(self, workers: int, minutes: int = 3, **figures: Any) -> Proposal:
        """``minutes`` calm settled readings at ``workers``; the last proposal."""
        proposal = self(workers, **figures)
        for _ in range(minutes - 1):
            proposal = self(workers, **figures)
        return proposal


def feed(**knobs: Any) -> Feed:
    return Feed(TargetHealthPolicy(**{"min_workers": 1, "max_workers": 20, **knobs}))


def test_it_is_a_scaling_policy() -> None:
    policy = TargetHealthPolicy()
    assert isinstance(policy, ScalingPolicy)
    described = policy.describe()
    assert described["policy"] == "TargetHealthPolicy"
    assert described["target_cpu"] == 70.0
    assert (described["min_workers"], described["max_workers"]) == (1, 20)


@pytest.mark.parametrize(
    "knobs",
    [
        {"min_workers": 0},
        {"min_workers": 5, "max_workers": 4},
        {"target_cpu": 0},
        {"target_cpu": 120},
        {"cpu_band": -1},
        {"cooldown": -1},
        {"max_step_up": 0},
        {"max_step_down": 1},
        {"min_gain": 2},
        {"throughput_drop": 1},
        {"forget_after": 0},
        {"max_write_queue": -1},
    ],
)
def test_nonsense_settings_are_refused(knobs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TargetHealthPolicy(**knobs)


def test_unknowns_hold() -> None:
    f = feed()
    first = f(4, first=True)
    assert (first.workers, first.rule) == (4, "first")
    blind = f(4, pressure=False)
    assert (blind.workers, blind.rule) == (4, "no_data")
    moving = f(4, settled=False, running=2)
    assert (moving.workers, moving.rule) == (4, "settling")
    assert moving.reason == (
        "waiting for the workers to settle: 2 running, 0 pending, 0 terminating of 4"
    )
    paused = f(0)
    assert (paused.workers, paused.rule) == (0, "paused")


def test_unknown_worker_counts_hold_without_a_count() -> None:
    policy = TargetHealthPolicy()
    proposal = policy.decide(
        Observation(START, 0.0, None, None, False, None, None, ("worker counts: boom",))
    )
    assert (proposal.workers, proposal.rule) == (None, "no_data")
    assert "boom" in proposal.reason


def test_the_count_is_kept_within_bounds() -> None:
    f = Feed(TargetHealthPolicy(min_workers=2, max_workers=6))
    assert f(1).workers == 2
    assert f(1).rule == "min"
    above = f(9)
    assert (above.workers, above.rule, above.reason) == (6, "max", "9 → 6: above the maximum of 6")


def test_a_complete_backfill_holds_and_says_so() -> None:
    done = feed()(4, remaining=0)
    assert (done.workers, done.rule) == (4, "complete")


def test_steps_up_after_the_cooldown_by_at_most_half() -> None:
    f = feed()
    f(4, first=True)
    assert f(4, cpu=20).rule == "cooldown"
    assert f(4, cpu=20).rule == "cooldown"
    up = f(4, cpu=20)
    assert (up.workers, up.rule) == (6, "headroom")
    assert up.reason == "4 → 6: CPU 20% < 70%, 0 rejections in 3 min, 40 items/min"
    assert f(1, first=False).workers == 1  # a count of 1 steps by one worker at least
    f.measure(1, cpu=5)
    assert f.proposals[-1].workers == 2


def test_the_gain_of_the_last_step_is_reported_and_required() -> None:
    f = feed()
    f.measure(4, cpu=20, rate=40)
    gained = f.measure(6, cpu=30, rate=59.2)  # +48 %
    assert gained.reason == (
        "6 → 9: CPU 30% < 70%, 0 rejections in 3 min, +48% items/min after the last step"
    )
    flat = f.measure(9, cpu=40, rate=62)  # +5 % where +50 % was due
    assert (flat.workers, flat.rule) == (9, "no_gain")
    assert (
        flat.reason == "holding 9: +5% items/min after the last step, more workers would not help"
    )
    assert f.policy.known_limits(f.minute * 60) == {10: "no_gain"}


def test_cpu_limits_the_step_by_the_cpu_each_worker_adds() -> None:
    f = feed(target_cpu=70)
    f.measure(4, cpu=26, rate=40)  # 2 % idle + 6 % a worker
    assert f.proposals[-1].workers == 6
    up = f.measure(6, cpu=38, rate=60)
    assert up.workers == 9  # 38 + 3 x 6 = 56
    up = f.measure(9, cpu=56, rate=90)
    assert up.workers == 11  # 56 + 2 x 6 = 68, a third worker would pass 70
    held = f.measure(11, cpu=68, rate=110)
    assert (held.workers, held.rule) == (11, "cpu")
    assert held.reason.startswith(
        "holding 11: one more worker would take CPU from 68% to 74% (> 70%); 0 rejections"
    )


def test_cpu_between_target_and_band_holds_and_above_the_band_steps_down() -> None:
    f = feed(target_cpu=70, cpu_band=10)
    f.measure(10, cpu=75, rate=100)
    assert f.proposals[-1].rule == "cpu"  # no room, but no pressure either
    assert f.proposals[-1].workers == 10
    held = f(10, cpu=90, rate=100)  # one hot minute: (75 + 75 + 90) / 3 = 80, not above
    assert (held.workers, held.rule) == (10, "cpu")
    down = f(10, cpu=90, rate=100)
    assert (down.rule, down.workers) == ("cpu", 8)
    assert down.reason == "10 → 8: CPU 85% > 80% (8.5% CPU a worker)"


def test_rejections_step_down_to_what_the_target_ran() -> None:
    f = feed()
    f(20, first=True)
    down = f(20, rejected=60, completed=40)  # it ran 40 % of the tasks
    assert (down.workers, down.rule) == (10, "rejections")  # 8 wanted, at most -50 % at once
    assert down.reason == (
        "20 → 10: 60 write rejections in 60 s (the target ran 40% of the write tasks)"
    )
    assert down.facts["estimate"] == 8
    # The estimate marks 9 as too many too: 10 is left for 8, and 8 is never left upwards.
    f(10, settled=False, running=12)
    f(10, rejected=30, completed=70)  # the first interval after a step down: queue draining
    assert f.proposals[-1].rule == "cooldown"
    down = f(10, rejected=20, completed=80)
    assert (down.workers, down.rule) == (8, "rejections")
    for _ in range(10):
        held = f(8, rejected=0, cpu=40)
    assert held.workers == 8
    assert held.rule == "limit"
    assert held.reason.startswith("holding 8: 9 workers were too many (estimate)")


def test_counts_found_too_many_are_probed_again_later_and_less_often() -> None:
    f = feed(forget_after=600, cooldown=60)
    f(5, first=True)
    f(5, cpu=20, rate=50)
    assert f.proposals[-1].workers == 7
    f(7, settled=False)
    assert f(7, rejected=5, completed=None, rate=60).workers == 6  # a step down by one
    f(6, settled=False)
    assert f(6, rate=60).workers == 6
    probes = []
    for _ in range(40):
        proposal = f(6, rate=60)
        if proposal.workers != 6:
            probes.append(f.minute)
            f(7, settled=False)
            f(7, rejected=3, completed=None, rate=60)  # still too many
            f(6, settled=False)
    # The memory of 7 lapses after 10 minutes, then after 20 (doubled).
    assert len(probes) == 2
    assert probes[1] - probes[0] > 20


def test_a_falling_throughput_after_a_step_up_is_pressure() -> None:
    f = feed(cooldown=120)
    f.measure(4, cpu=20, rate=40)
    assert f.proposals[-1].workers == 6
    f(6, settled=False)
    f(6, cpu=30, rate=30)
    down = f(6, cpu=30, rate=30)
    assert (down.workers, down.rule) == (4, "throughput")
    assert "-25% items/min since 4 workers" in down.reason


def test_a_growing_write_queue_is_pressure_before_any_rejection() -> None:
    f = feed()
    f(9, first=True)
    f(9, queue=1)
    f(9, queue=3)
    down = f(9, queue=5)
    assert down.rule == "queue"
    assert down.reason.startswith("9 → 8: write queue growing 1 → 3 → 5")


def test_a_full_queue_is_pressure_but_a_draining_one_is_not() -> None:
    f = feed(max_write_queue=10)
    f(12, first=True)
    full = f(12, queue=50)
    assert (full.workers, full.rule, full.reason) == (11, "queue", "12 → 11: write queue 50 > 10")
    f(11, settled=False)
    draining = [f(11, queue=q) for q in (40, 30, 20, 9)]
    assert [p.workers for p in draining] == [11, 11, 11, 11]  # no further step down
    assert [p.rule for p in draining] == ["cooldown", "cooldown", "limit", "limit"]


def test_at_the_minimum_pressure_holds() -> None:
    f = Feed(TargetHealthPolicy(min_workers=2))
    f(2, first=True)
    held = f(2, rejected=10)
    assert (held.workers, held.rule) == (2, "at_min")


def test_no_step_up_while_a_queue_left_by_a_larger_count_drains() -> None:
    f = feed(max_write_queue=10)
    f(12, first=True)
    f(12, queue=2)
    f(6, settled=False)  # scaled down by someone else
    assert [f(6, queue=q).rule for q in (30, 25, 20)] == ["cooldown", "cooldown", "draining"]
    assert f.proposals[-1].reason.startswith("holding 6: write queue 20 > 10, draining")
    assert f(6, queue=3).rule == "headroom"


def test_without_figures_to_size_them_cuts_bisect() -> None:
    f = feed()
    f(20, first=True)
    first = f(20, rejected=20, completed=None)  # no completed count: no estimate
    assert (first.workers, first.reason) == (10, "20 → 10: 20 write rejections in 60 s")
    f(10, settled=False)
    f(10, rejected=9, completed=None)  # the queue the 20 workers filled, draining
    second = f(10, rejected=5, completed=None)
    assert (second.workers, second.rule) == (8, "rejections")  # half as far: -25 %
    f(8, settled=False)
    third = f(8, rejected=2, completed=None)
    assert third.rule == "cooldown"
    fourth = f(8, rejected=1, completed=None)
    assert fourth.workers == 7  # -12.5 %, at least one worker


def test_an_empty_pressure_reading_is_no_reading() -> None:
    policy = TargetHealthPolicy()
    observation = Observation(
        START,
        60.0,
        60.0,
        WorkerCounts(4, 0, 4, 0),
        True,
        Progress(40.0),
        Pressure(source="prometheus"),
    )
    proposal = policy.decide(observation)
    assert (proposal.workers, proposal.rule) == (4, "no_data")
    assert proposal.reason == "no pressure figures from prometheus yet"
