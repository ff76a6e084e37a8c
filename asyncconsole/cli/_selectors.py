"""Choosing a cluster or a Kafka: ``--cluster NAME`` and console_link's resource selectors
(``--source``, ``--target``, ``--proxy``, ``--kafka``).

console_link resolves these against Kubernetes resource catalogs, where a deployment may hold
several sources or targets. A ``migration_services.yaml`` holds one of each, so a selector
here names that one (its role, its config key, or for the proxy its ``name``), and any other
value is a usage error listing the valid ones, as console_link's are. ``--cluster`` takes
any word and is checked the same way (so console_link's catalog names fail with its message,
not with click's list of choices).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from ._run import require

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from ..environment import Environment
    from ..services.clusters import Cluster

__all__ = [
    "ROLES",
    "check_selectors",
    "cluster_option",
    "complete_roles",
    "kafka_selector_option",
    "resolve_cluster",
    "resolve_kafka",
    "selector_options",
]

ROLES: dict[str, str] = {"source": "source_cluster", "target": "target_cluster", "proxy": "proxy"}
"""Role word -> environment attribute."""
_ALIASES = {"source_cluster": "source", "target_cluster": "target"}


def _complete(roles: Sequence[str]) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    def complete(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        found: list[CompletionItem] = [
            CompletionItem(role) for role in roles if role.startswith(incomplete)
        ]
        return found

    return complete


complete_roles = _complete(tuple(ROLES))
"""Shell completion of a cluster argument (``clusters curl CLUSTER``)."""


def cluster_option(
    roles: Sequence[str] = ("source", "target", "proxy"),
    *,
    default: str | None = None,
    required: bool = False,
    help: str,
) -> Callable[[Any], Any]:
    """``--cluster NAME`` for a command working on one of ``roles``."""
    extra: dict[str, Any] = {"default": default, "show_default": True} if default else {}
    # no `default=None`: click 8.5 takes an explicit None as a default and skips `required`
    return click.option(
        "--cluster",
        metavar="NAME",
        required=required,
        shell_complete=_complete(roles),
        help=help,
        **extra,
    )


def selector_options(roles: Sequence[str] = ("source", "target", "proxy")) -> Callable[[Any], Any]:
    """console_link's ``--source SEL`` / ``--target SEL`` / ``--proxy SEL``."""

    def decorate(func: Any) -> Any:
        for role in reversed(roles):
            func = click.option(
                f"--{role}",
                f"{role}_selector",
                metavar="SEL",
                default=None,
                help=f"The {role} resource (console_link's selector; a config file has one: "
                f"'{role}').",
            )(func)
        return func

    return decorate


def _valid(env: Environment, roles: Sequence[str]) -> str:
    present = [role for role in roles if getattr(env, ROLES[role]) is not None]
    return ", ".join(present) or "<none>"


def _check_selector(env: Environment, role: str, selector: str | None) -> None:
    if selector is None:
        return
    names = {role, ROLES[role]}
    if role == "proxy":
        proxy = env.config.source_cluster.proxy if env.config.source_cluster else None
        if proxy is not None and proxy.name:
            names.add(proxy.name)
    if selector not in names:
        raise click.UsageError(
            f"No {role} resource matches '{selector}'. Valid selectors: {', '.join(sorted(names))}."
        )


def resolve_cluster(
    env: Environment,
    name: str,
    *,
    roles: Sequence[str] = ("source", "target", "proxy"),
    selectors: dict[str, str | None] | None = None,
) -> tuple[str, Cluster]:
    """The ``(attribute, cluster)`` that ``--cluster name`` means.

    Raises:
        click.UsageError: ``name`` is no role (console_link's "No cluster resource
            matches"), a role this command does not take, a selector that names another
            resource, or a cluster that is not configured ("Source cluster is not set").
    """
    role = _ALIASES.get(name.lower(), name.lower())
    if role not in ROLES:
        raise click.UsageError(
            f"No cluster resource matches '{name}'. Valid selectors: {_valid(env, roles)}."
        )
    if role not in roles:
        raise click.UsageError(
            f"Cluster selector '{name}' is not valid for this command. Valid selectors: "
            f"{_valid(env, roles)}."
        )
    _check_selector(env, role, (selectors or {}).get(role))
    attribute = ROLES[role]
    return attribute, require(env, attribute)


def check_selectors(env: Environment, selectors: dict[str, str | None]) -> None:
    """Every selector given names the configured resource of its role (usage error else)."""
    for role, selector in selectors.items():
        _check_selector(env, role, selector)


kafka_selector_option = click.option(
    "--kafka",
    "kafka_selector",
    metavar="SEL",
    default=None,
    help="The Kafka resource (console_link's selector; a config file has one: 'default').",
)


def resolve_kafka(selector: str | None) -> None:
    """Check ``--kafka``: a config file's one Kafka is ``default`` (or ``kafka``)."""
    if selector is not None and selector not in ("default", "kafka"):
        raise click.UsageError(
            f"No kafka resource matches '{selector}'. Valid selectors: default, kafka."
        )
