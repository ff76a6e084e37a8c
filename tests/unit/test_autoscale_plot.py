"""The autoscaling guide's plot and trace are what the code produces today.

``scripts/plot_autoscaling.py`` draws ``docs/guides/autoscaling-run.png`` from two simulated runs
and writes their trace to ``autoscaling-run.csv``; the simulation is deterministic (fake time,
no randomness), so a change to the policy or the fakes that changes a run shows up here: run
the script again and commit both files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "plot_autoscaling.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plot_autoscaling", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_committed_trace_and_plot_match_a_fresh_run(tmp_path: Path) -> None:
    script = _script()
    made = await script.runs()
    fresh = script.trace_csv(made)
    committed = script.CSV.read_text(encoding="utf-8")
    assert fresh == committed, "the runs changed: python scripts/plot_autoscaling.py, commit both"
    drawn = tmp_path / "run.png"
    script.draw(made, drawn)
    assert drawn.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert script.PNG.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = committed.splitlines()
    assert len(rows) == 1 + 2 * script.PERIODS
    assert rows[-1].startswith("20,29,8,8,")  # from 20 workers: at 8 at the end
