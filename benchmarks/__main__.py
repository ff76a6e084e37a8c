"""Run every benchmark module (``bench_*.py``) in its own process, or those named on the command line."""

from __future__ import annotations

import pathlib
import subprocess
import sys


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if any(a in m for a in argv)]
    failed = []
    for module in modules:
        print(f"== benchmarks/{module}.py", flush=True)
        proc = subprocess.run([sys.executable, "-m", f"benchmarks.{module}"], check=False)
        if proc.returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
