"""The three PATCH flavours the API server accepts: JSON merge, strategic merge, JSON patch."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PatchError", "apply_patch"]

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"

# list fields that strategic merge patches merge by a key instead of replacing
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "conditions": "type",
    "imagePullSecrets": "name",
}


class PatchError(ValueError):
    """The patch is malformed or cannot be applied; ``status`` is the HTTP code to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _merge(target: Any, patch: Any, strategic: bool) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if strategic and key.startswith("$"):  # $setElementOrder, $retainKeys, $patch
            continue
        if value is None:
            result.pop(key, None)
        elif strategic and key in _MERGE_KEYS and isinstance(value, list):
            result[key] = _merge_list(result.get(key) or [], value, _MERGE_KEYS[key])
        else:
            result[key] = _merge(result.get(key), value, strategic)
    return result


def _merge_list(target: list[Any], patch: list[Any], key: str) -> list[Any]:
    merged = [copy.deepcopy(item) for item in target]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            merged.append(copy.deepcopy(item))
            continue
        for i, existing in enumerate(merged):
            if isinstance(existing, dict) and existing.get(key) == item[key]:
                if item.get("$patch") == "delete":
                    del merged[i]
                else:
                    merged[i] = _merge(existing, item, True)
                break
        else:
            if item.get("$patch") != "delete":
                merged.append(_merge({}, item, True))
    return merged


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}", 400)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise PatchError(f"path component {part!r} does not exist")
    return node, parts[-1]


def _get(doc: Any, path: str) -> Any:
    node = doc
    for part in _pointer(path):
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError) as exc:
            raise PatchError(f"path {path!r} does not exist") from exc
    return node


def _json_patch(doc: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations", 400)
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid JSON patch operation {op!r}", 400)
        kind, path = op["op"], op["path"]
        if kind == "test":
            if _get(doc, path) != op.get("value"):
                raise PatchError(f"test failed at {path!r}")
            continue
        if kind in ("move", "copy"):
            value = copy.deepcopy(_get(doc, op["from"]))
            if kind == "move":
                doc = _json_patch(doc, [{"op": "remove", "path": op["from"]}])
            doc = _json_patch(doc, [{"op": "add", "path": path, "value": value}])
            continue
        parts = _pointer(path)
        if not parts:
            if kind == "remove":
                raise PatchError("cannot remove the whole document")
            doc = copy.deepcopy(op.get("value"))
            continue
        parent, last = _parent(doc, parts)
        try:
            if kind == "add":
                if isinstance(parent, list):
                    parent.insert(
                        len(parent) if last == "-" else int(last), copy.deepcopy(op["value"])
                    )
                else:
                    parent[last] = copy.deepcopy(op["value"])
            elif kind == "replace":
                if isinstance(parent, list):
                    parent[int(last)] = copy.deepcopy(op["value"])
                elif last not in parent:
                    raise PatchError(f"path {path!r} does not exist")
                else:
                    parent[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                if isinstance(parent, list):
                    del parent[int(last)]
                else:
                    del parent[last]
            else:
                raise PatchError(f"unknown JSON patch op {kind!r}", 400)
        except PatchError:
            raise
        except (KeyError, IndexError, ValueError) as exc:
            raise PatchError(f"cannot {kind} at {path!r}") from exc
    return doc


def apply_patch(doc: dict[str, Any], patch: Any, content_type: str) -> dict[str, Any]:
    """``doc`` patched per ``content_type``; raises :class:`PatchError` (415 for other types)."""
    media = content_type.split(";")[0].strip().lower()
    if media == MERGE:
        result = _merge(doc, patch, strategic=False)
    elif media == STRATEGIC:
        result = _merge(doc, patch, strategic=True)
    elif media == JSON_PATCH:
        result = _json_patch(doc, patch)
    else:
        raise PatchError(
            f"the body of the request was in an unknown format - accepted media types include: {JSON_PATCH}, {MERGE}, {STRATEGIC}",
            415,
        )
    if not isinstance(result, dict):
        raise PatchError("the patched object is not a JSON object")
    return result
