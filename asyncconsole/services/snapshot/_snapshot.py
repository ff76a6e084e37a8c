"""``Snapshot``: the source cluster's snapshot and its repository, through the ``_snapshot`` API."""

from __future__ import annotations

import builtins
import functools
import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from ..._clock import Clock, SystemClock
from ..._concurrency import gather, gather_pair, settle_bounded
from ..._decode import expect
from ..._display import DisplayList
from ..._errors import (
    AsyncConsoleError,
    NoSourceClusterError,
    OperationTimeoutError,
    SnapshotExistsError,
    SnapshotFailedError,
    SnapshotNotStartedError,
)
from ..._observe import observe
from ..._redact import mask_url
from ...config import FSRepoConfig, GCSRepoConfig, S3RepoConfig, SnapshotConfig
from ...infra.http import HttpResponse
from ..clusters import Cluster
from ..clusters._answers import response_error
from ._status import SnapshotState, SnapshotStatus
from ._types import (
    DeleteAllResult,
    RepositoryDeletion,
    SnapshotCreation,
    SnapshotDeletion,
    SnapshotIndex,
    SnapshotInfo,
)

__all__ = ["DEFAULT_WAIT_TIMEOUT", "ProgressCallback", "Snapshot", "repository_settings"]

_log = logging.getLogger("asyncconsole.services.snapshot")

DEFAULT_WAIT_TIMEOUT = 6 * 3600.0
"""Longest :meth:`Snapshot.wait` / :meth:`Snapshot.watch` waits unless told otherwise."""


class ProgressCallback(Protocol):
    """Called with each :class:`SnapshotStatus` while waiting; may return an awaitable."""

    def __call__(self, status: SnapshotStatus, /) -> Awaitable[None] | None: ...


_STATS_FILTER = (
    "indices.*.primaries.docs.count,indices.*.primaries.docs.deleted,"
    "indices.*.primaries.store.size_in_bytes"
)
_REPO_TAKEN = ("already exists", "currently used", "currently in use")


def _bucket_and_path(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.strip("/")


def repository_settings(
    config: SnapshotConfig, *, max_snapshot_rate_mb_per_node: int | None = None
) -> dict[str, Any]:
    """The ``PUT /_snapshot/<repo>`` body the Java CreateSnapshot tool sends.

    * fs: ``location`` and ``compress: false``;
    * s3: ``bucket``, ``base_path`` (when the URI has a key), ``compress: false``,
      ``max_snapshot_bytes_per_sec`` (``"<N>mb"``, with a rate), ``region``, ``role_arn`` and
      ``endpoint`` when configured;
    * gcs: ``bucket``, ``base_path``, ``compress``, ``max_snapshot_bytes_per_sec`` (the endpoint is
      deliberately not sent).

    Unlike the Java tool, a rate limit is also applied to an fs repository (OpenSearch honours
    it there too) rather than silently dropped.
    """
    rate = (
        f"{max_snapshot_rate_mb_per_node}mb" if max_snapshot_rate_mb_per_node is not None else None
    )
    repo = config.repo
    settings: dict[str, Any]
    if isinstance(repo, FSRepoConfig):
        settings = {"location": repo.repo_path, "compress": False}
        if rate:
            settings["max_snapshot_bytes_per_sec"] = rate
        return {"type": "fs", "settings": settings}
    bucket, base_path = _bucket_and_path(repo.repo_uri)
    settings = {"bucket": bucket}
    if base_path:
        settings["base_path"] = base_path
    settings["compress"] = False
    if rate:
        settings["max_snapshot_bytes_per_sec"] = rate
    if isinstance(repo, S3RepoConfig):
        settings["region"] = repo.aws_region
        if repo.role:
            settings["role_arn"] = repo.role
        if repo.endpoint:
            settings["endpoint"] = repo.endpoint
        return {"type": "s3", "settings": settings}
    assert isinstance(repo, GCSRepoConfig)
    return {"type": "gcs", "settings": settings}


class Snapshot:
    """The configured snapshot of the source cluster.

    Creates the repository and the snapshot through the ``_snapshot`` API directly (console_link
    runs the Java CreateSnapshot tool), reports basic and deep status with console_link's
    maths (its bugs fixed, see :mod:`._status`), waits with progress events, lists, deletes
    (all snapshots concurrently) and unregisters the repository.

    Every operation raises :class:`~asyncconsole.NoSourceClusterError` when there is no
    source cluster. Solr sources are not supported.

    Args:
        config: The ``snapshot`` block.
        source: The source cluster (None when the configuration has none).
        clock: Time source for polling.
        max_concurrency: Most snapshot deletions running at once in :meth:`delete_all`
            (pass 1 for Elasticsearch before 7.8, which refuses concurrent deletions).
        wait_timeout: Default longest wait of :meth:`wait` and :meth:`watch`.
    """

    def __init__(
        self,
        config: SnapshotConfig,
        source: Cluster | None,
        *,
        clock: Clock | None = None,
        max_concurrency: int = 4,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency!r}")
        self.config = config
        self.source = source
        self.clock: Clock = clock or SystemClock()
        self.max_concurrency = max_concurrency
        self.wait_timeout = wait_timeout

    def __repr__(self) -> str:
        return f"Snapshot(name={self.name!r}, repository={self.repo_name!r})"

    @property
    def name(self) -> str:
        """The configured snapshot name."""
        return self.config.snapshot_name

    @property
    def repo_name(self) -> str:
        """The repository name."""
        return self.config.snapshot_repo_name

    def describe(self) -> dict[str, Any]:
        """The snapshot configuration as plain data (passwords in URLs masked)."""
        repo = self.config.repo
        detail: dict[str, Any] = {"type": repo.kind}
        if isinstance(repo, FSRepoConfig):
            detail["repo_path"] = repo.repo_path
        else:
            detail["repo_uri"] = repo.repo_uri
            detail["endpoint"] = mask_url(repo.endpoint) if repo.endpoint else None
        if isinstance(repo, S3RepoConfig):
            detail["aws_region"] = repo.aws_region
            detail["role"] = repo.role
        return {
            "snapshot_name": self.name,
            "snapshot_repo_name": self.repo_name,
            "external_repo": self.config.is_external_repo,
            "repo": detail,
            "source": mask_url(self.source.endpoint) if self.source else None,
        }

    def _cluster(self) -> Cluster:
        if self.source is None:
            raise NoSourceClusterError()
        return self.source

    def _path(self, snapshot: str | None = None) -> str:
        path = "/_snapshot/" + quote(self.repo_name, safe="")
        return path if snapshot is None else f"{path}/{quote(snapshot, safe='')}"

    # -- create -------------------------------------------------------------------------------

    async def register_repo(self, *, max_snapshot_rate_mb_per_node: int | None = None) -> None:
        """``PUT /_snapshot/<repo>`` with :func:`repository_settings`; an existing one is fine."""
        cluster = self._cluster()
        body = repository_settings(
            self.config, max_snapshot_rate_mb_per_node=max_snapshot_rate_mb_per_node
        )
        # Registering the same settings again is harmless: safe to retry.
        response = await cluster.call_api(
            self._path(), "PUT", json=body, raise_error=False, retry=True
        )
        if response.ok:
            _acknowledged(response, "repository registration answer")
            return
        if any(m in response.text for m in _REPO_TAKEN):
            return
        raise response_error(response)

    async def create(
        self,
        *,
        wait: bool = False,
        max_snapshot_rate_mb_per_node: int | None = None,
        indices: Sequence[str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        name: str | None = None,
        replace: bool = False,
        poll_interval: float = 1.0,
        on_progress: ProgressCallback | None = None,
    ) -> SnapshotCreation:
        """Register the repository and start the snapshot (``PUT /_snapshot/<repo>/<name>``).

        A snapshot that already exists is an error (upstream issue #1685) with two ways out,
        chosen explicitly: ``name=`` takes a new snapshot under another name (snapshots in
        one repository share unchanged data, so it is incremental), ``replace=True`` deletes
        the old one first. Nothing is deleted implicitly.

        Args:
            wait: Wait until the snapshot finishes (console_link always waits for fs; here
                every repository type waits only when asked).
            max_snapshot_rate_mb_per_node: Repository rate limit in MB/s per node.
            indices: Indices to include (default all, ``_all``).
            timeout: Longest wait with ``wait=True`` (default :attr:`wait_timeout`).
            name: Snapshot name instead of the configured one.
            replace: Delete an existing snapshot of that name first.
            poll_interval: Seconds between progress polls while waiting.
            on_progress: Called with each status while waiting.

        Raises:
            SnapshotExistsError: The name is taken and ``replace`` is False.
            SnapshotFailedError: With ``wait``: the snapshot ended FAILED or PARTIAL.
            OperationTimeoutError: With ``wait``: not finished within ``timeout``.
            HttpError: The cluster refused.
        """
        cluster = self._cluster()
        snapshot = name or self.name
        async with observe(_log, "snapshot.create", snapshot, repository=self.repo_name):
            await self.register_repo(max_snapshot_rate_mb_per_node=max_snapshot_rate_mb_per_node)
            if replace:
                deletion = await self.delete(name=snapshot, wait=True)
                replaced = deletion.existed
            else:
                replaced = False
            body = {
                "indices": ",".join(indices) if indices else "_all",
                "ignore_unavailable": True,
                "include_global_state": True,
            }
            response = await cluster.call_api(
                self._path(snapshot),
                "PUT",
                json=body,
                raise_error=False,
                reconcile=functools.partial(self._started_as_asked, snapshot, indices),
            )
            if not response.ok:
                if response.status in (400, 409) and "already exists" in response.text:
                    raise SnapshotExistsError(
                        f"Snapshot '{snapshot}' already exists in repository "
                        f"'{self.repo_name}'. Take an incremental snapshot under a new name "
                        f"(create(name='{snapshot}-2'), or a new snapshot_name in the config), "
                        "or delete the old one first (create(replace=True)).",
                        snapshot=snapshot,
                        repository=self.repo_name,
                    )
                raise response_error(response)
            _acknowledged(response, "snapshot create answer")
        status = None
        if wait:
            status = await self.wait(
                name=snapshot, poll_interval=poll_interval, timeout=timeout, on_progress=on_progress
            )
        return SnapshotCreation(snapshot, self.repo_name, replaced=replaced, status=status)

    async def _started_as_asked(
        self, snapshot: str, indices: Sequence[str] | None
    ) -> HttpResponse | None:
        """After a create whose answer was lost: the snapshot's own ``GET`` when it exists with
        the indices asked for (so the create was ours and took effect), else None."""
        found = await self._cluster().call_api(self._path(snapshot), raise_error=False)
        if not found.ok:
            return None
        listed = _snapshots(found)
        have = set(listed[0].get("indices") or ()) if listed else set()
        wanted = {i for i in indices or () if not any(c in i for c in "*?,-") and i != "_all"}
        return found if listed and wanted <= have else None

    async def _gone(self, path: str) -> HttpResponse | None:
        """After a delete whose answer was lost: an acknowledgement when the snapshot is gone
        (the delete took effect), else None."""
        found = await self._cluster().call_api(path, raise_error=False)
        if found.status != 404:
            return None
        return HttpResponse.build(200, json={"acknowledged": True}, request=None)

    # -- status -------------------------------------------------------------------------------

    async def _info(self, snapshot: str) -> dict[str, Any]:
        response = await self._cluster().call_api(self._path(snapshot), raise_error=False)
        if response.status == 404:
            raise SnapshotNotStartedError("Snapshot not started", snapshot=snapshot)
        if not response.ok:
            raise response_error(response)
        snapshots = _snapshots(response)
        if not snapshots:
            raise SnapshotNotStartedError("Snapshot not started", snapshot=snapshot)
        return snapshots[0]

    async def status(self, *, name: str | None = None) -> str:
        """The raw state (``SUCCESS``, ``IN_PROGRESS``, ``FAILED``, ``PARTIAL``...).

        Raises:
            SnapshotNotStartedError: The snapshot (or its repository) does not exist.
            HttpError: Any other failure (console_link reported every HTTP error as "not
                started").
        """
        info = await self._info(name or self.name)
        return str(info.get("state"))

    async def deep_status(self, *, name: str | None = None) -> SnapshotStatus:
        """Percent, ETA, bytes, throughput, shards and per-index detail.

        ``GET /_snapshot/<repo>/<name>``, ``.../_status`` and the primary document counts
        (``_stats``) go out together: one round trip (console_link asked for the snapshot,
        then for its status). When ``_status`` fails the first answer is used (shard counts
        only); the document counts are kept for the snapshot's indices.

        Raises:
            SnapshotNotStartedError: The snapshot does not exist.
        """
        snapshot = name or self.name
        info, (detailed, counts) = await gather_pair(
            self._info(snapshot),
            gather_pair(self._detailed_info(snapshot), self._document_counts()),
        )
        if detailed:
            merged = dict(detailed[0])
            # _status carries no timestamps outside stats on older versions; keep the basic ones.
            for key in ("start_time_in_millis", "end_time_in_millis", "duration_in_millis"):
                if key in info and key not in merged:
                    merged[key] = info[key]
            if "state" not in merged:
                merged["state"] = info.get("state")
            info = merged
        indices = info.get("indices")
        names = set(indices) if isinstance(indices, list | dict) else set()
        counts = {index: count for index, count in counts.items() if index in names}
        return SnapshotStatus.from_snapshot_info(info, now=self.clock.now(), document_counts=counts)

    async def _detailed_info(self, snapshot: str) -> builtins.list[dict[str, Any]]:
        """``snapshots`` of ``.../_status``, or ``[]`` when it fails (then the basic info)."""
        try:
            response = await self._cluster().call_api(self._path(snapshot) + "/_status")
        except AsyncConsoleError as exc:
            _log.info("snapshot %s: _status failed (%s); using basic info", snapshot, exc)
            return []
        return _snapshots(response)

    async def _document_counts(self) -> dict[str, int]:
        """Primary document counts of the source's indices from ``_stats`` (the snapshot APIs
        report none); empty when they cannot be read. Every index is asked for, so that the
        request need not wait for the snapshot's index names."""
        try:
            response = await self._cluster().call_api(
                "/_stats/docs",
                params={
                    "level": "indices",
                    "filter_path": "indices.*.primaries.docs.count",
                    "expand_wildcards": "all",
                },
            )
            body = response.json()
            found = body.get("indices") if isinstance(body, dict) else None
        except (AsyncConsoleError, ValueError) as exc:
            _log.info("document counts of the snapshot's indices unavailable: %s", exc)
            return {}
        counts: dict[str, int] = {}
        for index, entry in found.items() if isinstance(found, dict) else ():
            count: Any = entry
            for key in ("primaries", "docs", "count"):
                count = count.get(key) if isinstance(count, dict) else None
            if isinstance(count, int) and not isinstance(count, bool):
                counts[index] = count
        return counts

    async def watch(
        self,
        *,
        name: str | None = None,
        poll_interval: float = 1.0,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> AsyncGenerator[SnapshotStatus, None]:
        """Yield the deep status every ``poll_interval`` seconds until the snapshot finishes
        (the finished status is the last one).

        Raises:
            OperationTimeoutError: Still running after ``timeout`` (default :attr:`wait_timeout`).
            SnapshotNotStartedError: The snapshot does not exist.
        """
        limit = self.wait_timeout if timeout is None else timeout
        deadline = self.clock.monotonic() + limit
        snapshot = name or self.name
        while True:
            status = await self.deep_status(name=snapshot)
            yield status
            if status.done:
                return
            if self.clock.monotonic() + poll_interval > deadline:
                raise OperationTimeoutError(
                    f"snapshot {snapshot} still running after {limit:g}s "
                    f"({status.percentage_completed:.2f}% done)",
                    timeout=limit,
                    snapshot=snapshot,
                )
            await self.clock.sleep(poll_interval)

    async def wait(
        self,
        *,
        name: str | None = None,
        poll_interval: float = 1.0,
        timeout: float | None = None,  # noqa: ASYNC109
        on_progress: ProgressCallback | None = None,
    ) -> SnapshotStatus:
        """Wait for the snapshot to finish; ``on_progress`` gets every status polled.

        Raises:
            SnapshotFailedError: It ended FAILED or PARTIAL (``context["status"]`` has it).
            OperationTimeoutError: Still running after ``timeout``.
            SnapshotNotStartedError: The snapshot does not exist.
        """
        final: SnapshotStatus | None = None
        async for status in self.watch(name=name, poll_interval=poll_interval, timeout=timeout):
            final = status
            if on_progress is not None:
                result = on_progress(status)
                if inspect.isawaitable(result):
                    await result
        assert final is not None
        if final.status is SnapshotState.FAILED:
            raise SnapshotFailedError(
                f"snapshot {name or self.name} ended {final.state}",
                state=final.state,
                status=final,
            )
        return final

    # -- list and delete ----------------------------------------------------------------------

    async def list(self) -> builtins.list[SnapshotInfo]:
        """Every snapshot in the repository (``GET /_snapshot/<repo>/_all``).

        Raises:
            HttpNotFoundError: The repository does not exist.
        """
        response = await self._cluster().call_api(self._path("_all"))
        return DisplayList(SnapshotInfo.from_api(entry) for entry in _snapshots(response))

    async def delete(
        self,
        *,
        name: str | None = None,
        wait: bool = True,
        timeout: float = 120.0,  # noqa: ASYNC109
        poll_interval: float = 2.0,
    ) -> SnapshotDeletion:
        """``DELETE /_snapshot/<repo>/<name>`` (404 = already deleted), then poll ``GET`` until 404.

        Raises:
            OperationTimeoutError: With ``wait``, the snapshot still exists after ``timeout``.
            HttpError: The cluster refused the deletion.
        """
        cluster = self._cluster()
        snapshot = name or self.name
        path = self._path(snapshot)
        async with observe(_log, "snapshot.delete", snapshot, repository=self.repo_name):
            response = await cluster.call_api(
                path, "DELETE", raise_error=False, reconcile=functools.partial(self._gone, path)
            )
            if response.status == 404:
                existed = False
            elif response.ok:
                _acknowledged(response, "snapshot delete answer")
                existed = True
            else:
                raise response_error(response)
            if wait:
                deadline = self.clock.monotonic() + timeout
                while True:
                    check = await cluster.call_api(path, raise_error=False)
                    if check.status == 404:
                        break
                    if self.clock.monotonic() + poll_interval > deadline:
                        raise OperationTimeoutError(
                            f"snapshot {snapshot} still exists {timeout:g}s after deletion",
                            timeout=timeout,
                            snapshot=snapshot,
                        )
                    await self.clock.sleep(poll_interval)
        return SnapshotDeletion(snapshot, self.repo_name, existed=existed)

    async def delete_all(
        self,
        *,
        wait: bool = True,
        timeout: float = 120.0,  # noqa: ASYNC109
    ) -> DeleteAllResult:
        """Delete every snapshot in the repository, concurrently (at most ``max_concurrency``).

        One failure does not stop the others; each snapshot's outcome is in the result.
        """
        cluster = self._cluster()
        response = await cluster.call_api(self._path("_all"), raise_error=False)
        if response.status == 404 and _repository_missing(response):
            return DeleteAllResult(self.repo_name, repository_missing=True)
        if not response.ok:
            raise response_error(response)
        names = [str(s.get("snapshot")) for s in _snapshots(response)]
        outcomes = await settle_bounded(
            lambda n: self.delete(name=n, wait=wait, timeout=timeout),
            names,
            limit=self.max_concurrency,
        )
        results = tuple(
            o
            if isinstance(o, SnapshotDeletion)
            else SnapshotDeletion(n, self.repo_name, existed=True, error=o)
            for n, o in zip(names, outcomes, strict=True)
        )
        return DeleteAllResult(self.repo_name, results)

    async def unregister_repo(self) -> RepositoryDeletion:
        """``DELETE /_snapshot/<repo>`` (a missing repository is reported, not raised)."""
        response = await self._cluster().call_api(self._path(), "DELETE", raise_error=False)
        if response.status == 404:
            return RepositoryDeletion(self.repo_name, existed=False)
        if not response.ok:
            raise response_error(response)
        return RepositoryDeletion(self.repo_name, existed=True)

    # -- sizing and health --------------------------------------------------------------------

    async def indexes(self, patterns: Sequence[str] | None = None) -> builtins.list[SnapshotIndex]:
        """Document count, primary size and shard count of the indices a snapshot would hold.

        With ``patterns`` they are resolved first (``GET /_resolve/index/<patterns>``, data
        streams' backing indices included); ``_stats`` and ``_settings`` are then fetched
        concurrently. Dotted index names keep their shard counts (console_link keyed them by
        the text after the last ``.``).
        """
        cluster = self._cluster()
        prefix = ""
        if patterns:
            resolved = await cluster.call_api(
                "/_resolve/index/" + quote(",".join(patterns), safe=",*"),
                params={"expand_wildcards": "all"},
            )
            targets = resolved.parse(_resolved_names, "resolved indices")
            if not targets:
                return []
            prefix = "/" + quote(",".join(targets), safe=",")

        stats_response, settings_response = await gather(
            cluster.call_api(
                prefix + "/_stats",
                params={
                    "level": "indices",
                    "filter_path": _STATS_FILTER,
                    "expand_wildcards": "all",
                    "metric": "docs,store",
                },
            ),
            cluster.call_api(
                prefix + "/_settings",
                params={
                    "filter_path": "*.settings.index.number_of_shards",
                    "expand_wildcards": "all",
                },
            ),
        )
        shards = settings_response.parse(_shard_counts, "index settings")
        found = stats_response.parse(
            lambda stats: _index_stats(stats, shards), "index statistics (_stats)"
        )
        return sorted(found, key=lambda i: i.name)

    async def check(self) -> str:
        """Repository registered? Snapshot state? (Both asked concurrently.)

        Raises:
            NoSourceClusterError: No source cluster.
            HttpError: The source cluster could not be reached or failed.
        """
        cluster = self._cluster()

        async def state() -> str:
            try:
                return await self.status()
            except SnapshotNotStartedError:
                return "not started"

        repo, snapshot_state = await gather_pair(
            cluster.call_api(self._path(), raise_error=False), state()
        )
        if repo.status == 404:
            registered = "not registered"
        elif repo.ok:
            registered = "registered"
        else:
            raise response_error(repo)
        return (
            f"repository '{self.repo_name}' ({self.config.repo_kind}) {registered}; "
            f"snapshot '{self.name}': {snapshot_state}"
        )


def _snapshots(response: HttpResponse) -> builtins.list[dict[str, Any]]:
    return response.parse(_snapshot_entries, "snapshot list")


def _snapshot_entries(payload: Any) -> builtins.list[dict[str, Any]]:
    found = expect(expect(payload, dict, "answer")["snapshots"], list, "snapshots")
    return [expect(entry, dict, "snapshot") for entry in found]


def _shard_counts(settings: Any) -> dict[str, int]:
    # filter_path drops everything when nothing matched: an empty answer is {}.
    shards = {}
    for name, entry in expect(settings, dict, "answer").items():
        index = (expect(entry, dict, "index entry").get("settings") or {}).get("index") or {}
        shards[name] = int(index.get("number_of_shards", 0))
    return shards


def _index_stats(stats: Any, shards: Mapping[str, int]) -> builtins.list[SnapshotIndex]:
    found = []
    indices = expect(expect(stats, dict, "answer").get("indices") or {}, dict, "indices")
    for name, entry in indices.items():
        primaries = expect(expect(entry, dict, "index").get("primaries") or {}, dict, "primaries")
        found.append(
            SnapshotIndex(
                name=name,
                document_count=int((primaries.get("docs") or {}).get("count", 0)),
                size_bytes=int((primaries.get("store") or {}).get("size_in_bytes", 0)),
                shard_count=shards.get(name, 0),
            )
        )
    return found


def _acknowledged(response: HttpResponse, what: str) -> None:
    """A 2xx answer to a change must still be the JSON object OpenSearch sends (not a proxy's
    HTML page): else the change may not have happened."""
    response.parse(lambda payload: expect(payload, dict, "answer"), what)


def _repository_missing(response: HttpResponse) -> bool:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("type") == "repository_missing_exception"


def _resolved_names(payload: Any) -> builtins.list[str]:
    names: builtins.list[str] = []
    payload = expect(payload, dict, "answer")
    for entry in expect(payload.get("indices") or [], list, "indices"):
        names.append(expect(expect(entry, dict, "index")["name"], str, "index name"))
    for stream in expect(payload.get("data_streams") or [], list, "data_streams"):
        for backing in expect(stream.get("backing_indices") or [], list, "backing_indices"):
            names.append(str(backing.get("name") if isinstance(backing, dict) else backing))
    return list(dict.fromkeys(names))
