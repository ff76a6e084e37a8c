"""The API's OpenAPI 3.1 document, written from the route table and the schemas (one place
each: :data:`._api.ROUTES`, :data:`._schemas.SCHEMAS`)."""

from __future__ import annotations

import copy
from typing import Any

from ._api import ROUTES, Route
from ._schemas import SCHEMAS
from ._security import TOKEN_HEADER

__all__ = ["openapi_document"]

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.method.lower()
        + route.path.replace("/api", "").replace("/", "_").replace(".", "_").replace("-", "_"),
        "summary": route.summary,
    }
    if route.cli:
        operation["description"] = f"The document of `asyncconsole {route.cli} --json`."
    responses: dict[str, Any] = {}
    if route.schema is not None:
        responses["200"] = _json({"$ref": f"#/components/schemas/{route.schema}"}, "Success")
    elif route.path.endswith("/events"):
        responses["200"] = {
            "description": "A stream of events; each `data:` line is a JSON object "
            '`{"topic", "version", "time", "document" | "error", ...}`.',
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    else:
        responses["200"] = _json({"type": "object"}, "The OpenAPI document.")
    responses["400"] = _json(_ERROR, "A bad parameter or request body.")
    responses["404"] = _json(
        _ERROR,
        "The component is not configured, or what was asked for "
        "does not exist (a snapshot not started).",
    )
    responses["502"] = _json(_ERROR, "A peer (cluster, Kubernetes, metrics...) failed.")
    if route.action:
        responses["403"] = _json(_ERROR, f"The {TOKEN_HEADER} header is missing or wrong.")
        operation["security"] = [{"token": []}]
    operation["responses"] = responses
    if route.params:
        operation["parameters"] = [
            {
                "name": param.name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": param.schema,
            }
            for param in route.params
        ]
    if route.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{route.body}"}}
            },
        }
    return operation


def openapi_document(*, read_only: bool = False) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the dashboard's API (without the actions when
    ``read_only``)."""
    from .._version import __version__

    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        if read_only and route.action:
            continue
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "asyncconsole dashboard API",
            "version": __version__,
            "description": "The documents of the CLI's --json, served live. POSTs need the "
            f"per-run token in the {TOKEN_HEADER} header.",
        },
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER}},
        },
    }
