"""Shared helpers of the CLI tests (no tests here): fake OpenSearch servers on a background
event loop (the CLI runs its own loop in the test's thread), an environment of fakes, and a
runner that invokes the CLI in-process with a :class:`CliState` of the test's choosing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from asyncconsole import Environment
from asyncconsole.cli import CliState, cli
from asyncconsole.environment import Infrastructure
from asyncconsole.infra.commands import FakeCommandExecutor
from asyncconsole.infra.kubernetes import FakeK8sManager
from asyncconsole.infra.metrics import FakeMetricsCollector
from asyncconsole.testing import FakeOpenSearchServer

T = TypeVar("T")

PASSWORD = "s3cret-Passw0rd"
BACKENDS = ("aiohttp", "aiobotocore", "botocore", "kubernetes_asyncio", "aiodocker")


class LoopThread:
    """An event loop in a daemon thread, for servers the CLI (in the test's thread) talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def call(self, func: Callable[[], T]) -> T:
        """Run a plain function on the loop's thread (server state is not locked)."""

        async def wrapped() -> T:
            return func()

        return self.run(wrapped())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Servers:
    """A source (ES 7.10) and a target (OpenSearch 2.15, basic auth) fake cluster."""

    loop: LoopThread
    source: FakeOpenSearchServer
    target: FakeOpenSearchServer

    def config(self, **extra: Any) -> dict[str, Any]:
        """A config pointing at both servers, plus ``extra`` blocks."""
        return {
            "source_cluster": {"endpoint": self.source.url, "no_auth": None, "version": "ES_7.10"},
            "target_cluster": {
                "endpoint": self.target.url,
                "basic_auth": {"username": "admin", "password": PASSWORD},
            },
            **extra,
        }


@pytest.fixture
def servers() -> Iterator[Servers]:
    loop = LoopThread()
    source = loop.run(
        FakeOpenSearchServer(
            version="7.10.2", distribution="elasticsearch", snapshot_duration=0.3
        ).open()
    )
    target = loop.run(FakeOpenSearchServer(auth=("admin", PASSWORD)).open())
    try:
        yield Servers(loop, source, target)
    finally:
        loop.run(source.aclose())
        loop.run(target.aclose())
        loop.close()


@dataclass
class Fakes:
    """Fake infrastructure shared by every environment one test builds (kept open)."""

    k8s: FakeK8sManager = field(default_factory=FakeK8sManager)
    executor: FakeCommandExecutor = field(default_factory=FakeCommandExecutor)
    metrics: FakeMetricsCollector = field(default_factory=FakeMetricsCollector)
    metadata_tool: str | None = None

    def infra(self) -> Infrastructure:
        return Infrastructure(
            k8s=self.k8s,
            executor=self.executor,
            metrics=self.metrics,
            metadata_tool=self.metadata_tool,
            manage_injected=False,
        )


def env_factory(config: dict[str, Any], fakes: Fakes | None = None) -> Callable[[str], Environment]:
    """An ``env_factory`` building ``config`` (whatever ``--config-file`` says) on ``fakes``."""
    chosen = fakes or Fakes()
    return lambda _path: Environment.from_dict(config, infra=chosen.infra())


def invoke(
    args: list[str],
    *,
    config: dict[str, Any] | None = None,
    fakes: Fakes | None = None,
    input: str | None = None,
    interactive: bool = False,
) -> Result:
    """Run the CLI in-process; ``config`` replaces the config file (``None``: read the file)."""
    state = CliState(
        interactive=interactive,
        env_factory=env_factory(config, fakes) if config is not None else None,
    )
    return CliRunner().invoke(cli, args, obj=state, input=input, catch_exceptions=False)
