"""``Cluster``: one Elasticsearch/OpenSearch cluster (source, target or the capture proxy)."""

from __future__ import annotations

import asyncio
import fnmatch
import json as _json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from ..._clock import Clock, SystemClock
from ..._concurrency import settle_bounded
from ..._display import DisplayList
from ..._errors import (
    AsyncConsoleError,
    ConfirmationRequiredError,
    HttpTimeoutError,
    InfrastructureError,
)
from ..._observe import observe
from ..._redact import mask_url
from ...config import ClusterConfig
from ...infra.http import HttpClient, HttpResponse
from ._answers import index_rows, parse_header, parse_version, response_error, unable
from ._benchmark import (
    BENCHMARK_TOOL,
    BENCHMARK_WORKLOAD_PARAMS,
    BENCHMARK_WORKLOADS,
    basic_credentials,
    benchmark_command,
    run_test_benchmarks,
)
from ._generate import generate_data
from ._serverless import (
    CONNECTION_CHECK_TIMEOUT,
    detect_collection_type,
    serverless_connect,
)
from ._types import (
    ClearIndicesResult,
    ClusterVersion,
    CollectionType,
    ConnectionStatus,
    IndexInfo,
)

if TYPE_CHECKING:
    pass

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

_WILDCARD_REFUSED = (
    "destructive_requires_name",
    "Wildcard expressions or all indices are not allowed",
)


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
        """The base URL requests go to: the HTTP client's (the configured endpoint when the
        client has none)."""
        return self.http.base_url or self.config.endpoint

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

    # -- generated data and OpenSearch Benchmark (their own modules) ---------------------------

    generate_data = generate_data
    detect_collection_type = detect_collection_type
    basic_credentials = basic_credentials
    benchmark_command = benchmark_command
    run_test_benchmarks = run_test_benchmarks

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
        self._version = parse_version(response)
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
                return unable(exc), exc
            if response.status == 404:
                result = await serverless_connect(self)
            elif response.ok:
                try:
                    version = parse_version(response)
                except AsyncConsoleError as exc:
                    return unable(exc), exc
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
                result = unable(error), error
            info["connected"] = result[0].connected
            return result

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
        return DisplayList(response.parse(index_rows, "index list (_cat/indices)"))

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
