"""``Environment``: a ``migration_services.yaml`` turned into services wired to infrastructure."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from .._display import Description, Table, badge, fields, to_html, to_rich
from .._resource import AsyncResource
from ..config import MigrationConfig
from ._check import DEFAULT_CHECK_TIMEOUT, Check, run_checks
from ._infra import Infrastructure
from ._resources import Resources
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
    files in its constructors), and opening the environment connects nothing either: each
    component's clients and managers open when the component is first used (or named in
    :meth:`open` / :meth:`using`), so a component that cannot open (a Kubernetes backfill on a
    machine without a kubeconfig) only fails where it is used. ``async with env:`` closes every
    one of them on exit, also when cancelled. Secrets (``user_secret_arn``,
    ``k8s_secret_name``) are fetched once, on the first request that needs them (console_link
    fetched them on every request).

    Components are ``None`` when not configured::

        async with Environment.from_file("migration_services.yaml") as env:
            report = await env.check()            # each check opens its own component
            await env.backfill.scale(8)           # opens the target and Kubernetes, if not yet

        async with env.using("source_cluster", "target_cluster"):
            ...                                   # those two are open (or it raised)

    A component opens what it depends on too: ``backfill`` the target cluster, ``snapshot``
    the source, ``metadata`` the target and the source.

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
        self._uses = wiring.uses
        self._depends = wiring.depends
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

    def _select(self, components: Iterable[str] | None) -> dict[str, Any]:
        """The named configured components (all when ``None``), in :data:`COMPONENTS` order."""
        available = self.components
        if components is None:
            return available
        wanted = [components] if isinstance(components, str) else list(dict.fromkeys(components))
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
        return {name: available[name] for name in COMPONENTS if name in wanted}

    def _needed(self, names: Iterable[str]) -> list[Any]:
        """The resources of ``names`` and of the components they depend on, each once."""
        found: list[Any] = []

        def visit(name: str) -> None:
            for dependency in self._depends.get(name, ()):
                if getattr(self, dependency) is not None:
                    visit(dependency)
            for obj in self._uses.get(name, ()):
                if not any(obj is seen for seen in found):
                    found.append(obj)

        for name in names:
            visit(name)
        return found

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self, *, components: Iterable[str] | None = None) -> Self:
        """Open the environment, and the named components' resources now, concurrently.

        Other components open when first used. Pair with :meth:`aclose` (or use ``async
        with env:`` / ``async with env.using(...):``); opening again only opens more
        components.

        Args:
            components: Components to open now (see :data:`COMPONENTS`), with what they
                depend on; ``None``: none.

        Raises:
            ValueError: ``components`` names something unknown or not configured.
            Exception: What opening a resource raised (e.g. ``ConfigError`` "no Kubernetes
                configuration found"); if this call opened the environment, it is closed
                again, so nothing stays open.
        """
        names = list(self._select(components)) if components is not None else []
        first = not self._opened
        await super().open()
        if names:
            try:
                await self._resources.open_objects(self._needed(names))
            except BaseException:
                if first:
                    await self.aclose()
                raise
        return self

    @contextlib.asynccontextmanager
    async def using(self, *components: str) -> AsyncIterator[Self]:
        """``async with env.using("source_cluster", "target_cluster"):`` opens those
        components (and what they depend on) before the block and, if this opened the
        environment, closes it after.

        Nothing else is opened unless used in the block. Raises as :meth:`open` does.
        """
        first = not self._opened
        await self.open(components=components)
        try:
            yield self
        finally:
            if first:
                await self.aclose()

    async def _close(self) -> None:
        await self._resources.close_all()

    @property
    def resources(self) -> list[tuple[str, Any]]:
        """``(name, object)`` of every client and manager the environment manages (opened
        when needed, closed with the environment)."""
        return list(self._resources)

    @property
    def opened_resources(self) -> list[tuple[str, Any]]:
        """``(name, object)`` of the resources opened so far."""
        return self._resources.opened()

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
        checked one component after another). Each check first opens its component's
        resources, so a component that cannot open (no kubeconfig for a Kubernetes backfill)
        is that component's ``failed`` (or ``timed_out``) outcome, with the reason as its
        detail, and the others report normally. Opens the environment if it is not open yet
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
        selected = self._select(components)
        if not self._opened:
            await self.open()
        return await run_checks(
            {
                name: self._opened_first(name, component.check)
                for name, component in selected.items()
            },
            timeout=timeout,
            max_concurrency=max_concurrency,
            clock=self.clock,
            on_event=on_event,
        )

    def _opened_first(self, name: str, check: Check) -> Check:
        needed = self._needed([name])

        async def opened_then_checked() -> str:
            if not all(self._resources.is_open(obj) for obj in needed):
                await self._resources.open_objects(needed)
                # Opening is mostly CPU (clients built, backends imported): one turn of the
                # loop lets the other checks open too, so that every check's requests leave
                # together instead of some waiting behind the others' opening.
                await asyncio.sleep(0)
            return await check()

        return opened_then_checked

    # -- description -------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Every configured component's ``describe()``, plus ``client_options``; passwords and
        other secrets are masked. A plain dict that draws as one table per component in
        Jupyter and rich terminals."""
        data: dict[str, Any] = Description(
            (name, component.describe()) for name, component in self.components.items()
        )
        if self.client_options is not None:
            data["client_options"] = self.client_options.model_dump(mode="json")
        return data

    @property
    def state(self) -> str:
        """``not opened``, ``open`` or ``closed``."""
        return "closed" if self.closed else "open" if self._opened else "not opened"

    def _display_tables(self) -> list[Table]:
        names = ", ".join(self.components) or "(none)"
        summary = fields([("State", badge(self.state)), ("Components", names)], title="Environment")
        described = self.describe()
        assert isinstance(described, Description)
        return [summary, *described._display_tables()]

    def __rich__(self) -> Any:
        return to_rich(self._display_tables())

    def _repr_html_(self) -> str:
        """The state and every component's (masked) description, as HTML tables."""
        return to_html(self._display_tables())

    def __repr__(self) -> str:
        from .._redact import mask_url

        parts = []
        for name, component in self.components.items():
            endpoint = getattr(component, "endpoint", None)
            parts.append(f"{name}={mask_url(endpoint)!r}" if isinstance(endpoint, str) else name)
        return f"<Environment {' '.join(parts) or '(empty)'} ({self.state})>"
