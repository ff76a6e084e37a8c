"""Plain records the fake server exposes to tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RecordedRequest"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received, for tests asserting the exact calls a client made.

    ``path`` is decoded (``/my-index/_search``); ``query`` maps each parameter to its last
    value (``raw_query`` keeps the string as sent); ``headers`` is case-insensitive.
    """

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    headers: Mapping[str, str]
    raw_query: str = ""

    def json(self) -> Any:
        """The body parsed as JSON (None when empty); NDJSON bodies give a list."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return [json.loads(line) for line in self.body.splitlines() if line.strip()]

    @property
    def target(self) -> str:
        """``METHOD /path`` (without the query), handy in assertions."""
        return f"{self.method} {self.path}"
