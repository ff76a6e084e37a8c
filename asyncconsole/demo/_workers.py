"""The demo's reindex-from-snapshot workers: simulated ones driven by the ready pods of the fake
Kubernetes deployment, or real Docker containers calling the fake target's RFS route.

Either way a work item is "done" when its ``completedAt`` is set in the target's working-state
index; :class:`DocumentMirror` then copies that item's documents from the source's sample
data into the target, so the target really ends up with the migrated documents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from .._clock import Clock, SystemClock
from ..testing._opensearch import working_state_index_name

__all__ = [
    "DocumentMirror",
    "SimulatedWorkers",
    "docker_worker_command",
    "ready_pods",
    "work_item_counts",
]

_log = logging.getLogger("asyncconsole.demo")


def ready_pods(kube: Any, namespace: str, selector: str) -> int:
    """Pods of a fake-API-server deployment that are running, ready and not being deleted."""
    count = 0
    for pod in kube.pods(namespace, label_selector=selector):
        status = pod.get("status", {})
        if pod.get("metadata", {}).get("deletionTimestamp") or status.get("phase") != "Running":
            continue
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or ()
        ):
            count += 1
    return count


def work_item_counts(target: Any, index: str, now: float) -> tuple[int, int, int]:
    """``(completed, in progress, total)`` work items of ``index`` on a fake server."""
    try:
        docs = target.index(index).docs
    except KeyError:
        return 0, 0, 0
    completed = in_progress = total = 0
    for doc_id, doc in docs.items():
        source = doc.source
        if doc_id == "shard_setup" or "successor_items" in source:
            continue
        total += 1
        if "completedAt" in source:
            completed += 1
        elif source.get("expiration", 0) >= int(now):
            in_progress += 1
    return completed, in_progress, total


class SimulatedWorkers:
    """Complete work items at ``items_per_pod_second`` per ready pod of a fake deployment.

    Each ready pod holds one leased work item (as an RFS worker does) and finishes items at
    the given rate, so scaling the deployment up speeds the backfill up and scaling it to 0
    pauses it. :meth:`step` advances the simulation by ``elapsed`` seconds.

    Args:
        kube: The ``FakeKubernetesApiServer`` hosting the deployment.
        target: The ``FakeOpenSearchServer`` holding the working-state index.
        namespace / selector: The deployment's pods.
        session: The backfill session (working-state index suffix).
        items_per_pod_second: Work items each ready pod completes per second.
        clock: Time source.
    """

    def __init__(
        self,
        kube: Any,
        target: Any,
        *,
        namespace: str,
        selector: str,
        session: str,
        items_per_pod_second: float,
        clock: Clock | None = None,
    ) -> None:
        if items_per_pod_second <= 0:
            raise ValueError("items_per_pod_second must be positive")
        self.kube = kube
        self.target = target
        self.namespace = namespace
        self.selector = selector
        self.session = session
        self.rate = items_per_pod_second
        self.clock: Clock = clock or SystemClock()
        self._credit = 0.0
        self.completed = 0

    def step(self, elapsed: float) -> int:
        """Advance by ``elapsed`` seconds; returns how many items were completed."""
        pods = ready_pods(self.kube, self.namespace, self.selector)
        if pods == 0:
            self._credit = 0.0
            return 0
        self._credit += pods * self.rate * elapsed
        done = int(self._credit)
        if done:
            self._credit -= done
            done = self.target.rfs_complete(done, session=self.session)
            self.completed += done
        # Every ready pod holds a lease on the item it works on.
        index = working_state_index_name(self.session)
        _, in_progress, _ = work_item_counts(self.target, index, self.clock.now().timestamp())
        if pods > in_progress:
            self.target.rfs_claim(pods - in_progress, session=self.session)
        return done

    async def run(self, *, interval: float = 0.2) -> None:
        """Step every ``interval`` seconds until cancelled."""
        last = self.clock.monotonic()
        while True:
            await self.clock.sleep(interval)
            now = self.clock.monotonic()
            self.step(now - last)
            last = now


def docker_worker_command(target_url: str, session: str, *, seconds_per_item: float) -> list[str]:
    """A busybox ``sh`` loop acting as an RFS worker against the fake target's control route.

    It leases one work item, "works" on it for ``seconds_per_item`` seconds, completes one,
    and repeats; it needs the host network to reach ``target_url`` on 127.0.0.1.
    """
    base = f"{target_url.rstrip('/')}/_asyncconsole/rfs"
    query = f"count=1&session={session}"
    post = "/bin/busybox wget -q -O - --post-data=x"
    script = (
        "trap 'exit 0' TERM INT; "
        "while true; do "
        f"{post} '{base}/claim?{query}' >/dev/null 2>&1; "
        f"sleep {seconds_per_item:.2f}; "
        f"{post} '{base}/complete?{query}' >/dev/null 2>&1; "
        "done"
    )
    return ["/bin/sh", "-c", script]


class DocumentMirror:
    """Copy the documents of every newly completed work item from the sample data to the target.

    Args:
        target: The ``FakeOpenSearchServer`` the documents go to.
        index: The working-state index to watch.
        documents: Documents per work item id (:func:`~._sample.work_item_documents`).
    """

    def __init__(
        self,
        target: Any,
        index: str,
        documents: Mapping[str, Sequence[tuple[str, dict[str, Any]]]],
        *,
        clock: Clock | None = None,
    ) -> None:
        self.target = target
        self.index = index
        self.documents = documents
        self.clock: Clock = clock or SystemClock()
        self.copied: set[str] = set()

    def step(self) -> int:
        """Copy what completed since the last call; returns how many documents were copied."""
        try:
            docs = self.target.index(self.index).docs
        except KeyError:
            return 0
        moved = 0
        for item_id, doc in list(docs.items()):
            if item_id in self.copied or "completedAt" not in doc.source:
                continue
            self.copied.add(item_id)
            batch = self.documents.get(item_id, ())
            if batch:
                index_name = item_id.split("__", 1)[0]
                moved += self.target.bulk_load(index_name, batch)
        return moved

    async def run(self, *, interval: float = 0.25) -> None:
        """Copy every ``interval`` seconds until cancelled."""
        while True:
            self.step()
            await self.clock.sleep(interval)
