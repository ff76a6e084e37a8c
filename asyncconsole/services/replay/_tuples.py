"""The traffic replayer's tuple logs, made readable: console_link's ``tuples show``.

The replayer writes one JSON object per line for every request it replayed: the source's
request and response (``sourceRequest``, ``sourceResponse``), the request sent to the target
(``targetRequest``) and the target's answers (``targetResponses``, a list). Each ``body`` is
base64. Reading a tuple decodes every body it can: base64, then UTF-8 text, then, when the
message's ``Content-Type`` says ``application/json``, JSON (one document per line for
``_bulk`` requests, the URI of ``sourceRequest`` deciding). A body that cannot be decoded at
some step is left exactly as it was and a warning names the line and the part; the output is
console_link's, byte for byte (``json.dumps`` with its default separators, one tuple a line).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TupleReadReport", "convert_tuples", "read_tuple"]

_log = logging.getLogger("asyncconsole.services.replay")

SINGLE_PARTS = ("sourceRequest", "sourceResponse", "targetRequest")
LIST_PARTS = ("targetResponses",)
_CONTENT_TYPE = re.compile("Content-Type", re.IGNORECASE)
_JSON_TYPE = "application/json"


class _Undecodable(Exception):
    """A body step failed; the message says which and why."""


def _is_json(part: dict[str, Any]) -> bool:
    """Whether the first header named like ``Content-Type`` (any case) says JSON."""
    for key, value in part.items():
        if _CONTENT_TYPE.match(key):
            return isinstance(value, str | list | tuple) and _JSON_TYPE in value
    return False


def _decoded_body(body: Any, *, name: str, line: int, as_json: bool, bulk: bool) -> Any:
    """``body`` decoded as far as the rules go; raises :class:`_Undecodable`."""
    try:
        raw = base64.b64decode(body)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise _Undecodable(
            f"Body value of {name} on line {line} could not be decoded: {exc}. "
            "Skipping parsing body value."
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Undecodable(
            f"Body value of {name} on line {line} could not be decoded to utf-8: {exc}. "
            "Skipping parsing body value."
        ) from None
    if not as_json or not text.strip():
        return text
    try:
        if bulk:
            return [json.loads(item) for item in text.splitlines()]
        return json.loads(text)
    except ValueError as exc:
        kind = "a bulk json" if bulk else "a json"
        raise _Undecodable(
            f"Body value of {name} on line {line} should be {kind}, but could not be parsed: "
            f"{exc}. Skipping parsing body value."
        ) from None


def _decode_part(part: Any, *, name: str, line: int, bulk: bool) -> bool:
    """Replace ``part["body"]`` by its decoded value; whether it could be decoded."""
    if not isinstance(part, dict) or part.get("body") is None:
        return True
    try:
        part["body"] = _decoded_body(
            part["body"], name=name, line=line, as_json=_is_json(part), bulk=bulk
        )
    except _Undecodable as exc:
        _log.warning("%s", exc)
        return False
    return True


def read_tuple(tuple_: dict[str, Any], line: int = 0) -> tuple[dict[str, Any], int]:
    """Decode the bodies of one tuple, in place; returns it and how many bodies stayed as
    they were because they could not be decoded.

    Args:
        tuple_: One parsed line of a tuple log.
        line: Its line number, for the warnings (1 for the first line).
    """
    request = tuple_.get("sourceRequest")
    uri = request.get("Request-URI") if isinstance(request, dict) else None
    if not isinstance(uri, str):
        _log.warning(
            "`sourceRequest.Request-URI` on line %d could not be loaded. Skipping parsing tuple.",
            line,
        )
        return tuple_, 0
    bulk = "_bulk" in uri
    failed = 0
    for name in SINGLE_PARTS:
        if name in tuple_:
            failed += not _decode_part(tuple_[name], name=name, line=line, bulk=bulk)
    for name in LIST_PARTS:
        items = tuple_.get(name)
        if isinstance(items, list):
            for index, item in enumerate(items):
                label = f"{name} item {index}"
                failed += not _decode_part(item, name=label, line=line, bulk=bulk)
    return tuple_, failed


@dataclass
class TupleReadReport:
    """What :func:`convert_tuples` read.

    Attributes:
        tuples: Tuples written.
        undecoded_bodies: Bodies left as they were (warned about).
        skipped_lines: Line numbers that were not a JSON object (not written).
    """

    tuples: int = 0
    undecoded_bodies: int = 0
    skipped_lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"tuples", "undecoded_bodies", "skipped_lines"}``."""
        return {
            "tuples": self.tuples,
            "undecoded_bodies": self.undecoded_bodies,
            "skipped_lines": list(self.skipped_lines),
        }


def convert_tuples(lines: Iterable[str], report: TupleReadReport | None = None) -> Iterator[str]:
    """Each line of a tuple log, its bodies decoded, as one output line (``"...\\n"``); lazy,
    so a log of any size streams through. Blank lines are ignored; a line that is not a JSON
    object is skipped with a warning (and counted in ``report``).
    """
    report = report if report is not None else TupleReadReport()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            tuple_ = json.loads(line)
        except ValueError as exc:
            tuple_ = exc
        if not isinstance(tuple_, dict):
            _log.warning("line %d is not a tuple (a JSON object); skipped", number)
            report.skipped_lines.append(number)
            continue
        decoded, failed = read_tuple(tuple_, number)
        report.tuples += 1
        report.undecoded_bodies += failed
        yield json.dumps(decoded) + "\n"
