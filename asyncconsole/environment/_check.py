"""``Environment.check()``: every component's health check at once, through the orchestrator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from .._clock import Clock
from .._errors import ConfigError

if TYPE_CHECKING:
    from ..orchestrator import Event, Outcome, Report

__all__ = ["DEFAULT_CHECK_TIMEOUT", "run_checks"]

DEFAULT_CHECK_TIMEOUT = 10.0
"""Seconds each component's check may take before it is reported ``timed_out``."""

Check = Callable[[], Awaitable[str]]


def _detail(outcome: Outcome) -> str | None:
    # A check returns its one-line detail; failures keep the error's one-liner, except a
    # ConfigError (e.g. no kubeconfig when opening), whose reasons follow its first line.
    if outcome.ok and outcome.value is not None:
        return str(outcome.value)
    error = outcome.error
    if isinstance(error, ConfigError) and error.issues:
        reasons = "; ".join(str(issue) for issue in error.issues)
        return f"{type(error).__name__}: {error.summary} ({reasons})"
    return None


async def run_checks(
    checks: Mapping[str, Check],
    *,
    timeout: float | None = DEFAULT_CHECK_TIMEOUT,  # noqa: ASYNC109 (per-check, as in Orchestrator)
    max_concurrency: int | None = None,
    clock: Clock | None = None,
    on_event: Callable[[Event], object] | None = None,
    title: str | None = None,
) -> Report:
    """Run ``checks`` concurrently (no fail-fast) and report each one's outcome.

    Args:
        checks: Component name → zero-argument coroutine function returning a detail line.
        timeout: Seconds each check may take (``None``: no limit).
        max_concurrency: Most checks running at once (``None``: all).
        clock: Time source for durations.
        on_event: Progress callback (``started`` / ``finished`` events).
        title: Title of the report's table.

    Returns:
        The report, in the order of ``checks``; an ``ok`` outcome's detail is what its check
        returned, a failed one's the error's one-line description.
    """
    from ..orchestrator import Orchestrator, Report

    async with Orchestrator(
        max_concurrency=max_concurrency, clock=clock, on_event=on_event, details=_detail
    ) as orch:
        for name, check in checks.items():
            orch.submit(name, check, timeout=timeout)
    return Report(orch.outcomes, title=title)
