"""Snapshot repositories and snapshots whose progress advances with the injected clock.

A snapshot copies its shards one after another at ``bytes_per_second`` (or spreads over a fixed
``duration``): ``_status`` reports shard stages, ``shards_stats`` and byte-level ``stats``
(``incremental``/``processed``/``total``) computed from the clock at each request, so a
``FakeClock`` drives it in tests and real time in a demo. Indices unchanged since a successful
snapshot in the same repository contribute no incremental bytes, as in OpenSearch.
"""

from __future__ import annotations

import fnmatch
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ._errors import ApiError, repository_missing, snapshot_missing
from ._settings import flatten_settings, nest_settings
from ._store import Store

__all__ = ["REPOSITORY_TYPES", "Repository", "Snapshot", "SnapshotService"]

REPOSITORY_TYPES = frozenset({"fs", "s3", "gcs", "azure", "url", "hdfs", "source"})
_REQUIRED = {"fs": "location", "s3": "bucket", "gcs": "bucket", "url": "url"}
_FILE_BYTES = 1 << 20  # one segment file per MiB of shard data (plus one per shard)
_BAD_SNAPSHOT_CHARS = set('\\/*?"<>|,# ')


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


@dataclass
class _Shard:
    index: str
    index_uuid: str
    shard: int
    total_bytes: int
    incremental_bytes: int

    @property
    def total_files(self) -> int:
        return 1 + math.ceil(self.total_bytes / _FILE_BYTES)

    @property
    def incremental_files(self) -> int:
        return self.total_files if self.incremental_bytes else 0


@dataclass
class Snapshot:
    """One snapshot and the plan its progress follows."""

    repository: str
    name: str
    uuid: str
    indices: list[str]
    include_global_state: bool
    metadata: Mapping[str, Any] | None
    start_ms: int
    duration_s: float
    shards: list[_Shard]
    generations: dict[str, tuple[str, int]]
    outcome: str = "SUCCESS"
    reason: str | None = None
    version: str = "2.15.0"

    def elapsed_ms(self, now_ms: int) -> int:
        return max(0, now_ms - self.start_ms)

    def fraction(self, now_ms: int) -> float:
        if self.duration_s <= 0:
            return 1.0
        return min(1.0, self.elapsed_ms(now_ms) / (self.duration_s * 1000))

    def done(self, now_ms: int) -> bool:
        return self.fraction(now_ms) >= 1.0

    def state(self, now_ms: int) -> str:
        """``IN_PROGRESS`` until the copy finishes, then the outcome."""
        return self.outcome if self.done(now_ms) else "IN_PROGRESS"

    def end_ms(self) -> int:
        return self.start_ms + int(self.duration_s * 1000)

    # ---------------------------------------------------------------- per-shard progress

    def shard_progress(self, now_ms: int) -> list[tuple[_Shard, str, int, int]]:
        """(shard, stage, processed bytes, processed files) for every shard, copied in order."""
        total = sum(s.incremental_bytes for s in self.shards)
        budget = self.fraction(now_ms) * total
        finished = self.done(now_ms)
        out: list[tuple[_Shard, str, int, int]] = []
        for shard in self.shards:
            if finished or budget >= shard.incremental_bytes:
                budget -= shard.incremental_bytes
                out.append((shard, "DONE", shard.incremental_bytes, shard.incremental_files))
            elif budget > 0:
                share = budget / shard.incremental_bytes
                budget = 0
                out.append(
                    (
                        shard,
                        "STARTED",
                        int(share * shard.incremental_bytes),
                        int(share * shard.incremental_files),
                    )
                )
            else:
                out.append((shard, "INIT", 0, 0))
        if finished and self.outcome != "SUCCESS":
            failed = self._failed_shards()
            out = [
                (s, "FAILURE", 0, 0) if (s.index, s.shard) in failed else (s, st, b, f)
                for s, st, b, f in out
            ]
        return out

    def _failed_shards(self) -> set[tuple[str, int]]:
        if self.outcome == "FAILED":
            return {(s.index, s.shard) for s in self.shards}
        if self.outcome == "PARTIAL" and self.shards:
            return {(self.shards[0].index, self.shards[0].shard)}
        return set()

    # ---------------------------------------------------------------- API shapes

    def info(self, now_ms: int, *, verbose: bool = True) -> dict[str, Any]:
        """An entry of ``GET /_snapshot/<repo>/<snapshot>`` (``verbose=false``: names only)."""
        state = self.state(now_ms)
        if not verbose:
            return {
                "snapshot": self.name,
                "uuid": self.uuid,
                "indices": list(self.indices),
                "data_streams": [],
                "state": state,
            }
        body: dict[str, Any] = {
            "snapshot": self.name,
            "uuid": self.uuid,
            "version_id": 136357827,
            "version": self.version,
            "remote_store_index_shallow_copy": False,
            "indices": list(self.indices),
            "data_streams": [],
            "include_global_state": self.include_global_state,
        }
        if self.metadata is not None:
            body["metadata"] = self.metadata
        body["state"] = state
        if state == "IN_PROGRESS":
            body.update(
                {
                    "start_time": _iso(self.start_ms),
                    "start_time_in_millis": self.start_ms,
                    "end_time": _iso(0),
                    "end_time_in_millis": 0,
                    "duration_in_millis": 0,
                    "failures": [],
                    "shards": {"total": 0, "failed": 0, "successful": 0},
                }
            )
            return body
        failed = self._failed_shards()
        if self.reason:
            body["reason"] = self.reason
        end = self.end_ms()
        body.update(
            {
                "start_time": _iso(self.start_ms),
                "start_time_in_millis": self.start_ms,
                "end_time": _iso(end),
                "end_time_in_millis": end,
                "duration_in_millis": end - self.start_ms,
                "failures": [
                    {
                        "index": s.index,
                        "index_uuid": s.index_uuid,
                        "shard_id": s.shard,
                        "reason": self.reason or "simulated shard failure",
                        "node_id": "fake-node-id",
                        "status": "INTERNAL_SERVER_ERROR",
                    }
                    for s in self.shards
                    if (s.index, s.shard) in failed
                ],
                "shards": {
                    "total": len(self.shards),
                    "failed": len(failed),
                    "successful": len(self.shards) - len(failed),
                },
            }
        )
        return body

    def status(self, now_ms: int) -> dict[str, Any]:
        """An entry of ``GET /_snapshot/<repo>/<snapshot>/_status``."""
        progress = self.shard_progress(now_ms)
        elapsed = self.end_ms() - self.start_ms if self.done(now_ms) else self.elapsed_ms(now_ms)
        state = self.state(now_ms)
        per_index: dict[str, list[tuple[_Shard, str, int, int]]] = {}
        for item in progress:
            per_index.setdefault(item[0].index, []).append(item)
        indices = {
            name: {
                "shards_stats": _shards_stats(items),
                "stats": self._stats(items, elapsed),
                "shards": {
                    str(shard.shard): {
                        "stage": stage,
                        "stats": self._stats([(shard, stage, b, f)], elapsed),
                    }
                    for shard, stage, b, f in items
                },
            }
            for name, items in per_index.items()
        }
        return {
            "snapshot": self.name,
            "repository": self.repository,
            "uuid": self.uuid,
            "state": "STARTED" if state == "IN_PROGRESS" else state,
            "include_global_state": self.include_global_state,
            "shards_stats": _shards_stats(progress),
            "stats": self._stats(progress, elapsed),
            "indices": indices,
        }

    def _stats(self, items: Sequence[tuple[_Shard, str, int, int]], elapsed: int) -> dict[str, Any]:
        inc_files = sum(s.incremental_files for s, _, _, _ in items)
        inc_bytes = sum(s.incremental_bytes for s, _, _, _ in items)
        done_files = sum(f for _, _, _, f in items)
        done_bytes = sum(b for _, _, b, _ in items)
        stats: dict[str, Any] = {
            "incremental": {"file_count": inc_files, "size_in_bytes": inc_bytes}
        }
        # As OpenSearch's SnapshotStats: "processed" only while it differs from "incremental".
        if done_files != inc_files:
            stats["processed"] = {"file_count": done_files, "size_in_bytes": done_bytes}
        stats["total"] = {
            "file_count": sum(s.total_files for s, _, _, _ in items),
            "size_in_bytes": sum(s.total_bytes for s, _, _, _ in items),
        }
        stats["start_time_in_millis"] = self.start_ms
        stats["time_in_millis"] = elapsed
        return stats


def _shards_stats(items: Sequence[tuple[_Shard, str, int, int]]) -> dict[str, int]:
    stages = [stage for _, stage, _, _ in items]
    return {
        "initializing": stages.count("INIT"),
        "started": stages.count("STARTED"),
        "finalizing": stages.count("FINALIZE"),
        "done": stages.count("DONE"),
        "failed": stages.count("FAILURE"),
        "total": len(items),
    }


@dataclass
class Repository:
    """A registered snapshot repository."""

    name: str
    type: str
    settings: dict[str, str]
    snapshots: dict[str, Snapshot] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "settings": nest_settings(self.settings)}


class SnapshotService:
    """Repositories and snapshots of the fake cluster."""

    def __init__(
        self,
        store: Store,
        *,
        version: str,
        duration: float,
        bytes_per_second: float | None,
    ) -> None:
        self.store = store
        self.version = version
        self.duration = duration
        self.bytes_per_second = bytes_per_second
        self.repositories: dict[str, Repository] = {}
        self._next_outcomes: list[tuple[str, str]] = []

    def fail_next(self, state: str = "FAILED", reason: str = "simulated failure") -> None:
        """Make the next snapshot created end in ``state`` (FAILED or PARTIAL)."""
        if state not in {"FAILED", "PARTIAL"}:
            raise ValueError("state must be FAILED or PARTIAL")
        self._next_outcomes.append((state, reason))

    # ---------------------------------------------------------------- repositories

    def put_repository(self, name: str, body: Mapping[str, Any]) -> None:
        repo_type = body.get("type")
        if not isinstance(repo_type, str) or not repo_type:
            raise ApiError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: type is missing;",
            )
        if repo_type not in REPOSITORY_TYPES:
            raise ApiError(
                500,
                "repository_exception",
                f"[{name}] repository type [{repo_type}] does not exist",
            )
        settings = flatten_settings(body.get("settings") or {})
        required = _REQUIRED.get(repo_type)
        if required and not settings.get(required):
            raise ApiError(500, "repository_exception", f"[{name}] missing {required}")
        existing = self.repositories.get(name)
        if existing is not None:
            self._ensure_unused(existing)
            existing.type, existing.settings = repo_type, settings
        else:
            self.repositories[name] = Repository(name, repo_type, settings)

    def _ensure_unused(self, repo: Repository) -> None:
        now = self.store.now_ms()
        if any(not s.done(now) for s in repo.snapshots.values()):
            raise ApiError(
                500,
                "illegal_state_exception",
                f"trying to modify or unregister repository [{repo.name}] that is currently used",
            )

    def repository(self, name: str) -> Repository:
        repo = self.repositories.get(name)
        if repo is None:
            raise repository_missing(name)
        return repo

    def get_repositories(self, expression: str | None) -> dict[str, Any]:
        parts = [p for p in (expression or "_all").split(",") if p]
        out: dict[str, Any] = {}
        for part in parts:
            if part in {"_all", "*"} or "*" in part:
                for name in sorted(self.repositories):
                    if part == "_all" or fnmatch.fnmatchcase(name, part):
                        out[name] = self.repositories[name].describe()
            else:
                out[part] = self.repository(part).describe()
        return out

    def delete_repository(self, expression: str) -> None:
        targets: list[Repository] = []
        for part in expression.split(","):
            if "*" in part or part == "_all":
                targets.extend(
                    r
                    for n, r in sorted(self.repositories.items())
                    if part == "_all" or fnmatch.fnmatchcase(n, part)
                )
            else:
                targets.append(self.repository(part))
        for repo in targets:
            self._ensure_unused(repo)
        for repo in targets:
            self.repositories.pop(repo.name, None)

    # ---------------------------------------------------------------- snapshots

    def create(self, repo_name: str, name: str, body: Mapping[str, Any]) -> Snapshot:
        repo = self.repository(repo_name)
        _validate_snapshot_name(repo_name, name)
        if name in repo.snapshots:
            raise ApiError(
                400,
                "invalid_snapshot_name_exception",
                f"[{repo_name}:{name}] Invalid snapshot name [{name}], snapshot with the same "
                "name already exists",
            )
        raw = body.get("indices")
        expression = ",".join(raw) if isinstance(raw, list) else raw
        indices = self.store.resolve(
            expression,
            ignore_unavailable=bool(body.get("ignore_unavailable", False)),
            expand_hidden=not expression or expression in {"_all", "*"},
        )
        done_generations = [
            s.generations
            for s in repo.snapshots.values()
            if s.outcome == "SUCCESS" and s.done(self.store.now_ms())
        ]
        shards: list[_Shard] = []
        generations: dict[str, tuple[str, int]] = {}
        for index in indices:
            marker = (index.uuid, index.generation)
            generations[index.name] = marker
            unchanged = any(g.get(index.name) == marker for g in done_generations)
            total = index.store_bytes
            per_shard = [total // index.shards] * index.shards
            per_shard[0] += total - sum(per_shard)
            for number, size in enumerate(per_shard):
                shards.append(
                    _Shard(index.name, index.uuid, number, size, 0 if unchanged else size)
                )
        incremental = sum(s.incremental_bytes for s in shards)
        duration = incremental / self.bytes_per_second if self.bytes_per_second else self.duration
        outcome, reason = self._next_outcomes.pop(0) if self._next_outcomes else ("SUCCESS", None)
        snapshot = Snapshot(
            repository=repo_name,
            name=name,
            uuid=uuid.uuid4().hex[:22],
            indices=[index.name for index in indices],
            include_global_state=bool(body.get("include_global_state", True)),
            metadata=body.get("metadata"),
            start_ms=self.store.now_ms(),
            duration_s=duration,
            shards=shards,
            generations=generations,
            outcome=outcome,
            reason=reason,
            version=self.version,
        )
        repo.snapshots[name] = snapshot
        return snapshot

    def select(
        self, repo_name: str, expression: str, *, ignore_unavailable: bool
    ) -> list[Snapshot]:
        repo = self.repository(repo_name)
        now = self.store.now_ms()
        chosen: dict[str, Snapshot] = {}
        for part in [p for p in expression.split(",") if p]:
            if part == "_current":
                chosen.update({n: s for n, s in repo.snapshots.items() if not s.done(now)})
            elif part in {"_all", "*"} or "*" in part:
                chosen.update(
                    {
                        n: s
                        for n, s in repo.snapshots.items()
                        if part == "_all" or fnmatch.fnmatchcase(n, part)
                    }
                )
            elif part in repo.snapshots:
                chosen[part] = repo.snapshots[part]
            elif not ignore_unavailable:
                raise snapshot_missing(repo_name, part)
        return sorted(chosen.values(), key=lambda s: (s.start_ms, s.name))

    def delete(self, repo_name: str, expression: str) -> None:
        repo = self.repository(repo_name)
        for snapshot in self.select(repo_name, expression, ignore_unavailable=False):
            repo.snapshots.pop(snapshot.name, None)

    def cleanup(self, repo_name: str) -> dict[str, Any]:
        """``POST /_snapshot/<repo>/_cleanup``: the fake leaves no unreferenced data behind."""
        repo = self.repository(repo_name)
        now = self.store.now_ms()
        running = [s.name for s in repo.snapshots.values() if not s.done(now)]
        if running:
            raise ApiError(
                500,
                "illegal_state_exception",
                f"Cannot cleanup [{repo_name}] - a snapshot is currently running in "
                f"[{', '.join(running)}]",
            )
        return {"results": {"deleted_bytes": 0, "deleted_blobs": 0}}

    def running(self, repo_name: str | None) -> list[Snapshot]:
        now = self.store.now_ms()
        repos = [self.repository(repo_name)] if repo_name else list(self.repositories.values())
        return [s for r in repos for s in r.snapshots.values() if not s.done(now)]


def _validate_snapshot_name(repo: str, name: str) -> None:
    def bad(why: str) -> ApiError:
        return ApiError(
            400,
            "invalid_snapshot_name_exception",
            f"[{repo}:{name}] Invalid snapshot name [{name}], {why}",
        )

    if not name:
        raise bad("cannot be empty")
    if name != name.lower():
        raise bad("must be lowercase")
    if name.startswith("_"):
        raise bad("must not start with '_'")
    bad_chars = sorted(_BAD_SNAPSHOT_CHARS & set(name))
    if bad_chars:
        raise bad(f"must not contain the following characters {bad_chars}")
