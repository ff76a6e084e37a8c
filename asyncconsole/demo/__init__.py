"""``asyncconsole demo``: a complete migration environment on 127.0.0.1 and a live, scripted
migration through the real SDK clients.

::

    from asyncconsole.demo import DemoEnvironment, run_demo

    exit_code = await run_demo(use_docker=False)          # what `asyncconsole demo` runs

    async with DemoEnvironment() as demo:                  # just the environment
        async with demo.environment() as env:              # an asyncconsole.Environment
            report = await env.check()

:class:`DemoEnvironment` starts a source and a target ``FakeOpenSearchServer`` (the source
holding :data:`SAMPLE_INDICES`), a ``FakeKubernetesApiServer`` with the backfill and replay
deployments, and :class:`DemoPrometheusServer` (an in-process Prometheus HTTP API the real
collector reads); it writes ``migration_services.yaml`` and a kubeconfig. Backfill workers are
simulated from the ready pods, or real busybox containers on a local Docker daemon.
"""

from ._environment import (
    BACKFILL_DEPLOYMENT,
    NAMESPACE,
    REPLAY_DEPLOYMENT,
    SNAPSHOT_NAME,
    SNAPSHOT_REPO,
    DemoEnvironment,
    docker_unavailable_reason,
)
from ._metrics import DEMO_METRICS, MetricsFeed
from ._prometheus import DemoPrometheusServer, PromQLError
from ._run import DemoScript, cli_command, run_demo
from ._sample import DOCS_PER_ITEM, SAMPLE_INDICES, SampleIndex
from ._workers import DocumentMirror, SimulatedWorkers, docker_worker_command

__all__ = [
    "BACKFILL_DEPLOYMENT",
    "DEMO_METRICS",
    "DOCS_PER_ITEM",
    "NAMESPACE",
    "REPLAY_DEPLOYMENT",
    "SAMPLE_INDICES",
    "SNAPSHOT_NAME",
    "SNAPSHOT_REPO",
    "DemoEnvironment",
    "DemoPrometheusServer",
    "DemoScript",
    "DocumentMirror",
    "MetricsFeed",
    "PromQLError",
    "SampleIndex",
    "SimulatedWorkers",
    "cli_command",
    "docker_unavailable_reason",
    "docker_worker_command",
    "run_demo",
]
