"""An in-memory Kubernetes cluster: Deployments, pods and Secrets as real API objects.

Both :class:`FakeK8sManager` (in-process, fake time) and the HTTP
``FakeKubernetesApiServer`` (real time) front this one simulation, so they behave alike.
Pods go Pending -> Running (ready) ``converge_delay`` seconds after a Deployment asks for
them, and terminating -> gone ``terminate_delay`` seconds after deletion; a delay of 0 makes
the transition immediate (its events are still emitted in order). Time comes from the injected
clock; :meth:`KubeCluster.settle` applies the transitions that have fallen due.
"""

from __future__ import annotations

import base64
import copy
import heapq
import itertools
import random
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..._clock import Clock, SystemClock
from ..._errors import KubernetesConflictError, KubernetesError
from ._selectors import FieldSelector, LabelSelector
from ._sim_io import PodIO
from ._sim_objects import (
    RESOURCES,
    ExecHandler,
    ExecReply,
    Obj,
    PodScript,
    PodScripter,
    WatchEvent,
    default_exec_handler,
    exit_status,
    not_found,
    scale_of,
    version_info,
)
from ._sim_workloads import Workloads

__all__ = [
    "ExecHandler",
    "ExecReply",
    "KubeCluster",
    "PodScript",
    "PodScripter",
    "WatchEvent",
    "default_exec_handler",
    "exit_status",
    "scale_of",
    "version_info",
]


class KubeCluster(Workloads, PodIO):
    """The object store, the Deployment controller and the kubelet of a fake cluster."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        converge_delay: float = 0.0,
        terminate_delay: float | None = None,
        history: int = 2000,
        seed: int | None = None,
        node_names: Sequence[str] = ("fake-node-1", "fake-node-2"),
    ) -> None:
        if converge_delay < 0 or (terminate_delay is not None and terminate_delay < 0):
            raise ValueError("delays must be >= 0")
        self.clock: Clock = clock or SystemClock()
        self.converge_delay = converge_delay
        self.terminate_delay = converge_delay if terminate_delay is None else terminate_delay
        self.exec_handler: ExecHandler = default_exec_handler
        self.pod_scripter: PodScripter | None = None
        self._scripts: dict[tuple[str, str], PodScript] = {}
        self._log_listeners: list[Callable[[str, str], None]] = []
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {r: {} for r in RESOURCES}
        self._owner: dict[tuple[str, str], tuple[str, str]] = {}  # pod key -> deployment key
        self._logs: dict[tuple[str, str], str] = {}
        self._rv = 1000
        self._history: deque[WatchEvent] = deque(maxlen=history)
        self._listeners: list[Callable[[WatchEvent], None]] = []
        self._timers: list[tuple[float, int, str, tuple[str, str]]] = []
        self._seq = itertools.count()
        self._random = random.Random(seed)
        self._nodes = tuple(node_names)
        self._ips = itertools.count(2)

    # ---------------------------------------------------------------- time and events

    @property
    def resource_version(self) -> int:
        """The latest resourceVersion handed out."""
        return self._rv

    def now_iso(self) -> str:
        """Now, in the API's timestamp format."""
        return _iso(self.clock.now())

    def subscribe(self, listener: Callable[[WatchEvent], None]) -> Callable[[], None]:
        """Call ``listener`` on every change; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def events_since(self, resource_version: int) -> list[WatchEvent] | None:
        """Recorded events after ``resource_version``; ``None`` when history no longer reaches back."""
        if resource_version >= self._rv:
            return []
        if not self._history or self._history[0].resource_version > resource_version + 1:
            return None
        return [e for e in self._history if e.resource_version > resource_version]

    def _emit(self, resource: str, kind: str, obj: Obj) -> None:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        event = WatchEvent(
            self._rv, resource, obj["metadata"]["namespace"], kind, copy.deepcopy(obj)
        )
        self._history.append(event)
        for listener in list(self._listeners):
            listener(event)

    def next_due(self) -> float | None:
        """The monotonic time of the next pending transition, if any."""
        return self._timers[0][0] if self._timers else None

    def settle(self) -> None:
        """Apply every transition that has fallen due by now."""
        now = self.clock.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, action, key = heapq.heappop(self._timers)
            pod = self._objects["pods"].get(key)
            if pod is None:
                continue
            if action == "start" and not pod["metadata"].get("deletionTimestamp"):
                self._start_pod(pod)
            elif action == "end" and not pod["metadata"].get("deletionTimestamp"):
                self._end_pod(pod)
            elif action == "gone":
                self._remove_pod(key)

    def _schedule(self, delay: float, action: str, key: tuple[str, str]) -> None:
        heapq.heappush(self._timers, (self.clock.monotonic() + delay, next(self._seq), action, key))

    # ---------------------------------------------------------------- generic access

    def get(self, resource: str, namespace: str, name: str, *, copy_out: bool = True) -> Obj:
        """One object (a deep copy unless ``copy_out=False``, for callers that only read it
        before the next change, such as a server serialising it). Raises
        ``KubernetesNotFoundError``."""
        self.settle()
        obj = self._objects[resource].get((namespace, name))
        if obj is None:
            raise not_found(resource, name)
        return copy.deepcopy(obj) if copy_out else obj

    def select(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        copy_out: bool = True,
    ) -> list[Obj]:
        """Matching objects sorted by namespace and name (deep copies unless ``copy_out=False``).

        Raises ``KubernetesError(status=400)`` for a malformed selector.
        """
        self.settle()
        try:
            labels = LabelSelector(label_selector)
            fields = FieldSelector(field_selector, resource)
        except ValueError as exc:
            raise KubernetesError(str(exc), status=400, reason="BadRequest") from exc
        found = [
            obj
            for (ns, _), obj in sorted(self._objects[resource].items())
            if (namespace is None or ns == namespace)
            and labels.matches(obj["metadata"].get("labels"))
            and fields.matches(obj)
        ]
        return [copy.deepcopy(obj) for obj in found] if copy_out else found

    def namespaces(self) -> list[str]:
        """Every namespace holding at least one object."""
        return sorted({ns for objs in self._objects.values() for ns, _ in objs})

    def _new_meta(self, namespace: str, name: str, labels: Mapping[str, str] | None) -> Obj:
        meta: Obj = {
            "name": name,
            "namespace": namespace,
            "uid": str(uuid.UUID(int=self._random.getrandbits(128), version=4)),
            "creationTimestamp": self.now_iso(),
        }
        if labels:
            meta["labels"] = dict(labels)
        return meta

    def create(self, resource: str, namespace: str, obj: Mapping[str, Any]) -> Obj:
        """Store a new object (as ``POST`` does). Raises ``KubernetesConflictError`` if it exists."""
        self.settle()
        body = copy.deepcopy(dict(obj))
        meta = body.setdefault("metadata", {})
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["generateName"] + self._suffix()
        if not name:
            raise KubernetesError("name or generateName is required", status=422, reason="Invalid")
        if (namespace, name) in self._objects[resource]:
            raise KubernetesConflictError(
                f'{RESOURCES[resource][2]} "{name}" already exists',
                status=409,
                reason="AlreadyExists",
            )
        fresh = self._new_meta(namespace, name, meta.get("labels"))
        body["metadata"] = {**meta, **fresh}
        if meta.get("annotations"):
            body["metadata"]["annotations"] = dict(meta["annotations"])
        kind, api_version, _ = RESOURCES[resource]
        body["kind"], body["apiVersion"] = kind, api_version
        if resource == "deployments":
            self._init_deployment(body)
        elif resource == "pods":
            body.setdefault("spec", {}).setdefault(
                "containers", [{"name": "main", "image": "busybox"}]
            )
            body["status"] = {}
            self._objects[resource][(namespace, name)] = body
            script = (
                self.pod_scripter(namespace, copy.deepcopy(body)) if self.pod_scripter else None
            )
            if script is not None:
                self._scripts[(namespace, name)] = script
            self._schedule_pod(body)  # the kubelet's part: Pending, then running
            return copy.deepcopy(body)
        elif resource == "secrets":
            body.setdefault("type", "Opaque")
            if body.get("stringData"):
                data = body.setdefault("data", {})
                for k, v in body.pop("stringData").items():
                    data[k] = base64.b64encode(str(v).encode()).decode()
        self._objects[resource][(namespace, name)] = body
        self._emit(resource, "ADDED", body)
        if resource == "deployments":
            self._reconcile((namespace, name))
        return copy.deepcopy(body)

    def delete(
        self, resource: str, namespace: str, name: str, *, grace_period: int | None = None
    ) -> Obj:
        """Delete an object; pods terminate in the background, a Deployment's pods with it."""
        self.settle()
        key = (namespace, name)
        obj = self._objects[resource].get(key)
        if obj is None:
            raise not_found(resource, name)
        if resource == "pods":
            owner = self._owner.get(key)
            self._terminate_pod(key, grace_period)
            if owner is not None:
                self._reconcile(owner)  # the controller replaces it at once
            return copy.deepcopy(self._objects["pods"].get(key, obj))
        del self._objects[resource][key]
        self._emit(resource, "DELETED", obj)
        if resource == "deployments":
            for pod_key, owner in list(self._owner.items()):
                if owner == key:
                    self._terminate_pod(pod_key, None)
        return copy.deepcopy(obj)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
