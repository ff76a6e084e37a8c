"""Reports, rendering (rich and HTML), the gather helper, logging and tracing of operations."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

import asyncconsole._observe as observe_module
from asyncconsole import (
    FakeClock,
    HttpError,
    OperationTimeoutError,
    Orchestrator,
    Outcome,
    OutcomeStatus,
    Report,
    RetryPolicy,
    gather_outcomes,
)
from asyncconsole.orchestrator import describe_error


def sample() -> Report:
    return Report(
        [
            Outcome("source", OutcomeStatus.OK, value=1, duration=0.0123, attempts=1),
            Outcome(
                "target <prod>",
                OutcomeStatus.FAILED,
                error=ValueError("bad & <ugly>\nsecond line"),
                duration=2.5,
                attempts=3,
                detail=describe_error(ValueError("bad & <ugly>\nsecond line")),
            ),
            Outcome("metrics", OutcomeStatus.TIMED_OUT, duration=125.0, attempts=1, detail="slow"),
            Outcome("kafka", OutcomeStatus.CANCELLED, detail="its dependency 'x' failed"),
        ],
        title="check",
    )


def render(renderable: Any, width: int = 120) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_report_is_a_mapping_with_the_cli_json_shape() -> None:
    report = sample()
    assert list(report) == ["source", "target <prod>", "metrics", "kafka"]
    assert len(report) == 4
    assert report["source"].status == "ok"
    assert report.outcomes["kafka"].status == "cancelled"
    assert not report.ok
    assert report.failed == ["target <prod>", "metrics", "kafka"]
    assert report.exit_code == 1
    assert report.to_dict() == {
        "components": {
            "source": {"status": "ok", "detail": "", "duration": 0.0123},
            "target <prod>": {
                "status": "failed",
                "detail": "ValueError: bad & <ugly>",
                "duration": 2.5,
            },
            "metrics": {"status": "timed_out", "detail": "slow", "duration": 125.0},
            "kafka": {
                "status": "cancelled",
                "detail": "its dependency 'x' failed",
                "duration": 0.0,
            },
        }
    }
    assert json.loads(report.to_json(indent=2)) == report.to_dict()
    assert repr(report).startswith("Report(source=ok, target <prod>=failed")
    empty = Report()
    assert empty.ok
    assert empty.exit_code == 0
    assert empty.to_dict() == {"components": {}}


def test_from_outcomes_sets_details_by_name_or_function() -> None:
    outcomes = {o.name: o for o in sample().values()}
    by_name = Report.from_outcomes(outcomes, details={"source": "green, 3 nodes"})
    assert by_name["source"].detail == "green, 3 nodes"
    assert by_name["metrics"].detail == "slow"  # untouched
    assert outcomes["source"].detail == ""  # outcomes are immutable: copies were made

    def detail(outcome: Outcome) -> str | None:
        return f"value {outcome.value}" if outcome.ok else None

    by_function = Report.from_outcomes(outcomes.values(), details=detail)
    assert by_function["source"].detail == "value 1"
    assert by_function["target <prod>"].detail == "ValueError: bad & <ugly>"


def test_describe_error_is_one_short_line() -> None:
    assert describe_error(None) == ""
    assert describe_error(KeyError()) == "KeyError"
    assert describe_error(RuntimeError("first\nsecond")) == "RuntimeError: first"
    long = describe_error(RuntimeError("x" * 500))
    assert len(long) == 200
    assert long.endswith("…")
    assert describe_error(OperationTimeoutError("no answer in 5s")) == "no answer in 5s"


def test_rich_table_shows_every_row_with_coloured_statuses() -> None:
    report = sample()
    text = render(report)
    assert "check" in text
    for needle in ("Name", "Status", "Duration", "Attempts", "Detail"):
        assert needle in text
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    assert "ok" in lines["source"]
    assert "12 ms" in lines["source"]
    assert "2.50 s" in lines["target <prod>"]
    assert "ValueError: bad & <ugly>" in lines["target <prod>"]
    assert "2m 05s" in lines["metrics"]
    assert "timed_out" in lines["metrics"]

    table = report.__rich__()
    assert isinstance(table, Table)
    styles = {}
    for cell in table.columns[1].cells:
        assert isinstance(cell, Text)
        styles[cell.plain] = str(cell.style)
    assert styles == {
        "ok": "bold green",
        "failed": "bold red",
        "timed_out": "bold yellow",
        "cancelled": "bold magenta",
    }
    single = render(report["source"])
    assert "source" in single
    assert "kafka" not in single


def test_html_table_escapes_every_value() -> None:
    page = sample()._repr_html_()
    assert page.startswith('<table class="asyncconsole-outcomes"><caption>check</caption>')
    assert "<td>target &lt;prod&gt;</td>" in page
    assert "ValueError: bad &amp; &lt;ugly&gt;" in page
    assert "<ugly>" not in page
    assert "<prod>" not in page
    assert page.count("<tr>") == 5  # header + 4 rows
    assert "color: #1a7f37" in page  # ok is green
    hostile = Report([Outcome('"><script>alert(1)</script>', OutcomeStatus.OK)])
    assert "<script>" not in hostile._repr_html_()
    assert "&lt;script&gt;" in hostile._repr_html_()
    assert "<td>source</td>" in sample()["source"]._repr_html_()


async def test_orchestrator_renders_live_state_and_its_report() -> None:
    gate = asyncio.Event()
    async with Orchestrator(max_concurrency=1) as orch:
        orch.submit("running", gate.wait)
        orch.submit("pending", asyncio.sleep, 0)
        orch.submit("waiting", asyncio.sleep, 0, after=["running"])
        await asyncio.sleep(0.001)
        live = render(orch)
        gate.set()
    rows = {line.split("│")[1].strip(): line for line in live.splitlines() if "│" in line}
    assert "running" in rows["running"].split("│")[2]
    assert "pending" in rows["pending"]
    assert "waiting" in rows["waiting"]
    assert "after running" in rows["waiting"]
    done = render(orch)
    assert done.count("ok") >= 3
    report = orch.report(details={"running": "opened"})
    assert report["running"].detail == "opened"
    assert "<td>running</td>" in orch._repr_html_()
    assert "<td>opened</td>" in report._repr_html_()


async def test_gather_outcomes_runs_everything_and_reports_all() -> None:
    clock = FakeClock()
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise HttpError("busy", method="GET", url="http://x/", status=503)
        return "second time"

    async def fail() -> None:
        raise RuntimeError("down")

    async def slow() -> None:
        await clock.sleep(3600)  # timeouts run on the orchestrator's (fake) clock

    operations: dict[str, Any] = {  # mixed kinds: mypy cannot join them unaided
        "flaky": flaky,
        "fail": fail,
        "slow": slow,
        "coro": asyncio.sleep(0, result="made earlier"),
        "partial": functools.partial(asyncio.sleep, 0, "bound"),
    }
    report = await gather_outcomes(
        operations,
        operation_timeout=1.0,
        retry=RetryPolicy(attempts=2, wait_jitter=0),
        clock=clock,
        title="all",
    )
    assert isinstance(report, Report)
    assert report.title == "all"
    assert list(report) == ["flaky", "fail", "slow", "coro", "partial"]
    assert {n: o.status.value for n, o in report.items()} == {
        "flaky": "ok",
        "fail": "failed",
        "slow": "timed_out",
        "coro": "ok",
        "partial": "ok",
    }
    assert report["flaky"].attempts == 2
    assert report["coro"].value == "made earlier"
    assert report["partial"].value == "bound"


async def test_gather_outcomes_accepts_a_list_and_limits_concurrency() -> None:
    running = peak = 0

    async def op() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1

    report = await gather_outcomes([op] * 10, max_concurrency=3)
    assert list(report) == [str(i) for i in range(10)]
    assert report.ok
    assert peak == 3


async def test_gather_outcomes_rejects_junk_before_running_anything() -> None:
    ran = False

    async def op() -> None:
        nonlocal ran
        ran = True

    coro = asyncio.sleep(0)  # closed for us: no "never awaited" warning
    with pytest.raises(TypeError, match="'bad'"):
        await gather_outcomes({"op": op, "coro": coro, "bad": 3})  # type: ignore[arg-type]
    assert not ran


async def test_gather_outcomes_fail_fast_raises() -> None:
    async def fail() -> None:
        raise RuntimeError("down")

    with pytest.raises(ExceptionGroup):
        await gather_outcomes({"fail": fail, "slow": asyncio.Event().wait}, fail_fast=True)


async def test_each_operation_logs_one_event(caplog: pytest.LogCaptureFixture) -> None:
    async def fail() -> None:
        raise RuntimeError("down")

    with caplog.at_level(logging.DEBUG, logger="asyncconsole.orchestrator"):
        async with Orchestrator() as orch:
            orch.submit("good", asyncio.sleep, 0)
            orch.submit("bad", fail)
    records = [r for r in caplog.records if r.name == "asyncconsole.orchestrator"]
    fields = {r.asyncconsole["target"]: r.asyncconsole for r in records}  # type: ignore[attr-defined]
    assert set(fields) == {"good", "bad"}
    assert fields["good"]["outcome"] == "ok"
    assert fields["good"]["operation"] == "orchestrator.operation"
    assert fields["good"]["attempts"] == 1
    assert fields["bad"]["outcome"] == "error: RuntimeError"
    levels = {r.asyncconsole["target"]: r.levelno for r in records}  # type: ignore[attr-defined]
    assert levels == {"good": logging.DEBUG, "bad": logging.INFO}


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(observe_module, "_tracer", provider.get_tracer("test"))
    monkeypatch.setattr(observe_module, "_tracer_checked", True)
    monkeypatch.setattr(observe_module, "_tracing_state", [False, float("-inf")])
    yield exporter
    provider.shutdown()


async def test_each_operation_is_a_span(spans: Any) -> None:
    async def fail() -> None:
        raise RuntimeError("down")

    assert observe_module.tracing_enabled()
    async with Orchestrator() as orch:
        orch.submit("good", asyncio.sleep, 0)
        orch.submit("bad", fail)
    finished = {s.attributes["asyncconsole.target"]: s for s in spans.get_finished_spans()}
    assert set(finished) == {"good", "bad"}
    assert finished["good"].name == "orchestrator.operation"
    assert finished["good"].attributes["asyncconsole.attempts"] == 1
    assert finished["good"].status.is_ok
    assert finished["bad"].status.status_code.name == "ERROR"


def test_no_spans_without_a_tracer_provider() -> None:
    # OpenTelemetry is installed in the test venv, but no provider is configured here.
    assert not observe_module.tracing_enabled()
