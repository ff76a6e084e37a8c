"""Validating commands and masking their secrets (shared by the real and the fake executor)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asyncconsole import CommandError, Secret
from asyncconsole.infra.commands import CommandResult
from asyncconsole.infra.commands._argv import check_limits, prepare


def test_secrets_and_sensitive_values_are_masked_everywhere_shown() -> None:
    cmd = prepare(
        ["tool", "--user", "admin", "--password", Secret("pw"), "--url=https://admin:pw@h"],
        sensitive=["admin"],
    )
    assert cmd.plain[4] == "pw"
    assert cmd.shown == (
        "tool",
        "--user",
        "********",
        "--password",
        "********",
        "--url=https://********:********@h",
    )
    assert cmd.mask("login admin with pw") == "login ******** with ********"
    result = cmd.result(1, "", "admin: bad password pw", 0.1)
    with pytest.raises(CommandError) as info:
        result.check()
    assert str(info.value) == (
        "command 'tool --user ******** --password ******** --url=https://********:********@h' "
        "exited with code 1: ********: bad password ********"
    )


def test_argv_validation_names_the_problem() -> None:
    with pytest.raises(TypeError, match="shell=True"):
        prepare("ls -l")
    with pytest.raises(ValueError, match="empty"):
        prepare([])
    with pytest.raises(ValueError, match="program"):
        prepare(["", "x"])
    with pytest.raises(TypeError, match=r"argv\[1\] must be str, Secret or a path, not int"):
        prepare(["sleep", 5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"argv\[1\] contains a NUL"):
        prepare(["echo", "a\0b"])
    with pytest.raises(TypeError, match="one command-line string"):
        prepare(["echo", "hi"], shell=True)
    assert prepare([Path("/bin/echo"), Path("x")]).plain == ("/bin/echo", "x")
    assert prepare(["echo hi"], shell=True).plain == ("/bin/sh", "-c", "echo hi")
    assert prepare([Secret("echo pw")], shell=True).shown == ("/bin/sh", "-c", "********")


def test_environment_merging() -> None:
    assert prepare(["true"]).env is None
    cmd = prepare(["true"], env={"NEW": "1", "PATH": None, "TOKEN": Secret("t0k")})
    assert cmd.env is not None
    assert cmd.env["NEW"] == "1"
    assert "PATH" not in cmd.env
    assert cmd.env["TOKEN"] == "t0k"
    assert cmd.env.get("HOME") == os.environ.get("HOME")
    assert cmd.mask("t0k") == "********"
    assert prepare(["true"], env={"ONLY": "x"}, inherit_env=False).env == {"ONLY": "x"}
    assert prepare(["true"], inherit_env=False).env == {}
    with pytest.raises(ValueError, match="variable name"):
        prepare(["true"], env={"A=B": "x"})
    with pytest.raises(TypeError, match="'N' must be str, Secret or None"):
        prepare(["true"], env={"N": 1})  # type: ignore[dict-item]


def test_limits() -> None:
    check_limits(None, None)
    check_limits(0.1, 5)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            check_limits(bad, None)
        with pytest.raises(ValueError, match="idle_timeout"):
            check_limits(None, bad)


def test_start_error_messages() -> None:
    cmd = prepare([Secret("/opt/secret-tool"), "x"])
    err = cmd.start_error(FileNotFoundError(2, "No such file"), None)
    assert str(err) == "cannot run '********': program not found"
    assert err.exit_code is None
    err = cmd.start_error(PermissionError(13, "Permission denied"), None)
    assert "permission denied" in str(err)
    err = cmd.start_error(OSError(8, "Exec format error"), None)
    assert "Exec format error" in str(err)


def test_command_result_check_passes_success_through() -> None:
    res = CommandResult(("true",), 0)
    assert res.check() is res
    assert res.ok


def test_check_error_carries_the_tail_of_stderr() -> None:
    stderr = "HEAD-MARKER\n" + "x" * 5000 + "\nthe real reason\n"
    res = CommandResult(("tool", "--password", "********"), 2, "out", stderr)
    with pytest.raises(CommandError) as caught:
        res.check()
    err = caught.value
    assert (err.exit_code, err.stdout, err.stderr, err.argv) == (2, "out", stderr, list(res.argv))
    assert str(err).endswith("the real reason")
    assert "HEAD-MARKER" not in str(err)  # the tail, not the whole of stderr
    assert "exited with code 2" in str(err)


_TEXT = st.text(alphabet=st.characters(blacklist_characters="*"), max_size=40)


@given(
    secrets=st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=6), max_size=4),
    text=_TEXT,
)
def test_masking_never_leaves_a_secret_in_text(secrets: list[str], text: str) -> None:
    cmd = prepare(["tool", *[Secret(s) for s in secrets]])
    masked = cmd.mask(text + "".join(secrets))
    for secret in secrets:
        assert secret not in masked
    assert all(shown == "********" for shown in cmd.shown[1:])
