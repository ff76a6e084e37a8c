"""The one lazy-import helper: a package's names that load their module on first use.

``import asyncconsole`` (and each package's ``import``) must stay cheap: backends (aiohttp,
aiobotocore, kubernetes_asyncio, aiodocker) load only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str,
    namespace: MutableMapping[str, Any],
    table: Mapping[str, str],
    *,
    anchor: str | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name in ``table`` (name → module,
    relative to ``anchor``, by default ``package``, when it starts with a dot) is imported on first access and then
    kept in ``namespace`` (the package's ``globals()``), so the import happens once.

    Use as ``__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)``.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, anchor or package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(namespace.get("__all__", table))

    return __getattr__, __dir__
