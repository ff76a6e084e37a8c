"""The default scaling policy, :class:`TargetHealthPolicy`: from one :class:`Observation` to a
worker count and the reason for it.

Its rules, in order (``docs/guides/autoscaling.md`` has the maths):

1. Hold while something is unknown: no worker counts, a paused backfill (0 desired), no
   pressure figures, or workers still starting or stopping; stop when the work is done.
2. Keep the count within ``[min_workers, max_workers]``.
3. **Pressure** on the current count (judged on every settled interval, so it reacts within
   one period): write rejections above ``rejection_tolerance`` in ``rejection_window``, CPU
   above ``target_cpu + cpu_band``, a write queue over ``max_write_queue`` that is not
   shrinking or one growing at each of the last three readings, or, once measured for
   ``cooldown``, throughput more than ``throughput_drop`` below the smaller count it came
   from. After a step down, the first interval's rejections and a shrinking queue are the
   larger count's queue draining and do not count. The count is remembered as too many, and
   the workers go down to the best estimate of what the target absorbs (at most
   ``max_step_down`` of them at once; without an estimate, cuts in a row bisect).
4. **Cool-down**: a count is judged good only after ``cooldown`` seconds of settled
   intervals without pressure.
5. **Gain**: after a step up, the throughput must rise by at least ``min_gain`` of the
   proportional rise; else more workers would not help and the count stays.
6. **Headroom**: step up by at most ``max_step_up`` (a share of the count, at least one
   worker), no further than the CPU the step is predicted to add allows (``target_cpu``), not
   while a queue left by a larger count drains, and never to a count remembered as too many.

Counts found too many are remembered for ``forget_after`` seconds, twice as long each time
the same count is found too many again, so the policy probes a limit again only rarely; a
target that got faster is found again after that time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ._observation import Observation
from ._policy import Proposal

__all__ = ["TargetHealthPolicy"]

_SATURATED_CPU = 95.0  # CPU readings above this say little about how CPU grows with workers


@dataclass
class _Sample:
    """One settled interval at the current count."""

    end: float
    length: float
    per_minute: float | None
    cpu: float | None
    queue: int | None
    rejected: int
    completed: int | None


@dataclass
class _Verdict:
    """What the policy learnt about one worker count."""

    good: bool
    rule: str
    at: float
    expires: float
    per_minute: float | None = None
    cpu: float | None = None
    strikes: int = 1


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _duration(seconds: float) -> str:
    if seconds >= 90:
        minutes = seconds / 60
        return f"{minutes:.0f} min" if minutes == round(minutes) else f"{minutes:.1f} min"
    return f"{seconds:.0f} s"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}%"


class TargetHealthPolicy:
    """The default policy: as many workers as raise throughput while the target keeps up.

    See the module documentation for the rules and ``docs/guides/autoscaling.md`` for the
    maths and how to choose the knobs.

    Args:
        min_workers: Fewest workers (at least 1).
        max_workers: Most workers.
        target_cpu: CPU percent of the busiest target node that steps up must not exceed.
        cpu_band: Hysteresis: CPU must exceed ``target_cpu + cpu_band`` to count as pressure.
        rejection_tolerance: Write rejections tolerated in ``rejection_window``.
        rejection_window: Seconds of settled intervals the rejections are counted over.
        max_write_queue: Longest write queue that still leaves room for more workers.
        cooldown: Seconds a count must be measured without pressure before a step up.
        max_step_up: Largest step up, as a share of the current count (at least 1 worker).
        max_step_down: Largest step down, as a share of the current count (at least 1).
        min_gain: Share of the proportional throughput rise a step up must bring.
        throughput_drop: Share by which throughput may fall below that of the smaller count
            before the larger one counts as too many.
        forget_after: Seconds a count found too many is avoided (doubling each time it is
            found too many again).
    """

    def __init__(
        self,
        *,
        min_workers: int = 1,
        max_workers: int = 20,
        target_cpu: float = 70.0,
        cpu_band: float = 10.0,
        rejection_tolerance: int = 0,
        rejection_window: float = 300.0,
        max_write_queue: int = 10,
        cooldown: float = 180.0,
        max_step_up: float = 0.5,
        max_step_down: float = 0.5,
        min_gain: float = 0.3,
        throughput_drop: float = 0.1,
        forget_after: float = 1800.0,
    ) -> None:
        if isinstance(min_workers, bool) or not isinstance(min_workers, int) or min_workers < 1:
            raise ValueError(f"min_workers must be an int >= 1, not {min_workers!r}")
        if isinstance(max_workers, bool) or not isinstance(max_workers, int):
            raise ValueError(f"max_workers must be an int, not {max_workers!r}")
        if max_workers < min_workers:
            raise ValueError(f"max_workers ({max_workers}) is below min_workers ({min_workers})")
        if not 0 < target_cpu <= 100 or cpu_band < 0:
            raise ValueError("target_cpu must be in (0, 100] and cpu_band >= 0")
        if rejection_tolerance < 0 or rejection_window <= 0 or max_write_queue < 0:
            raise ValueError("rejection_tolerance and max_write_queue must be >= 0, the window > 0")
        if cooldown < 0 or forget_after <= 0:
            raise ValueError("cooldown must be >= 0 and forget_after > 0")
        if not 0 < max_step_up <= 10 or not 0 < max_step_down < 1:
            raise ValueError("max_step_up must be in (0, 10] and max_step_down in (0, 1)")
        if not 0 <= min_gain <= 1 or not 0 <= throughput_drop < 1:
            raise ValueError("min_gain must be in [0, 1] and throughput_drop in [0, 1)")
        self._min = min_workers
        self._max = max_workers
        self.target_cpu = float(target_cpu)
        self.cpu_band = float(cpu_band)
        self.rejection_tolerance = rejection_tolerance
        self.rejection_window = float(rejection_window)
        self.max_write_queue = max_write_queue
        self.cooldown = float(cooldown)
        self.max_step_up = float(max_step_up)
        self.max_step_down = float(max_step_down)
        self.min_gain = float(min_gain)
        self.throughput_drop = float(throughput_drop)
        self.forget_after = float(forget_after)
        self._count: int | None = None
        self._last_step: tuple[int, int] | None = None  # (from, to) of the last change seen
        self._samples: list[_Sample] = []
        self._verdicts: dict[int, _Verdict] = {}
        self._blind_cuts = 0  # steps down in a row made without an estimate

    def __repr__(self) -> str:
        return (
            f"TargetHealthPolicy(min_workers={self._min}, max_workers={self._max}, "
            f"target_cpu={self.target_cpu:g})"
        )

    @property
    def min_workers(self) -> int:
        """The fewest workers it asks for."""
        return self._min

    @property
    def max_workers(self) -> int:
        """The most workers it asks for."""
        return self._max

    def describe(self) -> dict[str, Any]:
        """The settings as JSON-ready data."""
        return {
            "policy": type(self).__name__,
            "min_workers": self._min,
            "max_workers": self._max,
            "target_cpu": self.target_cpu,
            "cpu_band": self.cpu_band,
            "rejection_tolerance": self.rejection_tolerance,
            "rejection_window": self.rejection_window,
            "max_write_queue": self.max_write_queue,
            "cooldown": self.cooldown,
            "max_step_up": self.max_step_up,
            "max_step_down": self.max_step_down,
            "min_gain": self.min_gain,
            "throughput_drop": self.throughput_drop,
            "forget_after": self.forget_after,
        }

    def known_limits(self, now: float) -> dict[int, str]:
        """The counts currently remembered as too many, with why (for displays and tests)."""
        return {
            count: v.rule
            for count, v in sorted(self._verdicts.items())
            if not v.good and v.expires > now
        }

    # -- the decision --------------------------------------------------------------------------

    def decide(self, observation: Observation) -> Proposal:
        counts = observation.workers
        if counts is None:
            return self._hold(None, "no_data", "worker counts unknown: " + _errors(observation))
        n = counts.desired
        now = observation.elapsed
        if n != self._count:
            if self._count is not None:
                self._last_step = (self._count, n)
            self._count = n
            self._samples = []
        progress = observation.progress
        if progress is not None and progress.remaining == 0:
            return self._hold(n, "complete", "the backfill is complete: every work item is done")
        if n == 0:
            return self._hold(
                0, "paused", "no workers desired (paused or not started): nothing to scale"
            )
        if n < self._min:
            return Proposal(
                self._min, "min", f"{n} → {self._min}: below the minimum of {self._min}"
            )
        if n > self._max:
            return Proposal(
                self._max, "max", f"{n} → {self._max}: above the maximum of {self._max}"
            )
        pressure = observation.pressure
        if pressure is None:
            return self._hold(n, "no_data", "no pressure figures: " + _errors(observation))
        if (pressure.cpu_percent, pressure.write_queue, pressure.write_rejected) == (None,) * 3:
            # Scaling on an empty reading would be scaling blind.
            return self._hold(
                n, "no_data", f"no pressure figures from {pressure.source or 'the source'} yet"
            )
        if observation.interval is None:
            return self._hold(
                n, "first", f"first reading: {n} workers, judged from the next period on"
            )
        if not observation.settled:
            return self._hold(
                n,
                "settling",
                f"waiting for the workers to settle: {counts.running} running, "
                f"{counts.pending} pending, {counts.terminating} terminating of {n}",
            )
        self._samples.append(
            _Sample(
                end=now,
                length=observation.interval,
                per_minute=progress.per_minute if progress is not None else None,
                cpu=pressure.cpu_percent,
                queue=pressure.write_queue,
                rejected=pressure.write_rejected or 0,
                completed=pressure.write_completed,
            )
        )
        return self._judge(n, now, observation)

    def _judge(self, n: int, now: float, observation: Observation) -> Proposal:
        unit = observation.progress.unit if observation.progress is not None else "items"
        window = [s for s in self._samples if s.end > now - self.rejection_window]
        # Levels (CPU, throughput) are averaged over the cool-down: the count's measurement.
        recent = [s for s in self._samples if s.end > now - self.cooldown] or self._samples[-1:]
        measured = sum(s.length for s in self._samples)
        counted = window
        if self._stepped_down() and self._samples and window and window[0] is self._samples[0]:
            # The first interval after a step down still sees the larger count's full queue
            # drain: its rejections say nothing about this count.
            counted = window[1:]
        rejected = sum(s.rejected for s in counted)
        cpu = _mean([s.cpu for s in recent if s.cpu is not None])
        rate = _mean([s.per_minute for s in recent if s.per_minute is not None])
        facts: dict[str, Any] = {
            "workers": n,
            "cpu_percent": cpu,
            "target_cpu": self.target_cpu,
            "rejections": rejected,
            "window_seconds": min(measured, self.rejection_window),
            "per_minute": rate,
            "unit": unit,
            "write_queue": self._samples[-1].queue,
        }
        span = _duration(min(measured, self.rejection_window))
        if rejected > self.rejection_tolerance:
            return self._too_many(
                n, now, "rejections", f"{rejected} write rejections in {span}", counted, facts
            )
        if cpu is not None and cpu > self.target_cpu + self.cpu_band:
            limit = self.target_cpu + self.cpu_band
            return self._too_many(n, now, "cpu", f"CPU {cpu:.0f}% > {limit:.0f}%", recent, facts)
        queued = self._queue_pressure()
        if queued is not None:
            return self._too_many(n, now, "queue", queued, recent, facts)
        before = self._step_from()
        if before is not None and measured >= self.cooldown and rate is not None:
            previous = self._verdicts.get(before)
            if (
                previous is not None
                and previous.good
                and previous.per_minute
                and rate < previous.per_minute * (1 - self.throughput_drop)
            ):
                change = rate / previous.per_minute - 1
                return self._too_many(
                    n,
                    now,
                    "throughput",
                    f"{change:+.0%} {unit}/min since {before} workers",
                    recent,
                    facts,
                )
        if measured < self.cooldown:
            return self._hold(
                n,
                "cooldown",
                f"measuring {n} workers: {_duration(measured)} of {_duration(self.cooldown)}, "
                f"CPU {_pct(cpu)}, {rejected} rejections",
                facts,
            )
        self._remember(n, now, good=True, rule="measured", per_minute=rate, cpu=cpu)
        self._blind_cuts = 0
        gain_text, plateau = self._gain(n, rate, unit, facts)
        if plateau:
            self._remember(n + 1, now, good=False, rule="no_gain")
            return self._hold(
                n, "no_gain", f"holding {n}: {gain_text}, more workers would not help", facts
            )
        return self._headroom(n, now, cpu, rejected, span, gain_text, facts)

    def _gain(
        self, n: int, rate: float | None, unit: str, facts: dict[str, Any]
    ) -> tuple[str, bool]:
        before = self._step_from()
        previous = self._verdicts.get(before) if before is not None else None
        if before is None or previous is None or not previous.per_minute or rate is None:
            return (f"{rate:.0f} {unit}/min" if rate is not None else f"? {unit}/min"), False
        gain = rate / previous.per_minute - 1
        expected = n / before - 1
        facts["gain"] = gain
        facts["expected_gain"] = expected
        text = f"{gain:+.0%} {unit}/min after the last step"
        return text, gain < self.min_gain * expected

    def _headroom(
        self,
        n: int,
        now: float,
        cpu: float | None,
        rejected: int,
        span: str,
        gain_text: str,
        facts: dict[str, Any],
    ) -> Proposal:
        step = max(1, math.floor(n * self.max_step_up))
        limits: list[tuple[int, str, str]] = [
            (n + step, "step", f"steps of at most +{self.max_step_up:.0%}"),
            (self._max, "max", f"the maximum of {self._max}"),
        ]
        ceiling = self._ceiling(n, now)
        if ceiling is not None:
            verdict = self._verdicts[ceiling]
            limits.append(
                (ceiling - 1, "limit", f"{ceiling} workers were too many ({verdict.rule})")
            )
        slope = self._slope(n, cpu)
        if cpu is not None and slope is not None:
            room = math.floor((self.target_cpu - cpu) / slope + 1e-9)
            facts["cpu_per_worker"] = slope
            limits.append(
                (
                    n + max(0, room),
                    "cpu",
                    f"one more worker would take CPU from {cpu:.0f}% to {cpu + slope:.0f}% "
                    f"(> {self.target_cpu:.0f}%)",
                )
            )
        queue = facts.get("write_queue")
        if queue is not None and queue > self.max_write_queue:
            # Only a draining queue gets here (a full one is pressure): no room until it is.
            limits.append(
                (n, "draining", f"write queue {queue} > {self.max_write_queue}, draining")
            )
        wanted, rule, why = min(limits, key=lambda limit: limit[0])
        rest = f"{rejected} rejections in {span}, {gain_text}"
        cpu_text = f"CPU {_pct(cpu)} < {self.target_cpu:.0f}%" if cpu is not None else "CPU ?"
        if wanted > n:
            return Proposal(wanted, "headroom", f"{n} → {wanted}: {cpu_text}, {rest}", facts)
        summary = rest if rule == "cpu" else f"{cpu_text}, {rest}"
        return self._hold(n, rule, f"holding {n}: {why}; {summary}", facts)

    # -- pressure ------------------------------------------------------------------------------

    def _too_many(
        self,
        n: int,
        now: float,
        rule: str,
        why: str,
        window: list[_Sample],
        facts: dict[str, Any],
    ) -> Proposal:
        rate = _mean([s.per_minute for s in window if s.per_minute is not None])
        cpu = _mean([s.cpu for s in window if s.cpu is not None])
        self._remember(n, now, good=False, rule=rule, per_minute=rate, cpu=cpu)
        if n <= self._min:
            return self._hold(
                n, "at_min", f"holding {n} (the minimum) under pressure: {why}", facts
            )
        estimate, how = self._estimate(n, rule, window, rate, cpu)
        good_below = [c for c, v in self._verdicts.items() if v.good and c < n and v.expires > now]
        if estimate is not None and estimate + 1 < n and estimate >= max(good_below, default=0):
            # Nothing measured contradicts the estimate: counts above it are too many too.
            self._remember(estimate + 1, now, good=False, rule="estimate")
        if estimate is None:
            # Without figures to size the cut: a slowly filling queue is a mild excess (one
            # worker less); otherwise bisect: the first cut goes as far as a step down may,
            # each further one in a row half as far.
            share = self.max_step_down / 2**self._blind_cuts
            self._blind_cuts += 1
            fallback = n - 1 if rule == "queue" else n - max(1, math.floor(n * share))
            wanted = max(good_below) if good_below else fallback
        else:
            wanted = max(estimate, *good_below) if good_below else estimate
        floor = n - max(1, math.floor(n * self.max_step_down))
        wanted = max(min(wanted, n - 1), floor, self._min)
        facts["estimate"] = estimate
        detail = f" ({how})" if how else ""
        return Proposal(wanted, rule, f"{n} → {wanted}: {why}{detail}", facts)

    def _estimate(
        self,
        n: int,
        rule: str,
        window: list[_Sample],
        rate: float | None,
        cpu: float | None,
    ) -> tuple[int | None, str]:
        """How many workers the target absorbs, from what it did under ``n`` of them."""
        estimates: list[tuple[int, str]] = []
        rejected = sum(s.rejected for s in window)
        completed = [s.completed for s in window if s.completed is not None]
        if rejected and completed:
            share = sum(completed) / (sum(completed) + rejected)
            estimates.append(
                (math.floor(n * share), f"the target ran {share:.0%} of the write tasks")
            )
        if rule == "cpu" and cpu is not None:
            slope = self._slope(n, cpu, for_down=True)
            if slope:
                excess = math.ceil((cpu - self.target_cpu) / slope - 1e-9)
                estimates.append((n - excess, f"{slope:.1f}% CPU a worker"))
        per_worker = self._rate_per_worker()
        if rate is not None and per_worker:
            absorbed = math.floor(rate / per_worker + 1e-9)
            estimates.append((absorbed, f"it absorbs {absorbed} workers' worth"))
        if not estimates:
            return None, ""
        return min(estimates)

    def _queue_pressure(self) -> str | None:
        """Why the write queue says the target falls behind, if it does.

        A queue over ``max_write_queue`` that is not shrinking (a shrinking one drains what a
        larger count queued), or one that grew at each of the last three readings: the
        target receives more than it indexes, before any rejection.
        """
        queues = [s.queue for s in self._samples[-3:] if s.queue is not None]
        if not queues:
            return None
        latest = queues[-1]
        shrinking = len(queues) >= 2 and latest < queues[-2]
        first_after_down = len(queues) == 1 and self._stepped_down()
        if latest > self.max_write_queue and not shrinking and not first_after_down:
            return f"write queue {latest} > {self.max_write_queue}"
        if len(queues) == 3 and queues[0] < queues[1] < queues[2] and queues[2] >= queues[0] + 2:
            return "write queue growing " + " → ".join(str(q) for q in queues)
        return None

    def _rate_per_worker(self) -> float | None:
        """Throughput per worker at the counts measured good (their median: one noisy
        measurement does not skew the estimates made from it)."""
        rates = sorted(
            v.per_minute / count
            for count, v in self._verdicts.items()
            if v.good and v.per_minute and count > 0
        )
        if not rates:
            return None
        middle = len(rates) // 2
        return rates[middle] if len(rates) % 2 else (rates[middle - 1] + rates[middle]) / 2

    # -- memory --------------------------------------------------------------------------------

    def _step_from(self) -> int | None:
        """The smaller count the workers last stepped up from, if the last change was up."""
        if self._last_step is None:
            return None
        before, after = self._last_step
        return before if 0 < before < after else None

    def _stepped_down(self) -> bool:
        return self._last_step is not None and self._last_step[1] < self._last_step[0]

    def _ceiling(self, n: int, now: float) -> int | None:
        above = [c for c, v in self._verdicts.items() if not v.good and c > n and v.expires > now]
        return min(above) if above else None

    def _slope(self, n: int, cpu: float | None, *, for_down: bool = False) -> float | None:
        """CPU percent one more worker adds, from the CPU measured at different counts."""
        points = {
            count: v.cpu
            for count, v in self._verdicts.items()
            if v.cpu is not None and v.cpu < _SATURATED_CPU and count > 0
        }
        if cpu is not None and cpu < _SATURATED_CPU:
            points[n] = cpu
        proportional = cpu / n if cpu is not None and n > 0 and cpu > 0 else None
        nearest = sorted(points, key=lambda c: (abs(c - n), c))[:2]
        if len(nearest) == 2 and nearest[0] != nearest[1]:
            a, b = sorted(nearest)
            fitted = (points[b] - points[a]) / (b - a)
            if fitted > 0:
                if for_down and proportional is not None:
                    return min(fitted, proportional)
                return fitted
        return proportional

    def _remember(
        self,
        count: int,
        now: float,
        *,
        good: bool,
        rule: str,
        per_minute: float | None = None,
        cpu: float | None = None,
    ) -> None:
        old = self._verdicts.get(count)
        strikes = 1
        if not good and old is not None and not old.good:
            # Found too many again after the memory of it lapsed: avoid it twice as long.
            strikes = old.strikes + (1 if old.expires <= now else 0)
        if good and old is not None and not old.good and old.expires > now:
            return  # a count still remembered as too many is not cleared by a calm moment
        self._verdicts[count] = _Verdict(
            good=good,
            rule=rule,
            at=now,
            expires=now + self.forget_after * 2 ** (strikes - 1),
            per_minute=per_minute if per_minute is not None else (old.per_minute if old else None),
            cpu=cpu if cpu is not None else (old.cpu if old else None),
            strikes=strikes,
        )

    def _hold(
        self, n: int | None, rule: str, reason: str, facts: dict[str, Any] | None = None
    ) -> Proposal:
        return Proposal(n, rule, reason, dict(facts or {}))


def _errors(observation: Observation) -> str:
    return "; ".join(observation.errors) or "not reported"
