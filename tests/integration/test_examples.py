"""The examples run (in-process, against the demo environment or fakes), and the notebook runner
fails on a failing cell. The nox ``examples`` session runs every script and the notebook itself
(``python -m examples``)."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def test_every_example_is_listed() -> None:
    assert EXAMPLES == [
        "concurrent_checks",
        "scale_backfill",
        "stream_metrics",
        "testing_with_fakes",
    ]


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n != "testing_with_fakes"])
async def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = importlib.import_module(f"examples.{name}")
    async with asyncio.timeout(60):
        assert await module.main() == 0
    assert capsys.readouterr().out.strip()
    assert asyncio.all_tasks() == {asyncio.current_task()}  # nothing left running


async def test_testing_with_fakes_example() -> None:
    from examples.testing_with_fakes import test_scale_for_backlog

    await test_scale_for_backlog()


@pytest.mark.integration
def test_notebook_runner_reports_a_failing_cell(tmp_path: Path) -> None:
    nbformat: Any = pytest.importorskip("nbformat")
    v4: Any = importlib.import_module("nbformat.v4")  # untyped library
    new_code_cell, new_notebook = v4.new_code_cell, v4.new_notebook

    notebook = tmp_path / "broken.ipynb"
    cells = [
        new_code_cell("x = await __import__('asyncio').sleep(0, 41)"),
        new_code_cell("assert x == 42, 'x is not 42'"),
    ]
    nbformat.write(new_notebook(cells=cells), notebook)
    proc = subprocess.run(
        [sys.executable, "-m", "examples._run_notebook", str(notebook), "--timeout", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "x is not 42" in proc.stderr
    nbformat.write(new_notebook(cells=cells[:1]), notebook)
    proc = subprocess.run(
        [sys.executable, "-m", "examples._run_notebook", str(notebook)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 code cells ran" in proc.stdout
