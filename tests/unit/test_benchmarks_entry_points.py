"""The benchmarks are not run by the suite (they measure, and take minutes), so check here what
breaks them silently: each module imports, and every ``python -m X`` they start still runs X
(bench_kubernetes once started a module whose entry point had moved to the CLI)."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
MODULES = sorted(p.stem for p in BENCHMARKS.glob("bench_*.py"))
# "-m", "module" in an argv list, on one line or across two
_DASH_M = re.compile(r'"-m",\s*"([\w.]+)"')


@pytest.mark.parametrize("module", MODULES)
def test_each_benchmark_imports(module: str) -> None:
    imported = importlib.import_module(f"benchmarks.{module}")
    assert imported.__doc__, f"{module} says what it measures and against what"


def _started_modules() -> set[str]:
    found: set[str] = set()
    for path in BENCHMARKS.glob("*.py"):
        found.update(_DASH_M.findall(path.read_text()))
    return found


def test_the_benchmarks_start_modules() -> None:
    assert "asyncconsole.cli" in _started_modules()  # the pattern finds what it is meant to


@pytest.mark.parametrize("name", sorted(_started_modules()))
def test_every_module_a_benchmark_starts_runs_as_a_program(name: str) -> None:
    spec = importlib.util.find_spec(name)
    assert spec is not None, f"{name} does not exist"
    assert spec.origin is not None, f"{name} is not a file"
    origin = Path(spec.origin)
    if origin.name == "__init__.py":  # a package runs its __main__
        origin = origin.with_name("__main__.py")
        assert origin.exists(), f"{name} is a package without __main__.py"
    else:
        assert '__name__ == "__main__"' in origin.read_text(), f"{name} has no entry point"
