"""``meta.k8s.io/v1`` Table responses, so ``kubectl get`` prints the same columns as for a real cluster."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..infra.kubernetes._convert import parse_time
from ..infra.kubernetes._selectors import selector_from_spec

__all__ = ["human_duration", "table", "wants_table"]

Obj = dict[str, Any]


def wants_table(accept: str) -> bool:
    """Whether the ``Accept`` header asks for a ``Table`` (as kubectl get does)."""
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in accept.split(","))


def human_duration(seconds: float) -> str:
    """Kubernetes' ``duration.HumanDuration`` (the AGE column)."""
    if seconds < -1:
        return "<invalid>"
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years, days = hours // 24 // 365, hours // 24 % 365
    if years < 8:
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{years}y"


def _age(obj: Obj, now: datetime) -> str:
    created = parse_time(obj.get("metadata", {}).get("creationTimestamp"))
    return "<unknown>" if created is None else human_duration((now - created).total_seconds())


def _col(name: str, kind: str, description: str, priority: int = 0, fmt: str = "") -> Obj:
    return {
        "name": name,
        "type": kind,
        "format": fmt,
        "description": description,
        "priority": priority,
    }


def _deployment_row(d: Obj, now: datetime) -> list[Any]:
    status, spec = d.get("status") or {}, d.get("spec") or {}
    containers = spec.get("template", {}).get("spec", {}).get("containers") or []
    return [
        d["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        _age(d, now),
        ",".join(c["name"] for c in containers),
        ",".join(c.get("image", "") for c in containers),
        selector_from_spec(spec.get("selector")),
    ]


def _pod_status(p: Obj) -> str:
    if p["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = p.get("status") or {}
    for cs in status.get("containerStatuses") or ():
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return str(waiting["reason"])
        terminated = (cs.get("state") or {}).get("terminated")
        if terminated and terminated.get("reason"):
            return str(terminated["reason"])
    return str(status.get("phase") or "Unknown")


def _pod_row(p: Obj, now: datetime) -> list[Any]:
    status = p.get("status") or {}
    statuses = status.get("containerStatuses") or []
    containers = p.get("spec", {}).get("containers") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    return [
        p["metadata"]["name"],
        f"{ready}/{len(containers)}",
        _pod_status(p),
        sum(int(c.get("restartCount", 0)) for c in statuses),
        _age(p, now),
        status.get("podIP") or "<none>",
        p.get("spec", {}).get("nodeName") or "<none>",
        "<none>",
        "<none>",
    ]


def _secret_row(s: Obj, now: datetime) -> list[Any]:
    return [s["metadata"]["name"], s.get("type", "Opaque"), len(s.get("data") or {}), _age(s, now)]


def _config_map_row(c: Obj, now: datetime) -> list[Any]:
    entries = len(c.get("data") or {}) + len(c.get("binaryData") or {})
    return [c["metadata"]["name"], entries, _age(c, now)]


_NAME = "Name must be unique within a namespace."
_AGE = "CreationTimestamp is a timestamp representing the server time when this object was created."
_COLUMNS: dict[str, tuple[list[Obj], Callable[[Obj, datetime], list[Any]]]] = {
    "deployments": (
        [
            _col("Name", "string", _NAME, fmt="name"),
            _col("Ready", "string", "Number of the pod with ready state"),
            _col(
                "Up-to-date",
                "string",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            _col(
                "Available",
                "string",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            _col("Age", "string", _AGE),
            _col("Containers", "string", "Names of each container in the template.", 1),
            _col("Images", "string", "Images referenced by each container in the template.", 1),
            _col("Selector", "string", "Label selector for pods.", 1),
        ],
        _deployment_row,
    ),
    "pods": (
        [
            _col("Name", "string", _NAME, fmt="name"),
            _col(
                "Ready",
                "string",
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            _col("Status", "string", "The aggregate status of the containers in this pod."),
            _col(
                "Restarts",
                "string",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            _col("Age", "string", _AGE),
            _col("IP", "string", "IP address allocated to the pod.", 1),
            _col("Node", "string", "Name of the node this pod is running on.", 1),
            _col("Nominated Node", "string", "Name of the node where the pod is nominated.", 1),
            _col("Readiness Gates", "string", "The readiness gates of the pod.", 1),
        ],
        _pod_row,
    ),
    "secrets": (
        [
            _col("Name", "string", _NAME, fmt="name"),
            _col("Type", "string", "The type of secret"),
            _col("Data", "string", "The number of data entries in the secret"),
            _col("Age", "string", _AGE),
        ],
        _secret_row,
    ),
    "configmaps": (
        [
            _col("Name", "string", _NAME, fmt="name"),
            _col("Data", "string", "The number of data entries in the config map"),
            _col("Age", "string", _AGE),
        ],
        _config_map_row,
    ),
}


def table(
    resource: str,
    objects: Sequence[Obj],
    *,
    now: datetime,
    resource_version: str,
    include_object: str = "Metadata",
) -> Obj:
    """A ``Table`` of ``objects``; each row carries the object (``Object``) or its metadata."""
    columns, row_of = _COLUMNS[resource]
    rows = []
    for obj in objects:
        row: Obj = {"cells": row_of(obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": rows,
    }
