"""Execute a notebook with nbclient and fail on the first cell error.

``python -m examples._run_notebook examples/notebook.ipynb [--timeout SECONDS]`` runs every
cell in a fresh ``python3`` kernel (ipykernel from this environment), from the repository
root, and exits non-zero if any cell raises or runs longer than the per-cell timeout. The
notebook file is not modified.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, *, timeout: int) -> int:
    """Execute ``path``; returns the exit code (0 when every cell ran without error)."""
    import importlib

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nbformat: Any = importlib.import_module("nbformat")  # untyped library
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    started = time.monotonic()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        print(f"{path.name}: a cell failed:\n{exc}", file=sys.stderr)
        return 1
    cells = sum(1 for cell in notebook.cells if cell.cell_type == "code")
    print(f"{path.name}: {cells} code cells ran in {time.monotonic() - started:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples._run_notebook")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    return run(args.notebook, timeout=args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
