"""``asyncconsole.services`` re-exports every service class and result type of its subpackages
(fakes are public through ``asyncconsole.testing``), and each name resolves lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import asyncconsole.services as services
import asyncconsole.testing as testing

SUBPACKAGES = (
    "backfill",
    "clusters",
    "kafka",
    "metadata",
    "metrics",
    "replay",
    "snapshot",
    "workers",
)


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_every_class_of_a_subpackage_is_re_exported(subpackage: str) -> None:
    module = importlib.import_module(f"asyncconsole.services.{subpackage}")
    classes = [
        name
        for name in module.__all__
        if isinstance(getattr(module, name), type) and not name.isupper()
    ]
    assert classes
    for name in classes:
        if name.startswith("Fake"):
            assert name in testing.__all__, f"{subpackage}.{name} is not in asyncconsole.testing"
            assert getattr(testing, name) is getattr(module, name)
        else:
            assert name in services.__all__, f"{subpackage}.{name} is not re-exported"
            assert getattr(services, name) is getattr(module, name)


def test_every_export_resolves_and_is_listed_by_dir() -> None:
    for name in services.__all__:
        assert getattr(services, name) is not None
    assert sorted(services.__all__) == dir(services)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = services.Nope


def test_importing_the_package_imports_no_service() -> None:
    code = (
        "import sys, asyncconsole.services\n"
        "print(sorted(m for m in sys.modules if m.startswith('asyncconsole.services.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
