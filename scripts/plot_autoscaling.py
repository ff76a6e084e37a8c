"""Draw the autoscaling guide's plot from a simulated run, and write the run's trace beside it.

    python scripts/plot_autoscaling.py            # writes docs/guides/autoscaling-run.{png,csv}

Two runs of the convergence tests' scenario (``tests/autoscale_scenario.py``): a target that
indexes 5 documents per second, workers that offer 0.6 each, so 8 workers is the most it
absorbs; one run starts with 2 workers, one with 20. For each: the workers (desired and
running), the work items completed per minute, and the target's CPU and write rejections, per
one-minute period. ``tests/unit/test_autoscale_plot.py`` checks that the committed trace is
still what the code produces.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.autoscale_scenario import Run, Scenario, simulate  # noqa: E402

PNG = ROOT / "docs" / "guides" / "autoscaling-run.png"
CSV = ROOT / "docs" / "guides" / "autoscaling-run.csv"
STARTS = (2, 20)
PERIODS = 30
COLUMNS = (
    "start",
    "minute",
    "desired",
    "running",
    "items_per_minute",
    "cpu_percent",
    "write_rejections",
    "write_queue",
    "action",
    "reason",
)


async def runs() -> list[Run]:
    """The two simulated runs, from too few and from too many workers."""
    return [await simulate(Scenario(start_workers=n, periods=PERIODS)) for n in STARTS]


def trace_csv(made: list[Run]) -> str:
    """The runs' traces as CSV text (one row per period)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for run in made:
        for period in run.trace:
            decision = period.decision
            writer.writerow(
                [
                    run.scenario.start_workers,
                    f"{period.elapsed / 60:g}",
                    period.desired,
                    period.running,
                    "" if period.per_minute is None else f"{period.per_minute:.1f}",
                    "" if period.cpu is None else f"{period.cpu:.0f}",
                    "" if period.rejected is None else period.rejected,
                    "" if period.queue is None else period.queue,
                    decision.action.value,
                    decision.reason,
                ]
            )
    return out.getvalue()


def draw(made: list[Run], path: Path) -> None:
    """Workers, throughput and target CPU over time, one column per run, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(
        3, len(made), figsize=(11, 7.5), sharex=True, sharey="row", constrained_layout=True
    )
    for column, run in enumerate(made):
        minutes = [p.elapsed / 60 for p in run.trace]
        best = run.scenario.best
        workers, throughput, cpu = axes[0][column], axes[1][column], axes[2][column]
        workers.step(minutes, [p.desired for p in run.trace], where="post", label="desired")
        workers.plot(minutes, [p.running for p in run.trace], "o", ms=3, label="running")
        workers.axhline(best, color="grey", ls=":", lw=1, label=f"best ({best})")
        workers.set_title(f"starting with {run.scenario.start_workers} workers")
        throughput.plot(minutes, [p.per_minute for p in run.trace], color="tab:green")
        throughput.axhline(
            run.scenario.capacity * 60 / run.scenario.docs_per_item,
            color="grey",
            ls=":",
            lw=1,
            label="target capacity",
        )
        cpu.plot(minutes, [p.cpu for p in run.trace], color="tab:red", label="CPU %")
        rejected = [(m, p.rejected) for m, p in zip(minutes, run.trace, strict=True) if p.rejected]
        if rejected:
            cpu.bar(
                [m for m, _ in rejected],
                [r for _, r in rejected],
                width=0.6,
                color="tab:orange",
                label="write rejections",
            )
        cpu.set_xlabel("minutes")
        for axis in (workers, throughput, cpu):
            axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("workers")
    axes[1][0].set_ylabel("work items / min")
    axes[2][0].set_ylabel("target CPU % · rejections")
    axes[0][-1].legend(loc="upper right", fontsize=8)
    axes[1][-1].legend(loc="lower right", fontsize=8)
    axes[2][-1].legend(loc="center right", fontsize=8)
    figure.suptitle("Autoscaled backfill against a target that absorbs 8 workers")
    figure.savefig(path, dpi=90)
    plt.close(figure)


def main() -> None:
    made = asyncio.run(runs())
    CSV.write_text(trace_csv(made), encoding="utf-8")
    draw(made, PNG)
    print(f"wrote {PNG.relative_to(ROOT)} and {CSV.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
