"""``GET /api/events``: server-sent events carrying every new state of the topics asked for.

The first events are the topics' current states, so a page that (re)connects is complete at
once; then each new state follows. A comment line every :data:`KEEPALIVE` seconds keeps idle
connections (and proxies) open, and shows a gone client so its subscription ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ._polls import SeriesKey, series_topic

if TYPE_CHECKING:
    from ._app import Dashboard
    from ._hub import Topic

__all__ = ["KEEPALIVE", "event_stream", "series"]

KEEPALIVE = 15.0
"""Seconds between keep-alive comments on a quiet stream."""
RETRY_MS = 2000
"""How long a browser waits before reconnecting a dropped stream."""


def _topics(dashboard: Dashboard, names: list[str]) -> list[Topic]:
    found = []
    for name in names:
        if name.startswith("series:"):
            found.append(series(dashboard, SeriesKey.parse(name)))
        elif name in dashboard.hub.topics:
            found.append(dashboard.hub.topics[name])
        else:
            known = ", ".join(sorted(dashboard.hub.topics))
            raise ValueError(f"no topic {name!r} (topics: {known})")
    return found


def series(dashboard: Dashboard, key: SeriesKey) -> Topic:
    """The live topic of one metric series, made (and its loop started) on first use.

    Raises:
        ValueError: Metrics are not configured, or the component or statistic is unknown.
        LookupError: Too many series are live at once.
    """
    if dashboard.env.metrics is None:
        raise ValueError("metrics are not configured")
    return dashboard.hub.get(key.name, lambda: series_topic(dashboard.env, dashboard.settings, key))


async def event_stream(request: web.Request, dashboard: Dashboard) -> web.StreamResponse:
    """Stream the topics named in ``?topics=a,b`` until the client leaves or the server stops."""
    from ._api import json_answer
    from ._errors import error_fields

    names = [n for n in request.query.get("topics", "").split(",") if n]
    try:
        if not names:
            raise ValueError("name at least one topic: ?topics=overview,backfill")
        topics = _topics(dashboard, names)
    except (ValueError, LookupError) as exc:
        fields = error_fields(exc if isinstance(exc, ValueError) else ValueError(str(exc)))
        return json_answer(fields["error"], status=fields["status"])
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    subscription = dashboard.hub.subscribe(topics)
    try:
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        while not subscription.closed:
            messages = await subscription.next(KEEPALIVE)
            if not messages:
                await response.write(b": keep-alive\n\n")
            for message in messages:
                await response.write(message.frame)
    except ConnectionResetError:
        pass  # the page went away
    finally:
        dashboard.hub.unsubscribe(subscription)
    return response
