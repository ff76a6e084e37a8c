"""Choosing how to reach the API server: in-cluster service account or a kubeconfig.

The rule (console_link tries in-cluster first; kubectl prefers a kubeconfig it was pointed at):

1. Explicit arguments win: ``in_cluster=True`` forces the service account; a ``kubeconfig``
   path, a ``context`` or ``in_cluster=False`` forces a kubeconfig.
2. A ``KUBECONFIG`` environment variable is an explicit choice too: kubeconfig.
3. Inside a pod (``KUBERNETES_SERVICE_HOST``/``_PORT`` set and the service-account token
   file present): in-cluster.
4. Otherwise ``~/.kube/config``.

The default namespace is the service account's ``namespace`` file in-cluster, else the
kubeconfig context's ``namespace``, else ``"default"``; an explicit ``namespace`` wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..._errors import ConfigError, ConfigIssue

__all__ = ["DEFAULT_SERVICE_ACCOUNT_DIR", "ConnectionPlan", "plan_connection"]

DEFAULT_SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """Where the credentials come from; resolved before any file is parsed."""

    mode: Literal["in-cluster", "kubeconfig"]
    kubeconfig: str | None = None  # the files, os.pathsep-separated, as KUBECONFIG lists them
    context: str | None = None
    service_account_dir: Path = DEFAULT_SERVICE_ACCOUNT_DIR
    host: str | None = None  # in-cluster API URL
    files: tuple[str, ...] = ()  # the kubeconfig files to merge, in order

    def describe(self) -> str:
        """Where we connect from, for error messages (no secrets)."""
        if self.mode == "in-cluster":
            return f"in-cluster service account ({self.host})"
        ctx = f", context {self.context!r}" if self.context else ""
        return f"kubeconfig {self.kubeconfig}{ctx}"


def _in_cluster_host(environ: Mapping[str, str]) -> str | None:
    host = environ.get("KUBERNETES_SERVICE_HOST", "")
    port = environ.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"https://{host}:{port}"


def plan_connection(
    *,
    kubeconfig: str | os.PathLike[str] | None,
    context: str | None,
    in_cluster: bool | None,
    environ: Mapping[str, str],
    service_account_dir: Path,
) -> ConnectionPlan:
    """Apply the rule above. Raises ``ConfigError`` when nothing usable is configured."""
    if in_cluster and (kubeconfig is not None or context is not None):
        raise ConfigError(
            "conflicting Kubernetes settings",
            [
                ConfigIssue(
                    "in_cluster", "in_cluster=True cannot be combined with kubeconfig/context"
                )
            ],
        )
    host = _in_cluster_host(environ)
    token = service_account_dir / "token"
    if in_cluster:
        issues = []
        if host is None:
            issues.append(
                ConfigIssue("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_HOST/PORT are not set")
            )
        for needed in (token, service_account_dir / "ca.crt"):
            if not needed.is_file():
                issues.append(ConfigIssue(str(needed), "service-account file is missing"))
        if issues:
            raise ConfigError("cannot use the in-cluster service account", issues)
        return ConnectionPlan("in-cluster", service_account_dir=service_account_dir, host=host)
    explicit = kubeconfig is not None or context is not None or in_cluster is False
    if not explicit and not environ.get("KUBECONFIG") and host is not None and token.is_file():
        return ConnectionPlan("in-cluster", service_account_dir=service_account_dir, host=host)
    if kubeconfig is not None:
        paths = os.fspath(kubeconfig)
        candidates = [paths]  # one file, whatever its name holds (":" included)
    else:
        home = environ.get("HOME") or str(Path.home())
        paths = environ.get("KUBECONFIG") or os.path.join(home, ".kube", "config")
        candidates = paths.split(os.pathsep)  # KUBECONFIG is a list, as for kubectl
    existing = [p for p in candidates if p and os.path.isfile(os.path.expanduser(p))]
    if not existing:
        raise ConfigError(
            "no Kubernetes configuration found",
            [
                ConfigIssue(
                    "kubeconfig",
                    f"no kubeconfig file at {paths}"
                    + (
                        ""
                        if host
                        else " and not running in a cluster (KUBERNETES_SERVICE_HOST unset)"
                    ),
                )
            ],
            source=paths,
        )
    return ConnectionPlan(
        "kubeconfig",
        kubeconfig=os.pathsep.join(existing),
        context=context,
        service_account_dir=service_account_dir,
        files=tuple(os.path.expanduser(p) for p in existing),
    )


def read_namespace_file(service_account_dir: Path) -> str | None:
    """The pod's namespace from the service-account directory, if readable."""
    try:
        value = (service_account_dir / "namespace").read_text().strip()
    except OSError:
        return None
    return value or None
