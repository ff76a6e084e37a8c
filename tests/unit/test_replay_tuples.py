"""Tuple logs made readable (console_link's ``tuples show``): the decoding rules, the exact
output lines, and the command run as a process."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from asyncconsole.services.replay import TupleReadReport, convert_tuples, read_tuple


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def tuple_(uri: str = "/_cat/indices", **parts: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "sourceRequest": {"Request-URI": uri, "Method": "GET", "body": ""},
        "connectionId": "c-1",
        "numRequests": 1,
    }
    found.update(parts)
    return found


JSON_DOC = {"took": 3, "hits": {"total": {"value": 1}}}
BULK = '{"index": {"_id": "1"}}\n{"n": 1}\n'


def test_bodies_are_decoded_text_json_and_bulk() -> None:
    line = tuple_(
        "/logs/_bulk",
        sourceRequest={
            "Request-URI": "/logs/_bulk",
            "Content-Type": "application/json",
            "body": b64(BULK),
        },
        sourceResponse={"content-type": "application/json; charset=UTF-8", "body": b64("{}")},
        targetRequest={"CONTENT-TYPE": "text/plain", "body": b64("plain text")},
        targetResponses=[
            {"Content-Type": "application/json", "body": b64(json.dumps(JSON_DOC))},
            {"Content-Type": "application/json", "body": b64("  ")},  # blank JSON: kept as text
        ],
    )
    decoded, failed = read_tuple(json.loads(json.dumps(line)), 1)
    assert failed == 0
    assert decoded["sourceRequest"]["body"] == [{"index": {"_id": "1"}}, {"n": 1}]
    assert decoded["sourceResponse"]["body"] == [{}]  # a _bulk URI: every JSON body is per-line
    assert decoded["targetRequest"]["body"] == "plain text"
    assert decoded["targetResponses"][0]["body"] == [JSON_DOC]
    assert decoded["targetResponses"][1]["body"] == "  "
    assert decoded["connectionId"] == "c-1"

    plain = read_tuple(
        tuple_(
            sourceResponse={"Content-Type": "application/json", "body": b64(json.dumps(JSON_DOC))}
        ),
        2,
    )[0]
    assert plain["sourceResponse"]["body"] == JSON_DOC  # not _bulk: one document


def test_undecodable_bodies_stay_as_they_were_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = tuple_(
        sourceResponse={"content-type": "text/plain", "body": b64(b"\xff\xfe bad utf-8")},
        targetRequest={"body": "not base64!"},
        targetResponses=[{"Content-Type": "application/json", "body": b64("not json")}],
    )
    original = json.loads(json.dumps(line))
    decoded, failed = read_tuple(line, 7)
    assert failed == 3
    assert decoded == original
    text = caplog.text
    assert "Body value of sourceResponse on line 7 could not be decoded to utf-8" in text
    assert "Body value of targetRequest on line 7 could not be decoded" in text
    assert "Body value of targetResponses item 0 on line 7 should be a json" in text


def test_missing_parts_and_a_missing_uri(caplog: pytest.LogCaptureFixture) -> None:
    line = tuple_(targetResponses=[{"body": b64("ok")}])
    decoded, failed = read_tuple(line, 1)
    assert (failed, "sourceResponse" in decoded) == (0, False)
    assert decoded["targetResponses"][0]["body"] == "ok"
    no_uri = {"sourceResponse": {"body": b64("x")}}
    assert read_tuple(json.loads(json.dumps(no_uri)), 3) == (no_uri, 0)  # untouched
    assert "Request-URI` on line 3" in caplog.text


def test_output_lines_are_console_links_and_streamed() -> None:
    first = tuple_(sourceResponse={"body": b64("a")})
    lines = iter([json.dumps(first) + "\n", "\n", "[1, 2]\n", "{not json\n", json.dumps(first)])
    report = TupleReadReport()
    out = convert_tuples(lines, report)
    # lazily: the first tuple is out before the rest of the input is read
    assert next(out) == json.dumps(read_tuple(json.loads(json.dumps(first)))[0]) + "\n"
    assert next(out).startswith('{"sourceRequest": {"Request-URI": "/_cat/indices", ')
    assert list(out) == []
    assert report.to_dict() == {"tuples": 2, "undecoded_bodies": 0, "skipped_lines": [3, 4]}


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asyncconsole.cli", "tuples", "show", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_tuples_show_as_a_process(tmp_path: Path) -> None:
    records = [
        tuple_(sourceResponse={"Content-Type": "application/json", "body": b64('{"n": 1}')}),
        tuple_(targetResponses=[{"body": b64("second")}]),
    ]
    log = tmp_path / "tuples.log"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    expected = [json.dumps(read_tuple(json.loads(json.dumps(r)))[0]) for r in records]

    piped = _cli(stdin=log.read_text())
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.splitlines() == expected

    out = tmp_path / "decoded.ndjson"
    out.write_text("earlier\n")
    written = _cli("--in", str(log), "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert written.stdout == f"Converted tuples output to {out}\n"
    assert out.read_text().splitlines() == ["earlier", *expected]  # appended, as console_link

    as_json = _cli("--in", str(log), "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [json.loads(e) for e in expected]  # one document
    summary = _cli("--in", str(log), "--out", str(tmp_path / "x.ndjson"), "--json")
    assert json.loads(summary.stdout) == {
        "output": str(tmp_path / "x.ndjson"),
        "tuples": 2,
        "undecoded_bodies": 0,
        "skipped_lines": [],
    }

    broken = _cli(stdin="not a tuple\n" + json.dumps(records[1]) + "\n")
    assert broken.returncode == 1
    assert broken.stdout.splitlines() == expected[1:]
    assert "lines that are not tuples were skipped: 1" in broken.stderr
    missing = _cli("--in", str(tmp_path / "absent.log"))
    assert missing.returncode == 2
