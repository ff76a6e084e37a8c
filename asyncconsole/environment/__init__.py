"""``Environment``: ``migration_services.yaml`` turned into services wired to infrastructure.

::

    from asyncconsole import Environment

    async with Environment.from_file("migration_services.yaml") as env:
        report = await env.check()          # every component concurrently -> Report
        print(report.to_dict())

Tests inject fakes through :class:`Infrastructure`; whatever is not injected is built from
the config with the real implementation, and nothing connects before the environment opens.
"""

from ._auth import DEFAULT_K8S_SECRET_NAMESPACE, SecretBasicAuth, cluster_auth, secret_region
from ._check import DEFAULT_CHECK_TIMEOUT, run_checks
from ._environment import COMPONENTS, Environment
from ._infra import HttpClientFactory, Infrastructure, aiohttp_client_factory

__all__ = [
    "COMPONENTS",
    "DEFAULT_CHECK_TIMEOUT",
    "DEFAULT_K8S_SECRET_NAMESPACE",
    "Environment",
    "HttpClientFactory",
    "Infrastructure",
    "SecretBasicAuth",
    "aiohttp_client_factory",
    "cluster_auth",
    "run_checks",
    "secret_region",
]
