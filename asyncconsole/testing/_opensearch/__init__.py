"""A fake OpenSearch cluster: in-process (``FakeOpenSearch``), over HTTP (``FakeOpenSearchServer``),
and its working-state seeder."""

from __future__ import annotations

from ._engine import FakeOpenSearch
from ._load import LoadModel
from ._server import FakeOpenSearchServer
from ._types import RecordedRequest
from ._working_state import (
    WORKING_STATE_INDEX,
    WorkItem,
    WorkItemState,
    working_state_index_name,
)

__all__ = [
    "WORKING_STATE_INDEX",
    "FakeOpenSearch",
    "FakeOpenSearchServer",
    "LoadModel",
    "RecordedRequest",
    "WorkItem",
    "WorkItemState",
    "working_state_index_name",
]
