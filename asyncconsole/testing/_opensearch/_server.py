"""``FakeOpenSearchServer``: an aiohttp server speaking an in-memory subset of OpenSearch."""

from __future__ import annotations

import collections
import gzip
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from ..._clock import Clock, SystemClock
from ..._resource import AsyncResource
from ._api import OpenSearchApi, Request
from ._auth import make_authenticator
from ._errors import ApiError, error_body
from ._faults import FaultRules
from ._filter_path import apply_filter_path
from ._store import Index, new_id
from ._types import RecordedRequest
from ._working_state import (
    WorkItem,
    claim_work_items,
    complete_work_items,
    seed_working_state,
)

__all__ = ["FakeOpenSearchServer"]

_log = logging.getLogger("asyncconsole.testing.opensearch")
_CONTROL = "_asyncconsole"


class FakeOpenSearchServer(AsyncResource):
    """An in-memory OpenSearch subset over real HTTP on 127.0.0.1, for tests and demos.

    ``async with FakeOpenSearchServer() as os:`` starts it on a free port; point clients at
    :attr:`url`. It serves ``GET /``, cluster health and settings, index create/get/delete
    (comma lists, ``*``, ``-`` exclusions, ``action.destructive_requires_name``), documents,
    ``_bulk``, ``_refresh``, ``_count``, ``_search`` (query DSL subset, ``sort``, ``_source``,
    aggregations, ``track_total_hits`` with OpenSearch's default cap of 10,000), scroll,
    ``_cat/indices``, ``_stats``/``_settings``/``_mapping``/``_resolve/index``, and
    ``_snapshot`` repositories and snapshots whose progress advances with ``clock``. Errors use
    OpenSearch's ``{"error": {...}, "status": N}`` shape. Every request is recorded in
    :attr:`requests`.

    Writes are visible to searches at once (as if each were refreshed). Scores are always 1.0.

    Args:
        version: ``version.number`` reported by ``GET /``.
        distribution: ``"opensearch"`` or ``"elasticsearch"`` (changes ``GET /``).
        auth: None (open), ``("user", "password")`` or a ``BasicAuth`` (401 with
            ``WWW-Authenticate`` otherwise), or a ``SigV4Auth`` with credentials and region
            (requests must carry a valid signature for them; 403 otherwise).
        latency: Seconds every request waits (on ``clock``) before it is answered.
        clock: Time for snapshots, scroll expiry, latency and work-item timestamps.
        host: Address to bind (loopback by default).
        port: Port to bind (0 picks a free one).
        cluster_name: ``cluster_name`` in ``GET /`` and health.
        snapshot_duration: Seconds a snapshot takes (when ``snapshot_bytes_per_second`` is None).
        snapshot_bytes_per_second: Copy rate; a snapshot then takes incremental bytes / rate.
        request_log_limit: How many recent requests :attr:`requests` keeps.
        serverless: Act like an Amazon OpenSearch Serverless collection of this type
            (``"search"``, ``"timeseries"`` or ``"vector"``): ``GET /`` answers 404 and the KNN
            type probe fails the way that collection type makes it fail.
    """

    def __init__(
        self,
        *,
        version: str = "2.15.0",
        distribution: str = "opensearch",
        auth: Any = None,
        latency: float = 0.0,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        cluster_name: str = "fake-opensearch",
        snapshot_duration: float = 1.0,
        snapshot_bytes_per_second: float | None = None,
        request_log_limit: int = 10_000,
        serverless: str | None = None,
    ) -> None:
        if distribution not in {"opensearch", "elasticsearch"}:
            raise ValueError("distribution must be 'opensearch' or 'elasticsearch'")
        if serverless not in {None, "search", "timeseries", "vector"}:
            raise ValueError("serverless must be None, 'search', 'timeseries' or 'vector'")
        self.clock: Clock = clock or SystemClock()
        self.api = OpenSearchApi(
            clock=self.clock,
            version=version,
            distribution=distribution,
            cluster_name=cluster_name,
            snapshot_duration=snapshot_duration,
            snapshot_bytes_per_second=snapshot_bytes_per_second,
            serverless=serverless,
        )
        self._auth = make_authenticator(auth)
        self._rules = FaultRules(latency)
        self._host = host
        self._port = port
        self._log: collections.deque[RecordedRequest] = collections.deque(maxlen=request_log_limit)
        self._runner: Any = None

    def __repr__(self) -> str:
        return f"<FakeOpenSearchServer {self.url if self._runner else 'not started'}>"

    # ------------------------------------------------------------------ lifecycle

    async def _open(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=256 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, backlog=1024)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self._host}:{self._port}"

    # ------------------------------------------------------------------ serving

    async def _serve(self, request: Any) -> Any:
        from aiohttp import web
        from multidict import CIMultiDict, CIMultiDictProxy

        body = await request.read()
        if request.headers.get("Content-Encoding", "").lower() == "gzip" and body:
            body = gzip.decompress(body)
        raw_path = request.rel_url.raw_path
        segments = [unquote(part) for part in raw_path.split("/") if part]
        params = dict(request.query.items())
        method = request.method.upper()
        path = request.path
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        self._log.append(
            RecordedRequest(method, path, params, body, headers, request.rel_url.raw_query_string)
        )
        reply_headers: dict[str, str] = {}
        try:
            if segments[:1] != [_CONTROL]:
                delay = self._rules.delay_for(method, path)
                if delay > 0:
                    await self.clock.sleep(delay)
                fault = self._rules.take_fault(method, path)
                if fault is not None:
                    if fault.reset:
                        # Drop the connection: the client sees it closed without an answer.
                        if request.transport is not None:
                            request.transport.abort()
                        return web.Response(status=500)
                    error = ApiError(fault.status, fault.error_type, fault.reason)
                    error.headers.update(fault.headers)
                    raise error
                host = request.headers.get("Host", f"{self._host}:{self._port}")
                self._auth.check(method, f"http://{host}{request.raw_path}", headers, body)
            status, payload = await self.api.handle(
                Request(
                    method=method,
                    path=path,
                    segments=segments,
                    params=params,
                    body=body,
                    content_type=request.headers.get("Content-Type", "").lower(),
                )
            )
        except ApiError as exc:
            status, payload = exc.status, exc.body()
            reply_headers.update(exc.headers)
        except Exception as exc:  # a bug in the fake: answer like OpenSearch would, and log it
            _log.exception("FakeOpenSearchServer failed on %s %s", method, path)
            status, payload = 500, error_body(500, "exception", f"{type(exc).__name__}: {exc}")
        if isinstance(payload, (dict, list)) and "filter_path" in params:
            payload = apply_filter_path(payload, params["filter_path"])
        if method == "HEAD" or payload is None:
            return web.Response(status=status, headers=reply_headers)
        if isinstance(payload, str):
            return web.Response(
                status=status,
                text=payload,
                content_type="text/plain",
                charset="UTF-8",
                headers=reply_headers,
            )
        pretty = params.get("pretty", "false").lower() in {"", "true"}
        text = json.dumps(
            payload, indent=2 if pretty else None, separators=None if pretty else (",", ":")
        )
        return web.Response(
            status=status,
            body=text.encode(),
            content_type="application/json",
            charset="UTF-8",
            headers=reply_headers,
        )

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first (the last ``request_log_limit``)."""
        return list(self._log)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._log.clear()

    def requests_matching(
        self, method: str | None = None, path: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests with this method and whose path matches regex ``path`` (searched)."""
        pattern = re.compile(path) if path is not None else None
        return [
            r
            for r in self._log
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.search(r.path))
        ]

    # ------------------------------------------------------------------ faults and latency

    @property
    def latency(self) -> float:
        """Seconds every request waits unless a :meth:`add_latency` rule matches."""
        return self._rules.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._rules.latency = seconds

    def add_latency(
        self, seconds: float, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Delay requests with ``method`` whose path matches regex ``path`` by ``seconds``."""
        self._rules.add_latency(seconds, method=method, path=path)

    def fail_next(
        self,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int = 500,
        error_type: str | None = None,
        reason: str = "injected failure",
        reset: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Fail the next ``count`` requests matching ``method`` and regex ``path``.

        They get ``status`` with an OpenSearch error body (``error_type`` defaults by status,
        e.g. 429 ``rejected_execution_exception``) and ``headers`` (say ``Retry-After``), or,
        with ``reset=True``, the connection is dropped without an answer. Checked after
        latency and before authentication.
        """
        self._rules.add_fault(
            count,
            method=method,
            path=path,
            status=status,
            error_type=error_type,
            reason=reason,
            reset=reset,
            headers=dict(headers or {}),
        )

    def clear_faults(self) -> None:
        """Remove every pending fault and latency rule."""
        self._rules.clear()

    # ------------------------------------------------------------------ data helpers (no HTTP)

    def create_index(
        self,
        name: str,
        docs: Iterable[Mapping[str, Any] | tuple[str, Mapping[str, Any]]] = (),
        *,
        shards: int = 1,
        replicas: int = 1,
        mappings: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Index:
        """Create an index and load ``docs`` (dicts get generated ids; or ``(id, source)``)."""
        index = self.api.store.create_index(
            name,
            settings={
                **dict(settings or {}),
                "index.number_of_shards": shards,
                "index.number_of_replicas": replicas,
            },
            mappings=mappings,
        )
        self.bulk_load(name, docs)
        return index

    def bulk_load(
        self,
        index: str,
        docs: Iterable[Mapping[str, Any] | tuple[str, Mapping[str, Any]]],
    ) -> int:
        """Store documents straight into ``index`` (created if missing); returns how many.

        Sources are kept as given (dicts are not copied). Store size is estimated from a
        sample of the documents, so loading hundreds of thousands stays fast.
        """
        target = self.api.store.auto_create(index)
        loaded = 0
        sampled = 0
        estimate = 0
        for item in docs:
            if isinstance(item, tuple):
                doc_id, source = str(item[0]), item[1]
            else:
                doc_id, source = new_id(), item
            if not isinstance(source, dict):
                source = dict(source)
            if sampled < 64:
                estimate = (estimate * sampled + len(json.dumps(source))) // (sampled + 1)
                sampled += 1
            target.put(doc_id, source, size=estimate, infer=sampled <= 64)
            loaded += 1
        return loaded

    def index(self, name: str) -> Index:
        """The stored index ``name`` (KeyError if missing), for direct inspection."""
        return self.api.store.indices[name]

    @property
    def index_names(self) -> list[str]:
        """Names of every index, sorted."""
        return sorted(self.api.store.indices)

    def document(self, index: str, doc_id: str) -> dict[str, Any] | None:
        """A stored document's source, or None."""
        stored = self.api.store.indices.get(index)
        doc = stored.docs.get(doc_id) if stored is not None else None
        return doc.source if doc is not None else None

    def set_cluster_setting(self, key: str, value: Any, *, persistent: bool = True) -> None:
        """Set a cluster setting (e.g. ``action.destructive_requires_name``) without HTTP."""
        scope = "persistent" if persistent else "transient"
        self.api.store.update_cluster_settings({scope: {key: value}})

    @property
    def open_scrolls(self) -> int:
        """Scroll contexts currently open (cleared or expired ones are gone)."""
        self.api.search._purge()
        return len(self.api.search.scrolls)

    # ------------------------------------------------------------------ snapshots

    @property
    def snapshot_duration(self) -> float:
        """Seconds each new snapshot takes (when no byte rate is set)."""
        return self.api.snapshots.duration

    @snapshot_duration.setter
    def snapshot_duration(self, seconds: float) -> None:
        self.api.snapshots.duration = seconds

    @property
    def snapshot_bytes_per_second(self) -> float | None:
        """Copy rate of new snapshots (None: use :attr:`snapshot_duration`)."""
        return self.api.snapshots.bytes_per_second

    @snapshot_bytes_per_second.setter
    def snapshot_bytes_per_second(self, rate: float | None) -> None:
        self.api.snapshots.bytes_per_second = rate

    def fail_next_snapshot(self, state: str = "FAILED", reason: str = "simulated failure") -> None:
        """Make the next snapshot created finish as ``FAILED`` or ``PARTIAL``."""
        self.api.snapshots.fail_next(state, reason)

    # ------------------------------------------------------------------ RFS working state

    def seed_working_state(
        self,
        items: Iterable[WorkItem] = (),
        *,
        completed: int = 0,
        in_progress: int = 0,
        unclaimed: int = 0,
        split: int = 0,
        session: str | None = None,
        shards_per_index: int = 2,
        index_prefix: str = "index",
        setup_completed: bool = True,
        started_ago: float = 3600.0,
        lease_seconds: float = 600.0,
    ) -> str:
        """Create ``.migrations_working_state[_<session>]`` with work items; returns its name.

        Seeds ``shard_setup`` (completed ``started_ago`` seconds before now, unless
        ``setup_completed`` is False), the explicit ``items``, then ``completed``,
        ``in_progress`` (lease ``lease_seconds`` into the future), ``unclaimed`` (lease
        expired) and ``split`` generated items (a split item is completed and names one
        in-progress successor, which is seeded too). Generated items are spread over indices
        ``<index_prefix><n>`` with ``shards_per_index`` shards each. Calling it again adds
        more items.
        """
        index = seed_working_state(
            self.api.store,
            items,
            completed=completed,
            in_progress=in_progress,
            unclaimed=unclaimed,
            split=split,
            session=session,
            shards_per_index=shards_per_index,
            index_prefix=index_prefix,
            setup_completed=setup_completed,
            started_ago=started_ago,
            lease_seconds=lease_seconds,
        )
        return index.name

    def rfs_complete(self, count: int = 1, *, session: str | None = None) -> int:
        """Complete up to ``count`` open work items (in progress first); returns how many.

        Also reachable over HTTP as ``POST /_asyncconsole/rfs/complete?count=N[&session=S]``
        (no auth, faults or latency), so a container can act as an RFS worker.
        """
        return complete_work_items(self.api.store, count, session=session)

    def rfs_claim(
        self, count: int = 1, *, session: str | None = None, lease_seconds: float = 600.0
    ) -> int:
        """Lease up to ``count`` unclaimed work items to a fake worker; returns how many.

        Over HTTP: ``POST /_asyncconsole/rfs/claim?count=N[&session=S]``.
        """
        return claim_work_items(self.api.store, count, session=session, lease_seconds=lease_seconds)
