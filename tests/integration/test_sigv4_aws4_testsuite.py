"""sign_sigv4 against the AWS SigV4 test suite (aws4_testsuite, Apache-2.0, from botocore's sdist)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asyncconsole.infra.http import AwsCredentials, sign_sigv4

pytestmark = pytest.mark.integration

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCESS_KEY = "AKIDEXAMPLE"
DATE = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)

# Every case is run; none is skipped. (botocore's own harness skips get-space, which Python's
# HTTP parser rejects, and the repeated-key query cases, which its dict-based params drop; this
# parser and signer handle both.)
SKIPPED: dict[str, str] = {}


def _cases(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("*.req"))


def _parse(raw: str) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """Method, path+query, headers (repeats kept, folded lines joined) and body of a .req file."""
    head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target = rest.rsplit(" ", 1)[0]  # paths may contain spaces (normalize-path/get-space)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value}\n{line}")
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return method, target, headers, body.encode()


def test_every_aws4_testsuite_case(aws4_testsuite: Path) -> None:
    cases = _cases(aws4_testsuite)
    assert len(cases) >= 30, f"suite looks incomplete: {len(cases)} cases"
    failures = []
    ran = 0
    for case in cases:
        name = case.relative_to(aws4_testsuite).as_posix()
        if name in SKIPPED:
            continue
        stem = case / case.name
        raw = stem.with_suffix(".req").read_text(encoding="utf-8")
        expected = stem.with_suffix(".authz").read_text(encoding="utf-8").replace("\r", "")
        creq = stem.with_suffix(".creq").read_text(encoding="utf-8")
        token_match = re.search(r"^x-amz-security-token:(.*)$", creq, re.MULTILINE)
        token = token_match.group(1) if token_match else None
        method, target, headers, body = _parse(raw)
        host = next(v for k, v in headers if k.lower() == "host")
        signed = sign_sigv4(
            method,
            f"https://{host}{target}",
            headers,
            body,
            credentials=AwsCredentials(ACCESS_KEY, SECRET_KEY, token),
            region="us-east-1",
            service="service",
            timestamp=DATE,
            content_sha256=False,  # the suite predates x-amz-content-sha256
        )
        ran += 1
        if signed["Authorization"] != expected:
            failures.append(f"{name}:\n  ours     {signed['Authorization']}\n  expected {expected}")
    assert not failures, "\n".join(failures)
    assert ran == len(cases) - len(SKIPPED)
