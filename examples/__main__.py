"""Run every example script in this folder, each in its own process; fail if any fails."""

from __future__ import annotations

import pathlib
import subprocess
import sys


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).parent
    scripts = sorted(p for p in here.glob("*.py") if not p.name.startswith("_"))
    if argv:
        scripts = [p for p in scripts if p.stem in argv]
    failed = []
    for script in scripts:
        print(f"== examples/{script.name}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], timeout=300, check=False)
        if proc.returncode != 0:
            failed.append(script.name)
    notebook = here / "notebook.ipynb"
    if notebook.exists() and (not argv or "notebook" in argv):
        print("== examples/notebook.ipynb", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "examples._run_notebook", str(notebook)],
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            failed.append(notebook.name)
    if failed:
        print(f"failed examples: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"{len(scripts)} examples ran", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
