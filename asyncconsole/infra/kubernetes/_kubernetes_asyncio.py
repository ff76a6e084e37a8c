"""``KubernetesManager``: the K8sManager on kubernetes_asyncio (the only module calling it).

Its public calls are :class:`~._base.BaseK8sManager`'s; this module only exchanges with the
API server and says, at one place (:func:`_failure`), what a library exception means. Calls go
through the typed API objects with ``_preload_content=False`` and the JSON is read directly:
asyncconsole needs a handful of fields, and skipping the client's model deserialisation keeps
a status read cheap (see ``benchmarks/bench_kubernetes.py``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..._clock import Clock, SystemClock
from ..._redact import mask_url
from ..._retry import RetryPolicy
from .._core import PeerFailure, ShapeError, loads
from ._auth import DEFAULT_SERVICE_ACCOUNT_DIR, ConnectionPlan, plan_connection
from ._base import DEFAULT_RETRY, BaseK8sManager, PodTarget
from ._client_config import load_configuration, own_session
from ._lines import LineBuffer

__all__ = ["DEFAULT_RETRY", "KubernetesManager"]

_WATCH_SECONDS = 290  # below the API server's default --min-request-timeout ceiling
# A watch silent this long is dead: the server itself ends it after _WATCH_SECONDS.
_WATCH_IDLE = _WATCH_SECONDS + 30.0
_MAX_EVENT = 64 * 2**20  # bytes of one watch event line


class KubernetesManager(BaseK8sManager):
    """The :class:`K8sManager` for a real API server, through kubernetes_asyncio.

    ``async with KubernetesManager() as k8s:`` loads credentials (see the module
    ``asyncconsole.infra.kubernetes._auth`` for the in-cluster/kubeconfig rule) and opens one
    pooled HTTP session; pod exec opens a second (websocket) session on first use.

    Args:
        kubeconfig: Path to a kubeconfig file (``KUBECONFIG``/``~/.kube/config`` by default).
        context: Kubeconfig context to use instead of its ``current-context``.
        in_cluster: ``True`` forces the pod's service account, ``False`` forbids it,
            ``None`` decides from the environment.
        namespace: Overrides :attr:`default_namespace`.
        service_account_dir: Where the service account's ``token``, ``ca.crt`` and
            ``namespace`` files are (tests point this at a temporary directory).
        environ: Environment to read ``KUBERNETES_SERVICE_*``/``KUBECONFIG`` from.
        request_timeout: Seconds for each call, every retry and wait between them included
            (``None``: unbounded). A wait's ``timeout`` is its own deadline instead; a watch
            or a followed log stream may stay open longer than this once it has answered.
        max_connections: Size of the HTTP connection pool.
        retry: Retry policy for calls safe to repeat (reads, ``scale_deployment`` and the
            waits; never ``create_pod``, ``delete_pod``, ``exec_in_pod`` or ``ping``).
        clock: Time source for deadlines and the waits between retries.
    """

    def __init__(
        self,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        in_cluster: bool | None = None,
        namespace: str | None = None,
        service_account_dir: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        request_timeout: float | None = 30.0,
        max_connections: int = 100,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            endpoint="(not opened)",
            namespace=namespace or "default",
            request_timeout=request_timeout,
            retry=retry,
            clock=clock or SystemClock(),
        )
        self._kubeconfig = kubeconfig
        self._context = context
        self._in_cluster = in_cluster
        self._namespace_override = namespace
        self._sa_dir = Path(service_account_dir or DEFAULT_SERVICE_ACCOUNT_DIR)
        self._environ = dict(os.environ if environ is None else environ)
        self._max_connections = max_connections
        self._plan: ConnectionPlan | None = None
        self._configuration: Any = None
        self._api: Any = None
        self._ws_api: Any = None
        self._ws_lock = asyncio.Lock()

    def __repr__(self) -> str:
        where = self._plan.describe() if self._plan else "not opened"
        return f"<KubernetesManager {where} namespace={self.default_namespace!r}>"

    @property
    def host(self) -> str | None:
        """The API server URL (known once opened)."""
        return None if self._configuration is None else str(self._configuration.host)

    # ------------------------------------------------------------------ lifecycle

    async def _open(self) -> None:
        from kubernetes_asyncio import client

        plan = await asyncio.to_thread(
            plan_connection,
            kubeconfig=self._kubeconfig,
            context=self._context,
            in_cluster=self._in_cluster,
            environ=self._environ,
            service_account_dir=self._sa_dir,
        )
        self._plan = plan
        configuration, namespace = await load_configuration(
            plan, self._environ, max_connections=self._max_connections
        )
        self._namespace = self._namespace_override or namespace or "default"
        self._configuration = configuration
        self._core.endpoint = mask_url(str(configuration.host))
        self._api = client.ApiClient(configuration)
        own_session(self._api)
        from ..._version import __version__

        self._api.user_agent = f"asyncconsole/{__version__}"
        self._apps = client.AppsV1Api(self._api)
        self._v1 = client.CoreV1Api(self._api)
        self._version_api = client.VersionApi(self._api)
        self._readers: dict[str, Callable[..., Awaitable[Any]]] = {
            "deployments": self._apps.read_namespaced_deployment,
            "pods": self._v1.read_namespaced_pod,
            "secrets": self._v1.read_namespaced_secret,
            "configmaps": self._v1.read_namespaced_config_map,
        }

    async def _close(self) -> None:
        for api in (self._ws_api, self._api):
            if api is not None:
                await api.close()
        self._ws_api = self._api = None

    def _ready(self) -> None:
        if self._api is None:
            state = "closed" if self.closed else "not open"
            raise RuntimeError(
                f"KubernetesManager is {state}: use `async with KubernetesManager(...)` "
                "or `await manager.open()`"
            )

    # ------------------------------------------------------------------ one exchange

    async def _exchange(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, limit: float | None, **kwargs: Any
    ) -> tuple[int, bytes]:
        """One request, its whole answer read within ``limit`` seconds; a status >= 300 is a
        failure."""
        try:
            resp = await fn(
                *args, _preload_content=False, _request_timeout=_positive(limit), **kwargs
            )
            try:
                body: bytes = await resp.read()
            finally:
                resp.release()
        except Exception as exc:
            raise _failure(exc) from exc
        if resp.status >= 300:
            raise _refused(resp.status, body, resp.headers)
        return resp.status, body

    async def _json(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, limit: float | None, **kwargs: Any
    ) -> tuple[int, Any]:
        status, body = await self._exchange(fn, *args, limit=limit, **kwargs)
        try:
            return status, loads(body)
        except ShapeError as exc:
            raise PeerFailure("malformed", str(exc), status=status) from None

    async def _stream(
        self,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        limit: float | None,
        idle: float | None,
        **kwargs: Any,
    ) -> Any:
        """A streaming request, once its answer has begun (``limit`` bounds connecting, the
        caller's deadline the wait for the answer; then ``idle`` seconds without a byte end
        it)."""
        import aiohttp

        timeout = aiohttp.ClientTimeout(
            connect=_positive(limit), sock_connect=_positive(limit), sock_read=idle
        )
        try:
            resp = await fn(*args, _preload_content=False, _request_timeout=timeout, **kwargs)
        except Exception as exc:
            raise _failure(exc) from exc
        if resp.status >= 300:
            try:
                body = await resp.read()
            except Exception as exc:
                raise _failure(exc) from exc
            finally:
                resp.close()
            raise _refused(resp.status, body, resp.headers)
        return resp

    # ------------------------------------------------------------------ the exchanges

    async def _version(self, limit: float | None) -> tuple[int, Any]:
        return await self._json(self._version_api.get_code, limit=limit)

    async def _get(
        self, resource: str, namespace: str, name: str, limit: float | None
    ) -> tuple[int, Any]:
        return await self._json(self._readers[resource], name, namespace, limit=limit)

    async def _list(
        self, resource: str, namespace: str, selectors: Mapping[str, str], limit: float | None
    ) -> tuple[int, Any]:
        assert resource == "pods"
        return await self._json(self._v1.list_namespaced_pod, namespace, limit=limit, **selectors)

    async def _scale(
        self, namespace: str, name: str, replicas: int, limit: float | None
    ) -> tuple[int, Any]:
        return await self._json(
            self._apps.patch_namespaced_deployment_scale,
            name,
            namespace,
            {"spec": {"replicas": replicas}},
            limit=limit,
            _content_type="application/merge-patch+json",
        )

    async def _create_pod(
        self, namespace: str, body: Mapping[str, Any], limit: float | None
    ) -> tuple[int, Any]:
        return await self._json(self._v1.create_namespaced_pod, namespace, body, limit=limit)

    async def _delete_pod(
        self, namespace: str, name: str, grace_period: int | None, limit: float | None
    ) -> tuple[int, Any]:
        kwargs = {} if grace_period is None else {"grace_period_seconds": grace_period}
        return await self._json(
            self._v1.delete_namespaced_pod, name, namespace, limit=limit, **kwargs
        )

    async def _log_text(
        self, target: PodTarget, tail_lines: int | None, limit: float | None
    ) -> bytes:
        kwargs = _container(target)
        if tail_lines is not None:
            kwargs["tail_lines"] = tail_lines
        _, body = await self._exchange(
            self._v1.read_namespaced_pod_log, target.pod, target.namespace, limit=limit, **kwargs
        )
        return body

    async def _watch(
        self, resource: str, namespace: str, name: str, version: str, limit: float | None
    ) -> _JsonLines:
        lister = {
            "deployments": self._apps.list_namespaced_deployment,
            "pods": self._v1.list_namespaced_pod,
        }[resource]
        resp = await self._stream(
            lister,
            namespace,
            limit=limit,
            field_selector=f"metadata.name={name}",
            idle=_WATCH_IDLE,
            resource_version=version,
            watch=True,
            allow_watch_bookmarks=True,
            timeout_seconds=_WATCH_SECONDS,
        )
        return _JsonLines(resp)

    async def _follow_log(self, target: PodTarget, limit: float | None) -> _Chunks:
        resp = await self._stream(
            self._v1.read_namespaced_pod_log,
            target.pod,
            target.namespace,
            limit=limit,
            idle=None,  # a container may say nothing for hours
            follow=True,
            **_container(target),
        )
        return _Chunks(resp)

    async def _ws_core(self) -> Any:
        async with self._ws_lock:
            if self._ws_api is None:
                from kubernetes_asyncio import client
                from kubernetes_asyncio.stream import WsApiClient

                self._ws_api = WsApiClient(configuration=self._configuration)
                own_session(self._ws_api)
                self._ws_v1 = client.CoreV1Api(self._ws_api)
        return self._ws_v1

    async def _exec(self, target: PodTarget, argv: Sequence[str], limit: float | None) -> _Frames:
        import aiohttp

        api = await self._ws_core()
        try:
            # The websocket client takes no timeout of its own: bound its handshake here.
            async with asyncio.timeout(limit):
                connect = await api.connect_get_namespaced_pod_exec(
                    target.pod,
                    target.namespace,
                    command=list(argv),
                    stderr=True,
                    stdin=False,
                    stdout=True,
                    tty=False,
                    _preload_content=False,
                    **_container(target),
                )
                ws = await connect.__aenter__()
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status < 300:  # an answer, but no websocket
                problem = f"no websocket handshake ({exc.message})"
                raise PeerFailure("malformed", problem, status=exc.status) from exc
            raise PeerFailure("status", exc.message, status=exc.status) from exc
        except Exception as exc:
            raise _failure(exc) from exc
        return _Frames(connect, ws)


class _Frames:
    """An exec's websocket: ``(channel, data)`` per binary frame; ``aclose()`` closes it."""

    def __init__(self, connect: Any, ws: Any) -> None:
        self._connect = connect
        self._ws = ws

    def __aiter__(self) -> _Frames:
        return self

    async def __anext__(self) -> tuple[int, bytes]:
        import aiohttp

        while True:
            try:
                msg = await self._ws.receive()
            except Exception as exc:
                raise _failure(exc) from exc
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING):
                raise StopAsyncIteration
            if msg.type is aiohttp.WSMsgType.CLOSED:
                raise StopAsyncIteration
            if msg.type is aiohttp.WSMsgType.ERROR:
                raise PeerFailure("lost", f"the exec stream broke: {msg.data}")
            if msg.type is aiohttp.WSMsgType.BINARY and msg.data:
                return msg.data[0], bytes(msg.data[1:])

    async def aclose(self) -> None:
        await self._connect.__aexit__(None, None, None)


class _Chunks:
    """A streaming answer's body, chunk by chunk; ``aclose()`` ends it, on the server too."""

    def __init__(self, resp: Any) -> None:
        self._resp = resp

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk: bytes = await self._resp.content.readany()
        except Exception as exc:
            raise _failure(exc) from exc
        if not chunk:
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        self._resp.close()


class _JsonLines:
    """A watch: one JSON event per line."""

    def __init__(self, resp: Any) -> None:
        self._chunks = _Chunks(resp)
        self._lines = LineBuffer(limit=_MAX_EVENT)
        self._ready: list[bytes] = []

    def __aiter__(self) -> _JsonLines:
        return self

    async def __anext__(self) -> Any:
        while True:
            while self._ready:
                line = self._ready.pop(0)
                if line.strip():
                    return _decoded(line)
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                rest = self._lines.rest()
                if rest.strip():
                    return _decoded(rest)
                raise
            try:
                self._ready = self._lines.feed(chunk)
            except ShapeError as exc:
                raise PeerFailure("malformed", str(exc)) from None

    async def aclose(self) -> None:
        await self._chunks.aclose()


def _decoded(line: bytes) -> Any:
    try:
        return loads(line)
    except ShapeError as exc:
        raise PeerFailure("malformed", f"a watch event: {exc}") from None


def _container(target: PodTarget) -> dict[str, Any]:
    return {"container": target.container} if target.container else {}


def _positive(limit: float | None) -> float | None:
    # The client reads 0 as "no timeout": a deadline reached is not an unbounded request.
    return None if limit is None else max(limit, 0.001)


def _failure(exc: BaseException) -> PeerFailure:
    """What a library exception says about the exchange (the one place they are read)."""
    import aiohttp
    from kubernetes_asyncio.client.exceptions import ApiException

    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return PeerFailure("unreachable", f"TLS verification failed: {exc}", transient=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return PeerFailure("unreachable", str(exc) or type(exc).__name__)
    if isinstance(exc, aiohttp.InvalidURL):
        return PeerFailure("unreachable", f"invalid URL {exc}", transient=False)
    if isinstance(exc, TimeoutError):
        return PeerFailure("timeout", "no answer in time")
    if isinstance(exc, ApiException):
        return PeerFailure("status", str(exc.reason), status=exc.status or None)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return PeerFailure("lost", f"{type(exc).__name__}: {exc}")
    raise exc  # not the peer's doing: a bug, let it show


def _refused(status: int, body: bytes, headers: Mapping[str, str]) -> PeerFailure:
    """The failure an error answer reports: its ``Status`` message and reason."""
    message, reason = "", ""
    try:
        obj = loads(body)
    except ShapeError:
        message = body.decode("utf-8", errors="replace").strip()[:500]
    else:
        if isinstance(obj, dict):
            message = str(obj.get("message") or obj.get("reason") or "")
            reason = str(obj.get("reason") or "")
        else:
            message = str(obj)[:500]
    retry_after = headers.get("Retry-After") or ""
    return PeerFailure(
        "status",
        message or reason or f"HTTP {status}",
        status=status,
        code=reason or None,
        retry_after=float(retry_after) if retry_after.isdigit() else None,
    )
