"""kubernetes_asyncio's configuration and API clients, from a :class:`ConnectionPlan`.

Loading credentials (in-cluster service account or kubeconfig, with exec-plugin token
refresh), the proxy from the environment, and the HTTP session the clients share.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from ..._errors import ConfigError, ConfigIssue
from ._auth import ConnectionPlan, read_namespace_file

__all__ = ["environment_proxy", "load_configuration", "own_session"]


async def load_configuration(
    plan: ConnectionPlan, environ: Mapping[str, str], *, max_connections: int
) -> tuple[Any, str | None]:
    """A ``kubernetes_asyncio.client.Configuration`` for ``plan`` and the namespace it names
    (the service account's, or the kubeconfig context's), if any."""
    from kubernetes_asyncio import client

    configuration = client.Configuration()
    if plan.mode == "in-cluster":
        namespace = await _load_in_cluster(plan, configuration, environ)
    else:
        namespace = await _load_kubeconfig(plan, configuration)
    configuration.connection_pool_maxsize = max_connections
    if not configuration.proxy:
        configuration.proxy = environment_proxy(configuration.host, environ)
    return configuration, namespace


async def _load_in_cluster(
    plan: ConnectionPlan, configuration: Any, environ: Mapping[str, str]
) -> str | None:
    from kubernetes_asyncio.config.config_exception import ConfigException
    from kubernetes_asyncio.config.incluster_config import InClusterConfigLoader

    loader = InClusterConfigLoader(
        token_filename=str(plan.service_account_dir / "token"),
        cert_filename=str(plan.service_account_dir / "ca.crt"),
        environ=dict(environ),
    )
    try:
        await asyncio.to_thread(loader.load_and_set, configuration)
    except (ConfigException, OSError) as exc:
        raise ConfigError(
            "cannot use the in-cluster service account",
            [ConfigIssue(str(plan.service_account_dir), str(exc))],
        ) from exc
    return await asyncio.to_thread(read_namespace_file, plan.service_account_dir)


async def _load_kubeconfig(plan: ConnectionPlan, configuration: Any) -> str | None:
    import yaml
    from kubernetes_asyncio.config.config_exception import ConfigException
    from kubernetes_asyncio.config.kube_config import KubeConfigLoader, KubeConfigMerger

    assert plan.files
    try:
        if len(plan.files) == 1:
            # The merger would split the path on ":" (a file name may hold one): read it here.
            config, base = await asyncio.to_thread(_read_kubeconfig, plan.files[0])
            loader = KubeConfigLoader(
                config_dict=config, config_base_path=base, active_context=plan.context
            )
        else:
            merger = await asyncio.to_thread(KubeConfigMerger, os.pathsep.join(plan.files))
            loader = KubeConfigLoader(
                config_dict=merger.config, config_base_path=None, active_context=plan.context
            )
        await loader.load_and_set(configuration)
    except (
        ConfigException,
        AssertionError,
        KeyError,
        TypeError,
        ValueError,
        OSError,
        yaml.YAMLError,
    ) as exc:
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


def _read_kubeconfig(path: str) -> tuple[dict[str, Any], str]:
    """A kubeconfig file's mapping, and the directory its relative paths start from."""
    import yaml

    with open(path, encoding="utf-8") as file:
        config = yaml.safe_load(file)
    if not isinstance(config, dict):
        raise ValueError(f"{path} is not a kubeconfig (a YAML mapping)")
    return config, os.path.dirname(os.path.abspath(path))


def environment_proxy(url: str | None, environ: Mapping[str, str]) -> str | None:
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


def own_session(api: Any) -> None:
    """Swap the client's session for one of ours on the same connector.

    kubernetes_asyncio opens its session with ``trust_env=True``, so aiohttp looks up
    ``~/.netrc`` and the proxy variables in a worker thread on *every* request (two thread
    hops each). The proxy for the one API server is resolved once instead (into
    ``configuration.proxy``, which a kubeconfig ``proxy-url`` overrides); netrc plays no part
    in Kubernetes authentication. aiohttp also resends a request by itself when a pooled
    connection drops, a DELETE included; the adapter core alone decides what is safe to
    repeat, so that is turned off.
    """
    import aiohttp

    rest = api.rest_client
    session = rest.pool_manager
    connector = session.connector
    session.detach()  # the session lets go of the connector without closing it
    ours = aiohttp.ClientSession(connector=connector, trust_env=False, read_bufsize=2**21)
    if hasattr(ours, "_retry_connection"):
        ours._retry_connection = False
    rest.pool_manager = ours
