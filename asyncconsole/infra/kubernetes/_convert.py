"""Kubernetes JSON objects -> asyncconsole types (shared by the real manager and the fake).

The readers expect the shapes the API documents and raise :class:`~asyncconsole._decode.ShapeError`
(or ``KeyError``/``TypeError``..., which the manager reads the same way) for anything else.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..._decode import expect
from ..._errors import KubernetesError
from ..._secret import Secret
from ._types import DeploymentStatus, PodInfo, PodPhase

__all__ = [
    "api_object",
    "config_map_data",
    "count_pods",
    "decode_secret",
    "deployment_status",
    "exit_code",
    "object_items",
    "parse_time",
    "pod_ended",
    "pod_info",
    "pod_seen",
    "pod_wait_over",
    "replicas_reached",
    "replicas_seen",
    "resource_version",
    "version_info",
    "watch_event",
]


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime (``None`` when absent or unparsable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_ready(pod: Mapping[str, Any]) -> bool:
    for cond in pod.get("status", {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def pod_info(pod: Mapping[str, Any]) -> PodInfo:
    """A ``PodInfo`` from a Pod object."""
    meta = pod.get("metadata", {})
    spec = pod.get("spec", {})
    status = pod.get("status", {})
    return PodInfo(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        phase=PodPhase.parse(status.get("phase")),
        ready=_is_ready(pod),
        terminating=bool(meta.get("deletionTimestamp")),
        node=spec.get("nodeName") or None,
        labels=dict(meta.get("labels") or {}),
        ip=status.get("podIP") or None,
        restarts=sum(int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or ()),
        containers=tuple(c.get("name", "") for c in spec.get("containers") or ()),
        created_at=parse_time(meta.get("creationTimestamp")),
    )


def count_pods(pods: Iterable[Mapping[str, Any]]) -> tuple[int, int, int]:
    """``(running, pending, terminating)`` with console_link's rule: deletion timestamp first."""
    running = pending = terminating = 0
    for pod in pods:
        if pod.get("metadata", {}).get("deletionTimestamp"):
            terminating += 1
            continue
        phase = pod.get("status", {}).get("phase")
        if phase == "Running":
            running += 1
        elif phase == "Pending":
            pending += 1
    return running, pending, terminating


def deployment_status(
    deployment: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]
) -> DeploymentStatus:
    """A ``DeploymentStatus`` from a Deployment object and the pods its selector matches."""
    meta = deployment.get("metadata", {})
    spec = deployment.get("spec", {})
    status = deployment.get("status") or {}
    running, pending, terminating = count_pods(pods)
    return DeploymentStatus(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        desired=int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1),
        current=int(status.get("replicas") or 0),
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        running=running,
        pending=pending,
        terminating=terminating,
        generation=int(meta.get("generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
    )


def decode_secret(secret: Mapping[str, Any]) -> dict[str, Secret]:
    """A Secret's ``data`` (base64) and ``stringData`` as ``{key: Secret}``."""
    out: dict[str, Secret] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            raw = base64.b64decode(value or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            name = secret.get("metadata", {}).get("name", "?")
            raise KubernetesError(f"secret {name!r} key {key!r} is not valid base64") from exc
        out[key] = Secret(raw.decode("utf-8", errors="replace"))
    for key, value in (secret.get("stringData") or {}).items():
        out[key] = Secret(str(value))
    return out


def replicas_reached(deployment: Mapping[str, Any], ready: int) -> bool:
    """Whether the controller saw the latest spec and exactly ``ready`` replicas are ready."""
    status = deployment.get("status") or {}
    observed = int(status.get("observedGeneration") or 0)
    generation = int(deployment.get("metadata", {}).get("generation") or 0)
    return observed >= generation and int(status.get("readyReplicas") or 0) == ready


def replicas_seen(last: Mapping[str, Any] | None) -> str:
    """`` (last seen: 2 ready of 3 desired)`` for a replicas wait that ran out of time."""
    if last is None:
        return ""
    ready = (last.get("status") or {}).get("readyReplicas") or 0
    return f" (last seen: {ready} ready of {last.get('spec', {}).get('replicas')} desired)"


def config_map_data(config_map: Mapping[str, Any]) -> dict[str, str]:
    """A ConfigMap's ``data`` (its ``binaryData`` is not text and is left out)."""
    return {str(k): str(v) for k, v in (config_map.get("data") or {}).items()}


def pod_ended(pod: Mapping[str, Any]) -> bool:
    """Whether a pod's containers are done for good (phase ``Succeeded`` or ``Failed``)."""
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


def pod_wait_over(pod: Mapping[str, Any], condition: str) -> bool:
    """Whether a wait for ``condition`` is over: it holds, or the pod ended and never will."""
    if condition == "Ready":
        met = _is_ready(pod)
    else:
        met = pod.get("status", {}).get("phase") == condition
    return met or pod_ended(pod)


def pod_seen(last: Mapping[str, Any] | None) -> str:
    """`` (last seen: phase Pending, ready false)`` for a pod wait that ran out of time."""
    if last is None:
        return ""
    info = pod_info(last)
    return f" (last seen: phase {info.phase.value}, ready {str(info.ready).lower()})"


# ---------------------------------------------------------------- answers, checked


def api_object(value: Any) -> dict[str, Any]:
    """An API object: a JSON object with a ``metadata`` object (else :class:`ShapeError`)."""
    obj = expect(value, dict, "the answer")
    expect(obj.get("metadata"), dict, "metadata")
    return obj


def object_items(value: Any) -> list[dict[str, Any]]:
    """The ``items`` of a list answer, each an API object."""
    items = expect(value, dict, "the answer").get("items")
    return [api_object(item) for item in expect(items or [], list, "items")]


def resource_version(obj: Mapping[str, Any]) -> str:
    """An object's ``metadata.resourceVersion`` (where a watch of it starts)."""
    return expect(obj["metadata"].get("resourceVersion"), str, "metadata.resourceVersion")


def watch_event(value: Any) -> tuple[str, dict[str, Any]]:
    """``(type, object)`` of one watch event: ADDED, MODIFIED, DELETED (with the object),
    BOOKMARK, or ERROR (with a ``Status``)."""
    event = expect(value, dict, "a watch event")
    kind = expect(event.get("type"), str, "a watch event's type")
    obj = expect(event.get("object"), dict, "a watch event's object")
    if kind in ("ADDED", "MODIFIED", "DELETED"):
        api_object(obj)
    return kind, obj


def version_info(value: Any) -> str:
    """The ``gitVersion`` of a ``GET /version`` answer."""
    return expect(expect(value, dict, "the answer").get("gitVersion"), str, "gitVersion")


def exit_code(status: Any) -> int | None:
    """The exit code carried by an exec's ``Status`` (channel 3 of the v4 protocol); ``None``
    when the ``Status`` reports a failure to run the command at all."""
    obj = expect(status, dict, "the exec status")
    if obj.get("status") == "Success":
        return 0
    for cause in expect((obj.get("details") or {}).get("causes") or [], list, "causes"):
        if expect(cause, dict, "a cause").get("reason") == "ExitCode":
            return int(expect(cause.get("message"), str, "the exit code"))
    return None
