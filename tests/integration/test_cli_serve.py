"""``asyncconsole serve`` as a real process: the address with the token first on stdout (one
JSON object with ``--json``), the page and API answer, SIGTERM or Ctrl-C stop it with exit 0."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from asyncconsole.serve import TOKEN_HEADER
from asyncconsole.testing import FakeOpenSearchServer
from tests.unit.test_cli_support import LoopThread

pytestmark = pytest.mark.integration


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    loop = LoopThread()
    source = loop.run(FakeOpenSearchServer(version="7.10.2", distribution="elasticsearch").open())
    try:
        path = tmp_path / "services.yaml"
        path.write_text(f"source_cluster:\n  endpoint: {source.url}\n  no_auth:\n")
        yield path
    finally:
        loop.run(source.aclose())
        loop.close()


def _serve(config: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "asyncconsole.cli", "--config-file", str(config), "serve"]
    return subprocess.Popen(
        [*command, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    process.send_signal(sig)
    try:
        _out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_address_and_stops_cleanly(config: Path, sig: signal.Signals) -> None:
    process = _serve(config)
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    try:
        base, _, token = first.partition("/?token=")
        assert base.startswith("http://127.0.0.1:")
        assert len(token) >= 40
        page = requests.get(base + "/", timeout=10)
        assert page.status_code == 200
        assert "asyncconsole" in page.text
        check = requests.get(base + "/api/check", timeout=30).json()
        assert check["components"]["source_cluster"]["status"] == "ok"
        refused = requests.post(
            base + "/api/clusters/clear-indices", json={"cluster": "source"}, timeout=10
        )
        assert refused.status_code == 403
        wrong = requests.post(
            base + "/api/clusters/clear-indices",
            json={"cluster": "target"},
            headers={TOKEN_HEADER: token},
            timeout=30,
        )
        assert wrong.status_code == 400  # the right token, but no target cluster configured
    finally:
        code, err = _stop(process, sig)
    assert code == 0, err
    assert "open the address above" in err


def test_serve_json_read_only(config: Path) -> None:
    process = _serve(config, "--json", "--read-only")
    assert process.stdout is not None
    try:
        text = ""
        while not text.rstrip().endswith("}"):  # one indented document, as --json prints
            line = process.stdout.readline()
            assert line, "serve --json printed no document"
            text += line
        started = json.loads(text)
        assert started["read_only"] is True
        assert started["url"] == f"{started['base_url']}/?token={started['token']}"
        session = requests.get(started["base_url"] + "/api/session", timeout=10).json()
        assert session["read_only"] is True
        answer = requests.post(
            started["base_url"] + "/api/clusters/clear-indices",
            json={"cluster": "source"},
            headers={TOKEN_HEADER: started["token"]},
            timeout=10,
        )
        assert answer.status_code == 404  # no action routes at all
    finally:
        code, err = _stop(process, signal.SIGTERM)
    assert code == 0, err
    assert "Read-only" in err
