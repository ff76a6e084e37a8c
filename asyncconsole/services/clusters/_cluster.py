"""``Cluster``: one Elasticsearch/OpenSearch cluster (source, target or the capture proxy)."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json as _json
import logging
import math
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from ..._clock import Clock, SystemClock
from ..._concurrency import gather_pair, settle_bounded
from ..._decode import expect
from ..._display import DisplayList
from ..._errors import (
    AsyncConsoleError,
    CommandError,
    ConfigError,
    ConfigIssue,
    ConfirmationRequiredError,
    HttpError,
    HttpTimeoutError,
    InfrastructureError,
    ToolNotInstalledError,
)
from ..._observe import observe
from ..._redact import mask_url
from ..._secret import Secret
from ...config import ClusterConfig
from ...infra.http import HttpClient, HttpResponse
from ._types import (
    BenchmarkCommand,
    BenchmarkResult,
    ClearIndicesResult,
    ClusterVersion,
    CollectionType,
    ConnectionStatus,
    GenerateDataProgress,
    GenerateDataResult,
    IndexInfo,
)

if TYPE_CHECKING:
    from ...infra.commands import CommandExecutor, LineSink

__all__ = [
    "BENCHMARK_TOOL",
    "BENCHMARK_WORKLOADS",
    "BENCHMARK_WORKLOAD_PARAMS",
    "CLEAR_INDICES_PATTERN",
    "CURL_TIMEOUT",
    "Cluster",
    "parse_header",
]

_log = logging.getLogger("asyncconsole.services.clusters")
_T = TypeVar("_T")

CLEAR_INDICES_PATTERN = "*,-.*,-searchguard*,-sg7*,.migrations_working_state*"
"""The index expression console_link's ``clear-indices`` deletes (user indices and the
backfill working state, never system or security-plugin indices)."""

CURL_TIMEOUT = 15.0
"""Default timeout of :meth:`Cluster.curl` (console_link's ``clusters curl --timeout``)."""

BENCHMARK_TOOL = "opensearch-benchmark"
"""The OpenSearch Benchmark command ``clusters run-test-benchmarks`` runs."""

BENCHMARK_WORKLOADS = ("geonames", "http_logs", "nested", "nyc_taxis")
"""The workloads ``clusters run-test-benchmarks`` runs, one after the other (console_link's)."""

BENCHMARK_WORKLOAD_PARAMS = "bulk_size:10,bulk_indexing_clients:1"
"""console_link's ``--workload-params`` for the test benchmarks."""

_MAX_REPORTED_ERRORS = 5

CONNECTION_CHECK_TIMEOUT = 5.0
SERVERLESS_CAT_TIMEOUT = 3.0
KNN_PROBE_TIMEOUT = 10.0

_KNN_PROBE_BODY = {
    "settings": {"index.knn": True},
    "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": -1}}},
}
_COLLECTION_MARKERS = (
    ("KNN features not supported on TIMESERIES collection type", CollectionType.TIMESERIES),
    ("KNN features not supported on SEARCH collection type", CollectionType.SEARCH),
    ("Dimension value must be greater than 0", CollectionType.VECTOR),
)
_WILDCARD_REFUSED = (
    "destructive_requires_name",
    "Wildcard expressions or all indices are not allowed",
)


def parse_header(header: str) -> tuple[str, str]:
    """Split a curl-style ``"Name: value"`` header; raises ``ValueError`` naming a bad one."""
    name, sep, value = header.partition(":")
    if not sep or not name.strip():
        raise ValueError(f"invalid header {header!r}: expected 'Name: value'")
    return name.strip(), value.strip()


def _is_cleared(name: str) -> bool:
    """Whether ``name`` matches :data:`CLEAR_INDICES_PATTERN` (evaluated left to right)."""
    included = False
    for term in CLEAR_INDICES_PATTERN.split(","):
        if term.startswith("-"):
            if included and fnmatch.fnmatchcase(name, term[1:]):
                included = False
        elif fnmatch.fnmatchcase(name, term):
            included = True
    return included


class Cluster:
    """A cluster asyncconsole talks to through an :class:`~asyncconsole.infra.http.HttpClient`.

    The HTTP client carries the endpoint, auth (none, basic or SigV4), TLS and User-Agent
    settings; this class adds console_link's cluster operations. Unlike console_link every
    request has a bounded timeout (the client's default unless given), the connection is
    pooled, and errors are typed exceptions, never strings in place of results.

    Args:
        config: The cluster's configuration.
        http: A client bound to ``config.endpoint`` with the cluster's auth.
        name: ``source``, ``target`` or ``proxy`` (used in messages and logs).
        clock: Time source (names the Serverless probe index).
        max_concurrency: Most requests a bulk operation (deleting indices by name) sends at once.
    """

    def __init__(
        self,
        config: ClusterConfig,
        http: HttpClient,
        *,
        name: str,
        clock: Clock | None = None,
        max_concurrency: int = 8,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency!r}")
        self.config = config
        self.http = http
        self.name = name
        self.clock: Clock = clock or SystemClock()
        self.max_concurrency = max_concurrency
        self._detected_serverless: bool | None = None
        self._collection_type: CollectionType | None = None
        self._version: ClusterVersion | None = None

    def __repr__(self) -> str:
        return (
            f"Cluster(name={self.name!r}, endpoint={mask_url(self.endpoint)!r}, "
            f"auth={self.auth_kind!r})"
        )

    # -- configuration ------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The configured base URL."""
        return self.config.endpoint

    @property
    def auth_kind(self) -> str:
        """``no_auth``, ``basic_auth`` or ``sigv4``."""
        return self.config.auth_kind

    @property
    def is_serverless(self) -> bool:
        """Amazon OpenSearch Serverless: SigV4 service ``aoss``, an ``.aoss.amazonaws.com`` host,
        or a connection check that found a collection."""
        if self._detected_serverless:
            return True
        sigv4 = self.config.sigv4
        if self.auth_kind == "sigv4" and sigv4 is not None and sigv4.service == "aoss":
            return True
        host = urlsplit(self.endpoint).hostname or ""
        return host.endswith(".aoss.amazonaws.com")

    @property
    def collection_type(self) -> CollectionType | None:
        """The Serverless collection type found by the last connection check, if any."""
        return self._collection_type

    @property
    def detected_version(self) -> ClusterVersion | None:
        """The version found by the last :meth:`detect_version` or connection check."""
        return self._version

    def describe(self) -> dict[str, Any]:
        """The cluster's configuration as plain data; passwords are never included (also not
        one written into the endpoint URL: ``https://user:********@host``)."""
        data: dict[str, Any] = {
            "name": self.name,
            "endpoint": mask_url(self.endpoint),
            "auth": self.auth_kind,
            "allow_insecure": self.config.allow_insecure,
            "version": self.config.version,
            "serverless": self.is_serverless,
        }
        basic = self.config.basic_auth
        if self.auth_kind == "basic_auth" and basic is not None:
            data["basic_auth"] = {
                "credential_source": basic.credential_source,
                "username": basic.username,
                "user_secret_arn": basic.user_secret_arn,
                "k8s_secret_name": basic.k8s_secret_name,
                "password": "********" if basic.password is not None else None,
            }
        if self.auth_kind == "sigv4":
            sigv4 = self.config.sigv4
            data["sigv4"] = {
                "region": sigv4.region if sigv4 else None,
                "service": sigv4.service if sigv4 else "es",
            }
        if self.config.sigv4_signing_endpoint:
            data["sigv4_signing_endpoint"] = mask_url(self.config.sigv4_signing_endpoint)
        return data

    # -- raw calls ----------------------------------------------------------------------------

    async def call_api(
        self,
        path: str,
        method: str = "GET",
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        raise_error: bool = True,
        retry: bool | None = None,
        reconcile: Callable[[], Awaitable[HttpResponse | None]] | None = None,
    ) -> HttpResponse:
        """Send one request to ``endpoint + path`` and return the whole response.

        Args:
            path: Appended to the endpoint (a leading ``/`` is added when missing); may carry
                a query string.
            method: Any HTTP method (console_link allows GET/POST/PUT/DELETE/HEAD).
            params: Query parameters.
            json: A JSON body (sets ``Content-Type: application/json``).
            data: A raw body.
            headers: Extra headers.
            timeout: Seconds for the whole call, retries included; ``None`` means the
                client's default, never unbounded.
            raise_error: Raise :class:`~asyncconsole.HttpError` for 4xx/5xx.
            retry: ``None`` retries only GET/HEAD; ``True`` declares the request safe to
                repeat (a search sent as POST); ``False`` never retries.
            reconcile: For a request not safe to repeat (a create): when its answer is lost,
                look at the cluster and return a response if the effect is there as asked.

        Raises:
            HttpError: A 4xx/5xx with ``raise_error``, or no response (``status`` None).
            HttpTimeoutError: No response within the timeout.
        """
        if not path.startswith("/"):
            path = "/" + path
        return await self.http.request(
            method.upper(),
            path,
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout,
            raise_for_status=raise_error,
            retry=retry,
            reconcile=reconcile,
        )

    async def curl(
        self,
        path: str,
        method: str = "GET",
        *,
        headers: Mapping[str, str] | Sequence[str] | None = None,
        data: bytes | str | None = None,
        json: Any = None,
        timeout: float = CURL_TIMEOUT,  # noqa: ASYNC109
    ) -> HttpResponse:
        """``clusters curl``: an arbitrary request that returns the response whatever its status.

        Args:
            path: Request path; a leading ``/`` is added when missing.
            method: HTTP method.
            headers: A mapping, or curl-style ``"Name: value"`` strings.
            data: A raw body, sent as given.
            json: A JSON body: a value, or a string that must parse as JSON (it is validated
                and re-serialised, and ``Content-Type: application/json`` is set).
            timeout: Seconds (default 15, console_link's ``--timeout``).

        Raises:
            ValueError: A malformed header or JSON string, or both ``data`` and ``json``.
            HttpTimeoutError: No response in time; the message names the timeout and
                ``--timeout`` like console_link's.
            HttpError: No response at all (connection refused, DNS, TLS).
        """
        if data is not None and json is not None:
            raise ValueError("pass either data= or json=, not both")
        if isinstance(json, str):
            try:
                json = _json.loads(json)
            except ValueError as exc:
                raise ValueError(f"invalid JSON body: {exc}") from exc
        if headers is None or isinstance(headers, Mapping):
            hdrs = dict(headers or {})
        else:
            hdrs = dict(parse_header(h) for h in headers)
        try:
            return await self.call_api(
                path,
                method,
                json=json,
                data=data,
                headers=hdrs,
                timeout=timeout,
                raise_error=False,
            )
        except HttpTimeoutError as exc:
            raise HttpTimeoutError(
                f"Request timed out after {timeout:g}s. Use --timeout to specify a longer timeout.",
                method=exc.method,
                url=exc.url,
                timeout=timeout,
            ) from exc

    # -- connection and version ----------------------------------------------------------------

    async def detect_version(self) -> ClusterVersion:
        """``GET /`` and parse ``version.number`` / ``version.distribution``.

        Raises:
            HttpError: The cluster did not answer 2xx (Serverless answers 404).
        """
        response = await self.call_api("/", timeout=CONNECTION_CHECK_TIMEOUT)
        self._version = _parse_version(response)
        return self._version

    async def connection_check(self) -> ConnectionStatus:
        """console_link's connection check: ``GET /`` (5 s); a 404 means Serverless.

        For Serverless the KNN probe and ``GET /_cat/indices`` (3 s) run concurrently (console_link
        runs them one after the other); an undetermined collection type adds a warning.
        Connection failures are reported in the result, not raised.
        """
        status, _ = await self._connect()
        return status

    async def _connect(self) -> tuple[ConnectionStatus, AsyncConsoleError | None]:
        async with observe(_log, "cluster.connection_check", self.name) as info:
            try:
                response = await self.call_api(
                    "/", timeout=CONNECTION_CHECK_TIMEOUT, raise_error=False
                )
            except AsyncConsoleError as exc:
                info["connected"] = False
                return _unable(exc), exc
            if response.status == 404:
                result = await self._serverless_connect()
            elif response.ok:
                try:
                    version = _parse_version(response)
                except AsyncConsoleError as exc:
                    return _unable(exc), exc
                self._version = version
                self._detected_serverless = False
                result = (
                    ConnectionStatus(
                        connected=True,
                        message="Successfully connected!",
                        version=version.number,
                        distribution=version.distribution,
                    ),
                    None,
                )
            else:
                error = response_error(response)
                result = _unable(error), error
            info["connected"] = result[0].connected
            return result

    async def _serverless_connect(self) -> tuple[ConnectionStatus, AsyncConsoleError | None]:
        async def cat() -> HttpResponse:
            return await self.call_api("/_cat/indices", timeout=SERVERLESS_CAT_TIMEOUT)

        try:
            probe, _ = await gather_pair(self._knn_probe(), cat())
        except AsyncConsoleError as exc:
            return _unable(exc), exc
        collection, diagnostic = probe
        self._detected_serverless = True
        self._collection_type = collection
        warning = None
        if collection is CollectionType.UNKNOWN:
            warning = (
                "Warning: could not determine the collection type "
                f"(probe failed with {diagnostic}). Check that the AOSS data access policy "
                "grants this principal permissions to create and delete indices "
                "(aoss:CreateIndex, aoss:DeleteIndex)."
            )
        return (
            ConnectionStatus(
                connected=True,
                message="Successfully connected to serverless collection!",
                distribution="opensearch-serverless",
                serverless=True,
                collection_type=collection,
                warning=warning,
            ),
            None,
        )

    async def detect_collection_type(self, *, probe_root: bool = True) -> CollectionType | None:
        """The Serverless collection type (None when ``GET /`` shows a regular cluster).

        Mirrors the Java client: optionally ``GET /`` first (200 or any non-404 status means
        not Serverless), then the KNN probe index ``PUT``, deleted again when it was created.
        """
        if probe_root:
            try:
                root = await self.call_api("/", timeout=CONNECTION_CHECK_TIMEOUT, raise_error=False)
            except AsyncConsoleError:
                root = None
            if root is not None and root.status != 404:
                return None
        collection, _ = await self._knn_probe()
        self._collection_type = collection
        return collection

    async def _knn_probe(self) -> tuple[CollectionType, str | None]:
        index = f"/migrations_type_probe_{int(self.clock.now().timestamp())}"
        try:
            response = await self.call_api(
                index,
                "PUT",
                json=_KNN_PROBE_BODY,
                timeout=KNN_PROBE_TIMEOUT,
                raise_error=False,
            )
        except AsyncConsoleError as exc:
            return CollectionType.UNKNOWN, str(exc)
        if response.status < 400:
            with contextlib.suppress(AsyncConsoleError):
                await self.call_api(index, "DELETE", timeout=KNN_PROBE_TIMEOUT, raise_error=False)
        text = response.text
        for marker, collection in _COLLECTION_MARKERS:
            if marker in text:
                return collection, None
        return CollectionType.UNKNOWN, f"HTTP {response.status}: {text[:500]}"

    async def check(self) -> str:
        """Connection check as a health check: a one-line detail, or the connection error.

        Raises:
            HttpError: The cluster could not be reached or answered with an error status.
        """
        status, error = await self._connect()
        if not status.connected:
            if error is not None:
                raise error
            raise InfrastructureError(status.message)
        if status.serverless:
            kind = status.collection_type.value if status.collection_type else "UNKNOWN"
            detail = f"connected, serverless collection ({kind})"
            return f"{detail}; {status.warning}" if status.warning else detail
        assert self._version is not None
        return f"connected, {self._version}"

    # -- indices ----------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Refresh every index: ``POST /_refresh`` (console_link sends GET; OpenSearch documents POST
        and accepts both)."""
        await self.call_api("/_refresh", "POST")

    def _cat_path(self) -> str:
        return "/_cat/indices" if self.is_serverless else "/_cat/indices/_all"

    async def cat_indices(self, *, refresh: bool = False) -> list[IndexInfo]:
        """``GET /_cat/indices/_all?format=json`` (``/_cat/indices`` on Serverless).

        The list draws as one table in Jupyter and rich terminals.

        Args:
            refresh: ``refresh()`` first so document counts are current (skipped on Serverless).
        """
        if refresh and not self.is_serverless:
            await self.refresh()
        response = await self.call_api(self._cat_path(), params={"format": "json"})
        return DisplayList(response.parse(_index_rows, "index list (_cat/indices)"))

    async def cat_indices_text(self, *, refresh: bool = False) -> str:
        """The ``_cat/indices`` table as text, with headers (``v=true``)."""
        if refresh and not self.is_serverless:
            await self.refresh()
        response = await self.call_api(self._cat_path(), params={"v": "true"})
        return response.text

    async def clear_indices(self, *, confirm: bool) -> ClearIndicesResult:
        """Delete every user index and the backfill working state (console_link's clear-indices).

        Sends ``DELETE /*,-.*,-searchguard*,-sg7*,.migrations_working_state*?ignore_unavailable=true``.
        When the cluster refuses wildcards (``action.destructive_requires_name=true``, upstream
        issue #3105) the matching indices are deleted by name instead, concurrently. On
        Serverless every index not starting with ``.`` is deleted by name, concurrently.

        Args:
            confirm: Must be True: this deletes data.

        Returns:
            The indices deleted (those matching when the call started) and the method used.

        Raises:
            ConfirmationRequiredError: ``confirm`` is not True.
            HttpError: The cluster refused or failed.
        """
        if confirm is not True:
            raise ConfirmationRequiredError(
                f"clear_indices deletes every user index on the {self.name} cluster "
                f"({mask_url(self.endpoint)}); pass confirm=True to proceed"
            )
        async with observe(_log, "cluster.clear_indices", self.name) as info:
            if self.is_serverless:
                names = [i.index for i in await self.cat_indices() if not i.index.startswith(".")]
                if not names:
                    return ClearIndicesResult((), "none")
                await self._delete_by_name(names)
                info["deleted"] = len(names)
                return ClearIndicesResult(tuple(names), "by_name")

            names = [i.index for i in await self.cat_indices() if _is_cleared(i.index)]
            response = await self.call_api(
                "/" + CLEAR_INDICES_PATTERN,
                "DELETE",
                params={"ignore_unavailable": "true"},
                raise_error=False,
            )
            if response.ok:
                info["deleted"] = len(names)
                return ClearIndicesResult(tuple(names), "wildcard")
            if response.status == 400 and any(m in response.text for m in _WILDCARD_REFUSED):
                if names:
                    await self._delete_by_name(names)
                info["deleted"] = len(names)
                return ClearIndicesResult(tuple(names), "by_name")
            raise response_error(response)

    async def _delete_by_name(self, names: Sequence[str]) -> None:
        async def delete(name: str) -> None:
            response = await self.call_api("/" + quote(name, safe=""), "DELETE", raise_error=False)
            if not response.ok and response.status != 404:
                raise response_error(response)

        failures = await settle_bounded(delete, names, limit=self.max_concurrency)
        errors = {
            name: err
            for name, err in zip(names, failures, strict=True)
            if isinstance(err, AsyncConsoleError)
        }
        if errors:
            first = next(iter(errors.values()))
            listed = "; ".join(f"{n}: {e}" for n, e in errors.items())
            raise InfrastructureError(
                f"could not delete {len(errors)} of {len(names)} indices on the {self.name} "
                f"cluster: {listed}",
                failed=sorted(errors),
            ) from first

    # -- documents --------------------------------------------------------------------------------

    async def scroll(
        self,
        index: str,
        *,
        batch_size: int = 100,
        query: Mapping[str, Any] | None = None,
        scroll: str = "1m",
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Every document of ``index``, one page (the hits as returned) at a time.

        ``POST /<index>/_search?scroll=1m`` with ``{"size": batch_size, "query": ...}``
        (``match_all`` by default), then ``POST /_search/scroll`` while pages have hits. The
        scroll context is always released with ``DELETE /_search/scroll`` (also on ``break``,
        errors and cancellation); use ``contextlib.aclosing`` to release it at once when
        stopping early. Memory stays at one page.

        Each hit is a dict with ``_index``, ``_id`` and ``_source`` (console_link yields
        ``{_id: _source}`` dicts; build those with ``{h["_id"]: h["_source"] for h in page}``).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        body = {"size": batch_size, "query": dict(query) if query else {"match_all": {}}}
        scroll_id: str | None = None
        try:
            response = await self.call_api(
                f"/{quote(index, safe=',*')}/_search",
                "POST",
                params={"scroll": scroll},
                json=body,
            )
            while True:
                payload = response.json()
                scroll_id = payload.get("_scroll_id") or scroll_id
                hits = payload.get("hits", {}).get("hits", [])
                if not hits:
                    return
                yield hits
                if scroll_id is None:
                    return
                response = await self.call_api(
                    "/_search/scroll", "POST", json={"scroll": scroll, "scroll_id": scroll_id}
                )
        finally:
            if scroll_id is not None:
                await self._clear_scroll(scroll_id)

    async def _clear_scroll(self, scroll_id: str) -> None:
        try:
            await self.call_api(
                "/_search/scroll",
                "DELETE",
                json={"scroll_id": scroll_id},
                raise_error=False,
                timeout=10.0,
            )
        except (AsyncConsoleError, asyncio.CancelledError) as exc:
            # Best effort: the context expires on its own after the keep-alive.
            _log.info("could not clear scroll on %s: %s", self.name, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    # -- generated data -----------------------------------------------------------------------

    async def generate_data(
        self,
        index: str,
        *,
        num_docs: int | None = None,
        target_size_mb: float | None = None,
        doc_size_bytes: int = 150,
        batch_size: int = 100,
        max_concurrency: int | None = None,
        refresh: bool = True,
        on_progress: Callable[[GenerateDataProgress], None] | None = None,
    ) -> GenerateDataResult:
        """Insert generated documents with concurrent ``_bulk`` requests (console_link's
        ``clusters generate-data``).

        Exactly one of ``num_docs`` or ``target_size_mb`` (then ``ceil(MiB * 2**20 /
        doc_size_bytes)`` documents). Each document's JSON source is padded to about
        ``doc_size_bytes``. Batches of ``batch_size`` go out at most ``max_concurrency`` at
        a time (default :attr:`max_concurrency`); a refused document or batch does not stop
        the others: the result says how many were inserted (check :attr:`~GenerateDataResult.ok`).
        ``on_progress`` is called after each batch with the counts so far.

        Raises:
            ValueError: Not exactly one of ``num_docs``/``target_size_mb``, or a size, count
                or batch size below 1, or an empty index name.
        """
        requested = _requested_docs(num_docs, target_size_mb, doc_size_bytes)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        if not isinstance(index, str) or not index or index.startswith(("_", "-", "+")):
            raise ValueError(f"invalid index name {index!r}")
        limit = max_concurrency or self.max_concurrency
        if limit < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {limit!r}")
        path = f"/{quote(index, safe='')}/_bulk"
        started = self.clock.monotonic()
        inserted = 0
        processed = 0
        errors: list[str] = []
        semaphore = asyncio.Semaphore(limit)

        def note(error: str) -> None:
            if len(errors) < _MAX_REPORTED_ERRORS:
                errors.append(error)

        async def send(first: int, count: int) -> None:
            nonlocal inserted, processed
            try:
                body = _bulk_body(first, count, doc_size_bytes)
                response = await self.call_api(
                    path,
                    "POST",
                    data=body,
                    headers={"Content-Type": "application/x-ndjson"},
                )
                accepted, refused = _bulk_outcome(response)
                inserted += accepted
                for reason in refused:
                    note(reason)
            except AsyncConsoleError as exc:
                note(f"bulk request of {count} documents failed: {exc}")
            finally:
                semaphore.release()
            processed += count
            if on_progress is not None:
                elapsed = max(0.0, self.clock.monotonic() - started)
                on_progress(GenerateDataProgress(index, requested, processed, inserted, elapsed))

        async with observe(_log, "cluster.generate_data", self.name, index=index) as info:
            batches = 0
            async with asyncio.TaskGroup() as tg:
                for first in range(0, requested, batch_size):
                    # Acquire before creating the task: at most `limit` batches exist at once.
                    await semaphore.acquire()
                    tg.create_task(send(first, min(batch_size, requested - first)))
                    batches += 1
            if refresh and inserted:
                try:
                    await self.call_api(f"/{quote(index, safe='')}/_refresh", "POST")
                except AsyncConsoleError as exc:
                    _log.info("refresh of %s after generate_data failed: %s", index, exc)
            info.update(requested=requested, inserted=inserted, batches=batches)
        return GenerateDataResult(
            index=index,
            requested=requested,
            inserted=inserted,
            batches=batches,
            doc_size_bytes=doc_size_bytes,
            duration=max(0.0, self.clock.monotonic() - started),
            errors=tuple(errors),
        )

    # -- OpenSearch Benchmark -----------------------------------------------------------------

    async def basic_credentials(self) -> tuple[str, Secret]:
        """The basic-auth user and password: inline in the config, else from the HTTP
        client's auth (which resolves a Secrets Manager or Kubernetes secret once).

        Raises:
            ConfigError: The cluster does not use basic auth, or its secret cannot be read
                through this cluster's HTTP client.
        """
        basic = self.config.basic_auth
        if self.auth_kind != "basic_auth" or basic is None:
            raise ConfigError(f"the {self.name} cluster does not use basic_auth")
        if basic.username is not None and basic.password is not None:
            return basic.username, basic.password
        auth = getattr(self.http, "auth", None)
        username, password = getattr(auth, "username", None), getattr(auth, "password", None)
        if isinstance(username, str) and isinstance(password, Secret):
            return username, password
        resolve = getattr(auth, "basic_auth", None)
        if callable(resolve):
            found = await resolve()
            username = getattr(found, "username", None)
            password = getattr(found, "password", None)
            if isinstance(username, str) and isinstance(password, Secret):
                return username, password
        raise ConfigError(
            "Invalid configuration",
            [
                ConfigIssue(
                    f"{self.name}_cluster.basic_auth",
                    "the credentials are in a secret that this cluster's HTTP client cannot "
                    "resolve; build the cluster through asyncconsole.Environment",
                )
            ],
        )

    async def benchmark_command(
        self,
        workload: str,
        *,
        workload_params: str = BENCHMARK_WORKLOAD_PARAMS,
        test_procedure: str | None = None,
        tool: str = BENCHMARK_TOOL,
        environ: Mapping[str, str] | None = None,
    ) -> BenchmarkCommand:
        """console_link's ``opensearch-benchmark run`` arguments for one workload.

        ``--client-options``: ``verify_certs:false`` when ``allow_insecure``, ``use_ssl:true``
        for an ``https`` endpoint, then ``basic_auth_user:<u>,basic_auth_password:<p>`` (basic
        auth) or ``amazon_aws_log_in:session,service:<s>,region:<r>`` (SigV4; the region
        falls back to ``AWS_DEFAULT_REGION``/``AWS_REGION`` in ``environ``).

        Raises:
            ConfigError: SigV4 without any region, or unreadable basic-auth credentials.
        """
        options: list[str] = []
        if self.config.allow_insecure:
            options.append("verify_certs:false")
        if self.endpoint.startswith("https"):
            options.append("use_ssl:true")
        password: Secret | None = None
        if self.auth_kind == "basic_auth":
            username, password = await self.basic_credentials()
            options.append(f"basic_auth_user:{username}")
            options.append(f"basic_auth_password:{password.get()}")
        elif self.auth_kind == "sigv4":
            service, region = self._sigv4_details(environ)
            options += ["amazon_aws_log_in:session", f"service:{service}", f"region:{region}"]
        client_options = "--client-options=" + ",".join(options)
        target_host = f"--target-host={self.endpoint}"
        argv: list[str | Secret] = [
            tool,
            "run",
            "--exclude-tasks=check-cluster-health",
            # a password written into the endpoint URL is as secret as basic auth's
            Secret(target_host) if mask_url(self.endpoint) != self.endpoint else target_host,
            f"--workload={workload}",
            "--pipeline=benchmark-only",
            "--test-mode",
            "--kill-running-processes",
            f"--workload-params={workload_params}",
            Secret(client_options) if password is not None else client_options,
        ]
        if test_procedure:
            argv.append(f"--test-procedure={test_procedure}")
        return BenchmarkCommand(workload=workload, argv=tuple(argv), password=password)

    def _sigv4_details(self, environ: Mapping[str, str] | None) -> tuple[str, str]:
        sigv4 = self.config.sigv4
        service = sigv4.service if sigv4 is not None else "es"
        region = sigv4.region if sigv4 is not None else None
        env = os.environ if environ is None else environ
        region = region or env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
        if not region:
            raise ConfigError(
                "Invalid configuration",
                [
                    ConfigIssue(
                        f"{self.name}_cluster.sigv4.region",
                        "opensearch-benchmark needs a region: set it here or in AWS_DEFAULT_REGION",
                    )
                ],
            )
        return service, region

    async def run_test_benchmarks(
        self,
        executor: CommandExecutor,
        *,
        workloads: Sequence[str] = BENCHMARK_WORKLOADS,
        on_line: LineSink | None = None,
        tool: str = BENCHMARK_TOOL,
        timeout: float | None = None,  # noqa: ASYNC109 - passed to the executor
    ) -> list[BenchmarkResult]:
        """Run OpenSearch Benchmark's test-mode workloads against this cluster, one after
        the other (console_link's ``clusters run-test-benchmarks``), streaming their output.

        Unlike console_link the command is an argument list (no shell), the password reaches
        only the tool (masked in results, errors and logs), and a failing workload raises.

        Raises:
            ToolNotInstalledError: ``opensearch-benchmark`` cannot be started.
            CommandError: A workload exited non-zero (the ones after it do not run).
        """
        from ...infra.commands import OutputMode

        results: list[BenchmarkResult] = []
        for workload in workloads:
            command = await self.benchmark_command(workload, tool=tool)
            shown = command.shown
            _log.info("Running opensearch-benchmark with '%s' workload", workload)
            _log.info("Executing command: %s", " ".join(shown))
            sensitive = [command.password] if command.password is not None else []
            async with observe(_log, "cluster.benchmark", self.name, workload=workload) as info:
                try:
                    result = await executor.run(
                        list(command.argv),
                        check=False,
                        timeout=timeout,
                        output=OutputMode.STREAM,
                        on_line=on_line,
                        sensitive=sensitive,
                    )
                except CommandError as exc:
                    if exc.exit_code is None and not isinstance(exc, TimeoutError):
                        raise ToolNotInstalledError(
                            f"{tool} is not installed (cannot run it: {exc}); install "
                            "OpenSearch Benchmark (pip install opensearch-benchmark)",
                            tool=tool,
                            searched=[tool],
                        ) from exc
                    raise
                info["exit_code"] = result.exit_code
            if result.exit_code != 0:
                tail = (result.stderr.strip() or result.stdout.strip())[-2000:]
                raise CommandError(
                    f"opensearch-benchmark workload {workload} failed with exit code "
                    f"{result.exit_code}" + (f":\n{tail}" if tail else ""),
                    argv=shown,
                    exit_code=result.exit_code,
                    stdout=result.stdout,
                    stderr=result.stderr,
                )
            results.append(BenchmarkResult(workload, shown, result.exit_code, result.duration))
        return results


def _requested_docs(num_docs: int | None, target_size_mb: float | None, doc_size: int) -> int:
    if isinstance(doc_size, bool) or not isinstance(doc_size, int) or doc_size < 1:
        raise ValueError(f"doc_size_bytes must be an int >= 1, got {doc_size!r}")
    if (num_docs is None) == (target_size_mb is None):
        raise ValueError("give exactly one of num_docs or target_size_mb")
    if num_docs is not None:
        if isinstance(num_docs, bool) or not isinstance(num_docs, int) or num_docs < 1:
            raise ValueError(f"num_docs must be an int >= 1, got {num_docs!r}")
        return num_docs
    assert target_size_mb is not None
    if not target_size_mb > 0 or math.isinf(target_size_mb):
        raise ValueError(f"target_size_mb must be > 0, got {target_size_mb!r}")
    return max(1, math.ceil(target_size_mb * 1024 * 1024 / doc_size))


_DOC_SKELETON = '{"doc_id":%d,"title":"Generated document %d","payload":"%s"}'


def _document(number: int, size: int) -> str:
    bare = _DOC_SKELETON % (number, number, "")
    return _DOC_SKELETON % (number, number, "x" * max(0, size - len(bare)))


def _bulk_body(first: int, count: int, doc_size: int) -> bytes:
    lines = []
    for number in range(first, first + count):
        lines.append('{"index":{}}')
        lines.append(_document(number, doc_size))
    return ("\n".join(lines) + "\n").encode()


def _bulk_outcome(response: HttpResponse) -> tuple[int, list[str]]:
    """Documents accepted by one ``_bulk`` response, and the reasons of the refused ones."""
    try:
        payload = response.json()
        items = payload["items"]
    except (ValueError, KeyError, TypeError) as exc:
        return 0, [f"unreadable _bulk response: {exc}"]
    accepted = 0
    refused: list[str] = []
    for item in items:
        outcome: Any = next(iter(item.values()), {}) if isinstance(item, dict) else {}
        status = outcome.get("status", 500) if isinstance(outcome, dict) else 500
        if isinstance(status, int) and status < 300:
            accepted += 1
        else:
            error = outcome.get("error") if isinstance(outcome, dict) else None
            reason = error.get("reason") if isinstance(error, dict) else error
            refused.append(f"document refused (HTTP {status}): {reason}")
    return accepted, refused


def _unable(error: BaseException) -> ConnectionStatus:
    return ConnectionStatus(
        connected=False, message=f"Unable to connect to cluster with error: {error}"
    )


def _parse_version(response: HttpResponse) -> ClusterVersion:
    return response.parse(_version_of, "cluster info (version.number)")


def _version_of(info: Any) -> ClusterVersion:
    version = expect(expect(info, dict, "answer")["version"], dict, "version")
    return ClusterVersion(
        number=expect(version["number"], str, "version.number"),
        distribution=str(version.get("distribution") or "elasticsearch"),
    )


def _index_rows(rows: Any) -> list[IndexInfo]:
    return [IndexInfo.from_cat(expect(row, dict, "row")) for row in expect(rows, list, "answer")]


def response_error(response: HttpResponse) -> HttpError:
    """The typed :class:`~asyncconsole.HttpError` for a 4xx/5xx response."""
    try:
        response.raise_for_status()
    except HttpError as exc:
        return exc
    return HttpError(
        f"{response.method} {response.url} -> HTTP {response.status}",
        method=response.method,
        url=response.url,
        status=response.status,
    )
