"""``FakeOpenSearch``: the fake cluster as an in-process request -> response handler.

The same engine answers :class:`~asyncconsole.infra.http.FakeHttpClient` requests in memory
(``FakeHttpClient(FakeOpenSearch())``) and, through ``FakeOpenSearchServer``, real HTTP
requests on a socket: authentication, fault and latency rules, the request log and
``filter_path`` live here once, so both ways behave alike.
"""

from __future__ import annotations

import collections
import gzip
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..._clock import Clock, SystemClock
from ...infra.http import FakeHttpClient, Headers, HttpRequest, HttpResponse
from ._api import OpenSearchApi, Request
from ._auth import make_authenticator
from ._errors import ApiError, error_body
from ._faults import FaultRules
from ._filter_path import apply_filter_path
from ._index import Index, new_id
from ._load import LoadModel
from ._types import RecordedRequest
from ._working_state import (
    WorkItem,
    claim_work_items,
    complete_work_items,
    seed_working_state,
)

__all__ = ["FakeOpenSearch", "Reply"]

_log = logging.getLogger("asyncconsole.testing.opensearch")
_CONTROL = "_asyncconsole"
Reply = tuple[int, Any, dict[str, str]]


class FakeOpenSearch:
    """An in-memory OpenSearch cluster answering requests without a socket.

    Use it as the handler of a :class:`~asyncconsole.infra.http.FakeHttpClient` (or call
    :meth:`client`) to test code against OpenSearch's REST API in-process; serve the same
    engine over TCP with :class:`FakeOpenSearchServer`. It behaves like OpenSearch by default:

    * **near-real-time search**: a write is visible to ``_search``, ``_count``, ``_cat`` and
      ``_stats`` only after a refresh: the index's ``refresh_interval`` (1 s by default,
      ``-1`` for none) on ``clock``, ``POST _refresh``, or ``refresh=true|wait_for`` on the
      write; ``GET`` by id is realtime. ``near_real_time=False`` makes every write visible at
      once instead.
    * **versions and conflicts**: ``_seq_no``, ``_primary_term`` and ``_version`` on every
      write; ``op_type=create``, ``if_seq_no``/``if_primary_term`` and external versions give
      409 ``version_conflict_engine_exception``; delete-by-query and reindex report
      ``version_conflicts`` for documents written since the last refresh.
    * **mappings**: dynamic mapping of new fields, ``dynamic: strict``, and a per-document
      ``mapper_parsing_exception`` for a value its field's type cannot take.
    * **parameters**: every URL parameter a route does not honour is rejected with
      OpenSearch's ``contains unrecognized parameter`` 400, never ignored.

    It serves ``GET /``, cluster health (levels and waits) and settings, indices
    (create/get/delete/open/close, settings, mappings, aliases, ``_resolve/index``),
    documents, ``_bulk``, ``_refresh``, ``_count``, ``_search`` (a query DSL subset, sort,
    ``_source``, aggregations), scroll, ``_delete_by_query``, ``_reindex``, ``_tasks``,
    ``_cat/indices`` and ``_cat/aliases``, ``_stats``, ``_nodes/stats``, and ``_snapshot``
    repositories and snapshots whose progress advances with ``clock``.

    **Write load**: ``load`` (a :class:`LoadModel`) gives the node a capacity in documents
    per second and a ``write`` thread pool; each ``_bulk`` request is one task per target
    index, and a task arriving at a full queue is rejected: its items answer 429
    ``rejected_execution_exception`` (``es_rejected_execution_exception`` for
    ``distribution="elasticsearch"``). ``_nodes/stats`` reports the CPU and thread-pool
    figures that follow from the bulk rate. By default the capacity is unlimited. ``docs/testing.md`` lists what it
    serves and how it differs from OpenSearch. Scores are always 1.0.

    Data helpers (:meth:`create_index`, :meth:`bulk_load`, :meth:`seed_working_state`, ...)
    write without HTTP and refresh what they write, as a test's setup expects.

    Args:
        version: ``version.number`` reported by ``GET /``.
        distribution: ``"opensearch"`` or ``"elasticsearch"`` (changes ``GET /``).
        auth: None (open), ``("user", "password")`` or a ``BasicAuth`` (401 with
            ``WWW-Authenticate`` otherwise), or a ``SigV4Auth`` with credentials and region
            (requests must carry a valid signature for them; 403 otherwise).
        latency: Seconds every request waits (on ``clock``) before it is answered.
        clock: Time for refreshes, snapshots, scroll expiry, latency and work-item timestamps.
        cluster_name: ``cluster_name`` in ``GET /`` and health.
        snapshot_duration: Seconds a snapshot takes (when ``snapshot_bytes_per_second`` is None).
        snapshot_bytes_per_second: Copy rate; a snapshot then takes incremental bytes / rate.
        request_log_limit: How many recent requests :attr:`requests` keeps.
        serverless: Act like an Amazon OpenSearch Serverless collection of this type
            (``"search"``, ``"timeseries"`` or ``"vector"``): ``GET /`` answers 404 and the KNN
            type probe fails the way that collection type makes it fail.
        near_real_time: False makes every write searchable at once (an opt-out for tests that
            are about something else; real clusters never behave so).
        load: The node's write capacity, thread pool and CPU (unlimited by default).
    """

    def __init__(
        self,
        *,
        version: str = "2.15.0",
        distribution: str = "opensearch",
        auth: Any = None,
        latency: float = 0.0,
        clock: Clock | None = None,
        cluster_name: str = "fake-opensearch",
        snapshot_duration: float = 1.0,
        snapshot_bytes_per_second: float | None = None,
        request_log_limit: int = 10_000,
        serverless: str | None = None,
        near_real_time: bool = True,
        load: LoadModel | None = None,
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
            near_real_time=near_real_time,
            load=load,
        )
        self._auth = make_authenticator(auth)
        self._rules = FaultRules(latency)
        self._log: collections.deque[RecordedRequest] = collections.deque(maxlen=request_log_limit)

    def __repr__(self) -> str:
        return f"<FakeOpenSearch {len(self.api.store.indices)} indices>"

    @property
    def load(self) -> LoadModel:
        """The node's write load model (capacity, write thread pool, CPU)."""
        return self.api.load

    @property
    def near_real_time(self) -> bool:
        """Whether writes wait for a refresh before searches see them."""
        return self.api.store.near_real_time

    # ------------------------------------------------------------------ in-process handling

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer one :class:`HttpRequest` (the ``FakeHttpClient`` handler protocol).

        Raises:
            ConnectionResetError: An injected ``reset`` fault dropped the connection.
        """
        parts = urlsplit(request.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        headers_in = request.headers
        if "host" not in headers_in:
            # Every HTTP/1.1 request carries Host (a SigV4 signature covers it); add it as the
            # socket would.
            headers_in = Headers((*headers_in.raw_items(), ("Host", parts.netloc)))
        status, payload, headers = await self.dispatch(
            request.method.upper(),
            parts.path or "/",
            query,
            request.body,
            headers_in,
            host=parts.netloc,
            raw_query=parts.query,
        )
        return _response(request, status, payload, headers, dict(query))

    def client(self, **kwargs: Any) -> FakeHttpClient:
        """A :class:`FakeHttpClient` answered by this cluster, on this cluster's clock.

        ``kwargs`` go to ``FakeHttpClient`` (``auth=``, ``timeout=``, ``retry=``, ...).
        """
        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("base_url", "http://fake-opensearch.invalid:9200")
        return FakeHttpClient(self, **kwargs)

    async def dispatch(
        self,
        method: str,
        raw_path: str,
        query: list[tuple[str, str]],
        body: bytes,
        headers: Mapping[str, str],
        *,
        host: str,
        raw_query: str = "",
    ) -> Reply:
        """Run the pipeline (log, latency, faults, auth, route) for one request.

        ``raw_path`` is still percent-encoded. Returns (status, payload, extra headers).
        """
        if headers.get("content-encoding", "").lower() == "gzip" and body:
            body = gzip.decompress(body)
        segments = [unquote(part) for part in raw_path.split("/") if part]
        path = unquote(raw_path)
        params = dict(query)
        recorded_headers = headers if isinstance(headers, Headers) else Headers(headers)
        self._log.append(RecordedRequest(method, path, params, body, recorded_headers, raw_query))
        reply_headers: dict[str, str] = {}
        try:
            if segments[:1] != [_CONTROL]:
                delay = self._rules.delay_for(method, path)
                if delay > 0:
                    await self.clock.sleep(delay)
                fault = self._rules.take_fault(method, path)
                if fault is not None:
                    if fault.reset:
                        raise ConnectionResetError("injected connection reset")
                    error = ApiError(fault.status, fault.error_type, fault.reason)
                    error.headers.update(fault.headers)
                    raise error
                target = raw_path + (f"?{raw_query}" if raw_query else "")
                self._auth.check(method, f"http://{host}{target}", recorded_headers, body)
            status, payload = await self.api.handle(
                Request(
                    method=method,
                    path=path,
                    segments=segments,
                    params=params,
                    body=body,
                    content_type=headers.get("content-type", "").lower(),
                )
            )
        except ApiError as exc:
            status, payload = exc.status, exc.body()
            reply_headers.update(exc.headers)
        except ConnectionResetError:
            raise
        except Exception as exc:  # a bug in the fake: answer like OpenSearch would, and log it
            _log.exception("FakeOpenSearch failed on %s %s", method, path)
            status, payload = 500, error_body(500, "exception", f"{type(exc).__name__}: {exc}")
        if isinstance(payload, (dict, list)) and "filter_path" in params:
            payload = apply_filter_path(payload, params["filter_path"])
        return status, (None if method == "HEAD" else payload), reply_headers

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
        *,
        refresh: bool = True,
    ) -> int:
        """Store documents straight into ``index`` (created if missing); returns how many.

        Sources are kept as given (dicts are not copied). The mapping is learnt from the first
        documents and store size estimated from a sample, so loading hundreds of thousands
        stays fast. They are searchable at once unless ``refresh`` is False.
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
        if refresh:
            target.refresh()
        return loaded

    def index(self, name: str) -> Index:
        """The stored index ``name`` (KeyError if missing), for direct inspection."""
        return self.api.store.indices[name]

    @property
    def index_names(self) -> list[str]:
        """Names of every index, sorted."""
        return sorted(self.api.store.indices)

    def document(self, index: str, doc_id: str) -> dict[str, Any] | None:
        """A stored document's current source (realtime, refreshed or not), or None."""
        stored = self.api.store.indices.get(index)
        doc = stored.get(doc_id) if stored is not None else None
        return doc.source if doc is not None else None

    def refresh(self, *names: str) -> None:
        """Refresh ``names`` (every index when none are given), as ``POST _refresh`` does."""
        for name in names or list(self.api.store.indices):
            self.api.store.indices[name].refresh()

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
        more items. The items are searchable at once (RFS workers refresh what they write).
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


def _response(
    request: HttpRequest,
    status: int,
    payload: Any,
    headers: dict[str, str],
    params: Mapping[str, str],
) -> HttpResponse:
    if payload is None:
        return HttpResponse.build(status, headers=headers, request=request)
    if isinstance(payload, str):
        headers.setdefault("Content-Type", "text/plain; charset=UTF-8")
        return HttpResponse.build(status, text=payload, headers=headers, request=request)
    headers.setdefault("Content-Type", "application/json; charset=UTF-8")
    return HttpResponse.build(
        status, body=encode_json(payload, params).encode(), headers=headers, request=request
    )


def encode_json(payload: Any, params: Mapping[str, str]) -> str:
    """JSON as OpenSearch sends it: compact, or indented with ``?pretty``."""
    pretty = params.get("pretty", "false").lower() in {"", "true"}
    return json.dumps(
        payload, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
