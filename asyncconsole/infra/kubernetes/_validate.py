"""Argument checks shared by every K8sManager, so bad input fails the same way before any call."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["check_argv", "check_condition", "check_count", "check_name", "check_pod_manifest"]

_CONDITIONS = ("Ready", "Pending", "Running", "Succeeded", "Failed", "Unknown")


def check_name(what: str, value: object) -> None:
    """``value`` must be a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")


def check_count(what: str, value: object) -> None:
    """``value`` must be an int >= 0 (not a bool)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be an int >= 0, got {value!r}")


def check_argv(argv: object) -> tuple[str, ...]:
    """``argv`` must be a non-empty sequence of strings (not one string)."""
    if (
        isinstance(argv, str)
        or not isinstance(argv, Sequence)
        or not argv
        or not all(isinstance(a, str) for a in argv)
    ):
        raise ValueError(f"argv must be a non-empty sequence of strings, got {argv!r}")
    return tuple(argv)


def check_condition(condition: object) -> str:
    """``condition`` must be ``"Ready"`` or a pod phase."""
    if condition not in _CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(_CONDITIONS)}, got {condition!r}")
    return str(condition)


def check_pod_manifest(namespace: str, manifest: object) -> dict[str, Any]:
    """A copy of a Pod manifest, checked: a mapping of kind Pod (or no kind), a name (or a
    ``generateName``), the namespace of the call if it names one, at least one container."""
    if not isinstance(manifest, Mapping):
        raise ValueError(f"manifest must be a mapping, got {type(manifest).__name__}")
    body: dict[str, Any] = copy.deepcopy(dict(manifest))
    if body.get("kind", "Pod") != "Pod" or body.get("apiVersion", "v1") != "v1":
        raise ValueError(
            f"manifest must be a v1 Pod, got {body.get('apiVersion')}/{body.get('kind')}"
        )
    meta = body.get("metadata")
    if not isinstance(meta, Mapping) or not (meta.get("name") or meta.get("generateName")):
        raise ValueError("manifest needs metadata.name (or metadata.generateName)")
    if meta.get("namespace") not in (None, namespace):
        raise ValueError(
            f"manifest namespace {meta.get('namespace')!r} differs from namespace {namespace!r}"
        )
    containers = (body.get("spec") or {}).get("containers")
    if not isinstance(containers, Sequence) or not containers:
        raise ValueError("manifest needs spec.containers (at least one)")
    body.setdefault("apiVersion", "v1")
    body.setdefault("kind", "Pod")
    return body
