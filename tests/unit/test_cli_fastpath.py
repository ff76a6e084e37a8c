"""`asyncconsole --help`/`--version` (and each group's help) load no backend library, nor
pydantic, nor asyncio (issue 13: each costs start time): checked in fresh interpreters through ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.unit.test_cli_support import BACKENDS

_PROBE = """
import json, sys
from asyncconsole.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
names = {names!r}
print(json.dumps({{"code": code, "loaded": sorted(n for n in names if n in sys.modules)}}),
      file=sys.stderr)
"""


def _probe(*args: str) -> tuple[int, list[str], str]:
    names = (*BACKENDS, "pydantic", "asyncio")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(names=names), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["loaded"], done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["-h"],
        ["snapshot", "--help"],
        ["clusters", "curl", "--help"],
        ["backfill", "status", "--help"],
        ["replay", "--help"],
        ["metrics", "get-data", "--help"],
        ["metadata", "--help"],
        # asyncconsole's help, no config file read (console_link passed --help to the tool)
        ["metadata", "evaluate", "--help"],
        ["metadata", "migrate", "--help"],
        ["init", "--help"],
        ["tuples", "show", "--help"],
        ["testing", "opensearch", "--help"],
        ["check", "--json", "--help"],
        ["kafka", "--help"],
        ["check", "--help"],
        ["demo", "--help"],
        ["failed-document-stream", "list", "--help"],
        ["completion", "zsh"],
    ],
)
def test_help_and_version_load_no_backend(args: list[str]) -> None:
    code, loaded, stdout = _probe(*args)
    assert code in (0, None)
    assert loaded == []
    assert stdout


def test_version_text() -> None:
    from asyncconsole import __version__

    _, _, stdout = _probe("--version")
    assert stdout == f"asyncconsole {__version__}\n"


def test_python_m_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "asyncconsole.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("asyncconsole ")
