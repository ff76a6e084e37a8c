"""The simulation's objects: resources, watch events, exec replies and pod scripts."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..._errors import KubernetesNotFoundError
from ._selectors import selector_from_spec

__all__ = [
    "ENDED",
    "RESOURCES",
    "ExecHandler",
    "ExecReply",
    "Obj",
    "PodScript",
    "PodScripter",
    "WatchEvent",
    "default_exec_handler",
    "exit_status",
    "not_found",
    "scale_of",
    "version_info",
]

Obj = dict[str, Any]

# resource -> (kind, apiVersion, name in messages)
RESOURCES: dict[str, tuple[str, str, str]] = {
    "deployments": ("Deployment", "apps/v1", "deployments.apps"),
    "pods": ("Pod", "v1", "pods"),
    "secrets": ("Secret", "v1", "secrets"),
    "configmaps": ("ConfigMap", "v1", "configmaps"),
}

ENDED = ("Succeeded", "Failed")


@dataclass(frozen=True, slots=True)
class ExecReply:
    """What a scripted exec returns: exit code, stdout, stderr."""

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""


ExecHandler = Callable[[str, str, str, Sequence[str]], "ExecReply | Awaitable[ExecReply]"]
"""``handler(namespace, pod, container, argv)`` -> :class:`ExecReply` (or an awaitable of one)."""


def default_exec_handler(
    namespace: str, pod: str, container: str, argv: Sequence[str]
) -> ExecReply:
    """A tiny shell: ``echo``, ``true``, ``false``, ``hostname``, ``exit N``; else exit 127."""
    cmd, args = argv[0], list(argv[1:])
    if cmd in ("sh", "/bin/sh", "bash") and args[:1] == ["-c"] and len(args) == 2:
        words = args[1].split()
        if words:
            cmd, args = words[0], words[1:]
    if cmd == "echo":
        return ExecReply(0, " ".join(args) + "\n")
    if cmd == "true":
        return ExecReply(0)
    if cmd == "false":
        return ExecReply(1)
    if cmd == "hostname":
        return ExecReply(0, pod + "\n")
    if cmd == "exit" and args and args[0].isdigit():
        return ExecReply(int(args[0]))
    return ExecReply(127, "", f"sh: {cmd}: not found\n")


def exit_status(reply: ExecReply) -> dict[str, Any]:
    """The ``Status`` an exec ends with (channel 3 of the v4 protocol), as the kubelet words it:
    ``Success``, or ``Failure`` with an ``ExitCode`` cause carrying the exit code."""
    if reply.exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {reply.exit_code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(reply.exit_code)}]},
    }


def version_info() -> dict[str, Any]:
    """What the simulated API server answers to ``GET /version``."""
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-asyncconsole-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def scale_of(dep: Mapping[str, Any]) -> Obj:
    """A Deployment's ``scale`` subresource (an ``autoscaling/v1`` ``Scale``)."""
    meta = dep["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: copy.deepcopy(meta[k])
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": dep["spec"].get("replicas", 1)},
        "status": {
            "replicas": (dep.get("status") or {}).get("replicas", 0),
            "selector": selector_from_spec(dep["spec"].get("selector")),
        },
    }


@dataclass(frozen=True, slots=True)
class PodScript:
    """What a created pod's containers do, since the fake runs no containers.

    Once the pod runs (``converge_delay`` after creation) its log gets ``lines`` (one
    newline-terminated line each); ``duration`` seconds later it ends: ``Succeeded`` for an
    ``exit_code`` of 0, ``Failed`` otherwise, and not at all when ``exit_code`` is ``None``
    (it runs until deleted).
    """

    lines: Sequence[str] = ()
    exit_code: int | None = 0
    duration: float = 0.0


PodScripter = Callable[[str, Mapping[str, Any]], "PodScript | None"]
"""``scripter(namespace, pod manifest)`` -> the :class:`PodScript` of a pod created through the
API (``None``: it just runs, logging nothing)."""


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change: ``type`` is ADDED, MODIFIED or DELETED; ``object`` is a snapshot."""

    resource_version: int
    resource: str
    namespace: str
    type: str
    object: Obj


def not_found(resource: str, name: str) -> KubernetesNotFoundError:
    return KubernetesNotFoundError(
        f'{RESOURCES[resource][2]} "{name}" not found', status=404, reason="NotFound"
    )
