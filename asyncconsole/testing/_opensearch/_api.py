"""The fake cluster's REST API: its state (indices, scrolls, snapshots, tasks) and route table.

``OpenSearchApi.handle`` answers one decoded request with ``(status, body)``; bodies are
JSON-able objects (sent as JSON), ``str`` (sent as text, for ``_cat``) or ``None``. The routes
live with their API group (``_api_cluster``, ``_api_indices``, ``_api_documents``,
``_api_search``, ``_msearch``, ``_api_snapshots``); shared parameter handling lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._clock import Clock
from ._documents import DocumentApi
from ._errors import ApiError, RawError
from ._index import Index
from ._load import LoadModel
from ._routes import Call, Reply, Router
from ._search import SearchEngine
from ._settings import parse_time
from ._snapshots import SnapshotService
from ._store import Store, Wildcards, parse_expand_wildcards
from ._tasks import Tasks

__all__ = [
    "INDICES_OPTIONS",
    "TIMEOUTS",
    "OpenSearchApi",
    "Reply",
    "Request",
]

Request = Call  # the name the server and older code use

INDICES_OPTIONS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards")
TIMEOUTS = ("timeout", "master_timeout", "cluster_manager_timeout")
_TIME_PARAMS = ("timeout", "master_timeout", "cluster_manager_timeout", "scroll")
_JSON_TYPES = (
    "application/json",
    "application/x-ndjson",
    "application/yaml",
    "application/cbor",
    "application/smile",
    "application/vnd.opensearch+json",
)


class OpenSearchApi:
    """Routes requests to the store, search engine, snapshot service and task registry."""

    def __init__(
        self,
        *,
        clock: Clock,
        version: str,
        distribution: str,
        cluster_name: str,
        snapshot_duration: float,
        snapshot_bytes_per_second: float | None,
        serverless: str | None = None,
        near_real_time: bool = True,
        load: LoadModel | None = None,
    ) -> None:
        self.store = Store(clock, near_real_time=near_real_time)
        self.load = load if load is not None else LoadModel()
        self.serverless = serverless
        self.search = SearchEngine(self.store)
        self.documents = DocumentApi(self.store)
        self.snapshots = SnapshotService(
            self.store,
            version=version,
            duration=snapshot_duration,
            bytes_per_second=snapshot_bytes_per_second,
        )
        self.tasks = Tasks()
        self.version = version
        self.distribution = distribution
        self.cluster_name = cluster_name
        self.clock = clock
        self.router = Router()
        from . import (
            _api_cluster,
            _api_documents,
            _api_indices,
            _api_nodes,
            _api_search,
            _api_snapshots,
            _msearch,
        )

        for group in (
            _api_cluster,
            _api_indices,
            _api_documents,
            _api_search,
            _msearch,
            _api_snapshots,
            _api_nodes,
        ):
            group.register(self.router, self)

    async def handle(self, request: Call) -> Reply:
        """Answer one request (raises :class:`ApiError` for error replies)."""
        if request.body.strip() and request.segments[:1] != ["_asyncconsole"]:
            if not request.content_type:
                raise RawError(406, "content_type", "Content-Type header is missing")
            if not request.content_type.startswith(_JSON_TYPES):
                raise RawError(
                    406,
                    "content_type",
                    f"Content-Type header [{request.content_type}] is not supported",
                )
        route, bound = self.router.match(request)
        request.path_params = bound
        for name in _TIME_PARAMS:
            if name in request.params:
                parse_time(request.params[name], name)
        return await route.handler(request)

    # ------------------------------------------------------------------ shared helpers

    def resolve(
        self,
        call: Call,
        expression: str | None,
        *,
        default: Wildcards = Wildcards(),
        for_delete: bool = False,
        allow_closed: bool = False,
        allow_aliases: bool = True,
    ) -> list[Index]:
        """Indices for ``expression`` honouring the call's ``ignore_unavailable``,
        ``allow_no_indices`` and ``expand_wildcards``."""
        return self.store.resolve(
            expression,
            ignore_unavailable=call.flag("ignore_unavailable"),
            allow_no_indices=call.flag("allow_no_indices", True),
            wildcards=parse_expand_wildcards(call.params.get("expand_wildcards"), default),
            for_delete=for_delete,
            allow_closed=allow_closed,
            allow_aliases=allow_aliases,
        )

    @staticmethod
    def refresh_policy(call: Call) -> str:
        """``refresh``: ``true`` (also empty), ``wait_for`` or ``false`` (400 otherwise)."""
        value = call.params.get("refresh", "false")
        if value in {"", "true"}:
            return "true"
        if value in {"false", "wait_for"}:
            return value
        raise ApiError(400, "illegal_argument_exception", f"Unknown value for refresh: [{value}].")

    @staticmethod
    async def apply_refresh(policy: str, indices: Sequence[Index]) -> bool:
        """Refresh or wait for ``indices`` as the write asked; True when it forced a refresh."""
        if policy == "true":
            for index in indices:
                index.refresh()
            return True
        if policy == "wait_for":
            for index in indices:
                await index.wait_for_refresh()
        return False

    NODE_NAME = "fake-node-1"
    """The one node's name (``GET /`` and ``_nodes``)."""
    NODE_ID = "fake-node-id"
    """The one node's id (the key of ``_nodes/stats``'s ``nodes``)."""

    def admit_write(self, index: str, docs: int) -> tuple[str, str] | None:
        """The write thread pool's answer to one bulk task (see :class:`LoadModel`)."""
        admission = self.load.admit(docs, self.clock.monotonic(), index=index, node=self.NODE_NAME)
        if admission.accepted:
            return None
        if self.distribution == "opensearch":
            return "rejected_execution_exception", admission.reason
        reason = admission.reason.replace("OpenSearch", "Es").replace("opensearch", "elasticsearch")
        return "es_rejected_execution_exception", reason

    def now_ms(self) -> int:
        """Clock time in epoch milliseconds."""
        return self.store.now_ms()

    def info(self) -> dict[str, Any]:
        """``GET /``."""
        from ._api_cluster import root_info

        return root_info(self)
