"""``KubernetesManager``: the K8sManager on kubernetes_asyncio (the only module importing it).

Calls go through the typed API objects with ``_preload_content=False`` and the JSON is read
directly: asyncconsole needs a handful of fields, and skipping the client's model
deserialisation keeps a status read cheap (see ``benchmarks/bench_kubernetes.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..._clock import Clock, SystemClock
from ..._errors import (
    CommandTimeoutError,
    ConfigError,
    ConfigIssue,
    KubernetesConflictError,
    KubernetesError,
    KubernetesNotFoundError,
    OperationTimeoutError,
)
from ..._observe import observe
from ..._resource import AsyncResource
from ..._retry import NO_RETRY, RetryPolicy
from ..._secret import Secret
from ..commands._result import CommandResult
from ._auth import DEFAULT_SERVICE_ACCOUNT_DIR, ConnectionPlan, plan_connection, read_namespace_file
from ._convert import (
    config_map_data,
    decode_secret,
    deployment_status,
    pod_info,
    pod_timeout,
    pod_wait_over,
    replicas_reached,
    replicas_timeout,
)
from ._selectors import selector_from_spec
from ._types import DeploymentStatus, PodInfo
from ._validate import (
    check_argv,
    check_condition,
    check_count,
    check_name,
    check_pod_manifest,
)

__all__ = ["DEFAULT_RETRY", "KubernetesManager"]

_log = logging.getLogger("asyncconsole.infra.kubernetes")

_STDOUT, _STDERR, _ERROR = 1, 2, 3
_A = TypeVar("_A")
_B = TypeVar("_B")
_WATCH_SECONDS = 290  # below the API server's default --min-request-timeout ceiling

DEFAULT_RETRY = RetryPolicy(
    attempts=3, wait_initial=0.2, wait_max=2.0, wait_jitter=0.1, timeout=30.0
)
"""Retries for idempotent API calls (reads and scale) on 429, 5xx and lost connections."""


def _status_message(body: bytes) -> tuple[str, str]:
    """``(message, reason)`` from a ``Status`` body (or the raw text when it is not one)."""
    try:
        status = json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace").strip()[:500], ""
    if isinstance(status, dict):
        return str(status.get("message") or status.get("reason") or ""), str(
            status.get("reason") or ""
        )
    return str(status)[:500], ""


def _error_for_status(
    status: int, message: str, reason: str, where: str, headers: Mapping[str, str] | None = None
) -> KubernetesError:
    text = f"{where}: {message or reason or 'HTTP ' + str(status)} (HTTP {status})"
    err: KubernetesError
    if status == 404:
        err = KubernetesNotFoundError(text, status=status, reason=reason)
    elif status == 409:
        err = KubernetesConflictError(text, status=status, reason=reason)
    else:
        err = KubernetesError(text, status=status, reason=reason)
    if status == 429 or status >= 500:
        err.transient = True
        retry_after = (headers or {}).get("Retry-After")
        if retry_after and retry_after.isdigit():
            err.retry_after = float(retry_after)
    return err


class KubernetesManager(AsyncResource):
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
        request_timeout: Seconds allowed for each API request (watches excepted).
        max_connections: Size of the HTTP connection pool.
        retry: Retry policy for idempotent calls (reads and ``scale_deployment``; never
            ``delete_pod``, ``exec_in_pod`` or ``ping``).
        clock: Time source for the waits between retries.
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
        self._kubeconfig = kubeconfig
        self._context = context
        self._in_cluster = in_cluster
        self._namespace_override = namespace
        self._sa_dir = Path(service_account_dir or DEFAULT_SERVICE_ACCOUNT_DIR)
        self._environ = dict(os.environ if environ is None else environ)
        self._timeout = request_timeout
        self._max_connections = max_connections
        self._retry = retry
        self._clock: Clock = clock or SystemClock()
        self._namespace = namespace or "default"
        self._plan: ConnectionPlan | None = None
        self._configuration: Any = None
        self._api: Any = None
        self._ws_api: Any = None
        self._ws_lock = asyncio.Lock()
        self._selectors: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        where = self._plan.describe() if self._plan else "not opened"
        return f"<KubernetesManager {where} namespace={self._namespace!r}>"

    @property
    def default_namespace(self) -> str:
        return self._namespace

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
        configuration = client.Configuration()
        if plan.mode == "in-cluster":
            namespace = await self._load_in_cluster(plan, configuration)
        else:
            namespace = await self._load_kubeconfig(plan, configuration)
        self._namespace = self._namespace_override or namespace or "default"
        configuration.connection_pool_maxsize = self._max_connections
        if not configuration.proxy:
            configuration.proxy = _environment_proxy(configuration.host, self._environ)
        self._configuration = configuration
        self._api = client.ApiClient(configuration)
        _resolve_proxy_once(self._api)
        from ..._version import __version__

        self._api.user_agent = f"asyncconsole/{__version__}"
        self._apps = client.AppsV1Api(self._api)
        self._core = client.CoreV1Api(self._api)
        self._version = client.VersionApi(self._api)

    async def _load_in_cluster(self, plan: ConnectionPlan, configuration: Any) -> str | None:
        from kubernetes_asyncio.config.config_exception import ConfigException
        from kubernetes_asyncio.config.incluster_config import InClusterConfigLoader

        loader = InClusterConfigLoader(
            token_filename=str(plan.service_account_dir / "token"),
            cert_filename=str(plan.service_account_dir / "ca.crt"),
            environ=self._environ,
        )
        try:
            await asyncio.to_thread(loader.load_and_set, configuration)
        except (ConfigException, OSError) as exc:
            raise ConfigError(
                "cannot use the in-cluster service account",
                [ConfigIssue(str(plan.service_account_dir), str(exc))],
            ) from exc
        return await asyncio.to_thread(read_namespace_file, plan.service_account_dir)

    async def _load_kubeconfig(self, plan: ConnectionPlan, configuration: Any) -> str | None:
        from kubernetes_asyncio.config.config_exception import ConfigException
        from kubernetes_asyncio.config.kube_config import KubeConfigLoader, KubeConfigMerger

        assert plan.kubeconfig is not None
        try:
            config, base_path = await asyncio.to_thread(
                _read_kubeconfigs, plan.kubeconfig_files, KubeConfigMerger
            )
            loader = KubeConfigLoader(
                config_dict=config, config_base_path=base_path, active_context=plan.context
            )
            await loader.load_and_set(configuration)
        except (ConfigException, AssertionError, KeyError, TypeError, ValueError, OSError) as exc:
            detail = str(exc) or type(exc).__name__
            if plan.context and isinstance(exc, ConfigException | AssertionError):
                detail = f"context {plan.context!r} not usable: {detail}"
            raise ConfigError(
                "cannot load the kubeconfig",
                [ConfigIssue("kubeconfig", detail)],
                source=plan.kubeconfig,
            ) from exc
        if hasattr(loader, "exec_plugin_expiry"):
            # exec-plugin tokens (e.g. `aws eks get-token`) expire; refresh them on demand
            lock = asyncio.Lock()

            async def refresh(conf: Any) -> None:
                async with lock:
                    await loader.load_from_exec_plugin()
                    conf.api_key["BearerToken"] = loader.token

            configuration.refresh_api_key_hook = refresh
        context = loader.current_context or {}
        namespace = (context.get("context") or {}).get("namespace")
        return str(namespace) if namespace else None

    async def _close(self) -> None:
        for api in (self._ws_api, self._api):
            if api is not None:
                await api.close()
        self._ws_api = self._api = None

    def _require_open(self) -> None:
        if self._api is None:
            state = "closed" if self.closed else "not open"
            raise RuntimeError(
                f"KubernetesManager is {state}: use `async with KubernetesManager(...)` "
                "or `await manager.open()`"
            )

    # ------------------------------------------------------------------ plumbing

    def _unreachable(self, exc: BaseException, where: str) -> KubernetesError:
        import aiohttp

        host = self.host
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            text = f"{where}: TLS verification of the Kubernetes API at {host} failed: {exc}"
        elif isinstance(exc, TimeoutError):
            text = f"{where}: the Kubernetes API at {host} did not answer within {self._timeout}s"
        else:
            text = f"{where}: the Kubernetes API at {host} is unreachable: {exc}"
        err = KubernetesError(text, status=None)
        err.transient = True
        return err

    async def _call(
        self,
        operation: str,
        where: str,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        retried: bool = True,
        **kwargs: Any,
    ) -> bytes:
        """One request, retried by the policy unless ``retried=False``.

        Returns the raw body of a 2xx response; raises the translated error.
        """
        import aiohttp
        from kubernetes_asyncio.client.exceptions import ApiException

        self._require_open()
        async with observe(_log, operation, where) as info:

            async def attempt() -> bytes:
                try:
                    resp = await fn(
                        *args, _preload_content=False, _request_timeout=self._timeout, **kwargs
                    )
                    try:
                        body: bytes = await resp.read()
                    finally:
                        resp.release()
                except ApiException as exc:
                    raise KubernetesError(f"{where}: {exc.reason}", status=exc.status) from exc
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    raise self._unreachable(exc, where) from exc
                info["status"] = resp.status
                if resp.status >= 300:
                    message, reason = _status_message(body)
                    raise _error_for_status(resp.status, message, reason, where, resp.headers)
                return body

            def on_retry(number: int, exc: BaseException, wait: float) -> None:
                info["attempts"] = number + 1
                _log.debug(
                    "%s: attempt %d failed (%s); retrying in %.2fs", where, number, exc, wait
                )

            policy = self._retry if retried else NO_RETRY
            return await policy.run(attempt, clock=self._clock, on_retry=on_retry)

    async def _json(
        self,
        operation: str,
        where: str,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        return json.loads(await self._call(operation, where, fn, *args, **kwargs))

    # ------------------------------------------------------------------ operations

    async def ping(self) -> None:
        self._require_open()
        # A health check answers at once: a caller wanting patience retries it themselves.
        await self._call("k8s.ping", "GET /version", self._version.get_code, retried=False)

    async def _read_deployment(self, namespace: str, name: str) -> dict[str, Any]:
        where = f"get deployment {namespace}/{name}"
        result: dict[str, Any] = await self._json(
            "k8s.read_deployment", where, self._apps.read_namespaced_deployment, name, namespace
        )
        return result

    async def _pods_json(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        where = f"list pods {namespace} ({selector or 'all'})"
        result = await self._json(
            "k8s.list_pods",
            where,
            self._core.list_namespaced_pod,
            namespace,
            label_selector=selector,
        )
        items: list[dict[str, Any]] = result.get("items") or []
        return items

    async def get_deployment_status(self, namespace: str, name: str) -> DeploymentStatus:
        self._require_open()
        check_name("namespace", namespace)
        check_name("name", name)
        key = (namespace, name)
        selector = self._selectors.get(key)
        pods: list[dict[str, Any]] | None = None
        if selector is None:
            dep = await self._read_deployment(namespace, name)
        else:
            # A Deployment's selector is immutable, so the pods can be listed alongside the
            # read: one round trip of wall time instead of two.
            try:
                dep, pods = await _both(
                    self._read_deployment(namespace, name), self._pods_json(namespace, selector)
                )
            except KubernetesNotFoundError:
                self._selectors.pop(key, None)
                raise
        current = selector_from_spec(dep.get("spec", {}).get("selector"))
        if pods is None or selector != current:  # first read, or re-created differently
            self._selectors[key] = current
            pods = await self._pods_json(namespace, current)
        return deployment_status(dep, pods)

    async def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        self._require_open()
        check_name("namespace", namespace)
        check_name("name", name)
        check_count("replicas", replicas)
        await self._call(
            "k8s.scale_deployment",
            f"scale deployment {namespace}/{name} to {replicas}",
            self._apps.patch_namespaced_deployment_scale,
            name,
            namespace,
            {"spec": {"replicas": replicas}},
            _content_type="application/merge-patch+json",
        )

    async def wait_for_replicas(
        self,
        namespace: str,
        name: str,
        *,
        ready: int,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> DeploymentStatus:
        check_name("namespace", namespace)
        check_name("name", name)
        check_count("ready", ready)
        self._require_open()
        last: list[dict[str, Any]] = []
        async with observe(_log, "k8s.wait_for_replicas", f"{namespace}/{name}", ready=ready):
            try:
                async with asyncio.timeout(timeout) as scope:
                    return await self._wait(namespace, name, ready, last)
            except TimeoutError as exc:
                if not scope.expired():
                    raise
                seen = last[-1] if last else None
                raise replicas_timeout(namespace, name, ready, timeout, seen) from exc

    async def _wait(
        self, namespace: str, name: str, ready: int, last: list[dict[str, Any]]
    ) -> DeploymentStatus:
        where = f"watch deployment {namespace}/{name}"
        while True:
            dep = await self._read_deployment(namespace, name)
            last[:] = [dep]
            if replicas_reached(dep, ready):
                return await self._status_of(dep)
            events = self._watch_events(
                self._apps.list_namespaced_deployment,
                where,
                namespace,
                name,
                dep["metadata"]["resourceVersion"],
            )
            async with contextlib.aclosing(events):
                async for kind, obj in events:
                    if kind == "DELETED":
                        raise KubernetesNotFoundError(
                            f"{where}: deployment was deleted while waiting", status=404
                        )
                    last[:] = [obj]
                    if replicas_reached(obj, ready):
                        return await self._status_of(obj)

    async def _status_of(self, dep: Mapping[str, Any]) -> DeploymentStatus:
        meta = dep["metadata"]
        selector = selector_from_spec(dep.get("spec", {}).get("selector"))
        self._selectors[(meta["namespace"], meta["name"])] = selector
        return deployment_status(dep, await self._pods_json(meta["namespace"], selector))

    async def list_pods(
        self,
        namespace: str,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[PodInfo]:
        self._require_open()
        check_name("namespace", namespace)
        kwargs = {}
        if label_selector:
            kwargs["label_selector"] = label_selector
        if field_selector:
            kwargs["field_selector"] = field_selector
        result = await self._json(
            "k8s.list_pods",
            f"list pods {namespace}",
            self._core.list_namespaced_pod,
            namespace,
            **kwargs,
        )
        return sorted((pod_info(p) for p in result.get("items") or ()), key=lambda p: p.name)

    async def delete_pod(
        self,
        namespace: str,
        name: str,
        *,
        grace_period: int | None = None,
        wait: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds wait=True
    ) -> None:
        self._require_open()
        check_name("namespace", namespace)
        check_name("name", name)
        kwargs = {} if grace_period is None else {"grace_period_seconds": grace_period}
        body = await self._call(
            "k8s.delete_pod",
            f"delete pod {namespace}/{name}",
            self._core.delete_namespaced_pod,
            name,
            namespace,
            retried=False,  # a retried delete whose answer was lost would see 404
            **kwargs,
        )
        if not wait:
            return
        uid = (json.loads(body).get("metadata") or {}).get("uid")
        async with observe(_log, "k8s.wait_pod_gone", f"{namespace}/{name}"):
            try:
                async with asyncio.timeout(timeout) as scope:
                    await self._until_gone(namespace, name, uid)
            except TimeoutError as exc:
                if not scope.expired():
                    raise
                raise OperationTimeoutError(
                    f"pod {namespace}/{name} was not gone within {timeout}s",
                    timeout=timeout,
                    namespace=namespace,
                    name=name,
                ) from exc

    async def _until_gone(self, namespace: str, name: str, uid: str | None) -> None:
        while True:
            try:
                pod = await self._read_pod(namespace, name)
            except KubernetesNotFoundError:
                return
            if pod["metadata"].get("uid") != uid:
                return  # a new pod of the same name: ours is gone
            rv = pod["metadata"]["resourceVersion"]
            async with contextlib.aclosing(self._pod_events(namespace, name, rv)) as events:
                async for kind, obj in events:
                    if kind == "DELETED" or obj["metadata"].get("uid") != uid:
                        return

    async def _read_pod(self, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._json(
            "k8s.read_pod",
            f"get pod {namespace}/{name}",
            self._core.read_namespaced_pod,
            name,
            namespace,
        )
        return result

    def _pod_events(
        self, namespace: str, name: str, resource_version: str
    ) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
        """``(type, pod)`` of one pod's changes after ``resource_version``."""
        return self._watch_events(
            self._core.list_namespaced_pod,
            f"watch pod {namespace}/{name}",
            namespace,
            name,
            resource_version,
        )

    async def _watch_events(
        self,
        list_call: Callable[..., Awaitable[Any]],
        where: str,
        namespace: str,
        name: str,
        resource_version: str,
    ) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
        """``(type, object)`` of one named object's changes after ``resource_version``, until
        the server ends the watch (or the history expired: the caller reads afresh)."""
        import aiohttp

        try:
            resp: Any = await list_call(
                namespace,
                field_selector=f"metadata.name={name}",
                resource_version=resource_version,
                watch=True,
                allow_watch_bookmarks=True,
                timeout_seconds=_WATCH_SECONDS,
                _preload_content=False,
            )
        except (aiohttp.ClientError, OSError) as exc:
            raise self._unreachable(exc, where) from exc
        try:
            if resp.status >= 300:
                message, reason = _status_message(await resp.read())
                raise _error_for_status(resp.status, message, reason, where, resp.headers)
            async for line in resp.content:
                if not line.strip():
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:  # history expired: read afresh
                        return
                    raise _error_for_status(
                        int(obj.get("code") or 500),
                        str(obj.get("message")),
                        str(obj.get("reason")),
                        where,
                    )
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    yield kind, obj
        except (aiohttp.ClientError, OSError) as exc:
            raise self._unreachable(exc, where) from exc
        finally:
            resp.close()  # ends the stream on the server too, also when cancelled

    async def create_pod(self, namespace: str, manifest: Mapping[str, Any]) -> PodInfo:
        self._require_open()
        check_name("namespace", namespace)
        body = check_pod_manifest(namespace, manifest)
        name = body["metadata"].get("name") or body["metadata"].get("generateName", "")
        created = await self._json(
            "k8s.create_pod",
            f"create pod {namespace}/{name}",
            self._core.create_namespaced_pod,
            namespace,
            body,
            retried=False,  # a retried create whose answer was lost would see 409
        )
        return pod_info(created)

    async def wait_for_pod(
        self,
        namespace: str,
        name: str,
        *,
        condition: str = "Ready",
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> PodInfo:
        check_name("namespace", namespace)
        check_name("name", name)
        condition = check_condition(condition)
        self._require_open()
        last: list[dict[str, Any]] = []
        target = f"{namespace}/{name}"
        async with observe(_log, "k8s.wait_for_pod", target, condition=condition):
            try:
                async with asyncio.timeout(timeout) as scope:
                    return await self._wait_pod(namespace, name, condition, last)
            except TimeoutError as exc:
                if not scope.expired():
                    raise
                seen = last[-1] if last else None
                raise pod_timeout(namespace, name, condition, timeout, seen) from exc

    async def _wait_pod(
        self, namespace: str, name: str, condition: str, last: list[dict[str, Any]]
    ) -> PodInfo:
        while True:
            pod = await self._read_pod(namespace, name)
            last[:] = [pod]
            if pod_wait_over(pod, condition):
                return pod_info(pod)
            rv = pod["metadata"]["resourceVersion"]
            async with contextlib.aclosing(self._pod_events(namespace, name, rv)) as events:
                async for kind, obj in events:
                    if kind == "DELETED":
                        raise KubernetesNotFoundError(
                            f"watch pod {namespace}/{name}: pod was deleted while waiting",
                            status=404,
                        )
                    last[:] = [obj]
                    if pod_wait_over(obj, condition):
                        return pod_info(obj)

    async def follow_pod_logs(
        self, namespace: str, pod: str, *, container: str | None = None
    ) -> AsyncIterator[str]:
        import aiohttp

        self._require_open()
        check_name("namespace", namespace)
        check_name("pod", pod)
        where = f"follow logs of pod {namespace}/{pod}"
        kwargs: dict[str, Any] = {"container": container} if container else {}
        async with observe(_log, "k8s.follow_pod_logs", f"{namespace}/{pod}") as info:
            try:
                resp: Any = await self._core.read_namespaced_pod_log(
                    pod,
                    namespace,
                    follow=True,
                    _preload_content=False,
                    # only connecting is bounded: a followed log stays open as long as it runs
                    _request_timeout=aiohttp.ClientTimeout(
                        connect=self._timeout, sock_connect=self._timeout
                    ),
                    **kwargs,
                )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise self._unreachable(exc, where) from exc
            info["status"] = resp.status
        try:
            if resp.status >= 300:
                message, reason = _status_message(await resp.read())
                raise _error_for_status(resp.status, message, reason, where, resp.headers)
            pending = b""
            # chunks, not readline(): a dumped record can be longer than aiohttp's line limit
            async for chunk in resp.content.iter_any():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", errors="replace")
            if pending:
                yield pending.decode("utf-8", errors="replace")
        except (aiohttp.ClientError, OSError) as exc:
            raise self._unreachable(exc, where) from exc
        finally:
            resp.close()  # ends the stream on the server too, also when the consumer stops

    async def read_config_map(self, namespace: str, name: str) -> dict[str, str]:
        self._require_open()
        check_name("namespace", namespace)
        check_name("name", name)
        config_map = await self._json(
            "k8s.read_config_map",
            f"read configmap {namespace}/{name}",
            self._core.read_namespaced_config_map,
            name,
            namespace,
        )
        return config_map_data(config_map)

    async def pod_logs(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
    ) -> str:
        self._require_open()
        check_name("namespace", namespace)
        check_name("pod", pod)
        kwargs: dict[str, Any] = {}
        if container:
            kwargs["container"] = container
        if tail_lines is not None:
            check_count("tail_lines", tail_lines)
            kwargs["tail_lines"] = tail_lines
        body = await self._call(
            "k8s.pod_logs",
            f"logs of pod {namespace}/{pod}",
            self._core.read_namespaced_pod_log,
            pod,
            namespace,
            **kwargs,
        )
        return body.decode("utf-8", errors="replace")

    async def read_secret(self, namespace: str, name: str) -> dict[str, Secret]:
        self._require_open()
        check_name("namespace", namespace)
        check_name("name", name)
        secret = await self._json(
            "k8s.read_secret",
            f"read secret {namespace}/{name}",
            self._core.read_namespaced_secret,
            name,
            namespace,
        )
        return decode_secret(secret)

    async def _ws_core(self) -> Any:
        self._require_open()
        async with self._ws_lock:
            if self._ws_api is None:
                from kubernetes_asyncio import client
                from kubernetes_asyncio.stream import WsApiClient

                self._ws_api = WsApiClient(configuration=self._configuration)
                _resolve_proxy_once(self._ws_api)
                self._ws_core_api = client.CoreV1Api(self._ws_api)
        return self._ws_core_api

    async def exec_in_pod(
        self,
        namespace: str,
        pod: str,
        argv: Sequence[str],
        *,
        container: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> CommandResult:
        import aiohttp

        check_name("namespace", namespace)
        check_name("pod", pod)
        argv = check_argv(argv)
        api = await self._ws_core()
        where = f"exec in pod {namespace}/{pod}"
        out, err = bytearray(), bytearray()
        status: dict[str, Any] | None = None
        started = time.perf_counter()
        kwargs: dict[str, Any] = {"container": container} if container else {}
        async with observe(_log, "k8s.exec_in_pod", f"{namespace}/{pod}", argv0=argv[0]) as info:
            try:
                async with asyncio.timeout(timeout) as scope:
                    ctx = await api.connect_get_namespaced_pod_exec(
                        pod,
                        namespace,
                        command=list(argv),
                        stderr=True,
                        stdin=False,
                        stdout=True,
                        tty=False,
                        _preload_content=False,
                        **kwargs,
                    )
                    async with ctx as ws:
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.BINARY or not msg.data:
                                continue
                            channel, payload = msg.data[0], msg.data[1:]
                            if channel == _STDOUT:
                                out += payload
                            elif channel == _STDERR:
                                err += payload
                            elif channel == _ERROR:
                                status = json.loads(payload)
            except aiohttp.WSServerHandshakeError as exc:
                if exc.status == 404:
                    raise KubernetesNotFoundError(
                        f'{where}: pods "{pod}" not found (HTTP 404)', status=404
                    ) from exc
                raise _error_for_status(exc.status, exc.message, "", where) from exc
            except TimeoutError as exc:
                if not scope.expired():
                    raise self._unreachable(exc, where) from exc
                raise CommandTimeoutError(
                    f"{where}: {' '.join(argv)!r} did not finish within {timeout}s",
                    argv=argv,
                    timeout=timeout,
                    stdout=out.decode("utf-8", errors="replace"),
                    stderr=err.decode("utf-8", errors="replace"),
                ) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise self._unreachable(exc, where) from exc
            if status is None:
                raise KubernetesError(f"{where}: the exec stream ended without an exit status")
            exit_code = _exit_code(status, where)
            info["exit_code"] = exit_code
        return CommandResult(
            argv=argv,
            exit_code=exit_code,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace"),
            duration=time.perf_counter() - started,
        )


def _environment_proxy(url: str | None, environ: Mapping[str, str]) -> str | None:
    """The ``HTTPS_PROXY``/``HTTP_PROXY`` that applies to ``url`` (honouring ``NO_PROXY``)."""
    from urllib.parse import urlsplit

    lowered = {k.lower(): v for k, v in environ.items() if k.lower().endswith("_proxy")}
    parts = urlsplit(url or "")
    proxy = lowered.get(f"{parts.scheme}_proxy")
    host = (parts.hostname or "").lower()
    if not proxy or not host:
        return None
    for raw in lowered.get("no_proxy", "").split(","):
        entry = raw.strip().lower()
        if entry.count(":") == 1:  # host:port (an IPv6 literal has more colons)
            entry = entry.split(":")[0]
        entry = entry.lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    return proxy


def _resolve_proxy_once(api: Any) -> None:
    """Swap the client's session for one with ``trust_env=False`` on the same connector.

    kubernetes_asyncio opens its session with ``trust_env=True``, so aiohttp looks up
    ``~/.netrc`` and the proxy variables in a worker thread on *every* request (two thread
    hops each). The proxy for the one API server is resolved once instead (above, into
    ``configuration.proxy``, which a kubeconfig ``proxy-url`` overrides); netrc plays no part
    in Kubernetes authentication.
    """
    import aiohttp

    rest = api.rest_client
    session = rest.pool_manager
    connector = session.connector
    session.detach()  # the session lets go of the connector without closing it
    rest.pool_manager = aiohttp.ClientSession(
        connector=connector, trust_env=False, read_bufsize=2**21
    )


async def _both(first: Awaitable[_A], second: Awaitable[_B]) -> tuple[_A, _B]:
    """Await two calls concurrently; the first failure is raised as itself, not as a group."""

    async def run(aw: Awaitable[Any]) -> Any:
        return await aw

    try:
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(run(first))
            b = tg.create_task(run(second))
    except BaseExceptionGroup as group:
        errors = [e for e in group.exceptions if not isinstance(e, asyncio.CancelledError)]
        raise (errors or list(group.exceptions))[0] from None
    return a.result(), b.result()


def _exit_code(status: Mapping[str, Any], where: str) -> int:
    """The exit code carried by the error channel's ``Status`` (v4 protocol)."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or ():
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message"))
            except (TypeError, ValueError):
                break
    raise KubernetesError(f"{where}: {status.get('message') or 'exec failed'}", status=None)


def _read_kubeconfigs(files: tuple[str, ...], merger: Any) -> tuple[Any, str | None]:
    """The kubeconfig to load and the directory its relative paths start from.

    One file is read whole, as ``load_kube_config`` reads a single file: its path may contain
    ``:``, which kubernetes_asyncio's merger would split on. Several (a ``KUBECONFIG`` list,
    already split) are merged by it, as kubectl merges them.
    """
    if len(files) == 1:
        import yaml

        path = os.path.abspath(os.path.expanduser(files[0]))
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle), os.path.dirname(path)
    return merger(os.pathsep.join(files)).config, None
