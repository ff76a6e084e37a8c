"""``FakeKubernetesApiServer``: an aiohttp server that speaks enough Kubernetes for asyncconsole and kubectl.

It serves discovery (aggregated and legacy), Deployments with the ``scale`` and ``status``
subresources, pods (create, label and field selectors, logs and ``?follow=true`` log
streams, websocket exec), Secrets, ConfigMaps, namespaces,
``?watch=true`` streams, ``Status`` errors and ``meta.k8s.io`` Tables, from the same
:class:`~asyncconsole.infra.kubernetes._sim.KubeCluster` simulation ``FakeK8sManager`` uses.
Pods converge in real time (``converge_delay``/``terminate_delay``; 0 is immediate). No
container runs: :attr:`FakeKubernetesApiServer.pod_scripter` says what a pod created through
the API logs and when it ends.

Run it standalone with ``asyncconsole testing kubernetes --deployment ns/name=3``; it prints
its URL and serves until it is stopped (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._clock import Clock, SystemClock
from .._resource import AsyncResource
from ..infra.http._listen import listen
from ..infra.kubernetes._sim import ExecHandler, KubeCluster, PodScripter, WatchEvent
from ._kube_handlers import KubeApiHandler, RecordedRequest

__all__ = ["FakeKubernetesApiServer"]


class FakeKubernetesApiServer(AsyncResource):
    """A fake Kubernetes API server on 127.0.0.1 (a free port unless ``port`` is given).

    ``async with FakeKubernetesApiServer() as kube:`` starts it; :attr:`url` is its address.
    Seed state with :meth:`add_deployment`, :meth:`add_pod`, :meth:`add_secret`,
    :meth:`add_config_map`, :meth:`set_pod_logs`, :meth:`append_pod_logs`,
    :attr:`exec_handler` and :attr:`pod_scripter`; point clients at it with
    :meth:`write_kubeconfig`. :attr:`requests` records what clients sent.

    Args:
        converge_delay: Seconds a new pod stays Pending before it runs and is ready.
        terminate_delay: Seconds a deleted pod stays terminating (``converge_delay`` if None).
        tls: Serve HTTPS with a fresh self-signed certificate (:attr:`ca_pem`).
        token: Require ``Authorization: Bearer <token>`` on every API request.
        host: Address to bind (loopback only by default).
        port: Port to bind (0 picks a free one).
        clock: Time source of the simulation (real time by default).
    """

    def __init__(
        self,
        *,
        converge_delay: float = 0.0,
        terminate_delay: float | None = None,
        tls: bool = False,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        self.cluster = KubeCluster(
            clock=clock or SystemClock(),
            converge_delay=converge_delay,
            terminate_delay=terminate_delay,
            seed=seed,
        )
        self._host = host
        self._port = port
        self._tls = tls
        self._token = token
        self.ca_pem: bytes | None = None
        self._handler = KubeApiHandler(
            self.cluster, token=token, server_address=lambda: f"{host}:{self.port}"
        )
        self._runner: Any = None
        self._stack = contextlib.AsyncExitStack()
        self._wake = asyncio.Event()

    def __repr__(self) -> str:
        return f"<FakeKubernetesApiServer {self.url if self._runner else 'not started'}>"

    # ------------------------------------------------------------------ lifecycle

    async def _open(self) -> None:
        from aiohttp import web

        ssl_context = None
        if self._tls:
            from ._kube_tls import self_signed_certificate

            cert, key = await asyncio.to_thread(self_signed_certificate, self._host)
            self.ca_pem = cert
            workdir = Path(
                self._stack.enter_context(tempfile.TemporaryDirectory(prefix="fake-kube-"))
            )
            (workdir / "tls.crt").write_bytes(cert)
            (workdir / "tls.key").write_bytes(key)
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(workdir / "tls.crt", workdir / "tls.key")
        app = web.Application(client_max_size=8 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._handler.handle)
        # handler_cancellation: a client that leaves a watch ends that watch at once
        self._runner, self._port = await listen(
            app,
            self._host,
            self._port,
            handler_cancellation=True,
            shutdown_timeout=1.0,
            backlog=1024,
            ssl_context=ssl_context,
        )
        self._unsubscribe = self.cluster.subscribe(self._on_event)
        tg = await self._stack.enter_async_context(asyncio.TaskGroup())
        self._reconciler = tg.create_task(self._reconcile_forever())

    async def _close(self) -> None:
        if getattr(self, "_reconciler", None) is not None:
            self._reconciler.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        await self._stack.aclose()

    def _on_event(self, event: WatchEvent) -> None:
        self._wake.set()

    async def _reconcile_forever(self) -> None:
        """Apply pod transitions when they fall due, so watchers see them without polling."""
        clock = self.cluster.clock
        while True:
            self._wake.clear()
            self.cluster.settle()
            due = self.cluster.next_due()
            wait = None if due is None else max(0.0, due - clock.monotonic())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    # ------------------------------------------------------------------ addresses and clients

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        return f"{'https' if self._tls else 'http'}://{self._host}:{self._port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far (the last 1000)."""
        return list(self._handler.requests)

    @property
    def active_watches(self) -> int:
        """Watch streams currently open."""
        return self._handler.active_watches

    @property
    def active_log_streams(self) -> int:
        """``follow=true`` log streams currently open."""
        return self._handler.active_log_streams

    def fail_next(
        self, status: int, message: str = "injected failure", *, path_contains: str | None = None
    ) -> None:
        """Answer the next request (whose path contains ``path_contains``) with a ``Status`` error."""
        self._handler.fail_next.append((path_contains, status, message))

    def kubeconfig(
        self, *, namespace: str | None = None, context: str = "fake", server: str | None = None
    ) -> dict[str, Any]:
        """A kubeconfig (as a dict) pointing at this server, or at ``server`` (a URL in front
        of it, such as a :class:`~asyncconsole.testing.FaultProxy`'s) with this server's
        credentials."""
        cluster: dict[str, Any] = {"server": server or self.url}
        if self.ca_pem is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        ctx: dict[str, Any] = {"cluster": context, "user": context}
        if namespace:
            ctx["namespace"] = namespace
        user: dict[str, Any] = {"token": self._token} if self._token else {}
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "contexts": [{"name": context, "context": ctx}],
            "users": [{"name": context, "user": user}],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(
        self,
        path: str | os.PathLike[str],
        *,
        namespace: str | None = None,
        context: str = "fake",
        server: str | None = None,
    ) -> Path:
        """Write :meth:`kubeconfig` to ``path`` (mode 0600) and return the path."""
        import yaml

        config = self.kubeconfig(namespace=namespace, context=context, server=server)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(config))
        target.chmod(0o600)
        return target

    def write_service_account(
        self, directory: str | os.PathLike[str], *, namespace: str = "default"
    ) -> dict[str, str]:
        """Write ``token``, ``ca.crt`` and ``namespace`` as a pod's service account would have them.

        Returns the environment variables (``KUBERNETES_SERVICE_HOST``/``PORT``) a pod would
        see. Needs ``tls=True`` (in-cluster access is always HTTPS) and a ``token``.
        """
        if self.ca_pem is None or self._token is None:
            raise RuntimeError(
                "write_service_account needs FakeKubernetesApiServer(tls=True, token=...)"
            )
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        (target / "token").write_text(self._token)
        (target / "ca.crt").write_bytes(self.ca_pem)
        (target / "namespace").write_text(namespace)
        return {"KUBERNETES_SERVICE_HOST": self._host, "KUBERNETES_SERVICE_PORT": str(self._port)}

    # ------------------------------------------------------------------ state

    @property
    def exec_handler(self) -> ExecHandler:
        """``handler(namespace, pod, container, argv) -> ExecReply`` run for pod exec."""
        return self.cluster.exec_handler

    @exec_handler.setter
    def exec_handler(self, handler: ExecHandler) -> None:
        self.cluster.exec_handler = handler

    @property
    def pod_scripter(self) -> PodScripter | None:
        """``scripter(namespace, manifest) -> PodScript | None`` for pods created through the
        API: the lines their log gets once they run, their exit code and run time (the
        server runs no containers)."""
        return self.cluster.pod_scripter

    @pod_scripter.setter
    def pod_scripter(self, scripter: PodScripter | None) -> None:
        self.cluster.pod_scripter = scripter

    def add_deployment(
        self,
        namespace: str,
        name: str,
        *,
        replicas: int = 1,
        labels: Mapping[str, str] | None = None,
        image: str = "busybox:latest",
        containers: Sequence[str] = ("main",),
        ready: bool = True,
    ) -> dict[str, Any]:
        """Create a Deployment selecting (and labelling its pods with) ``labels``."""
        return self.cluster.add_deployment(
            namespace,
            name,
            replicas=replicas,
            labels=labels,
            image=image,
            containers=containers,
            ready=ready,
        )

    def add_pod(
        self,
        namespace: str,
        name: str,
        *,
        labels: Mapping[str, str] | None = None,
        containers: Sequence[str] = ("main",),
        phase: str = "Running",
        ready: bool | None = None,
        node: str | None = None,
    ) -> dict[str, Any]:
        """Add a pod without a controller."""
        return self.cluster.add_pod(
            namespace,
            name,
            labels=labels,
            containers=containers,
            phase=phase,
            ready=ready,
            node=node,
        )

    def add_secret(
        self, namespace: str, name: str, data: Mapping[str, str | bytes]
    ) -> dict[str, Any]:
        """Create a Secret from plain values (stored base64-encoded)."""
        return self.cluster.add_secret(namespace, name, data)

    def add_config_map(self, namespace: str, name: str, data: Mapping[str, str]) -> dict[str, Any]:
        """Create a ConfigMap holding ``data``."""
        return self.cluster.add_config_map(namespace, name, data)

    def set_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Set the log text of a pod."""
        self.cluster.set_pod_logs(namespace, pod, text)

    def append_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Add text to a pod's log (``follow=true`` streams send it at once)."""
        self.cluster.append_pod_logs(namespace, pod, text)

    def deployment(self, namespace: str, name: str) -> dict[str, Any]:
        """The stored Deployment object."""
        return self.cluster.get("deployments", namespace, name)

    def pods(
        self, namespace: str | None = None, *, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        """The stored pod objects."""
        return self.cluster.select("pods", namespace, label_selector=label_selector)
