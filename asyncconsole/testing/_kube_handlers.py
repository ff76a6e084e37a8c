"""Request handling of the fake Kubernetes API server: routing, objects, subresources, Status errors."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .._errors import KubernetesError
from ..infra.kubernetes._selectors import FieldSelector, LabelSelector
from ..infra.kubernetes._sim import KubeCluster
from ..infra.kubernetes._sim_objects import RESOURCES, scale_of, version_info
from . import _kube_discovery as discovery
from ._kube_exec import serve_exec
from ._kube_logs import serve_log_follow
from ._kube_patch import PatchError, apply_patch
from ._kube_tables import table, wants_table
from ._kube_watch import serve_watch

__all__ = ["KubeApiHandler", "RecordedRequest"]

Obj = dict[str, Any]

_GROUP_OF = {"deployments": "apps", "pods": "", "secrets": "", "configmaps": ""}
_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
    503: "ServiceUnavailable",
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received (for tests asserting what a client sent)."""

    method: str
    path: str
    query: str
    content_type: str
    accept: str


class _Abort(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason or _REASONS.get(status, "Unknown")


def status_body(code: int, message: str, reason: str | None = None, **details: Any) -> Obj:
    """A ``Status`` object as the API server returns it for an error."""
    body: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure" if code >= 300 else "Success",
        "message": message,
        "reason": reason or _REASONS.get(code, ""),
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def _json(obj: Any, status: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(
        body=json.dumps(obj, separators=(",", ":")).encode(),
        status=status,
        headers={"Content-Type": content_type},
    )


def _list_item(obj: Obj) -> Obj:
    # items of a list carry no kind/apiVersion, as on a real server
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


class KubeApiHandler:
    """Answers every request of the fake server from a :class:`KubeCluster`."""

    def __init__(
        self,
        cluster: KubeCluster,
        *,
        token: str | None = None,
        server_address: Callable[[], str],
        history: int = 1000,
    ) -> None:
        self.cluster = cluster
        self.token = token
        self._server_address = server_address
        self.requests: deque[RecordedRequest] = deque(maxlen=history)
        self.active_watches = 0
        self.active_log_streams = 0
        self.fail_next: deque[tuple[str | None, int, str]] = deque()

    def _watch_opened(self, delta: int) -> None:
        self.active_watches += delta

    def _log_stream_opened(self, delta: int) -> None:
        self.active_log_streams += delta

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request (the single aiohttp route)."""
        self.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                request.query_string,
                request.headers.get("Content-Type", ""),
                request.headers.get("Accept", ""),
            )
        )
        try:
            if not self._authorized(request):
                raise _Abort(401, "Unauthorized")
            self._injected_fault(request)
            return await self._route(request)
        except _Abort as exc:
            return _json(status_body(exc.status, str(exc), exc.reason), exc.status)
        except KubernetesError as exc:
            code = exc.status or 500
            reason = exc.context.get("reason") or _REASONS.get(code)
            return _json(status_body(code, exc.message, reason), code)
        except PatchError as exc:
            return _json(status_body(exc.status, str(exc)), exc.status)
        except ValueError as exc:
            return _json(status_body(400, str(exc)), 400)

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None or request.path in ("/healthz", "/livez", "/readyz"):
            return True
        return request.headers.get("Authorization", "") == f"Bearer {self.token}"

    def _injected_fault(self, request: web.Request) -> None:
        if not self.fail_next:
            return
        path_part, status, message = self.fail_next[0]
        if path_part is None or path_part in request.path:
            self.fail_next.popleft()
            raise _Abort(status, message)

    # ------------------------------------------------------------------ routing

    async def _route(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        method = request.method
        accept = request.headers.get("Accept", "")
        if parts in (["healthz"], ["livez"], ["readyz"]):
            return web.Response(text="ok")
        if method == "GET":
            if parts == ["version"]:
                return _json(version_info())
            if parts == ["api"]:
                if discovery.wants_aggregated(accept):
                    return _json(
                        discovery.aggregated(core=True),
                        content_type=discovery.AGGREGATED_CONTENT_TYPE,
                    )
                return _json(discovery.api_versions(self._server_address()))
            if parts == ["apis"]:
                if discovery.wants_aggregated(accept):
                    return _json(
                        discovery.aggregated(core=False),
                        content_type=discovery.AGGREGATED_CONTENT_TYPE,
                    )
                return _json(discovery.api_group_list())
            if parts == ["apis", "apps"]:
                return _json(discovery.api_group("apps"))
            if parts == ["api", "v1"] or parts == ["apis", "apps", "v1"]:
                group = "" if parts[0] == "api" else "apps"
                return _json(discovery.resource_list(group, "v1"))
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif parts[:3] == ["apis", "apps", "v1"]:
            group, rest = "apps", parts[3:]
        else:
            raise _Abort(404, "the server could not find the requested resource")
        if rest[:1] == ["namespaces"] and group == "" and len(rest) <= 2:
            return self._namespaces(method, rest[1] if len(rest) == 2 else None)
        namespace: str | None = None
        if rest[:1] == ["namespaces"] and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if not rest or _GROUP_OF.get(rest[0]) != group or len(rest) > 3:
            raise _Abort(404, "the server could not find the requested resource")
        resource = rest[0]
        name = rest[1] if len(rest) >= 2 else None
        sub = rest[2] if len(rest) == 3 else None
        if name is None:
            return await self._collection(request, resource, namespace)
        if namespace is None:
            raise _Abort(404, "the server could not find the requested resource")
        if sub is None:
            return await self._object(request, resource, namespace, name)
        return await self._subresource(request, resource, namespace, name, sub)

    def _namespaces(self, method: str, name: str | None) -> web.Response:
        if method != "GET":
            raise _Abort(405, f"{method} is not supported on namespaces by this fake")
        names = sorted({"default", "kube-system", *self.cluster.namespaces()})

        def ns_obj(n: str) -> Obj:
            return {
                "kind": "Namespace",
                "apiVersion": "v1",
                "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }

        if name is not None:
            return _json(ns_obj(name))
        return _json(
            {
                "kind": "NamespaceList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(self.cluster.resource_version)},
                "items": [_list_item(ns_obj(n)) for n in names],
            }
        )

    async def _body(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.read() or b"null")
        except ValueError as exc:
            raise _Abort(400, f"the request body is not valid JSON: {exc}") from exc

    # ------------------------------------------------------------------ collections and objects

    async def _collection(
        self, request: web.Request, resource: str, namespace: str | None
    ) -> web.StreamResponse:
        query = request.query
        if request.method == "POST":
            if namespace is None:
                raise _Abort(405, "the server does not allow this method on the requested resource")
            body = await self._body(request)
            if not isinstance(body, dict):
                raise _Abort(400, "the request body must be a JSON object")
            body_ns = body.get("metadata", {}).get("namespace")
            if body_ns and body_ns != namespace:
                raise _Abort(
                    400,
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            return _json(self.cluster.create(resource, namespace, body), 201)
        if request.method != "GET":
            raise _Abort(405, "the server does not allow this method on the requested resource")
        try:
            labels = LabelSelector(query.get("labelSelector"))
            fields = FieldSelector(query.get("fieldSelector"), resource)
        except ValueError as exc:
            raise _Abort(400, str(exc)) from exc
        if query.get("watch", "").lower() in ("true", "1"):
            return await serve_watch(
                request,
                self.cluster,
                resource,
                namespace,
                label_selector=labels,
                field_selector=fields,
                on_open=self._watch_opened,
            )
        items = self.cluster.select(
            resource,
            namespace,
            label_selector=query.get("labelSelector"),
            field_selector=query.get("fieldSelector"),
            copy_out=False,  # serialised before anything can change them
        )
        rv = str(self.cluster.resource_version)
        if wants_table(request.headers.get("Accept", "")):
            return _json(
                table(
                    resource,
                    items,
                    now=self.cluster.clock.now(),
                    resource_version=rv,
                    include_object=query.get("includeObject", "Metadata"),
                )
            )
        kind, api_version, _ = RESOURCES[resource]
        return _json(
            {
                "kind": f"{kind}List",
                "apiVersion": api_version,
                "metadata": {"resourceVersion": rv},
                "items": [_list_item(i) for i in items],
            }
        )

    async def _object(
        self, request: web.Request, resource: str, namespace: str, name: str
    ) -> web.StreamResponse:
        method = request.method
        if method == "GET":
            obj = self.cluster.get(resource, namespace, name, copy_out=False)
            if wants_table(request.headers.get("Accept", "")):
                return _json(
                    table(
                        resource,
                        [obj],
                        now=self.cluster.clock.now(),
                        resource_version=obj["metadata"]["resourceVersion"],
                        include_object=request.query.get("includeObject", "Metadata"),
                    )
                )
            return _json(obj)
        if method == "DELETE":
            grace = request.query.get("gracePeriodSeconds")
            body = await self._body(request)
            if (
                grace is None
                and isinstance(body, dict)
                and body.get("gracePeriodSeconds") is not None
            ):
                grace = str(body["gracePeriodSeconds"])
            deleted = self.cluster.delete(
                resource, namespace, name, grace_period=None if grace is None else int(grace)
            )
            if resource == "pods":
                return _json(deleted)
            return _json(
                status_body(
                    200,
                    "",
                    None,
                    name=name,
                    group=_GROUP_OF[resource],
                    kind=resource,
                    uid=deleted["metadata"]["uid"],
                )
            )
        if resource != "deployments" or method not in ("PUT", "PATCH"):
            raise _Abort(405, f"{method} is not supported on {resource} by this fake")
        body = await self._body(request)
        current = self.cluster.get(resource, namespace, name)
        if method == "PATCH":
            body = apply_patch(current, body, request.headers.get("Content-Type", ""))
        if not isinstance(body, dict):
            raise _Abort(400, "the request body must be a JSON object")
        if body.get("metadata", {}).get("name", name) != name:
            raise _Abort(400, "the name of the object does not match the name on the URL")
        return _json(self.cluster.replace_deployment(namespace, name, body))

    # ------------------------------------------------------------------ subresources

    async def _subresource(
        self, request: web.Request, resource: str, namespace: str, name: str, sub: str
    ) -> web.StreamResponse:
        method = request.method
        if resource == "deployments" and sub == "scale":
            if method == "GET":
                return _json(scale_of(self.cluster.get(resource, namespace, name, copy_out=False)))
            if method in ("PUT", "PATCH"):
                body = await self._body(request)
                current = scale_of(self.cluster.get(resource, namespace, name))
                if method == "PATCH":
                    body = apply_patch(current, body, request.headers.get("Content-Type", ""))
                if not isinstance(body, dict):
                    raise _Abort(400, "the request body must be a JSON object")
                replicas = (body.get("spec") or {}).get("replicas", 0)
                version = (body.get("metadata") or {}).get("resourceVersion")
                dep = self.cluster.set_replicas(namespace, name, replicas, resource_version=version)
                return _json(scale_of(dep))
        elif sub == "status" and resource in ("deployments", "pods") and method == "GET":
            return _json(self.cluster.get(resource, namespace, name, copy_out=False))
        elif resource == "pods" and sub == "log" and method == "GET":
            if request.query.get("follow", "").lower() in ("true", "1"):
                return await serve_log_follow(
                    request, self.cluster, namespace, name, on_open=self._log_stream_opened
                )
            tail = request.query.get("tailLines")
            text = self.cluster.pod_logs(
                namespace,
                name,
                container=request.query.get("container"),
                tail_lines=None if tail is None else int(tail),
            )
            return web.Response(text=text, content_type="text/plain")
        elif resource == "pods" and sub == "exec" and method in ("GET", "POST"):
            response = await serve_exec(request, self.cluster, namespace, name)
            if response is None:
                raise _Abort(400, "Upgrade request required")
            return response
        else:
            raise _Abort(404, "the server could not find the requested resource")
        raise _Abort(405, f"{method} is not supported on {resource}/{sub}")
