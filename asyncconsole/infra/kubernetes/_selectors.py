"""Kubernetes label and field selectors: parse, match, and build from a Deployment's selector."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "selector_from_spec",
]

_KEY = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


@dataclass(frozen=True, slots=True)
class _Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return value in self.values
        if self.op == "in":
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


class LabelSelector:
    """A parsed label selector (``app=web``, ``tier in (a,b)``, ``!canary``, ``env!=prod``)."""

    __slots__ = ("_reqs", "text")

    def __init__(self, text: str | None) -> None:
        self.text = text or ""
        self._reqs = tuple(self._parse(part) for part in _split_top_level(self.text))

    @staticmethod
    def _parse(part: str) -> _Requirement:
        m = re.fullmatch(r"(\S+?)\s+(in|notin)\s*\((.*)\)", part)
        if m:
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            return _Requirement(_check_key(m.group(1), part), m.group(2), values)
        if part.startswith("!"):
            return _Requirement(_check_key(part[1:].strip(), part), "!")
        for op in ("!=", "==", "="):
            if op in part:
                key, _, value = part.partition(op)
                value = value.strip()
                if not _VALUE.match(value):
                    raise ValueError(f"invalid label value {value!r} in selector {part!r}")
                return _Requirement(
                    _check_key(key.strip(), part), "!=" if op == "!=" else "=", frozenset([value])
                )
        return _Requirement(_check_key(part, part), "exists")

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether an object with ``labels`` is selected."""
        labels = labels or {}
        return all(r.matches(labels) for r in self._reqs)

    def __repr__(self) -> str:
        return f"LabelSelector({self.text!r})"


def _check_key(key: str, part: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"invalid label key {key!r} in selector {part!r}")
    return key


# field paths each resource supports, as the real API server does
_FIELDS: dict[str, dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "pods": {
        "metadata.name": lambda o: o["metadata"]["name"],
        "metadata.namespace": lambda o: o["metadata"].get("namespace", ""),
        "status.phase": lambda o: o.get("status", {}).get("phase", ""),
        "spec.nodeName": lambda o: o.get("spec", {}).get("nodeName", "") or "",
        "spec.restartPolicy": lambda o: o.get("spec", {}).get("restartPolicy", ""),
        "status.podIP": lambda o: o.get("status", {}).get("podIP", "") or "",
    },
    "secrets": {
        "metadata.name": lambda o: o["metadata"]["name"],
        "metadata.namespace": lambda o: o["metadata"].get("namespace", ""),
        "type": lambda o: o.get("type", ""),
    },
    "deployments": {
        "metadata.name": lambda o: o["metadata"]["name"],
        "metadata.namespace": lambda o: o["metadata"].get("namespace", ""),
    },
}


class FieldSelector:
    """A parsed field selector (``metadata.name=web``, ``status.phase!=Running``)."""

    __slots__ = ("_reqs", "text")

    def __init__(self, text: str | None, resource: str) -> None:
        self.text = text or ""
        fields = _FIELDS.get(resource, _FIELDS["deployments"])
        reqs = []
        for part in _split_top_level(self.text):
            for op in ("!=", "==", "="):
                if op in part:
                    key, _, value = part.partition(op)
                    key = key.strip()
                    if key not in fields:
                        raise ValueError(f'field label not supported: "{key}"')
                    reqs.append((fields[key], op == "!=", value.strip()))
                    break
            else:
                raise ValueError(f"invalid field selector: {part!r}")
        self._reqs = tuple(reqs)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` is selected."""
        return all((get(obj) == value) != negate for get, negate, value in self._reqs)


def selector_from_spec(selector: Mapping[str, Any] | None) -> str:
    """The label-selector string equivalent to a ``LabelSelector`` object of a spec."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
