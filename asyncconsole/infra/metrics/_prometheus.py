"""Prometheus metrics over the shared pooled HTTP client (:class:`AiohttpClient`).

Fixes over console_link: the statistic is applied (``<stat>_over_time`` per bucket), every
matching series is returned with its labels, listing answers sorted lists (not sets), label
values are escaped, errors name the query, and requests have timeouts and retries.

Buckets: a point ``T`` covers samples in ``[T, T + period)``. Prometheus evaluates a range
selector ``[r]`` at time ``t`` over ``[t - r, t]`` (2.x, both ends inclusive) or
``(t - r, t]`` (3.x), at millisecond resolution; so each bucket is evaluated at
``T + period - 1ms`` with ``r = period - 1ms`` (2.x) or ``r = period`` (3.x). The server's
version is read once from ``/api/v1/status/buildinfo``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ..._clock import Clock
from ..._concurrency import gather
from ..._decode import ShapeError, expect, shaped
from ..._errors import HttpError, HttpTimeoutError, MetricsError
from ..._redact import mask_url
from ..._retry import RetryPolicy
from .._core import PeerFailure
from ..http import HttpAuth, HttpClient
from ..http._client import DEFAULT_RETRY
from ._base import BaseMetricsCollector, metrics_errors
from ._promql import (
    JOB_LABEL,
    MS,
    check_envelope,
    component_for_job,
    epoch,
    parse_matrix,
    range_expression,
)
from ._types import MetricQuery, MetricSeries, Point

__all__ = ["PrometheusMetricsCollector"]

logger = logging.getLogger("asyncconsole.metrics.prometheus")
RECENT = timedelta(hours=3)
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
T = TypeVar("T")


class PrometheusMetricsCollector(BaseMetricsCollector):
    """Metrics from a Prometheus server (or anything speaking its HTTP API).

    Components map to the ``exported_job`` label the OpenTelemetry collector sets:
    ``captureProxy`` -> ``capture``, ``replayer`` -> ``replay``; other names are used as-is.

    Args:
        endpoint: Base URL, e.g. ``http://prometheus:9090``.
        auth: Request authentication (``BasicAuth``, ``SigV4Auth`` for Amazon Managed
            Prometheus, ...).
        allow_insecure: Skip TLS verification.
        ca_bundle: PEM file of CAs to trust.
        timeout: Seconds each call may take (its requests and their retries included).
        user_agent_extra: Appended to the User-Agent.
        retry: Retry policy for transient failures (429/502/503/504, dropped connections).
        max_points_per_request: Buckets per ``query_range`` call (Prometheus refuses more
            than 11,000); longer windows are split into concurrent requests.
        clock: Time source for ``end=None`` and recency.
        http: Use this client instead of creating one (for tests); it is not closed here.
    """

    _errors = metrics_errors("Prometheus server")
    _log = logger

    def __init__(
        self,
        endpoint: str,
        *,
        auth: HttpAuth | None = None,
        allow_insecure: bool = False,
        ca_bundle: str | None = None,
        timeout: float = 30.0,
        user_agent_extra: str | None = None,
        retry: RetryPolicy | bool = DEFAULT_RETRY,
        max_points_per_request: int = 10_000,
        clock: Clock | None = None,
        http: HttpClient | None = None,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(
                f"Prometheus endpoint must start with http:// or https://: {endpoint!r}"
            )
        if not 1 <= max_points_per_request <= 11_000:
            raise ValueError("max_points_per_request must be between 1 and 11000")
        # Requests end themselves (the HTTP client's timeout is what the deadline leaves) and
        # are retried by the HTTP client: the core adds the deadline, typing and one event.
        super().__init__(
            endpoint=mask_url(endpoint.rstrip("/")),
            clock=clock,
            timeout=timeout,
            retry=None,
            self_timed=True,
        )
        self.url = endpoint.rstrip("/")
        self.max_points_per_request = max_points_per_request
        self._settings: dict[str, Any] = {
            "auth": auth,
            "allow_insecure": allow_insecure,
            "ca_bundle": ca_bundle,
            "timeout": timeout,
            "user_agent_extra": user_agent_extra,
            "retry": retry,
        }
        self._http: HttpClient | None = http
        self._owns_http = http is None
        self._left_open: bool | None = None  # range selectors exclude their start (3.x)
        self._detecting = asyncio.Lock()
        self.version: str | None = None

    def __repr__(self) -> str:
        return f"PrometheusMetricsCollector(endpoint={self.endpoint!r})"

    def _check_usable(self) -> None:
        if self._http is None or not self._opened or self.closed:
            state = "closed" if self.closed else "not open"
            raise RuntimeError(
                f"PrometheusMetricsCollector is {state}; use 'async with' or 'await open()'"
            )

    async def _open(self) -> None:
        if self._owns_http:
            from ..http import AiohttpClient

            client = AiohttpClient(
                base_url=self.url,
                raise_for_status=False,
                clock=self.clock,
                **self._settings,
            )
            self._http = await client.open()

    async def _close(self) -> None:
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.aclose()

    # -- BaseMetricsCollector ----------------------------------------------------------------

    def _check_query(self, query: MetricQuery) -> None:
        range_expression(query, timedelta(seconds=query.period))  # names valid, values escaped

    async def _list_metrics(self, recent: bool, left: float | None) -> dict[str, list[str]]:
        match = f'{{{JOB_LABEL}=~".+"}}'
        params: list[tuple[str, str]] = [("match[]", match)]
        if recent:
            now = self.clock.now()
            params += [("start", epoch(now - RECENT)), ("end", epoch(now))]
        return await self._get("/api/v1/series", params, f"series {match}", _listing)

    async def _metric_data(
        self, query: MetricQuery, start: datetime, end: datetime, left: float | None
    ) -> list[MetricSeries]:
        left_open = await self._range_is_left_open()
        period = timedelta(seconds=query.period)
        window = period if left_open else period - MS
        full = (end - start) // period
        requests: list[Coroutine[Any, Any, list[tuple[dict[str, str], list[Point]]]]] = []
        for first in range(0, full, self.max_points_per_request):
            last = min(full, first + self.max_points_per_request) - 1
            requests.append(self._range(query, start, first, last, window))
        tail = start + full * period
        if tail < end:
            requests.append(self._partial(query, tail, end, left_open))
        merged: dict[tuple[tuple[str, str], ...], list[Point]] = {}
        for answer in await _all(requests):
            for labels, points in answer:
                merged.setdefault(tuple(sorted(labels.items())), []).extend(points)
        return [
            MetricSeries(
                name=query.name,
                component=query.component,
                statistic=query.stat,
                labels=dict(key),
                points=tuple(sorted(points)),
            )
            for key, points in sorted(merged.items())
            if points
        ]

    async def _ping(self, left: float | None) -> None:
        await self._detect_version()

    # -- internals -------------------------------------------------------------------------

    async def _range(
        self, query: MetricQuery, start: datetime, first: int, last: int, window: timedelta
    ) -> list[tuple[dict[str, str], list[Point]]]:
        """Buckets ``first..last`` (full periods), each evaluated at its last millisecond."""
        period = timedelta(seconds=query.period)
        expr = range_expression(query, window)
        offset = period - MS
        params = [
            ("query", expr),
            ("start", epoch(start + first * period + offset)),
            ("end", epoch(start + last * period + offset)),
            ("step", str(query.period)),
        ]
        matrix = await self._get(
            "/api/v1/query_range", params, expr, lambda data: parse_matrix(data, query=expr)
        )
        return [(labels, [(ts - offset, v) for ts, v in points]) for labels, points in matrix]

    async def _partial(
        self, query: MetricQuery, tail: datetime, end: datetime, left_open: bool
    ) -> list[tuple[dict[str, str], list[Point]]]:
        """The last, shorter bucket ``[tail, end)`` as one instant query at ``end - 1ms``."""
        window = end - tail if left_open else end - tail - MS
        expr = range_expression(query, window)
        params = [("query", expr), ("time", epoch(end - MS))]
        matrix = await self._get(
            "/api/v1/query", params, expr, lambda data: parse_matrix(data, query=expr)
        )
        return [(labels, [(tail, v) for _, v in points]) for labels, points in matrix]

    async def _range_is_left_open(self) -> bool:
        if self._left_open is None:
            await self._detect_version_once()
        return bool(self._left_open)

    async def _detect_version_once(self) -> None:
        """Concurrent first queries (a dashboard's refresh) wait for one reading of the
        version instead of each sending its own; a cancelled reader lets the next one in."""
        # The wait is bounded: the reader started first with the same limit, so its request
        # ends (answered or timed out) no later than a waiter's own deadline.
        async with self._detecting:
            if self._left_open is None:
                await self._detect_version()

    async def _detect_version(self) -> None:
        try:
            version = await self._get(
                "/api/v1/status/buildinfo", [], "status/buildinfo", _build_version
            )
        except MetricsError as exc:
            if exc.context.get("status") != 404:
                raise
            # Not Prometheus itself (a proxy or another store): fall back to a trivial query.
            await self._get("/api/v1/query", [("query", "vector(1)")], "vector(1)", _anything)
            self._left_open = False
            return
        self.version = version or None
        major = version.split(".", 1)[0]
        self._left_open = major.isdigit() and int(major) >= 3

    async def _get(
        self,
        path: str,
        params: list[tuple[str, str]],
        what: str,
        parse: Callable[[Any], T],
    ) -> T:
        """One request's ``data``, parsed by ``parse``; a refusal or an answer of another
        shape is a :class:`MetricsError` naming the query, the endpoint and the status."""
        http = self._http
        assert http is not None
        try:
            response = await http.request("GET", path, params=params, raise_for_status=False)
        except HttpTimeoutError as exc:
            raise PeerFailure("timeout", str(exc), query=what) from exc
        except HttpError as exc:
            if exc.status is not None:
                raise PeerFailure("status", str(exc), status=exc.status, query=what) from exc
            raise PeerFailure("lost" if exc.sent else "unreachable", str(exc), query=what) from exc
        status = response.status
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and (payload.get("status") == "error" or status >= 400):
            try:
                check_envelope(payload, query=what)
            except MetricsError as exc:
                exc.context.update(status=status, endpoint=self.endpoint)
                exc.transient = exc.transient or status in TRANSIENT_STATUSES
                raise
        if status >= 400 or payload is None:
            excerpt = response.text[:200].strip()
            error = MetricsError(
                f"Prometheus at {self.endpoint} answered HTTP {status} for {what}: {excerpt}",
                query=what,
                status=status,
                endpoint=self.endpoint,
            )
            error.transient = status in TRANSIENT_STATUSES
            raise error
        try:
            return shaped(check_envelope(payload, query=what), parse, "data")
        except ShapeError as exc:
            raise MetricsError(
                f"unexpected Prometheus answer for {what} from {self.endpoint} "
                f"(HTTP {status}): {exc}",
                query=what,
                status=status,
                endpoint=self.endpoint,
            ) from None
        except MetricsError as exc:
            exc.context.update(status=status, endpoint=self.endpoint)
            raise


def _listing(data: Any) -> dict[str, list[str]]:
    """``/api/v1/series``'s label sets as ``{component: [metric names]}``."""
    found: dict[str, set[str]] = {}
    for labels in expect(data, list, "series"):
        labels = expect(labels, dict, "label set")
        name, job = labels.get("__name__"), labels.get(JOB_LABEL)
        if isinstance(name, str) and isinstance(job, str) and name and job:
            found.setdefault(component_for_job(job), set()).add(name)
    return {component: sorted(names) for component, names in sorted(found.items())}


def _build_version(data: Any) -> str:
    return str(expect(data, dict, "build information").get("version", ""))


def _anything(data: Any) -> Any:
    return data


async def _all(requests: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Await every request concurrently; on failure the first error itself, ungrouped."""
    if len(requests) == 1:
        return [await requests[0]]
    return await gather(*requests)
