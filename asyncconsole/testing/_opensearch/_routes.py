"""A REST route table like OpenSearch's: path patterns, methods, and the parameters each honours.

A request whose path matches no pattern gets ``no handler found`` (400); a known path with
another method 405. A URL parameter the route does not honour is rejected with OpenSearch's
``contains unrecognized parameter`` 400, so a client never mistakes an ignored parameter for
one that took effect. Literal segments win over placeholders, as in OpenSearch's path trie.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ApiError, RawError
from ._settings import parse_bool, parse_int

__all__ = ["COMMON_PARAMS", "Call", "Reply", "Route", "Router"]

Reply = tuple[int, Any]
Handler = Callable[["Call"], Awaitable[Reply]]

# First path segments of OpenSearch's own endpoints. A request under one of them that the fake
# has no route for is "not served"; any other "_name" falls through to the index routes, where
# OpenSearch answers invalid_index_name_exception.
ENDPOINT_ROOTS = frozenset(
    {"_alias", "_aliases", "_analyze", "_bulk", "_cache", "_cat", "_cluster", "_component_template",
     "_count", "_dangling", "_data_stream", "_delete_by_query", "_explain", "_field_caps",
     "_flush", "_forcemerge", "_index_template", "_ingest", "_mapping", "_mget", "_msearch",
     "_mtermvectors", "_nodes", "_plugins", "_rank_eval", "_recovery", "_refresh", "_reindex",
     "_remote", "_render", "_resolve", "_scripts", "_search", "_search_pipeline", "_segments",
     "_settings", "_shard_stores", "_snapshot", "_stats", "_tasks", "_template", "_termvectors",
     "_update_by_query", "_upgrade", "_validate", "_asyncconsole"}
)  # fmt: skip
COMMON_PARAMS = frozenset(
    {"pretty", "human", "error_trace", "filter_path", "source", "source_content_type"}
)
"""Parameters every route accepts (OpenSearch's REST layer consumes them itself)."""


@dataclass
class Call:
    """What a route handler sees: the request and the path placeholders it matched."""

    method: str
    path: str
    segments: list[str]
    params: dict[str, str]
    body: bytes
    content_type: str
    path_params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(
                400, "json_parse_exception", f"Failed to parse request body: {exc}"
            ) from None

    def object(self) -> dict[str, Any]:
        """The body as a JSON object ({} when empty)."""
        body = self.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "parsing_exception", "request body must be a JSON object")
        return body

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean URL parameter (``?pretty`` alone means true; other values 400)."""
        value = self.params.get(name)
        if value is None:
            return default
        return parse_bool(name, value)

    def int(self, name: str, default: int | None = None) -> int | None:
        """An integer URL parameter."""
        value = self.params.get(name)
        return default if value is None else parse_int(name, value)

    def __getitem__(self, name: str) -> str:
        return self.path_params[name]

    def get(self, name: str) -> str | None:
        """A path placeholder's value; else the URL parameter of that name, as OpenSearch
        reads both from one map (``GET /_stats?metric=docs`` is ``GET /_stats/docs``)."""
        value = self.path_params.get(name)
        return self.params.get(name) if value is None else value


@dataclass(frozen=True)
class Route:
    """``METHODS /pattern`` (placeholders in braces) answered by ``handler``."""

    methods: frozenset[str]
    pattern: tuple[str, ...]
    handler: Handler
    params: frozenset[str]

    def bind(self, segments: list[str]) -> dict[str, str] | None:
        """The placeholder values if ``segments`` fit the pattern."""
        if len(segments) != len(self.pattern):
            return None
        bound: dict[str, str] = {}
        for part, segment in zip(self.pattern, segments, strict=True):
            if part.startswith("{"):
                bound[part[1:-1]] = segment
            elif part != segment:
                return None
        return bound

    @property
    def rank(self) -> tuple[int, ...]:
        """Literal segments first: lower ranks win."""
        return tuple(1 if part.startswith("{") else 0 for part in self.pattern)


class Router:
    """An ordered table of routes."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._placeholders: dict[Handler, set[str]] = {}

    def add(
        self,
        methods: str,
        pattern: str,
        handler: Handler,
        params: Iterable[str] = (),
    ) -> None:
        """Serve ``methods`` (space-separated) on ``pattern`` (``/{index}/_doc/{id}``).

        A URL parameter named like a placeholder of any pattern of the same handler is
        accepted too (``GET /_search?index=a`` searches ``a`` in OpenSearch).
        """
        parts = tuple(p for p in pattern.split("/") if p)
        self._placeholders.setdefault(handler, set()).update(
            p[1:-1] for p in parts if p.startswith("{")
        )
        self.routes.append(
            Route(frozenset(methods.split()), parts, handler, frozenset(params) | COMMON_PARAMS)
        )

    def match(self, call: Call) -> tuple[Route, dict[str, str]]:
        """The route for ``call`` (400 no handler / 405 wrong method / 400 unknown parameter)."""
        fitting: list[tuple[Route, dict[str, str]]] = []
        own_endpoint = bool(call.segments) and call.segments[0] in ENDPOINT_ROOTS
        for route in self.routes:
            if own_endpoint and (not route.pattern or route.pattern[0].startswith("{")):
                continue
            bound = route.bind(call.segments)
            if bound is not None:
                fitting.append((route, bound))
        if not fitting:
            raise no_handler(call)
        allowed = [(r, b) for r, b in fitting if call.method in r.methods]
        if not allowed:
            methods = sorted({m for r, _ in fitting for m in r.methods})
            raise RawError(
                405,
                "method_not_allowed",
                f"Incorrect HTTP method for uri [{call.path}] and method [{call.method}], "
                f"allowed: [{', '.join(methods)}]",
            )
        route, bound = min(allowed, key=lambda rb: rb[0].rank)
        check_params(call, route.params | self._placeholders.get(route.handler, set()))
        return route, bound


def no_handler(call: Call) -> ApiError:
    """OpenSearch's answer to an unknown endpoint (the fake also gives it for endpoints of
    OpenSearch it does not serve)."""
    return RawError(
        400,
        "no_handler",
        f"no handler found for uri [{call.path}] and method [{call.method}]",
    )


def check_params(call: Call, honoured: frozenset[str] | set[str]) -> None:
    """Reject every parameter the route does not honour, naming them as OpenSearch does."""
    unknown = sorted(set(call.params) - honoured)
    if unknown:
        if len(unknown) == 1:
            what = f"unrecognized parameter: [{unknown[0]}]"
        else:
            what = f"unrecognized parameters: [{', '.join(unknown)}]"
        raise ApiError(400, "illegal_argument_exception", f"request [{call.path}] contains {what}")


def params_of(*groups: Iterable[str]) -> frozenset[str]:
    """The union of parameter groups."""
    out: set[str] = set()
    for group in groups:
        out.update(group)
    return frozenset(out)


def body_keys(body: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """400 ``parsing_exception`` for a body key ``where`` does not know."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, "parsing_exception", f"[{where}] unknown field [{unknown[0]}]")
