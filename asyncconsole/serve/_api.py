"""The JSON API under ``/api/``: one table of routes, from which the server registers its
handlers and :mod:`._openapi` writes the OpenAPI document.

GET routes only read (the newest round of a resource's loop, or the next one when the last is
older than its interval); POST routes act and need the token (:mod:`._security`). Every answer
is the CLI's ``--json`` document of the same question, built by the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._errors import error_fields
from ._hub import Message
from ._polls import SeriesKey
from ._stream import series

if TYPE_CHECKING:
    from ._app import Dashboard

__all__ = ["ROUTES", "Param", "Route", "json_answer"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Param:
    """A query parameter of a GET route."""

    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True)
class Route:
    """One API route: how it is served and how the OpenAPI document describes it.

    Attributes:
        method: ``GET`` or ``POST``.
        path: Under ``/api/``.
        handler: The aiohttp handler.
        summary: One line for the OpenAPI document.
        schema: The response schema's name in ``components.schemas``; ``None`` for the
            event stream.
        cli: The CLI command that prints the same document, if any.
        body: The request body's schema name (POST).
        params: Query parameters (GET).
        action: Changes something: needs the token, absent from a read-only dashboard.
    """

    method: str
    path: str
    handler: Handler
    summary: str
    schema: str | None
    cli: str | None = None
    body: str | None = None
    params: tuple[Param, ...] = ()
    action: bool = False


def dashboard_of(request: web.Request) -> Dashboard:
    """The :class:`~._app.Dashboard` serving ``request``."""
    from ._app import DASHBOARD

    return request.app[DASHBOARD]


def json_answer(data: Any, *, status: int = 200) -> web.Response:
    """``data`` encoded exactly as ``--json`` prints it."""
    from ..cli._output import dumps

    return web.Response(text=dumps(data), status=status, content_type="application/json")


def _error(exc: BaseException) -> web.Response:
    fields = error_fields(exc)
    return json_answer(fields["error"], status=fields["status"])


def _message_answer(message: Message) -> web.Response:
    if message.error is not None:
        return json_answer(message.error, status=int(message.fields.get("status", 502)))
    return json_answer(message.document)


def _not_set(component: str) -> web.Response:
    from ..cli._documents import error_document
    from ..cli._run import NOT_SET

    return json_answer(error_document("UsageError", NOT_SET[component], 2), status=404)


def _topic_document(topic: str, component: str | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        dashboard = dashboard_of(request)
        if component is not None and getattr(dashboard.env, component) is None:
            return _not_set(component)
        if topic not in dashboard.hub.topics:
            return _not_set("source_cluster")
        return _message_answer(await dashboard.hub.topics[topic].current())

    return handler


async def _session(request: web.Request) -> web.StreamResponse:
    from .._version import __version__
    from ._security import TOKEN_HEADER

    dashboard = dashboard_of(request)
    return json_answer(
        {
            "version": __version__,
            "read_only": dashboard.settings.read_only,
            "components": list(dashboard.env.components),
            "topics": sorted(t for t in dashboard.hub.topics if not t.startswith("series:")),
            "token_header": TOKEN_HEADER,
        }
    )


async def _environment(request: web.Request) -> web.StreamResponse:
    return json_answer(dashboard_of(request).env.describe())


def _int_param(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


async def _comparison(request: web.Request) -> web.StreamResponse:
    dashboard = dashboard_of(request)
    topic = dashboard.hub.topics.get("clusters")
    if topic is None:
        return _not_set("source_cluster")
    try:
        offset = _int_param(request, "offset", 0, low=0, high=10**9)
        limit = _int_param(request, "limit", 100, low=1, high=1000)
        only = request.query.get("only_differences", "false").lower() in ("1", "true", "yes")
        sort = request.query.get("sort", "index")
        message = await topic.current()
        if message.error is not None:
            return _message_answer(message)
        page = message.view.page(
            offset=offset,
            limit=limit,
            query=request.query.get("q", ""),
            only_differences=only,
            sort=sort,
        )
    except ValueError as exc:
        return _error(exc)
    page["summary"] = message.fields["summary"]
    page["errors"] = message.fields.get("errors", {})
    return json_answer(page)


async def _history(request: web.Request) -> web.StreamResponse:
    dashboard = dashboard_of(request)
    if dashboard.env.backfill is None:
        return _not_set("backfill")
    return json_answer(dashboard.history.to_dict())


def series_key(request: web.Request) -> SeriesKey:
    """The series a ``/api/metrics/data`` request asks for.

    Raises:
        ValueError: A parameter is missing or invalid.
    """
    query = request.query
    component, metric = query.get("component"), query.get("metric")
    if not component or not metric:
        raise ValueError("component and metric are required")
    name = ":".join(
        [
            "series",
            component,
            metric,
            query.get("statistic", "Average"),
            query.get("lookback", "60"),
            query.get("period", "60"),
        ]
    )
    return SeriesKey.parse(name)


async def _metric_data(request: web.Request) -> web.StreamResponse:
    dashboard = dashboard_of(request)
    if dashboard.env.metrics is None:
        return _not_set("metrics")
    try:
        topic = series(dashboard, series_key(request))
    except (ValueError, LookupError) as exc:
        return _error(exc if isinstance(exc, ValueError) else ValueError(str(exc)))
    return _message_answer(await topic.current())


async def _openapi(request: web.Request) -> web.StreamResponse:
    from ._openapi import openapi_document

    return json_answer(openapi_document(read_only=dashboard_of(request).settings.read_only))


async def _events(request: web.Request) -> web.StreamResponse:
    from ._stream import event_stream

    return await event_stream(request, dashboard_of(request))


# -- actions -------------------------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json(loads=json.loads)
    except ValueError:
        raise ValueError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the request body must be a JSON object")
    return data


def _units(data: dict[str, Any]) -> int:
    units = data.get("units")
    if not isinstance(units, int) or isinstance(units, bool) or units < 0:
        raise ValueError("units must be an integer >= 0")
    return units


def _action(
    component: str | None,
    act: Callable[[Dashboard, dict[str, Any]], Awaitable[Any]],
    *kicks: str,
) -> Handler:
    """An action's handler: checks the component is configured, runs ``act`` (one action at
    a time), then has the topics it changed (``component`` and ``kicks``) poll again."""
    changed = (*((component,) if component else ()), *kicks)

    async def handler(request: web.Request) -> web.StreamResponse:
        dashboard = dashboard_of(request)
        if component is not None and getattr(dashboard.env, component) is None:
            return _not_set(component)
        try:
            data = await _body(request)
            async with dashboard.acting:  # one action at a time: start and stop never interleave
                document = await act(dashboard, data)
        except Exception as exc:
            return _error(exc)
        finally:
            for name in changed:
                topic = dashboard.hub.topics.get(name)
                if topic is not None:
                    topic.kick()
        return json_answer(document)

    return handler


def _backfill(action: str) -> Callable[[Dashboard, dict[str, Any]], Awaitable[Any]]:
    async def act(dashboard: Dashboard, data: dict[str, Any]) -> Any:
        from ..cli._documents import backfill_action

        assert dashboard.env.backfill is not None
        units = _units(data) if action == "scale" else None
        return await backfill_action(dashboard.env.backfill, action, units)

    return act


async def _backfill_stop(dashboard: Dashboard, data: dict[str, Any]) -> Any:
    from ..cli._documents import backfill_stop

    assert dashboard.env.backfill is not None
    archive = data.get("archive", True)
    timeout = data.get("timeout", 600.0)
    if not isinstance(archive, bool):
        raise ValueError("archive must be true or false")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not timeout > 0:
        raise ValueError("timeout must be a positive number of seconds")
    return await backfill_stop(dashboard.env.backfill, archive=archive, timeout=float(timeout))


def _replay(action: str) -> Callable[[Dashboard, dict[str, Any]], Awaitable[Any]]:
    async def act(dashboard: Dashboard, data: dict[str, Any]) -> Any:
        from ..cli._documents import replay_action

        assert dashboard.env.replay is not None
        units = _units(data) if action == "scale" else None
        document, _report = await replay_action(dashboard.env.replay, action, units)
        return document

    return act


async def _clear_indices(dashboard: Dashboard, data: dict[str, Any]) -> Any:
    from ..cli._documents import clear_indices_document

    cluster = data.get("cluster")
    if cluster not in ("source", "target"):
        raise ValueError('cluster must be "source" or "target"')
    chosen = getattr(dashboard.env, f"{cluster}_cluster")
    if chosen is None:
        raise ValueError(f"the {cluster} cluster is not configured")
    result = await chosen.clear_indices(confirm=True)
    return clear_indices_document(cluster, result)


def _param(name: str, schema: dict[str, Any], text: str, required: bool = False) -> Param:
    return Param(name, schema, text, required)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/session", _session, "What this dashboard shows and allows.", "Session"),
    Route(
        "GET",
        "/api/environment",
        _environment,
        "Every configured component's description (secrets masked).",
        "Environment",
    ),
    Route(
        "GET",
        "/api/check",
        _topic_document("overview"),
        "Every component's check, from the newest round.",
        "CheckReport",
        cli="check",
    ),
    Route(
        "GET",
        "/api/clusters/indices",
        _topic_document("clusters"),
        "The indices of the source and target clusters.",
        "CatIndices",
        cli="clusters cat-indices",
    ),
    Route(
        "GET",
        "/api/clusters/comparison",
        _comparison,
        "One page of document counts, source and target side by side.",
        "IndexComparison",
        params=(
            _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "First row."),
            _param(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                "Rows per page.",
            ),
            _param("q", {"type": "string"}, "Only indices whose name contains this."),
            _param(
                "only_differences",
                {"type": "boolean", "default": False},
                "Only indices whose counts differ.",
            ),
            _param(
                "sort",
                {"enum": ["index", "difference"], "default": "index"},
                "By name, or largest difference first.",
            ),
        ),
    ),
    Route(
        "GET",
        "/api/snapshot/status",
        _topic_document("snapshot", "snapshot"),
        "The snapshot's state, shards, throughput and ETA.",
        "SnapshotStatus",
        cli="snapshot status --deep-check",
    ),
    Route(
        "GET",
        "/api/backfill/status",
        _topic_document("backfill", "backfill"),
        "The backfill's workers and work-item progress.",
        "BackfillStatus",
        cli="backfill status --deep-check",
    ),
    Route(
        "GET",
        "/api/backfill/history",
        _history,
        "The backfill's progress over time (since this dashboard started).",
        "BackfillHistory",
    ),
    Route(
        "GET",
        "/api/replay/status",
        _topic_document("replay", "replay"),
        "The replayers' state and counts.",
        "ReplayStatus",
        cli="replay status",
    ),
    Route(
        "GET",
        "/api/metrics/names",
        _topic_document("metrics", "metrics"),
        "The metric names of each component.",
        "MetricNames",
        cli="metrics list",
    ),
    Route(
        "GET",
        "/api/metrics/data",
        _metric_data,
        "One metric's data points.",
        "MetricData",
        cli="metrics get-data",
        params=(
            _param("component", {"enum": ["captureProxy", "replayer"]}, "Component.", True),
            _param("metric", {"type": "string"}, "Metric name.", True),
            _param(
                "statistic",
                {
                    "enum": ["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
                    "default": "Average",
                },
                "Statistic.",
            ),
            _param("lookback", {"type": "number", "default": 60}, "Minutes back from now."),
            _param("period", {"type": "integer", "default": 60}, "Seconds per data point."),
        ),
    ),
    Route(
        "GET",
        "/api/events",
        _events,
        "Server-sent events: every new state of the topics asked for.",
        None,
        params=(
            _param(
                "topics",
                {"type": "string"},
                "Comma-separated topics: overview, clusters, snapshot, backfill, replay, "
                "metrics, or series:<component>:<metric>:<statistic>:<lookback>:<period>.",
                True,
            ),
        ),
    ),
    Route("GET", "/api/openapi.json", _openapi, "This API's OpenAPI document.", None),
    Route(
        "POST",
        "/api/backfill/start",
        _action("backfill", _backfill("start")),
        "Start the configured number of backfill workers.",
        "BackfillAction",
        cli="backfill start",
        action=True,
    ),
    Route(
        "POST",
        "/api/backfill/pause",
        _action("backfill", _backfill("pause")),
        "Scale the backfill workers to 0 (start resumes).",
        "BackfillAction",
        cli="backfill pause",
        action=True,
    ),
    Route(
        "POST",
        "/api/backfill/scale",
        _action("backfill", _backfill("scale")),
        "Set the number of backfill workers.",
        "BackfillAction",
        cli="backfill scale",
        body="Units",
        action=True,
    ),
    Route(
        "POST",
        "/api/backfill/stop",
        _action("backfill", _backfill_stop),
        "Stop the workers, wait until they are gone, archive the working state.",
        "BackfillStop",
        cli="backfill stop",
        body="StopOptions",
        action=True,
    ),
    Route(
        "POST",
        "/api/replay/start",
        _action("replay", _replay("start")),
        "Start the configured number of replayers.",
        "ReplayAction",
        cli="replay start",
        action=True,
    ),
    Route(
        "POST",
        "/api/replay/stop",
        _action("replay", _replay("stop")),
        "Scale the replayers to 0.",
        "ReplayAction",
        cli="replay stop",
        action=True,
    ),
    Route(
        "POST",
        "/api/replay/scale",
        _action("replay", _replay("scale")),
        "Set the number of replayers.",
        "ReplayAction",
        cli="replay scale",
        body="Units",
        action=True,
    ),
    Route(
        "POST",
        "/api/clusters/clear-indices",
        _action(None, _clear_indices, "clusters", "overview"),
        "Delete every user index (and the backfill working state) on a cluster.",
        "ClearIndices",
        cli="clusters clear-indices --acknowledge-risk",
        body="ClearOptions",
        action=True,
    ),
)
"""Every API route, in the order the OpenAPI document lists them."""
