"""Running a command's coroutine: build the environment, check the services it needs are
configured, open only those, run, close (also on errors and Ctrl-C)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._errors import ConfigError
from ._app import CliState
from ._signals import run

if TYPE_CHECKING:
    from ..environment import Environment

__all__ = ["NOT_SET", "NoConfigFileError", "load_environment", "require", "run_with_env"]

T = TypeVar("T")

NOT_SET: dict[str, str] = {
    "source_cluster": "Source cluster is not set",
    "target_cluster": "Target cluster is not set",
    "proxy": "Capture proxy is not set",
    "snapshot": "Snapshot is not set",
    "backfill": "Backfill migration is not set",
    "replay": "Replay is not set",
    "metrics": "Metrics source is not set",
    "metadata": "Metadata is not set",
    "kafka": "Kafka is not set",
}
"""console_link's usage error (exit 2) for a command whose service is not configured."""


class NoConfigFileError(ConfigError):
    """The config file does not exist: the usual first-run error, with the ways to get one."""

    json_type = "ConfigError"

    def __init__(self, summary: str, source: str) -> None:
        super().__init__(summary, source=source)
        self.hints = [
            "Point to one with --config-file FILE (or ASYNCCONSOLE_CONFIG=FILE),",
            "or write a commented starter with `asyncconsole init` and edit its endpoints,",
            "or run `asyncconsole demo --keep-running`: a local environment and its config file.",
        ]


def load_environment(state: CliState) -> Environment:
    """Build (not open) the environment from ``--config-file`` (and ``--kubeconfig``).

    Raises:
        ConfigError: The file is missing, unreadable or invalid (exit 2, with key paths; a
            missing file also says how to get one).
    """
    if state.env_factory is not None:
        return state.env_factory(state.config_file)
    from ..environment import Environment, Infrastructure

    infra = Infrastructure(kubeconfig=state.kubeconfig) if state.kubeconfig else None
    try:
        return Environment.from_file(state.config_file, infra=infra)
    except ConfigError as exc:
        if os.path.exists(state.config_file):
            raise
        raise NoConfigFileError(exc.summary, state.config_file) from None


def require(env: Environment, component: str) -> Any:
    """``env.<component>``, or the usage error ``<X> is not set`` (exit 2)."""
    value = getattr(env, component)
    if value is None:
        raise click.UsageError(NOT_SET[component])
    return value


def run_with_env(
    state: CliState,
    body: Callable[[Environment], Awaitable[T]],
    *,
    needs: tuple[str, ...] = (),
    opens: tuple[str, ...] | None = None,
    env: Environment | None = None,
) -> T:
    """Run ``body(env)`` on a fresh event loop with only the components it ``needs`` open.

    ``needs`` names the components the command works on: each must be configured (checked
    before anything connects: ``<X> is not set``, exit 2), and they, with what they depend on
    (the backfill: the target cluster), are opened before ``body`` runs (``opens`` instead
    names those to open, e.g. ``()`` for commands that only describe the config). Nothing
    else is opened unless ``body`` uses it, so a component that cannot open (a Kubernetes
    backfill without a kubeconfig) does not stop commands that do not use it. Everything
    opened is closed on the way out, also on errors and Ctrl-C.
    """
    environment = env if env is not None else load_environment(state)
    for component in needs:
        require(environment, component)

    async def main() -> T:
        async with environment.using(*(needs if opens is None else opens)):
            return await body(environment)

    return run(main())
