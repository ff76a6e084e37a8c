"""The runnable examples in the docs run: pytest-style snippets and ``asyncio.run(main())`` scripts.

A fenced ``python`` block that defines ``async def test_*`` functions is executed and each
function awaited (with ``tmp_path`` when it asks for one); a block ending in
``asyncio.run(main())`` is executed without that line and ``main()`` awaited.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

PAGES = ["testing.md", "guides/environment.md", "guides/metrics.md", "guides/autoscaling.md"]

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
_RUN_MAIN = "asyncio.run(main())"

Example = Callable[..., Coroutine[Any, Any, None]]


def _examples() -> list[tuple[str, str, str]]:
    """(page, function name, source of its block) for every runnable example."""
    found = []
    for page in PAGES:
        text = (DOCS / page).read_text(encoding="utf-8")
        for block in _BLOCK.findall(text):
            for name in re.findall(r"^async def (test_\w+)\(", block, re.M):
                found.append((page, name, block))
            if _RUN_MAIN in block:
                found.append((page, "main", block.replace(_RUN_MAIN, "")))
    return found


EXAMPLES = _examples()


def test_the_pages_have_runnable_examples() -> None:
    assert {page for page, _, _ in EXAMPLES} == set(PAGES)


@pytest.mark.parametrize(
    ("page", "name", "source"), EXAMPLES, ids=[f"{p}::{n}" for p, n, _ in EXAMPLES]
)
async def test_example_runs(
    page: str, name: str, source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {"__name__": f"docs_example_{name}"}
    exec(compile(source, f"docs/{page}", "exec"), namespace)
    example: Example = namespace[name]
    wanted = inspect.signature(example).parameters
    await example(**({"tmp_path": tmp_path} if "tmp_path" in wanted else {}))
    if name == "main":
        assert capsys.readouterr().out.strip(), f"the example in docs/{page} printed nothing"
