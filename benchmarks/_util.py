"""Shared helpers for benchmarks: medians of repeated runs and one printed ratio line."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable


async def median_seconds(fn: Callable[[], Awaitable[object]], *, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` runs of ``await fn()``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def report(name: str, ours: float, baseline: float, *, unit: str, budget: str, ok: bool) -> None:
    """Print one comparison: both figures, the ratio ours/baseline, the budget, and PASS/MISS."""
    ratio = ours / baseline if baseline else float("inf")
    verdict = "PASS" if ok else "MISS"
    print(
        f"{name}: asyncconsole {ours:.4g} {unit} | baseline {baseline:.4g} {unit} | "
        f"ratio {ratio:.3f} (budget {budget}) {verdict}",
        flush=True,
    )
