"""An in-process server speaking the slice of Prometheus' HTTP API that asyncconsole reads.

The demo records its metrics here and the real ``PrometheusMetricsCollector`` reads them back
over HTTP, so ``metrics list`` / ``metrics get-data`` work against the demo's config file from
another process too. It answers ``/api/v1/status/buildinfo`` (as a 2.x server: range
selectors include both ends), ``/api/v1/series``, ``/api/v1/query`` and
``/api/v1/query_range`` for plain selectors, ``<stat>_over_time(selector[window])`` and
``vector(N)``. Anything else is refused with Prometheus' ``bad_data`` error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .._clock import Clock, SystemClock
from .._resource import AsyncResource
from ..infra.http._listen import listen

__all__ = ["DemoPrometheusServer", "PromQLError", "Selector", "parse_selector"]

VERSION = "2.53.0"
_LOOKBACK_MS = 5 * 60 * 1000  # how far back an instant selector looks, as Prometheus does
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(\{.*\})?\s*$", re.S)
_OVER_TIME = re.compile(
    r"^\s*(avg|sum|min|max|count)_over_time\((.*)\[(\d+)(ms|s|m|h)\]\)\s*$", re.S
)
_VECTOR = re.compile(r"^\s*vector\(\s*(-?[0-9.eE+]+)\s*\)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_UNESCAPE = re.compile(r"\\(.)")

Labels = tuple[tuple[str, str], ...]


class PromQLError(ValueError):
    """An expression this server does not understand (answered as HTTP 400 ``bad_data``)."""


def _average(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _count(values: list[float]) -> float:
    return float(len(values))


_FUNCTIONS: dict[str, Callable[[list[float]], float]] = {
    "avg": _average,
    "sum": math.fsum,
    "min": min,
    "max": max,
    "count": _count,
}


@dataclass(frozen=True)
class Selector:
    """``name{label op "value", ...}``: a metric name (optional) and label matchers."""

    name: str | None
    matchers: tuple[tuple[str, str, str], ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a series with ``labels`` (including ``__name__``) is selected."""
        if self.name is not None and labels.get("__name__") != self.name:
            return False
        for key, op, value in self.matchers:
            actual = labels.get(key, "")
            if op == "=" and actual != value:
                return False
            if op == "!=" and actual == value:
                return False
            if op in ("=~", "!~"):
                found = re.fullmatch(value, actual) is not None
                if found != (op == "=~"):
                    return False
        return True


def parse_selector(text: str) -> Selector:
    """Parse ``name{k="v",k2=~"re"}`` (either part may be missing, not both).

    Raises:
        PromQLError: Not a selector.
    """
    found = _SELECTOR.match(text)
    if found is None or not (found.group(1) or found.group(2)):
        raise PromQLError(f"not a series selector: {text!r}")
    name, body = found.group(1), found.group(2)
    matchers: list[tuple[str, str, str]] = []
    if body:
        inner = body[1:-1]
        position = 0
        while position < len(inner.strip()):
            matcher = _MATCHER.match(inner, position)
            if matcher is None:
                raise PromQLError(f"bad label matcher in {text!r} at {inner[position:]!r}")
            value = _UNESCAPE.sub(lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), matcher[3])
            matchers.append((matcher[1], matcher[2], value))
            position = matcher.end()
    if name is None and not any(op in ("=", "=~") and value for _, op, value in matchers):
        raise PromQLError(f"selector {text!r} must name a metric or a non-empty matcher")
    return Selector(name, tuple(matchers))


def _millis(value: str) -> int:
    try:
        return round(float(value) * 1000)
    except ValueError:
        raise PromQLError(f"cannot parse {value!r} as a timestamp") from None


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class DemoPrometheusServer(AsyncResource):
    """Store samples and serve them the way Prometheus would, on 127.0.0.1.

    ``record("kafkaCommitCount", 3.0, job="replay")`` stores a sample now (or at ``at``);
    series are identified by their labels (``__name__``, ``exported_job`` and ``labels``).

    Args:
        clock: Time of samples recorded without ``at``.
        host: Address to bind (loopback).
        port: Port to bind (0 picks a free one).
    """

    def __init__(
        self, *, clock: Clock | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._host = host
        self._port = port
        self._series: dict[Labels, list[tuple[int, float]]] = {}
        self._runner: Any = None
        self.requests = 0

    def __repr__(self) -> str:
        return f"<DemoPrometheusServer {self.url if self._runner else 'not started'}>"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self._host}:{self._port}"

    async def _open(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/api/v1/status/buildinfo", self._buildinfo)
        app.router.add_route("*", "/api/v1/series", self._series_api)
        app.router.add_route("*", "/api/v1/query", self._query)
        app.router.add_route("*", "/api/v1/query_range", self._query_range)
        app.router.add_get("/-/ready", self._ready)
        self._runner, self._port = await listen(app, self._host, self._port, shutdown_timeout=1.0)

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- samples ------------------------------------------------------------------------------

    def record(
        self,
        name: str,
        value: float,
        *,
        job: str,
        labels: Mapping[str, str] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Store one sample of metric ``name`` for the OpenTelemetry job ``job``."""
        key = tuple(sorted({**dict(labels or {}), "__name__": name, "exported_job": job}.items()))
        moment = at if at is not None else self.clock.now()
        # Floor to the millisecond exactly as the collector encodes query times (epoch()), so a
        # sample recorded "now" is never after a query's end taken a moment later.
        millis = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        samples = self._series.setdefault(key, [])
        samples.append((millis, float(value)))
        if len(samples) > 1 and samples[-2][0] > millis:
            samples.sort()

    def series_labels(self) -> list[dict[str, str]]:
        """The label sets of every stored series."""
        return [dict(key) for key in self._series]

    def _selected(self, selector: Selector) -> Iterable[tuple[Labels, list[tuple[int, float]]]]:
        for key, samples in self._series.items():
            if selector.matches(dict(key)):
                yield key, samples

    def _evaluate(self, expression: str, at_ms: int) -> list[tuple[dict[str, str], float]]:
        """The instant vector of ``expression`` at ``at_ms``."""
        vector = _VECTOR.match(expression)
        if vector is not None:
            return [({}, float(vector[1]))]
        over_time = _OVER_TIME.match(expression)
        if over_time is not None:
            function = _FUNCTIONS[over_time[1]]
            selector = parse_selector(over_time[2])
            window = int(over_time[3]) * _UNIT_MS[over_time[4]]
            out = []
            for key, samples in self._selected(selector):
                values = [v for ts, v in samples if at_ms - window <= ts <= at_ms]
                if values:
                    labels = {k: v for k, v in key if k != "__name__"}
                    out.append((labels, function(values)))
            return out
        selector = parse_selector(expression)
        out = []
        for key, samples in self._selected(selector):
            recent = [(ts, v) for ts, v in samples if at_ms - _LOOKBACK_MS < ts <= at_ms]
            if recent:
                out.append((dict(key), recent[-1][1]))
        return out

    # -- HTTP ---------------------------------------------------------------------------------

    @staticmethod
    async def _params(request: Any) -> Any:
        from multidict import MultiDict

        params = MultiDict(request.query)
        if request.method == "POST":
            params.extend(await request.post())
        return params

    def _reply(self, data: Any, status: int = 200) -> Any:
        from aiohttp import web

        self.requests += 1
        return web.json_response({"status": "success", "data": data}, status=status)

    def _error(self, message: str) -> Any:
        from aiohttp import web

        self.requests += 1
        return web.json_response(
            {"status": "error", "errorType": "bad_data", "error": message}, status=400
        )

    async def _ready(self, request: Any) -> Any:
        from aiohttp import web

        return web.Response(text="Prometheus Server is Ready.\n")

    async def _buildinfo(self, request: Any) -> Any:
        return self._reply({"version": VERSION, "revision": "asyncconsole-demo"})

    async def _series_api(self, request: Any) -> Any:
        params = await self._params(request)
        try:
            selectors = [parse_selector(text) for text in params.getall("match[]", [])]
            start = _millis(params["start"]) if "start" in params else None
            end = _millis(params["end"]) if "end" in params else None
        except PromQLError as exc:
            return self._error(str(exc))
        if not selectors:
            return self._error("no match[] parameter provided")
        found = []
        for key, samples in self._series.items():
            labels = dict(key)
            if not any(selector.matches(labels) for selector in selectors):
                continue
            if any(
                (start is None or ts >= start) and (end is None or ts <= end) for ts, _ in samples
            ):
                found.append(labels)
        return self._reply(found)

    async def _query(self, request: Any) -> Any:
        params = await self._params(request)
        try:
            at = (
                _millis(params["time"])
                if "time" in params
                else round(self.clock.now().timestamp() * 1000)
            )
            vector = self._evaluate(params.get("query", ""), at)
        except PromQLError as exc:
            return self._error(str(exc))
        result = [
            {"metric": labels, "value": [at / 1000, _format_value(value)]}
            for labels, value in vector
        ]
        return self._reply({"resultType": "vector", "result": result})

    async def _query_range(self, request: Any) -> Any:
        params = await self._params(request)
        try:
            start, end = _millis(params["start"]), _millis(params["end"])
            step = _millis(params["step"])
        except (KeyError, PromQLError) as exc:
            return self._error(f"bad query_range parameters: {exc}")
        if step <= 0:
            return self._error("zero or negative query resolution step widths are not accepted")
        if end < start:
            return self._error("end timestamp must not be before start time")
        if (end - start) // step > 11_000:
            return self._error("exceeded maximum resolution of 11,000 points per timeseries")
        expression = params.get("query", "")
        merged: dict[tuple[tuple[str, str], ...], list[list[Any]]] = {}
        try:
            at = start
            while at <= end:
                for labels, value in self._evaluate(expression, at):
                    key = tuple(sorted(labels.items()))
                    merged.setdefault(key, []).append([at / 1000, _format_value(value)])
                at += step
        except PromQLError as exc:
            return self._error(str(exc))
        result = [{"metric": dict(key), "values": values} for key, values in sorted(merged.items())]
        return self._reply({"resultType": "matrix", "result": result})
