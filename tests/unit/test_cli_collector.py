"""The ``asyncconsole`` script holds the garbage collector off while a command starts (issue
13: its passes over the start-up's long-lived objects cost 50-75 ms of a 600 ms command), then
freezes them and collects what the command makes; checked in fresh interpreters."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from asyncconsole.cli import _collector

_PROBE = """
import gc, json, sys
early = [0]  # collections once main() is called, before start-up's objects were frozen

def counted(phase, info):
    if phase == "start" and gc.get_freeze_count() == 0:
        early[0] += 1

from asyncconsole.cli import main
gc.callbacks.append(counted)
try:
    main({argv})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "early": early[0], "frozen": gc.get_freeze_count(),
                  "enabled": gc.isenabled()}}), file=sys.stderr)
"""


def _probe(argv: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    return report


@pytest.fixture
def config(tmp_path: Path) -> Path:
    with socket.socket() as sock:  # a port nothing listens on: the check fails at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "migration_services.yaml"
    path.write_text(f"source_cluster:\n  endpoint: http://127.0.0.1:{port}\n  no_auth:\n")
    return path


def test_the_script_collects_nothing_while_a_command_starts(config: Path) -> None:
    report = _probe("", "--config-file", str(config), "check")
    assert report["code"] == 1  # the cluster did not answer: the command ran to its end
    assert report["early"] == 0
    assert report["frozen"] > 10_000  # start-up's objects, never scanned again
    assert report["enabled"] is True


def test_the_cli_called_with_arguments_leaves_the_collector_alone(config: Path) -> None:
    report = _probe(repr(["--config-file", str(config), "check"]))
    assert report["code"] == 1
    assert report["early"] > 0  # start-up collected as in any program
    assert report["frozen"] == 0
    assert report["enabled"] is True


def test_a_collector_already_off_stays_off() -> None:
    import gc

    frozen = gc.get_freeze_count()
    gc.disable()  # as a program embedding the CLI may have it
    try:
        _collector.hold()
        _collector.release()
        assert not gc.isenabled()  # not turned on behind the program's back
        assert gc.get_freeze_count() == frozen  # and nothing frozen
    finally:
        gc.enable()
