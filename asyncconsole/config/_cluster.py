"""Clusters (``source_cluster``, ``target_cluster``, the source's ``proxy``) and ``client_options``."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field
from pydantic_core import InitErrorDetails

from .._errors import ConfigError
from ._base import ConfigModel, HttpEndpoint, SecretField, rule

__all__ = [
    "AuthKind",
    "BasicAuthConfig",
    "ClientOptions",
    "ClusterConfig",
    "ProxyConfig",
    "SigV4Config",
    "SourceClusterConfig",
]

AuthKind = Literal["no_auth", "basic_auth", "sigv4"]
_AUTH_KEYS: tuple[AuthKind, ...] = ("no_auth", "basic_auth", "sigv4")


class BasicAuthConfig(ConfigModel):
    """HTTP basic auth: inline credentials, or a reference to a secret that holds them.

    Exactly one source: ``username`` + ``password``, ``user_secret_arn`` (an AWS Secrets
    Manager secret whose value is JSON with ``username`` and ``password``), or
    ``k8s_secret_name`` (a Kubernetes Secret with ``username`` and ``password`` keys).
    """

    username: str | None = None
    """The user name, with ``password``."""
    password: SecretField | None = None
    """The password (never shown in reprs, dumps or errors)."""
    user_secret_arn: str | None = None
    """ARN of an AWS Secrets Manager secret holding ``{"username": ..., "password": ...}``."""
    k8s_secret_name: str | None = None
    """Name of a Kubernetes Secret holding ``username`` and ``password``."""

    def _problems(self) -> list[InitErrorDetails]:
        inline = self.username is not None or self.password is not None
        pair = self.username is not None and self.password is not None
        secret = self.user_secret_arn is not None or self.k8s_secret_name is not None
        problems = []
        if inline and secret:
            problems.append(
                rule(
                    "Cannot provide both (username + password) and a secret "
                    "(user_secret_arn or k8s_secret_name)"
                )
            )
        elif pair and not (self.username and self.password):
            problems.append(rule("Both username and password must be non-empty"))
        elif not pair and not secret:
            problems.append(
                rule(
                    "Must provide either (username + password) or a secret "
                    "(user_secret_arn or k8s_secret_name)"
                )
            )
        if self.user_secret_arn is not None and self.k8s_secret_name is not None:
            problems.append(rule("Only one secret reference can be provided"))
        return problems

    @property
    def credential_source(self) -> Literal["inline", "secrets_manager", "k8s_secret"]:
        """Where the credentials come from."""
        if self.user_secret_arn is not None:
            return "secrets_manager"
        if self.k8s_secret_name is not None:
            return "k8s_secret"
        return "inline"


class SigV4Config(ConfigModel):
    """AWS SigV4 request signing (Amazon OpenSearch Service or Serverless)."""

    region: str | None = None
    """Signing region; ``None`` means the AWS SDK's usual region resolution."""
    service: str = "es"
    """Signing service name: ``es`` (managed domains) or ``aoss`` (Serverless)."""


class ProxyConfig(ConfigModel):
    """The capture proxy in front of the source cluster."""

    name: str | None = None
    """A display name."""
    endpoint: HttpEndpoint
    """The proxy's base URL."""
    allow_insecure: bool = False
    """Skip TLS verification for the proxy (default False whatever the scheme)."""


def _insecure_by_default(data: dict[str, Any]) -> bool:
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str):
        return True
    return urlsplit(endpoint).scheme.lower() != "https"


class ClusterConfig(ConfigModel):
    """An Elasticsearch/OpenSearch (or Solr) cluster; exactly one of the auth keys.

    ``allow_insecure`` defaults to False for ``https`` endpoints and True otherwise.
    """

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (_AUTH_KEYS,)
    null_is_value: ClassVar[frozenset[str]] = frozenset({"no_auth"})

    endpoint: HttpEndpoint
    """Base URL (``http://`` or ``https://``); request paths are appended verbatim."""
    allow_insecure: bool = Field(default_factory=_insecure_by_default)
    """Don't verify TLS certificates."""
    version: str | None = None
    """Free text such as ``ES_7.10``, ``OS_2.15`` or ``SOLR 8.11``."""
    sigv4_signing_endpoint: str | None = None
    """URL whose scheme and host are used for SigV4 signing (set for proxies)."""
    no_auth: Annotated[None, BeforeValidator(lambda value: None)] = None
    """Present when the cluster needs no auth; its value (usually empty) is ignored."""
    basic_auth: BasicAuthConfig | None = None
    """Basic auth settings."""
    sigv4: SigV4Config | None = None
    """SigV4 settings (an empty ``sigv4:`` means the defaults)."""

    @property
    def auth_kind(self) -> AuthKind:
        """Which auth key the config gave: ``no_auth``, ``basic_auth`` or ``sigv4``."""
        for key in _AUTH_KEYS:
            if key in self.model_fields_set:
                return key
        raise ConfigError("cluster has no auth key (no_auth, basic_auth or sigv4)")

    @property
    def is_solr(self) -> bool:
        """Whether ``version`` names a Solr cluster (case-insensitive prefix ``SOLR``)."""
        return bool(self.version) and str(self.version).upper().startswith("SOLR")

    @property
    def verify_tls(self) -> bool:
        """Whether TLS certificates are verified (``not allow_insecure``)."""
        return not self.allow_insecure


class SourceClusterConfig(ClusterConfig):
    """The source cluster; it may have a capture ``proxy`` in front of it."""

    proxy: ProxyConfig | None = None
    """The capture proxy, if any (see :meth:`proxy_cluster`)."""

    def proxy_cluster(self) -> ClusterConfig | None:
        """The proxy as a cluster: the source's settings and auth with the proxy's endpoint.

        With SigV4 the proxy's ``sigv4_signing_endpoint`` is the source endpoint, so requests
        sent through the proxy are signed for the real domain.
        """
        if self.proxy is None:
            return None
        fields = {
            name: getattr(self, name)
            for name in self.model_fields_set
            if name not in ("proxy", "allow_insecure", "sigv4_signing_endpoint")
        }
        fields.update(endpoint=self.proxy.endpoint, allow_insecure=self.proxy.allow_insecure)
        if self.auth_kind == "sigv4":
            fields["sigv4_signing_endpoint"] = self.sigv4_signing_endpoint or self.endpoint
        return ClusterConfig(**fields)


class ClientOptions(ConfigModel):
    """Options for every client asyncconsole opens."""

    user_agent_extra: str | None = None
    """Appended to the User-Agent of HTTP requests and AWS clients."""
