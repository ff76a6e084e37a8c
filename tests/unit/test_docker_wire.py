"""The Engine API's answers and stream format, decoded with shape checks."""

from __future__ import annotations

import struct

import pytest

from asyncconsole import Secret
from asyncconsole.infra._core import ShapeError
from asyncconsole.infra.docker._answers import (
    api_version,
    container_info,
    container_tty,
    created_id,
    engine_message,
    exec_state,
    listed_ids,
    progress_error,
    wait_outcome,
)
from asyncconsole.infra.docker._frames import Deframer
from asyncconsole.infra.docker._spec import ContainerSpec
from asyncconsole.infra.docker._steps import ExecRequest, ImageImport
from asyncconsole.infra.docker._types import ContainerState
from asyncconsole.testing import MALFORMED_ANSWERS

DECODERS = [api_version, container_info, container_tty, created_id, exec_state, listed_ids]


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_answers_decode_from_bytes() -> None:
    assert created_id(b'{"Id": "abc", "Warnings": []}') == "abc"
    assert listed_ids(b'[{"Id": "a"}, {"Id": "b", "Names": ["/x"]}]') == ["a", "b"]
    assert api_version(b'{"ApiVersion": "1.47", "Os": "linux"}') == "v1.47"
    assert wait_outcome(b'{"StatusCode": 3, "Error": null}') == (3, "")
    assert wait_outcome(b'{"StatusCode": -1, "Error": {"Message": "gone"}}') == (-1, "gone")
    assert exec_state(b'{"Running": false, "ExitCode": 0}') == (False, 0)
    assert container_tty(b'{"Id": "c", "Config": {"Tty": true}}') is True
    assert container_tty(b'{"Id": "c", "Config": null}') is False
    info = container_info(
        b'{"Id": "c1", "Name": "/w", "State": {"Status": "running", "StartedAt":'
        b' "2026-01-01T00:00:01.5Z"}, "Config": {"Image": "b:1", "Labels": {"k": "v"}}}'
    )
    assert (info.id, info.name, info.state, info.labels) == (
        "c1",
        "w",
        ContainerState.RUNNING,
        {"k": "v"},
    )
    assert progress_error(b'{"status": "sha256:1"}\n{"stream": "done"}\n') is None
    assert progress_error(b'{"errorDetail": {"message": "denied"}, "error": "x"}\n') == "denied"


@pytest.mark.parametrize("kind", list(MALFORMED_ANSWERS))
def test_garbage_is_a_shape_error_naming_the_answer(kind: str) -> None:
    body = MALFORMED_ANSWERS[kind].body
    for decode in DECODERS:
        with pytest.raises(ShapeError) as caught:
            decode(body)
        assert str(caught.value), decode.__name__
    if kind != "string":  # one JSON string is a well-formed (if odd) progress entry list
        with pytest.raises(ShapeError):
            progress_error(body)


@pytest.mark.parametrize(
    "answer",
    [
        b'{"Id": 5}',
        b'{"Id": ""}',
        b'{"Id": "c", "State": {"Status": "up"}}',
        b'{"Id": "c", "State": {"Status": "exited", "ExitCode": "1"}}',
        b'{"Id": "c", "State": "running"}',
        b'{"Id": "c", "Created": "yesterday"}',
        b'{"Id": "c", "Config": {"Labels": {"k": 1}}}',
        b'{"Id": "c", "Args": "sleep 60"}',
    ],
)
def test_an_inspection_of_the_wrong_shape_is_refused(answer: bytes) -> None:
    with pytest.raises(ShapeError, match="container inspection"):
        container_info(answer)


def test_error_answers_give_the_daemons_words_or_an_excerpt() -> None:
    assert engine_message(b'{"message": "No such container: x"}') == "No such container: x"
    assert engine_message(b'{"message": 5}') == '{"message": 5}'
    assert engine_message(b"<html>busy</html>") == "<html>busy</html>"
    assert engine_message(b"") == "no message"
    assert len(engine_message(b"x" * 10_000)) == 200


def test_frames_split_across_chunks_and_streams() -> None:
    data = frame(1, b"one\n") + frame(2, b"two\n") + frame(1, b"") + frame(1, b"three\n")
    deframer = Deframer()
    got = []
    for i in range(0, len(data), 3):
        got.extend(deframer.feed(data[i : i + 3]))
    got.extend(deframer.end())
    assert got == [(1, b"one\n"), (2, b"two\n"), (1, b""), (1, b"three\n")]


def test_a_log_cut_mid_frame_keeps_what_came() -> None:
    deframer = Deframer()
    assert deframer.feed(frame(1, b"whole\n") + frame(2, b"half of it")[:-4]) == [(1, b"whole\n")]
    assert deframer.end() == [(2, b"half o")]
    assert Deframer().end() == []


@pytest.mark.parametrize("kind", [k for k, a in MALFORMED_ANSWERS.items() if a.body.strip()])
def test_anything_but_frames_is_a_shape_error(kind: str) -> None:
    with pytest.raises(ShapeError, match="multiplexed"):
        deframe(MALFORMED_ANSWERS[kind].body)


def deframe(body: bytes) -> list[tuple[int, bytes]]:
    deframer = Deframer()
    return deframer.feed(body) + deframer.end()


def test_requests_never_show_secrets_or_archives() -> None:
    request = ExecRequest("c", ("env",), ("TOKEN=s3cr3t",), None, None, None)
    assert "s3cr3t" not in repr(request)
    spec = ContainerSpec.build(
        "i",
        None,
        name=None,
        env={"TOKEN": Secret("s3cr3t")},
        labels=None,
        network_mode=None,
        auto_remove=False,
        init=False,
        entrypoint=None,
        workdir=None,
        user=None,
    )
    assert spec.env == ("TOKEN=s3cr3t",)
    assert "s3cr3t" not in repr(spec)
    assert "tar bytes" not in repr(ImageImport(b"tar bytes", "r", "t", ()))
