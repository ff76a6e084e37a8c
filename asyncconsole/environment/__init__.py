"""``Environment``: ``migration_services.yaml`` turned into services wired to infrastructure.

::

    from asyncconsole import Environment

    async with Environment.from_file("migration_services.yaml") as env:
        report = await env.check()          # every component concurrently -> Report
        print(report.to_dict())

    async with env.using("source_cluster", "target_cluster"):
        ...                                 # only these (and what they need) are opened

Tests inject fakes through :class:`Infrastructure`; whatever is not injected is built from
the config with the real implementation. Nothing connects at construction, and a component's
clients open only when it is used (or named in ``open``/``using``), so one that cannot open
does not stop the others.
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
