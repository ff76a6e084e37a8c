"""The layers of DESIGN.md, enforced: data flows down, nothing imports upward.

cli, demo, notebook, serve → environment → orchestrator, autoscale → services → config → testing
→ infra → the foundation (``asyncconsole/_*.py``). A module may import its own layer and the layers
below it, never one above (lazy imports inside functions count too: they are edges all the
same).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import asyncconsole

PACKAGE = Path(asyncconsole.__file__).parent

RANK = {
    "foundation": 0,
    "infra": 1,
    "testing": 2,
    "config": 3,
    "services": 4,
    "orchestrator": 5,
    "autoscale": 5,
    "environment": 6,
    "cli": 7,
    "demo": 7,
    "serve": 7,
    "notebook": 7,
    "root": 8,
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    top = parts[1]
    if top.startswith("_") and top != "__main__":
        return "foundation"
    return top


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.startswith("asyncconsole"):
                if target == "asyncconsole" or node.module is None:
                    # `from .. import x`: x is a module of that package, or a name of its root
                    for alias in node.names:
                        yield f"{target}.{alias.name}", node.lineno
                else:
                    yield target, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("asyncconsole"):
                    yield alias.name, node.lineno


def test_nothing_imports_upward() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _layer(_module(path))
        for target, line in _imports(path):
            there = _layer(target)
            if RANK[there] > RANK[here]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {target}")
    assert upward == []


def test_the_version_comes_from_its_own_module() -> None:
    # `from asyncconsole import __version__` inside the package imports the root (upward).
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in PACKAGE.rglob("*.py")
        for target, line in _imports(path)
        if target.endswith(".__version__") and not target.endswith("._version.__version__")
    ]
    assert offenders == []
    from asyncconsole._version import __version__

    assert asyncconsole.__version__ == __version__


def test_the_foundation_needs_no_third_party_backend() -> None:
    heavy = ("aiohttp", "aiobotocore", "botocore", "kubernetes_asyncio", "aiodocker")
    found = []
    for path in PACKAGE.glob("_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in heavy]
    assert found == []
