"""The fake node's write load: a write thread pool with a queue, a processing capacity and CPU.

OpenSearch runs each shard-level bulk request as one task of the node's ``write`` thread pool:
``threads`` tasks run at once, up to ``queue_size`` more wait, and a task arriving at a full
queue is rejected, which a ``_bulk`` answer reports as per-item 429s. The model is a fluid
queue: the node works off documents at ``capacity`` documents per second, oldest task first,
whenever there is work. That gives, on the injected clock and without randomness:

* ``thread_pool.write``: ``active`` = min(threads, tasks in the node), ``queue`` = the rest,
  ``completed`` and ``rejected`` counters;
* CPU: the share of the last ``cpu_window`` seconds the node was busy, scaled between
  ``idle_cpu`` and ``busy_cpu`` (``process.cpu.percent``; ``os.cpu.percent`` adds the idle
  floor of the machine);
* ``indices.indexing.index_total``: documents accepted.

Below capacity the queue drains between requests and CPU follows the bulk rate; above it the
queue grows until it is full and then tasks are rejected, so throughput flattens at capacity.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass

__all__ = ["LoadModel", "WriteAdmission"]


@dataclass(frozen=True, slots=True)
class WriteAdmission:
    """What the thread pool did with one task: accepted, or rejected with OpenSearch's reason."""

    accepted: bool
    reason: str = ""


class _Task:
    __slots__ = ("left",)

    def __init__(self, docs: int) -> None:
        self.left = float(docs)


class LoadModel:
    """The write side of a fake node: capacity, write thread pool and CPU, on fake time.

    Give one to :class:`FakeOpenSearch` (``FakeOpenSearch(load=LoadModel(capacity=500))``):
    every ``_bulk`` request becomes one write task per target index, admitted or rejected
    here, and ``GET _nodes/stats`` reports this model's CPU, thread pool and indexing counters.

    Args:
        capacity: Documents per second the node indexes; None: unlimited (tasks finish at
            once, the queue stays empty and CPU stays at ``idle_cpu``).
        queue_size: Tasks that may wait (OpenSearch's ``thread_pool.write.queue_size``,
            10000 by default).
        threads: Tasks that run at once (the write pool's size: the node's processors).
        idle_cpu: ``os.cpu.percent`` of an idle node.
        busy_cpu: ``process.cpu.percent`` while the node is busy all the time (below 100 for
            a node limited by its disks rather than its processors).
        cpu_window: Seconds over which the busy share is measured.
    """

    def __init__(
        self,
        *,
        capacity: float | None = None,
        queue_size: int = 10_000,
        threads: int = 2,
        idle_cpu: float = 2.0,
        busy_cpu: float = 100.0,
        cpu_window: float = 10.0,
    ) -> None:
        if capacity is not None and capacity <= 0:
            raise ValueError(f"capacity must be positive or None, not {capacity!r}")
        if queue_size < 0 or threads < 1:
            raise ValueError("queue_size must be >= 0 and threads >= 1")
        if not 0 <= idle_cpu <= 100 or not 0 <= busy_cpu <= 100:
            raise ValueError("idle_cpu and busy_cpu are percentages (0-100)")
        if cpu_window <= 0:
            raise ValueError("cpu_window must be positive")
        self.capacity = capacity
        self.queue_size = queue_size
        self.threads = threads
        self.idle_cpu = idle_cpu
        self.busy_cpu = busy_cpu
        self.cpu_window = cpu_window
        self.completed = 0
        """Write tasks finished."""
        self.rejected = 0
        """Write tasks rejected because the queue was full."""
        self.indexed = 0
        """Documents accepted by bulk writes."""
        self.busy_seconds = 0.0
        """Seconds spent indexing in all (``process.cpu.total_in_millis`` follows it)."""
        self._tasks: collections.deque[_Task] = collections.deque()
        self._now: float | None = None
        # Busy spans [start, end) on the clock, oldest first, merged; only the window is kept.
        self._busy: collections.deque[list[float]] = collections.deque()

    def __repr__(self) -> str:
        return (
            f"LoadModel(capacity={self.capacity!r}, queue_size={self.queue_size}, "
            f"threads={self.threads})"
        )

    # -- time -------------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Work off what the node could do up to ``now`` (monotonic clock seconds)."""
        if self._now is None:
            self._now = now
            return
        if now <= self._now:
            return
        start, self._now = self._now, now
        if self.capacity is None:
            self.completed += len(self._tasks)
            self._tasks.clear()
            return
        budget = (now - start) * self.capacity
        worked = 0.0
        while self._tasks and budget > 0:
            head = self._tasks[0]
            step = min(head.left, budget)
            head.left -= step
            budget -= step
            worked += step
            if head.left <= 1e-9:
                self._tasks.popleft()
                self.completed += 1
        if worked > 0:
            self.busy_seconds += worked / self.capacity
            self._mark_busy(start, start + worked / self.capacity)
        self._forget_before(now - self.cpu_window)

    def _mark_busy(self, start: float, end: float) -> None:
        if self._busy and self._busy[-1][1] >= start - 1e-9:
            self._busy[-1][1] = max(self._busy[-1][1], end)
        else:
            self._busy.append([start, end])

    def _forget_before(self, horizon: float) -> None:
        while self._busy and self._busy[0][1] <= horizon:
            self._busy.popleft()

    # -- writes -----------------------------------------------------------------------------

    def admit(
        self, docs: int, now: float, *, index: str = "index", node: str = "fake-node-1"
    ) -> WriteAdmission:
        """Offer one write task (``docs`` documents for ``index``) at ``now``: queue it or
        reject it."""
        self.advance(now)
        if self.capacity is not None and len(self._tasks) >= self.threads + self.queue_size:
            self.rejected += 1
            return WriteAdmission(False, self._rejection(docs, index, node))
        self.indexed += docs
        if self.capacity is None:
            self.completed += 1
        else:
            self._tasks.append(_Task(docs))
        return WriteAdmission(True)

    def _rejection(self, docs: int, index: str, node: str) -> str:
        # The shape of OpenSearch's message for a full write queue.
        task = self.completed + self.rejected + len(self._tasks)
        return (
            f"rejected execution of processing of [{task}][indices:data/write/bulk[s][p]]: "
            f"request: BulkShardRequest [[{index}][0]] containing [{docs}] requests, primary "
            f"term: 1 on OpenSearchThreadPoolExecutor[name = {node}/write, queue capacity = "
            f"{self.queue_size}, org.opensearch.common.util.concurrent.OpenSearchThreadPoolExecutor"
            f"[Running, pool size = {self.threads}, active threads = {self.active}, queued tasks "
            f"= {self.queued}, completed tasks = {self.completed}]]"
        )

    # -- what _nodes/stats reports ------------------------------------------------------------

    @property
    def active(self) -> int:
        """Write tasks running now."""
        return min(self.threads, len(self._tasks))

    @property
    def queued(self) -> int:
        """Write tasks waiting now."""
        return max(0, len(self._tasks) - self.threads)

    @property
    def largest(self) -> int:
        """The pool's size (all threads are started under load, as OpenSearch's fixed pools)."""
        return self.threads

    def utilisation(self, now: float) -> float:
        """Share (0-1) of the last ``cpu_window`` seconds the node was indexing."""
        self.advance(now)
        horizon = now - self.cpu_window
        busy = sum(max(0.0, min(end, now) - max(start, horizon)) for start, end in self._busy)
        return min(1.0, busy / self.cpu_window)

    def process_cpu(self, now: float) -> int:
        """``process.cpu.percent`` now."""
        return math.floor(self.busy_cpu * self.utilisation(now) + 0.5)

    def os_cpu(self, now: float) -> int:
        """``os.cpu.percent`` now: the process plus the machine's idle floor."""
        return min(100, math.floor(self.idle_cpu + 0.5) + self.process_cpu(now))
