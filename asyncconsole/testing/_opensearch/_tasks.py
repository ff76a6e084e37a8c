"""The tasks API for requests sent with ``wait_for_completion=false``.

The work runs when the request arrives and its result is stored under a task id
(``<node>:<number>``), so ``GET _tasks/<id>`` always reports the task completed, with the
response (or error) the request would have answered with. A running task cannot be observed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError

__all__ = ["NODE_ID", "TaskRecord", "Tasks"]

NODE_ID = "fake-node-id"


@dataclass
class TaskRecord:
    """One finished task."""

    number: int
    action: str
    description: str
    start_ms: int
    running_nanos: int
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{NODE_ID}:{self.number}"

    def describe(self) -> dict[str, Any]:
        """``GET _tasks/<id>``."""
        status = {
            k: v
            for k, v in (self.response or {}).items()
            if k not in {"took", "timed_out", "failures"}
        }
        body: dict[str, Any] = {
            "completed": True,
            "task": {
                "node": NODE_ID,
                "id": self.number,
                "type": "transport",
                "action": self.action,
                "status": status,
                "description": self.description,
                "start_time_in_millis": self.start_ms,
                "running_time_in_nanos": self.running_nanos,
                "cancellable": True,
                "cancelled": False,
                "headers": {},
            },
        }
        if self.error is not None:
            body["error"] = self.error
        else:
            body["response"] = self.response
        return body


class Tasks:
    """Finished tasks by number."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.records: dict[int, TaskRecord] = {}

    def record(
        self,
        action: str,
        description: str,
        start_ms: int,
        *,
        response: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> TaskRecord:
        """Store a finished task; returns it."""
        task = TaskRecord(next(self._numbers), action, description, start_ms, 0, response, error)
        self.records[task.number] = task
        return task

    def get(self, task_id: str) -> TaskRecord:
        """The task ``<node>:<number>`` (400 malformed, 404 unknown)."""
        node, sep, number = task_id.partition(":")
        if not sep or not node or not number.isdigit():
            raise ApiError(400, "illegal_argument_exception", f"malformed task id {task_id}")
        task = self.records.get(int(number)) if node == NODE_ID else None
        if task is None:
            raise ApiError(
                404,
                "resource_not_found_exception",
                f"task [{task_id}] isn't running and hasn't stored its results",
            )
        return task
