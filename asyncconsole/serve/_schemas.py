"""JSON Schemas of the API's documents: the CLI's ``--json`` documents and the dashboard's own.

Each CLI document is described once, here; the OpenAPI document refers to these, and the tests
validate both the API's answers and the CLI's ``--json`` output against them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCHEMAS"]

_NULLABLE_INT: dict[str, Any] = {"type": ["integer", "null"]}
_NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}
_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}


def _object(properties: dict[str, Any], *, extra: bool = False, **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": extra,
        **more,
    }


_WORKERS = _object(
    {
        "running": {"type": "integer"},
        "pending": {"type": "integer"},
        "desired": {"type": "integer"},
        "terminating": {"type": "integer"},
    }
)
_WORKER_STATES = ["NOT_STARTED", "STARTING", "RUNNING", "TERMINATING", "STOPPED", "FAILED"]
_OUTCOME_STATES = ["ok", "failed", "timed_out", "cancelled"]

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                    "exit_code": {"type": "integer"},
                    "issues": {
                        "type": "array",
                        "items": _object(
                            {"path": {"type": "string"}, "message": {"type": "string"}}
                        ),
                    },
                    "hints": {"type": "array", "items": {"type": "string"}},
                }
            )
        },
        description="How a failed command ends under --json (also every API error).",
    ),
    "CheckReport": _object(
        {
            "components": {
                "type": "object",
                "additionalProperties": _object(
                    {
                        "status": {"enum": _OUTCOME_STATES},
                        "detail": {"type": "string"},
                        "duration": {"type": "number"},
                    }
                ),
            }
        },
        description="`asyncconsole check --json`.",
    ),
    "CatIndices": {
        "type": "object",
        "description": "`asyncconsole clusters cat-indices --json`: _cat/indices rows as each "
        "cluster sent them, by cluster; `errors` for the clusters that failed.",
        "properties": {
            "source_cluster": {"$ref": "#/components/schemas/CatIndicesRows"},
            "target_cluster": {"$ref": "#/components/schemas/CatIndicesRows"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": False,
    },
    "CatIndicesRows": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"index": {"type": "string"}},
            "required": ["index"],
        },
    },
    "IndexComparison": _object(
        {
            "total": {"type": "integer", "description": "Rows matching the filter."},
            "offset": {"type": "integer"},
            "limit": {"type": "integer"},
            "rows": {
                "type": "array",
                "items": _object(
                    {
                        "index": {"type": "string"},
                        "source": _NULLABLE_INT,
                        "target": _NULLABLE_INT,
                        "difference": _NULLABLE_INT,
                        "differs": {"type": "boolean"},
                    }
                ),
            },
            "summary": _object(
                {
                    "indices": {"type": "integer"},
                    "source_indices": {"type": "integer"},
                    "target_indices": {"type": "integer"},
                    "source_documents": {"type": "integer"},
                    "target_documents": {"type": "integer"},
                    "differences": {"type": "integer"},
                }
            ),
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        description="The dashboard's clusters table: one page of source and target document "
        "counts side by side.",
    ),
    "SnapshotStatus": _object(
        {
            "snapshot": {"type": "string"},
            "state": _NULLABLE_STRING,
            "status": {"type": "string"},
            "percentage_completed": {"type": "number"},
            "eta_ms": _NULLABLE_NUMBER,
            "started": _TIME,
            "finished": _TIME,
            "elapsed_ms": _NULLABLE_NUMBER,
            "data_total_bytes": _NULLABLE_INT,
            "data_processed_bytes": _NULLABLE_INT,
            "data_throughput_bytes_avg_sec": _NULLABLE_NUMBER,
            "shard_total": {"type": "integer"},
            "shard_complete": {"type": "integer"},
            "shard_failed": {"type": "integer"},
            "indexes": {
                "type": "array",
                "items": _object(
                    {
                        "name": {"type": "string"},
                        "status": {"type": "string"},
                        "shard_count": _NULLABLE_INT,
                        "document_count": _NULLABLE_INT,
                        "size_bytes": _NULLABLE_INT,
                    }
                ),
            },
        },
        description="`asyncconsole snapshot status --deep-check --json`.",
    ),
    "BackfillStatus": {
        "type": "object",
        "properties": {
            "status": {"enum": _WORKER_STATES},
            "message": {"type": "string"},
            "workers": _WORKERS,
            "deep": {"$ref": "#/components/schemas/BackfillDeepStatus"},
            "deep_error": _NULLABLE_STRING,
            "failed_document_stream_location": {"type": "string"},
            "failed_documents_present": {"type": ["boolean", "null"]},
        },
        "required": ["deep", "deep_error", "message", "status", "workers"],
        "additionalProperties": False,
        "description": "`asyncconsole backfill status --deep-check --json`.",
    },
    "BackfillDeepStatus": {
        "oneOf": [
            {"type": "null"},
            _object(
                {
                    "status": {
                        "enum": [
                            "Pending",
                            "Running",
                            "Paused",
                            "Completed",
                            "CompletedWithErrors",
                            "Failed",
                        ]
                    },
                    "percentage_completed": {"type": "number"},
                    "eta_ms": _NULLABLE_NUMBER,
                    "started": _TIME,
                    "finished": _TIME,
                    "shard_total": _NULLABLE_INT,
                    "shard_complete": _NULLABLE_INT,
                    "shard_in_progress": _NULLABLE_INT,
                    "shard_waiting": _NULLABLE_INT,
                }
            ),
        ]
    },
    "BackfillHistory": _object(
        {
            "points": {
                "type": "array",
                "items": _object(
                    {
                        "time": {"type": "string", "format": "date-time"},
                        "percentage_completed": _NULLABLE_NUMBER,
                        "shard_complete": _NULLABLE_INT,
                        "shard_total": _NULLABLE_INT,
                        "running": _NULLABLE_INT,
                        "desired": _NULLABLE_INT,
                    }
                ),
            }
        },
        description="The dashboard's backfill chart: one point per status round, oldest first.",
    ),
    "ReplayStatus": _object(
        {
            "status": {"enum": _WORKER_STATES},
            "message": {"type": "string"},
            "workers": _WORKERS,
        },
        description="`asyncconsole replay status --json`.",
    ),
    "MetricNames": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "description": "`asyncconsole metrics list --json`.",
    },
    "MetricData": _object(
        {
            "component": {"type": "string"},
            "metric": {"type": "string"},
            "statistic": {"type": "string"},
            "lookback_minutes": {"type": "number"},
            "period": {"type": "integer"},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "source_type": {"type": "string"},
            "series": {
                "type": "array",
                "items": _object(
                    {
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "points": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "prefixItems": [
                                    {"type": "string", "format": "date-time"},
                                    {"type": "number"},
                                ],
                                "minItems": 2,
                                "maxItems": 2,
                            },
                        },
                    }
                ),
            },
        },
        description="`asyncconsole metrics get-data --json`.",
    ),
    "BackfillAction": _object(
        {
            "action": {"enum": ["start", "pause", "scale"]},
            "units": {"type": "integer"},
            "message": {"type": "string"},
        },
        description="`asyncconsole backfill start|pause|scale --json`.",
    ),
    "BackfillStop": _object(
        {
            "action": {"const": "stop"},
            "units": {"const": 0},
            "archive": _NULLABLE_STRING,
            "message": {"type": "string"},
        },
        description="`asyncconsole backfill stop --json`.",
    ),
    "ReplayAction": _object(
        {
            "action": {"enum": ["start", "stop", "scale"]},
            "units": {"type": "integer"},
            "message": {"type": "string"},
            "workers": _WORKERS,
        },
        description="`asyncconsole replay start|stop|scale --json`.",
    ),
    "ClearIndices": _object(
        {
            "cluster": {"enum": ["source", "target"]},
            "deleted": {"type": "array", "items": {"type": "string"}},
            "method": {"enum": ["wildcard", "by_name", "none"]},
        },
        description="`asyncconsole clusters clear-indices --json`.",
    ),
    "Environment": {
        "type": "object",
        "additionalProperties": {"type": "object"},
        "description": "Every configured component's description, secrets masked "
        "(`Environment.describe()`).",
    },
    "Session": _object(
        {
            "version": {"type": "string"},
            "read_only": {"type": "boolean"},
            "components": {"type": "array", "items": {"type": "string"}},
            "topics": {"type": "array", "items": {"type": "string"}},
            "token_header": {"type": "string"},
        },
        description="What this dashboard shows and allows.",
    ),
    "Units": _object(
        {"units": {"type": "integer", "minimum": 0}}, description="The number of workers."
    ),
    "StopOptions": {
        "type": "object",
        "properties": {
            "archive": {"type": "boolean", "default": True},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 600},
        },
        "additionalProperties": False,
    },
    "ClearOptions": _object({"cluster": {"enum": ["source", "target"]}}),
}
