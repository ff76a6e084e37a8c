"""One log event (and, with OpenTelemetry installed, one span) per infrastructure call.

asyncconsole logs with the stdlib ``logging`` module under the ``asyncconsole`` logger tree so
applications keep control of handlers and levels. Events carry structured ``extra`` fields
(``operation``, ``target``, ``duration``, ``outcome``) for JSON formatters. Values passed here
must already be free of secrets: pass :class:`~asyncconsole._secret.Secret` objects, never
plain passwords (they format as ``********``).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

__all__ = ["observe", "tracer", "tracing_enabled"]

_tracer: Any = None
_tracer_checked = False


def tracer() -> Any:
    """The OpenTelemetry tracer for asyncconsole, or ``None`` when OpenTelemetry is absent."""
    global _tracer, _tracer_checked
    if not _tracer_checked:
        _tracer_checked = True
        try:
            from opentelemetry import trace
        except ImportError:
            _tracer = None
        else:
            _tracer = trace.get_tracer("asyncconsole")
    return _tracer


def tracing_enabled() -> bool:
    """Whether spans would be recorded: OpenTelemetry is installed and a tracer provider is set.

    Without a provider OpenTelemetry only hands out non-recording spans, so skipping them keeps
    the cost of an unconfigured install at zero. This sits on every infrastructure call's path,
    so the answer is cached: "yes" for good (OpenTelemetry's global provider can be set only
    once), "no" re-checked at most once a second so a provider set later is still honoured.
    """
    if _tracing_state[0]:
        return True
    now = time.monotonic()
    if now - _tracing_state[1] < 1.0:
        return False
    _tracing_state[1] = now
    if "opentelemetry.trace" not in sys.modules:
        # No one set a provider without importing OpenTelemetry: do not pay its import (a CLI
        # command's start) to learn that nothing records.
        return False
    t = tracer()
    if t is None:
        return False
    from opentelemetry import trace

    if isinstance(t, trace.ProxyTracer):
        provider = trace.get_tracer_provider()
        enabled = not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)
    else:
        enabled = not isinstance(t, trace.NoOpTracer)
    _tracing_state[0] = enabled
    return enabled


_tracing_state: list[Any] = [False, float("-inf")]  # [enabled, monotonic time of the last check]


@contextmanager
def _span(name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    if not tracing_enabled():
        yield None
        return
    t = tracer()
    # observe() records the exception and sets the status itself (also for cancellation);
    # OpenTelemetry doing it too would record every error twice.
    with t.start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        yield span


@asynccontextmanager
async def observe(
    logger: logging.Logger,
    operation: str,
    target: str,
    **attributes: Any,
) -> AsyncIterator[dict[str, Any]]:
    """Time the block; log one event with its outcome; wrap it in a span when tracing is on.

    Yields a dict the block may add attributes to (``status`` for HTTP, ``exit_code``...).
    """
    info: dict[str, Any] = {}
    attrs = {"asyncconsole.operation": operation, "asyncconsole.target": target}
    attrs.update({f"asyncconsole.{k}": _plain(v) for k, v in attributes.items()})
    started = time.perf_counter()
    outcome = "ok"
    with _span(operation, attrs) as span:
        try:
            yield info
        except BaseException as exc:
            outcome = (
                "cancelled" if isinstance(exc, _cancelled()) else f"error: {type(exc).__name__}"
            )
            if span is not None:
                span.record_exception(exc)
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            duration = time.perf_counter() - started
            if span is not None:
                for k, v in info.items():
                    span.set_attribute(f"asyncconsole.{k}", _plain(v))
            if logger.isEnabledFor(logging.DEBUG if outcome == "ok" else logging.INFO):
                extra = {
                    "operation": operation,
                    "target": target,
                    "duration": duration,
                    "outcome": outcome,
                    **attributes,
                    **info,
                }
                logger.log(
                    logging.DEBUG if outcome == "ok" else logging.INFO,
                    "%s %s -> %s in %.3fs%s",
                    operation,
                    target,
                    outcome,
                    duration,
                    "".join(f" {k}={v}" for k, v in info.items()),
                    extra={"asyncconsole": extra},
                )


def _cancelled() -> type[BaseException]:
    import asyncio

    return asyncio.CancelledError


def _plain(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    return str(value)
