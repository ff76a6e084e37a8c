"""``Snapshot``: the source cluster's snapshot and its repository, through the ``_snapshot`` API."""

from __future__ import annotations

import builtins
import contextlib
import functools
import logging
from collections.abc import AsyncGenerator, Sequence
from typing import Any
from urllib.parse import quote

from ..._clock import Clock, SystemClock
from ..._concurrency import gather_pair, settle_bounded
from ..._display import DisplayList
from ..._errors import (
    AsyncConsoleError,
    NoSourceClusterError,
    SnapshotExistsError,
    SnapshotNotStartedError,
)
from ..._observe import observe
from ..._redact import mask_url
from ...config import FSRepoConfig, S3RepoConfig, SnapshotConfig
from ...infra.http import HttpResponse
from ..clusters import Cluster
from ..clusters._answers import response_error
from ._answers import (
    acknowledged,
    primary_document_counts,
    repository_missing,
    snapshots,
    with_status_detail,
)
from ._repository import register_repository
from ._sizing import index_sizes
from ._status import SnapshotStatus
from ._types import (
    DeleteAllResult,
    RepositoryDeletion,
    SnapshotCreation,
    SnapshotDeletion,
    SnapshotIndex,
    SnapshotInfo,
)
from ._waiting import (
    DEFAULT_WAIT_TIMEOUT,
    ProgressCallback,
    final_status,
    statuses_until_done,
    wait_until_gone,
)

__all__ = ["Snapshot"]

_log = logging.getLogger("asyncconsole.services.snapshot")


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
        await register_repository(
            self._cluster(),
            self._path(),
            self.config,
            max_snapshot_rate_mb_per_node=max_snapshot_rate_mb_per_node,
        )

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
            acknowledged(response, "snapshot create answer")
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
        listed = snapshots(found)
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
        found = snapshots(response)
        if not found:
            raise SnapshotNotStartedError("Snapshot not started", snapshot=snapshot)
        return found[0]

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
        info = with_status_detail(info, detailed)
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
        return snapshots(response)

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
        except (AsyncConsoleError, ValueError) as exc:
            _log.info("document counts of the snapshot's indices unavailable: %s", exc)
            return {}
        return primary_document_counts(body)

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
        snapshot = name or self.name
        statuses = statuses_until_done(
            lambda: self.deep_status(name=snapshot),
            snapshot=snapshot,
            clock=self.clock,
            poll_interval=poll_interval,
            timeout=self.wait_timeout if timeout is None else timeout,
        )
        async with contextlib.aclosing(statuses):
            async for status in statuses:
                yield status

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
        return await final_status(
            self.watch(name=name, poll_interval=poll_interval, timeout=timeout),
            snapshot=name or self.name,
            on_progress=on_progress,
        )

    # -- list and delete ----------------------------------------------------------------------

    async def list(self) -> builtins.list[SnapshotInfo]:
        """Every snapshot in the repository (``GET /_snapshot/<repo>/_all``).

        Raises:
            HttpNotFoundError: The repository does not exist.
        """
        response = await self._cluster().call_api(self._path("_all"))
        return DisplayList(SnapshotInfo.from_api(entry) for entry in snapshots(response))

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
                acknowledged(response, "snapshot delete answer")
                existed = True
            else:
                raise response_error(response)
            if wait:
                await wait_until_gone(
                    cluster,
                    path,
                    snapshot=snapshot,
                    clock=self.clock,
                    timeout=timeout,
                    poll_interval=poll_interval,
                )
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
        if response.status == 404 and repository_missing(response):
            return DeleteAllResult(self.repo_name, repository_missing=True)
        if not response.ok:
            raise response_error(response)
        names = [str(s.get("snapshot")) for s in snapshots(response)]
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
        return await index_sizes(self._cluster(), patterns)

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
