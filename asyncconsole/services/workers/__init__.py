"""Worker deployments shared by the backfill and the replayer: Docker, ECS or Kubernetes.

A :class:`WorkerDeployment` scales a set of workers and counts them::

    workers = DockerWorkers(docker, role="backfill", session="s1", image="migrations/...")
    await workers.scale(3)                 # three labelled containers run
    counts = await workers.counts()        # WorkerCounts(running=3, pending=0, desired=3, ...)

:func:`build_workers` makes the right one from a ``docker``/``ecs``/``k8s`` config block.
"""

from ._build import DEFAULT_WORKER_IMAGES, build_workers
from ._docker import (
    DOCKER_SCALE_CONCURRENCY,
    MAX_DOCKER_REPLICAS,
    ROLE_LABEL,
    SESSION_LABEL,
    DockerWorkers,
)
from ._ecs import EcsWorkers
from ._fake import FakeWorkerDeployment
from ._k8s import K8sWorkers
from ._protocol import WorkerDeployment
from ._types import WorkerCounts, counts_message

__all__ = [
    "DEFAULT_WORKER_IMAGES",
    "DOCKER_SCALE_CONCURRENCY",
    "MAX_DOCKER_REPLICAS",
    "ROLE_LABEL",
    "SESSION_LABEL",
    "DockerWorkers",
    "EcsWorkers",
    "FakeWorkerDeployment",
    "K8sWorkers",
    "WorkerCounts",
    "WorkerDeployment",
    "build_workers",
    "counts_message",
]
