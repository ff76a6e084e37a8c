"""``Environment``: a ``migration_services.yaml`` turned into services wired to infrastructure."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._resource import AsyncResource
from ..config import MigrationConfig
from ._check import DEFAULT_CHECK_TIMEOUT, run_checks
from ._infra import Infrastructure, Resources
from ._wiring import Wiring

if TYPE_CHECKING:
    from ..config import ClientOptions
    from ..orchestrator import Event, Report
    from ..services.backfill import Backfill
    from ..services.clusters import Cluster
    from ..services.kafka import Kafka
    from ..services.metadata import MetadataMigration
    from ..services.metrics import MetricsService
    from ..services.replay import Replay
    from ..services.snapshot import Snapshot

__all__ = ["COMPONENTS", "Environment"]

COMPONENTS: tuple[str, ...] = (
    "source_cluster",
    "target_cluster",
    "proxy",
    "snapshot",
    "backfill",
    "replay",
    "metrics",
    "metadata",
    "kafka",
)
"""Every component an environment may have, in report order (also its attribute names)."""


class Environment(AsyncResource):
    """The services of one migration, built from ``migration_services.yaml``.

    ``Environment.from_file(path)`` reads the same file as console_link. Building does no I/O
    (console_link loaded the kube config, made temporary directories and wrote Kafka property
    files in its constructors): clients connect when the environment opens.
    ``async with env:`` opens every client concurrently and closes every one on exit, also
    when opening one of them failed. Secrets (``user_secret_arn``, ``k8s_secret_name``) are
    fetched once, on the first request that needs them (console_link fetched them on every
    request).

    Components are ``None`` when not configured::

        async with Environment.from_file("migration_services.yaml") as env:
            report = await env.check()            # every component's check, concurrently
            await env.backfill.scale(8)

    Args:
        config: The validated configuration.
        infra: Infrastructure to use instead of the real one built from the config (fakes in
            tests); see :class:`Infrastructure`.

    Raises:
        ConfigError: Something in the config cannot be wired (every problem, with key paths),
            e.g. ``backfill`` without ``target_cluster``.

    Attributes:
        config: The configuration.
        infra: The infrastructure given (fields left ``None`` were built from the config).
        client_options: ``client_options`` (User-Agent suffix), or ``None``.
        source_cluster, target_cluster, proxy: :class:`~asyncconsole.services.clusters.Cluster`.
        snapshot, backfill, replay, metrics, metadata, kafka: The other services.
    """

    source_cluster: Cluster | None
    target_cluster: Cluster | None
    proxy: Cluster | None
    snapshot: Snapshot | None
    backfill: Backfill | None
    replay: Replay | None
    metrics: MetricsService | None
    metadata: MetadataMigration | None
    kafka: Kafka | None

    def __init__(self, config: MigrationConfig, *, infra: Infrastructure | None = None) -> None:
        self.config = config
        self.infra = infra if infra is not None else Infrastructure()
        self.client_options: ClientOptions | None = config.client_options
        self.clock = self.infra.resolved_clock()
        self._resources = Resources()
        wiring = Wiring(config, self.infra, self.clock, self._resources)
        built = wiring.build()
        self.source_cluster = built.source_cluster
        self.target_cluster = built.target_cluster
        self.proxy = built.proxy
        self.snapshot = built.snapshot
        self.backfill = built.backfill
        self.replay = built.replay
        self.metrics = built.metrics
        self.metadata = built.metadata
        self.kafka = built.kafka

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls, config: MigrationConfig, *, infra: Infrastructure | None = None
    ) -> Environment:
        """An environment for an already validated :class:`~asyncconsole.config.MigrationConfig`."""
        return cls(config, infra=infra)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, infra: Infrastructure | None = None
    ) -> Environment:
        """An environment for a parsed config (``None`` or ``{}``: an empty environment).

        Raises:
            ConfigError: Every problem, with its key path.
        """
        return cls(MigrationConfig.from_dict(data), infra=infra)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, infra: Infrastructure | None = None
    ) -> Environment:
        """An environment for a ``migration_services.yaml`` file.

        Raises:
            ConfigError: The file cannot be read, is not YAML, or is invalid (key paths).
        """
        return cls(MigrationConfig.from_file(path), infra=infra)

    @classmethod
    def from_yaml(cls, text: str, *, infra: Infrastructure | None = None) -> Environment:
        """An environment for YAML text.

        Raises:
            ConfigError: Invalid YAML or an invalid config.
        """
        return cls(MigrationConfig.from_yaml(text), infra=infra)

    # -- components --------------------------------------------------------------------------

    @property
    def components(self) -> dict[str, Any]:
        """The configured components by name, in :data:`COMPONENTS` order."""
        found = {name: getattr(self, name) for name in COMPONENTS}
        return {name: component for name, component in found.items() if component is not None}

    # -- lifecycle ---------------------------------------------------------------------------

    async def _open(self) -> None:
        await self._resources.open_all()

    async def _close(self) -> None:
        await self._resources.close_all()

    @property
    def resources(self) -> list[tuple[str, Any]]:
        """``(name, object)`` of every client and manager the environment opens and closes."""
        return list(self._resources)

    # -- health ------------------------------------------------------------------------------

    async def check(
        self,
        *,
        timeout: float | None = DEFAULT_CHECK_TIMEOUT,  # noqa: ASYNC109 (per component)
        components: Iterable[str] | None = None,
        max_concurrency: int | None = None,
        on_event: Callable[[Event], object] | None = None,
    ) -> Report:
        """Run every configured component's ``check()`` concurrently and report the outcomes.

        One slow or failing component does not hold up or cancel the others: each has its
        own ``timeout``, and the wall time is the slowest check's, not the sum (console_link
        checked one component after another). Opens the environment if it is not open yet
        (close it with :meth:`aclose`, or use ``async with``).

        Args:
            timeout: Seconds each component's check may take (``None``: no limit).
            components: Names to check (see :data:`COMPONENTS`); default every configured one.
            max_concurrency: Most checks running at once (``None``: all).
            on_event: Called with each progress :class:`~asyncconsole.Event` (a check started
                or finished), e.g. to draw a live table.

        Returns:
            A :class:`~asyncconsole.Report`: ``report["target_cluster"].status`` is ``ok``,
            ``failed``, ``timed_out`` or ``cancelled``, ``.detail`` the check's one-line
            answer or the error, ``.duration`` seconds; ``report.to_dict()`` is the JSON of
            ``asyncconsole check --json``.

        Raises:
            ValueError: ``components`` names something unknown or not configured.
        """
        available = self.components
        if components is None:
            selected = available
        else:
            wanted = list(dict.fromkeys(components))
            unknown = [name for name in wanted if name not in COMPONENTS]
            if unknown:
                raise ValueError(
                    f"unknown component(s) {', '.join(map(repr, unknown))}; "
                    f"components are {', '.join(COMPONENTS)}"
                )
            missing = [name for name in wanted if name not in available]
            if missing:
                configured = ", ".join(available) or "none"
                raise ValueError(f"not configured: {', '.join(missing)} (configured: {configured})")
            selected = {name: available[name] for name in COMPONENTS if name in wanted}
        if not self._opened:
            await self.open()
        return await run_checks(
            {name: component.check for name, component in selected.items()},
            timeout=timeout,
            max_concurrency=max_concurrency,
            clock=self.clock,
            on_event=on_event,
        )

    # -- description -------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Every configured component's ``describe()``, plus ``client_options``; passwords and
        other secrets are masked."""
        data: dict[str, Any] = {
            name: component.describe() for name, component in self.components.items()
        }
        if self.client_options is not None:
            data["client_options"] = self.client_options.model_dump(mode="json")
        return data

    def __repr__(self) -> str:
        from ..infra.http._errors import redact_url

        parts = []
        for name, component in self.components.items():
            endpoint = getattr(component, "endpoint", None)
            parts.append(f"{name}={redact_url(endpoint)!r}" if isinstance(endpoint, str) else name)
        state = "closed" if self.closed else "open" if self._opened else "not opened"
        return f"<Environment {' '.join(parts) or '(empty)'} ({state})>"
