"""Every index of the fake cluster, its aliases and cluster settings, and name resolution.

Index expressions resolve as OpenSearch's ``IndexNameExpressionResolver`` does for the cases
the fake serves: comma lists, ``*`` wildcards, ``_all``, ``-`` exclusions, alias names,
``expand_wildcards`` (open, closed, hidden), ``ignore_unavailable`` and ``allow_no_indices``
(checked for each wildcard, not for the whole expression).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..._clock import Clock
from ._errors import ApiError, index_not_found
from ._index import Index, index_closed, validate_index_name
from ._settings import flatten_with_nulls, nest_settings, setting_true

__all__ = ["Store", "Wildcards", "parse_expand_wildcards"]


@dataclass(frozen=True, slots=True)
class Wildcards:
    """What a wildcard expands to (``expand_wildcards``)."""

    open: bool = True
    closed: bool = False
    hidden: bool = False

    def admits(self, index: Index) -> bool:
        if index.hidden and not self.hidden:
            return False
        return self.closed if index.closed else self.open


_EXPAND_VALUES = {"open", "closed", "hidden", "none", "all"}


def parse_expand_wildcards(value: str | None, default: Wildcards) -> Wildcards:
    """``expand_wildcards=open,hidden`` (400 for an unknown value)."""
    if value is None:
        return default
    open_ = closed = hidden = False
    for part in [p.strip() for p in value.split(",") if p.strip()]:
        if part not in _EXPAND_VALUES:
            raise ApiError(
                400, "illegal_argument_exception", f"No valid expand wildcard value [{part}]"
            )
        if part == "all":
            open_ = closed = hidden = True
        elif part == "open":
            open_ = True
        elif part == "closed":
            closed = True
        elif part == "hidden":
            hidden = True
    return Wildcards(open_, closed, hidden)


class Store:
    """Every index and the cluster settings."""

    def __init__(self, clock: Clock, *, near_real_time: bool = True) -> None:
        self.clock = clock
        self.near_real_time = near_real_time
        self.indices: dict[str, Index] = {}
        self.cluster_settings: dict[str, dict[str, str]] = {"persistent": {}, "transient": {}}

    def now_ms(self) -> int:
        """Clock time in epoch milliseconds."""
        return int(self.clock.now().timestamp() * 1000)

    def cluster_setting(self, key: str) -> str | None:
        """Transient overrides persistent, as in OpenSearch."""
        return self.cluster_settings["transient"].get(
            key, self.cluster_settings["persistent"].get(key)
        )

    # ------------------------------------------------------------------ indices

    def create_index(
        self,
        name: str,
        *,
        settings: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
        aliases: Mapping[str, Any] | None = None,
    ) -> Index:
        """Create an index (400 if it or an alias of that name exists, or the name is invalid)."""
        validate_index_name(name)
        existing = self.indices.get(name)
        if existing is not None:
            raise ApiError(
                400,
                "resource_already_exists_exception",
                f"index [{name}/{existing.uuid}] already exists",
                index_uuid=existing.uuid,
                index=name,
            )
        if self.alias_indices(name):
            raise ApiError(
                400,
                "invalid_index_name_exception",
                f"Invalid index name [{name}], already exists as alias",
                index=name,
                index_uuid="_na_",
            )
        index = Index(
            name,
            clock=self.clock,
            created_ms=self.now_ms(),
            settings=settings,
            mappings=mappings,
            near_real_time=self.near_real_time,
        )
        if aliases:
            from ._aliases import alias_metadata, validate_alias_name

            for alias, body in aliases.items():
                validate_alias_name(self, alias, [index])
                index.aliases[alias] = alias_metadata(body, index)
        self.indices[name] = index
        return index

    def auto_create(self, name: str) -> Index:
        """The index a write to ``name`` goes to, created with defaults if missing."""
        index = self.indices.get(name)
        if index is not None:
            return index
        holders = self.alias_indices(name)
        if holders:
            return self.write_index(name, holders)
        return self.create_index(name)

    def write_index(self, alias: str, holders: list[Index]) -> Index:
        """The index a write through ``alias`` goes to (400 when there is none)."""
        writers = [i for i in holders if i.aliases[alias].get("is_write_index") is True]
        if (
            not writers
            and len(holders) == 1
            and holders[0].aliases[alias].get("is_write_index") is not False
        ):
            writers = holders
        if len(writers) != 1:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"no write index is defined for alias [{alias}]. The write index may be "
                "explicitly disabled using is_write_index=false or the alias points to multiple "
                "indices without one being designated as a write index",
            )
        return writers[0]

    def get(self, name: str) -> Index:
        """One concrete index (or an alias naming exactly one), or 404."""
        index = self.indices.get(name)
        if index is None:
            holders = self.alias_indices(name)
            if len(holders) == 1:
                index = holders[0]
            elif holders:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"alias [{name}] has more than one index associated with it "
                    f"[{', '.join(sorted(i.name for i in holders))}], can't execute a single "
                    "index op",
                )
            else:
                raise index_not_found(name)
        index.tick()
        return index

    def alias_indices(self, alias: str) -> list[Index]:
        """The indices ``alias`` points to, by name."""
        # filter before sorting: creating each of 10,000 indices checks this
        return [
            self.indices[name]
            for name in sorted(name for name, i in self.indices.items() if alias in i.aliases)
        ]

    def alias_names(self) -> set[str]:
        """Every alias name."""
        return {alias for index in self.indices.values() for alias in index.aliases}

    def resolve(
        self,
        expression: str | None,
        *,
        ignore_unavailable: bool = False,
        allow_no_indices: bool = True,
        wildcards: Wildcards | None = None,
        expand_hidden: bool = False,
        for_delete: bool = False,
        allow_closed: bool = False,
        allow_aliases: bool = True,
    ) -> list[Index]:
        """Indices named by an expression (see the module docstring), ticked for refreshes.

        A closed index named explicitly is a 400 ``index_closed_exception`` unless
        ``allow_closed`` (or ``ignore_unavailable``, which skips it).
        """
        if wildcards is None:
            wildcards = Wildcards(open=True, closed=for_delete, hidden=expand_hidden)
        parts = [p for p in (expression or "").split(",") if p] or ["_all"]
        wildcard_used = any(p == "_all" or "*" in p for p in parts)
        if (
            for_delete
            and wildcard_used
            and setting_true(self.cluster_setting("action.destructive_requires_name"))
        ):
            raise ApiError(
                400,
                "illegal_argument_exception",
                "Wildcard expressions or all indices are not allowed",
            )
        chosen: dict[str, Index] = {}
        for i, part in enumerate(parts):
            if part.startswith("_") and part != "_all":
                raise ApiError(
                    400,
                    "invalid_index_name_exception",
                    f"Invalid index name [{part}], must not start with '_'.",
                    index=part,
                    index_uuid="_na_",
                )
            if part.startswith("-") and i > 0:
                pattern = part[1:]
                for name in [n for n in chosen if fnmatch.fnmatchcase(n, pattern)]:
                    del chosen[name]
                continue
            if part == "_all" or "*" in part:
                found = self._expand(part, wildcards, allow_aliases and not for_delete)
                if not found and not allow_no_indices:
                    raise index_not_found(part)
                for index in found:
                    chosen.setdefault(index.name, index)
                continue
            named = self.indices.get(part)
            if named is not None:
                chosen.setdefault(part, named)
                continue
            holders = self.alias_indices(part) if allow_aliases else []
            if holders and for_delete:
                raise ApiError(
                    400,
                    "illegal_argument_exception",
                    f"The provided expression [{part}] matches an alias, specify the "
                    "corresponding concrete indices instead.",
                )
            if holders:
                for holder in holders:
                    chosen.setdefault(holder.name, holder)
                continue
            if ignore_unavailable:
                continue
            raise index_not_found(part)
        result: list[Index] = []
        for index in chosen.values():
            if index.closed and not allow_closed:
                if ignore_unavailable or (wildcard_used and not _named(index.name, parts)):
                    continue
                raise index_closed(index)
            index.tick()
            result.append(index)
        if not result and not allow_no_indices and chosen == {}:
            raise index_not_found(expression or "_all")
        return result

    def _expand(self, part: str, wildcards: Wildcards, allow_aliases: bool) -> list[Index]:
        pattern = "*" if part == "_all" else part
        dotted = pattern.startswith(".")
        found: dict[str, Index] = {}
        for name in sorted(self.indices):
            index = self.indices[name]
            if not fnmatch.fnmatchcase(name, pattern):
                continue
            hidden_ok = wildcards.hidden or (dotted and index.hidden)
            if index.hidden and not hidden_ok:
                continue
            if (index.closed and not wildcards.closed) or (not index.closed and not wildcards.open):
                continue
            found[name] = index
        if allow_aliases and part != "_all":
            for name in sorted(self.indices):
                index = self.indices[name]
                for alias, meta in index.aliases.items():
                    if not fnmatch.fnmatchcase(alias, pattern):
                        continue
                    if meta.get("is_hidden") and not (wildcards.hidden or dotted):
                        continue
                    if (index.closed and wildcards.closed) or (not index.closed and wildcards.open):
                        found.setdefault(name, index)
        return [found[n] for n in sorted(found)]

    def delete_indices(self, indices: Iterable[Index]) -> None:
        """Remove indices (and with them their aliases)."""
        for index in indices:
            self.indices.pop(index.name, None)

    # ------------------------------------------------------------------ cluster settings

    def update_cluster_settings(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /_cluster/settings``: ``null`` values reset a setting."""
        out: dict[str, Any] = {"acknowledged": True, "persistent": {}, "transient": {}}
        for scope in ("persistent", "transient"):
            given = body.get(scope) or {}
            if not isinstance(given, Mapping):
                raise ApiError(400, "illegal_argument_exception", f"[{scope}] must be an object")
            flat = flatten_with_nulls(given)
            target = self.cluster_settings[scope]
            for key, value in flat.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
            out[scope] = nest_settings({k: v for k, v in flat.items() if v is not None})
        return out


def _named(name: str, parts: list[str]) -> bool:
    return name in parts
