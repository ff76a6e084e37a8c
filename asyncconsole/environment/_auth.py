"""Cluster authentication from the config: inline basic, a secret (AWS or Kubernetes), SigV4.

console_link rebuilt the auth object for every HTTP request, so a ``user_secret_arn`` meant a
Secrets Manager call (or a Kubernetes Secret read, with the kube config reloaded) per request.
Here a secret is resolved once, asynchronously, on the first request that needs it, and the
resulting header is reused; a failed resolution is not cached, so the next request tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from .._clock import Clock
from .._errors import ConfigError, KubernetesError
from ..infra.http import BasicAuth, HttpAuth, SigV4Auth

if TYPE_CHECKING:
    from ..config import ClusterConfig
    from ..infra.http import HttpRequest
    from ..infra.kubernetes import K8sManager
    from ..infra.secrets import BasicAuthSecret, SecretStore

__all__ = [
    "DEFAULT_K8S_SECRET_NAMESPACE",
    "SecretBasicAuth",
    "cluster_auth",
    "read_k8s_basic_auth",
    "secret_region",
]

DEFAULT_K8S_SECRET_NAMESPACE = "ma"
"""Where ``basic_auth.k8s_secret_name`` secrets are read unless told otherwise (console_link
always used ``ma``)."""

Resolver = Callable[[], Awaitable["BasicAuthSecret"]]


class SecretBasicAuth:
    """HTTP Basic auth whose credentials live in a secret, fetched once on first use.

    Concurrent first requests share one fetch. A failure is raised to the request that needed
    the credentials and not remembered, so a later request fetches again.

    Args:
        resolve: Coroutine function returning the username and password.
        source: Where the credentials come from, for reprs and messages (never the value).
    """

    __slots__ = ("_auth", "_lock", "_resolve", "fetches", "source")

    def __init__(self, resolve: Resolver, *, source: str) -> None:
        self._resolve = resolve
        self.source = source
        self.fetches = 0
        self._auth: BasicAuth | None = None
        self._lock = asyncio.Lock()

    @property
    def resolved(self) -> bool:
        """Whether the credentials have been fetched."""
        return self._auth is not None

    async def basic_auth(self) -> BasicAuth:
        """The credentials as a :class:`BasicAuth`, fetching them the first time."""
        auth = self._auth
        if auth is not None:
            return auth
        async with self._lock:
            if self._auth is None:
                self.fetches += 1
                found = await self._resolve()
                self._auth = BasicAuth(found.username, found.password)
            return self._auth

    async def headers_for(self, request: HttpRequest) -> Mapping[str, str]:
        """The request's headers plus ``Authorization: Basic ...``."""
        return await (await self.basic_auth()).headers_for(request)

    def __repr__(self) -> str:
        return f"SecretBasicAuth(source={self.source!r}, resolved={self.resolved})"


def secret_region(secret_id: str) -> str | None:
    """The region of a Secrets Manager ARN (``arn:aws:secretsmanager:<region>:...``), else None."""
    parts = secret_id.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "secretsmanager" and parts[3]:
        return parts[3]
    return None


async def read_k8s_basic_auth(k8s: K8sManager, namespace: str, name: str) -> BasicAuthSecret:
    """``username`` and ``password`` from a Kubernetes Secret (values already base64-decoded).

    Raises:
        KubernetesNotFoundError: No such Secret.
        KubernetesError: The Secret lacks one of the keys (the message names them, not values).
    """
    data = await k8s.read_secret(namespace, name)
    missing = [key for key in ("username", "password") if key not in data]
    if missing:
        raise KubernetesError(
            f"Secret {namespace}/{name} is missing required key(s): {', '.join(missing)}",
            namespace=namespace,
            name=name,
        )
    from ..infra.secrets import BasicAuthSecret

    return BasicAuthSecret(username=data["username"].get(), password=data["password"])


def cluster_auth(
    config: ClusterConfig,
    *,
    secret_store: Callable[[str], SecretStore],
    k8s: Callable[[], K8sManager],
    k8s_namespace: str = DEFAULT_K8S_SECRET_NAMESPACE,
    clock: Clock | None = None,
) -> HttpAuth | None:
    """The :class:`HttpAuth` for a cluster config (``None`` for ``no_auth``). Does no I/O.

    Args:
        config: The cluster (or proxy) config.
        secret_store: The store to read a ``user_secret_arn`` from, given the ARN.
        k8s: The Kubernetes manager to read a ``k8s_secret_name`` with.
        k8s_namespace: Namespace of ``k8s_secret_name`` secrets.
        clock: Signing time for SigV4 (default: the system's).
    """
    kind = config.auth_kind
    if kind == "no_auth":
        return None
    if kind == "sigv4":
        sigv4 = config.sigv4
        return SigV4Auth(
            region=sigv4.region if sigv4 is not None else None,
            service=sigv4.service if sigv4 is not None else "es",
            signing_endpoint=config.sigv4_signing_endpoint,
            clock=clock,
        )
    basic = config.basic_auth
    if basic is None:  # pragma: no cover - the config model guarantees it
        raise ConfigError("basic_auth is selected but has no settings")
    source = basic.credential_source
    if source == "inline":
        assert basic.username is not None
        assert basic.password is not None
        return BasicAuth(basic.username, basic.password)
    if source == "secrets_manager":
        arn = basic.user_secret_arn
        assert arn is not None
        store = secret_store(arn)

        async def from_secrets_manager() -> BasicAuthSecret:
            # imported when a secret is read: a config without secrets never loads the stores
            from ..infra.secrets import get_basic_auth_secret

            return await get_basic_auth_secret(store, arn)

        return SecretBasicAuth(from_secrets_manager, source=f"secretsmanager:{arn}")
    name = basic.k8s_secret_name
    assert name is not None

    async def from_k8s_secret() -> BasicAuthSecret:
        return await read_k8s_basic_auth(k8s(), k8s_namespace, name)

    return SecretBasicAuth(from_k8s_secret, source=f"k8s-secret:{k8s_namespace}/{name}")
