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
import hashlib
import heapq
import itertools
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..._clock import Clock, SystemClock
from ..._errors import KubernetesConflictError, KubernetesError, KubernetesNotFoundError
from ._selectors import FieldSelector, LabelSelector, selector_from_spec

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

Obj = dict[str, Any]

# resource -> (kind, apiVersion, name in messages)
RESOURCES: dict[str, tuple[str, str, str]] = {
    "deployments": ("Deployment", "apps/v1", "deployments.apps"),
    "pods": ("Pod", "v1", "pods"),
    "secrets": ("Secret", "v1", "secrets"),
    "configmaps": ("ConfigMap", "v1", "configmaps"),
}

_ENDED = ("Succeeded", "Failed")

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True, slots=True)
class ExecReply:
    """What a scripted exec returns: exit code, stdout, stderr."""

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""


ExecHandler = Callable[[str, str, str, Sequence[str]], "ExecReply | Awaitable[ExecReply]"]
"""``handler(namespace, pod, container, argv)`` -> :class:`ExecReply` (or an awaitable of one)."""


def default_exec_handler(
    namespace: str, pod: str, container: str, argv: Sequence[str]
) -> ExecReply:
    """A tiny shell: ``echo``, ``true``, ``false``, ``hostname``, ``exit N``; else exit 127."""
    cmd, args = argv[0], list(argv[1:])
    if cmd in ("sh", "/bin/sh", "bash") and args[:1] == ["-c"] and len(args) == 2:
        words = args[1].split()
        if words:
            cmd, args = words[0], words[1:]
    if cmd == "echo":
        return ExecReply(0, " ".join(args) + "\n")
    if cmd == "true":
        return ExecReply(0)
    if cmd == "false":
        return ExecReply(1)
    if cmd == "hostname":
        return ExecReply(0, pod + "\n")
    if cmd == "exit" and args and args[0].isdigit():
        return ExecReply(int(args[0]))
    return ExecReply(127, "", f"sh: {cmd}: not found\n")


def exit_status(reply: ExecReply) -> dict[str, Any]:
    """The ``Status`` an exec ends with (channel 3 of the v4 protocol), as the kubelet words it:
    ``Success``, or ``Failure`` with an ``ExitCode`` cause carrying the exit code."""
    if reply.exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {reply.exit_code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(reply.exit_code)}]},
    }


def version_info() -> dict[str, Any]:
    """What the simulated API server answers to ``GET /version``."""
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-asyncconsole-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def scale_of(dep: Mapping[str, Any]) -> Obj:
    """A Deployment's ``scale`` subresource (an ``autoscaling/v1`` ``Scale``)."""
    meta = dep["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: copy.deepcopy(meta[k])
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": dep["spec"].get("replicas", 1)},
        "status": {
            "replicas": (dep.get("status") or {}).get("replicas", 0),
            "selector": selector_from_spec(dep["spec"].get("selector")),
        },
    }


@dataclass(frozen=True, slots=True)
class PodScript:
    """What a created pod's containers do, since the fake runs no containers.

    Once the pod runs (``converge_delay`` after creation) its log gets ``lines`` (one
    newline-terminated line each); ``duration`` seconds later it ends: ``Succeeded`` for an
    ``exit_code`` of 0, ``Failed`` otherwise, and not at all when ``exit_code`` is ``None``
    (it runs until deleted).
    """

    lines: Sequence[str] = ()
    exit_code: int | None = 0
    duration: float = 0.0


PodScripter = Callable[[str, Mapping[str, Any]], "PodScript | None"]
"""``scripter(namespace, pod manifest)`` -> the :class:`PodScript` of a pod created through the
API (``None``: it just runs, logging nothing)."""


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change: ``type`` is ADDED, MODIFIED or DELETED; ``object`` is a snapshot."""

    resource_version: int
    resource: str
    namespace: str
    type: str
    object: Obj


def _not_found(resource: str, name: str) -> KubernetesNotFoundError:
    return KubernetesNotFoundError(
        f'{RESOURCES[resource][2]} "{name}" not found', status=404, reason="NotFound"
    )


class KubeCluster:
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
            raise _not_found(resource, name)
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
            raise _not_found(resource, name)
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

    # ---------------------------------------------------------------- deployments

    def add_deployment(
        self,
        namespace: str,
        name: str,
        *,
        replicas: int = 1,
        labels: Mapping[str, str] | None = None,
        image: str = "busybox:latest",
        containers: Sequence[str] = ("main",),
        ready: bool = True,
    ) -> Obj:
        """Create a Deployment whose pods carry (and are selected by) ``labels``.

        With ``ready=True`` (the default) its pods exist and are ready at once, as for a
        Deployment that has been running for a while; later scaling follows the delays.
        """
        if replicas < 0:
            raise ValueError("replicas must be >= 0")
        labels = dict(labels or {"app": name})
        body: Obj = {
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(labels)},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {"containers": [{"name": c, "image": image} for c in containers]},
                },
            },
        }
        saved = self.converge_delay
        if ready:
            self.converge_delay = 0.0
        try:
            return self.create("deployments", namespace, body)
        finally:
            self.converge_delay = saved

    def _init_deployment(self, body: Obj) -> None:
        spec = body.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        template = spec.setdefault("template", {})
        tmeta = template.setdefault("metadata", {})
        if not spec.get("selector"):
            spec["selector"] = {
                "matchLabels": dict(tmeta.get("labels") or {"app": body["metadata"]["name"]})
            }
        tmeta.setdefault("labels", dict(spec["selector"].get("matchLabels") or {}))
        template.setdefault("spec", {}).setdefault(
            "containers", [{"name": "main", "image": "busybox"}]
        )
        spec.setdefault(
            "strategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        )
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        body["metadata"]["generation"] = 1
        body["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "1"
        body["status"] = {}

    def set_replicas(
        self, namespace: str, name: str, replicas: int, *, resource_version: str | None = None
    ) -> Obj:
        """Change ``spec.replicas`` (the scale subresource); pods follow over time."""
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise KubernetesError(
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: '
                "must be greater than or equal to 0",
                status=422,
                reason="Invalid",
            )
        self.settle()
        dep = self._objects["deployments"].get((namespace, name))
        if dep is None:
            raise _not_found("deployments", name)
        self._check_version(dep, resource_version)
        if dep["spec"].get("replicas") != replicas:
            dep["spec"]["replicas"] = replicas
            dep["metadata"]["generation"] = dep["metadata"].get("generation", 1) + 1
            self._emit("deployments", "MODIFIED", dep)
        self._reconcile((namespace, name))
        return copy.deepcopy(dep)

    def replace_deployment(self, namespace: str, name: str, obj: Mapping[str, Any]) -> Obj:
        """Replace a Deployment's spec, labels and annotations (``PUT``)."""
        self.settle()
        dep = self._objects["deployments"].get((namespace, name))
        if dep is None:
            raise _not_found("deployments", name)
        self._check_version(dep, obj.get("metadata", {}).get("resourceVersion"))
        new_spec = copy.deepcopy(obj.get("spec") or {})
        if selector_from_spec(new_spec.get("selector")) != selector_from_spec(
            dep["spec"].get("selector")
        ):
            raise KubernetesError(
                f'Deployment.apps "{name}" is invalid: spec.selector: Invalid value: field is immutable',
                status=422,
                reason="Invalid",
            )
        if new_spec != dep["spec"]:
            dep["spec"] = {**dep["spec"], **new_spec}
            dep["metadata"]["generation"] = dep["metadata"].get("generation", 1) + 1
        for field in ("labels", "annotations"):
            if field in obj.get("metadata", {}):
                dep["metadata"][field] = dict(obj["metadata"][field] or {})
        self._emit("deployments", "MODIFIED", dep)
        self._reconcile((namespace, name))
        return copy.deepcopy(dep)

    @staticmethod
    def _check_version(obj: Obj, resource_version: str | None) -> None:
        if resource_version and resource_version != obj["metadata"]["resourceVersion"]:
            _, _, plural = RESOURCES["deployments" if obj.get("kind") == "Deployment" else "pods"]
            raise KubernetesConflictError(
                f'Operation cannot be fulfilled on {plural} "{obj["metadata"]["name"]}": the object '
                "has been modified; please apply your changes to the latest version and try again",
                status=409,
                reason="Conflict",
            )

    def _owned(self, key: tuple[str, str]) -> list[Obj]:
        return [self._objects["pods"][p] for p, o in self._owner.items() if o == key]

    def _reconcile(self, key: tuple[str, str]) -> None:
        dep = self._objects["deployments"].get(key)
        if dep is None:
            return
        live = [p for p in self._owned(key) if not p["metadata"].get("deletionTimestamp")]
        want = int(dep["spec"].get("replicas", 1))
        for _ in range(want - len(live)):
            self._create_pod_for(dep)
        if len(live) > want:
            # scale down the least useful first: not ready, then the newest
            victims = sorted(
                live,
                key=lambda p: (
                    _pod_ready(p),
                    p["metadata"]["creationTimestamp"],
                    p["metadata"]["name"],
                ),
            )
            for pod in victims[: len(live) - want]:
                self._terminate_pod((key[0], pod["metadata"]["name"]), None)
        self._update_status(key)

    def _template_hash(self, dep: Obj) -> str:
        digest = hashlib.sha256(repr(sorted(dep["spec"]["template"].items())).encode()).digest()
        return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:10])

    def _suffix(self) -> str:
        return "".join(self._random.choice(_SUFFIX_ALPHABET) for _ in range(5))

    def _create_pod_for(self, dep: Obj) -> None:
        ns = dep["metadata"]["namespace"]
        rs_name = f"{dep['metadata']['name']}-{self._template_hash(dep)}"
        name = f"{rs_name}-{self._suffix()}"
        while (ns, name) in self._objects["pods"]:
            name = f"{rs_name}-{self._suffix()}"
        template = dep["spec"]["template"]
        labels = dict(template.get("metadata", {}).get("labels") or {})
        labels["pod-template-hash"] = rs_name.rsplit("-", 1)[1]
        pod: Obj = {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                **self._new_meta(ns, name, labels),
                "generateName": rs_name + "-",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": rs_name,
                        "uid": dep["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": copy.deepcopy(template.get("spec") or {}),
            "status": {},
        }
        self._objects["pods"][(ns, name)] = pod
        self._owner[(ns, name)] = (ns, dep["metadata"]["name"])
        self._schedule_pod(pod)

    def add_pod(
        self,
        namespace: str,
        name: str,
        *,
        labels: Mapping[str, str] | None = None,
        containers: Sequence[str] = ("main",),
        image: str = "busybox:latest",
        phase: str = "Running",
        ready: bool | None = None,
        node: str | None = None,
    ) -> Obj:
        """Add a bare pod (no controller) in the given phase."""
        self.settle()
        if (namespace, name) in self._objects["pods"]:
            raise KubernetesConflictError(f'pods "{name}" already exists', status=409)
        pod: Obj = {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": self._new_meta(namespace, name, labels),
            "spec": {"containers": [{"name": c, "image": image} for c in containers]},
            "status": {},
        }
        self._objects["pods"][(namespace, name)] = pod
        self._set_pod_state(pod, phase, phase == "Running" if ready is None else ready, node)
        self._emit("pods", "ADDED", pod)
        return copy.deepcopy(pod)

    def _schedule_pod(self, pod: Obj) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        self._set_pod_state(pod, "Pending", False, None)
        self._emit("pods", "ADDED", pod)
        if self.converge_delay == 0:
            self._start_pod(pod)
        else:
            self._schedule(self.converge_delay, "start", key)

    def _set_pod_state(self, pod: Obj, phase: str, ready: bool, node: str | None) -> None:
        now = self.now_iso()
        spec, status = pod["spec"], pod["status"]
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec["nodeName"] = node or spec.get("nodeName") or self._random.choice(self._nodes)
        running = phase == "Running"
        status["phase"] = phase
        status["conditions"] = [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
            {"type": "Initialized", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": str(ready), "lastTransitionTime": now},
            {"type": "Ready", "status": str(ready), "lastTransitionTime": now},
        ]
        status["hostIP"] = "10.0.0.1"
        if running:
            status["startTime"] = status.get("startTime") or now
            status["podIP"] = status.get("podIP") or f"10.244.0.{next(self._ips) % 250 + 2}"
            status["podIPs"] = [{"ip": status["podIP"]}]
        state: Obj = (
            {"running": {"startedAt": now}}
            if running
            else {"waiting": {"reason": "ContainerCreating"}}
            if phase == "Pending"
            else {
                "terminated": {
                    "exitCode": 0 if phase == "Succeeded" else 1,
                    "reason": "Completed" if phase == "Succeeded" else "Error",
                }
            }
        )
        status["containerStatuses"] = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": ready,
                "started": running,
                "restartCount": 0,
                "state": state,
            }
            for c in spec.get("containers") or ()
        ]

    def _start_pod(self, pod: Obj) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        script = self._scripts.get(key)
        self._set_pod_state(pod, "Running", True, None)
        self._emit("pods", "MODIFIED", pod)
        if script is not None:
            if script.lines:
                self._append_logs(key, "".join(line + "\n" for line in script.lines))
            if script.exit_code is not None:
                if script.duration <= 0:
                    self._end_pod(pod)
                else:
                    self._schedule(script.duration, "end", key)
        owner = self._owner.get((pod["metadata"]["namespace"], pod["metadata"]["name"]))
        if owner is not None:
            self._update_status(owner)

    def _end_pod(self, pod: Obj) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        script = self._scripts.get(key)
        code = 0 if script is None or script.exit_code is None else script.exit_code
        self._set_pod_state(pod, "Succeeded" if code == 0 else "Failed", False, None)
        for status in pod["status"]["containerStatuses"]:
            status["state"]["terminated"]["exitCode"] = code
        self._emit("pods", "MODIFIED", pod)

    def _terminate_pod(self, key: tuple[str, str], grace_period: int | None) -> None:
        pod = self._objects["pods"].get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        grace = 30 if grace_period is None else grace_period
        pod["metadata"]["deletionTimestamp"] = self.now_iso()
        pod["metadata"]["deletionGracePeriodSeconds"] = grace
        self._emit("pods", "MODIFIED", pod)
        if self.terminate_delay == 0 or grace == 0:
            self._remove_pod(key)
        else:
            self._schedule(self.terminate_delay, "gone", key)

    def _remove_pod(self, key: tuple[str, str]) -> None:
        pod = self._objects["pods"].pop(key, None)
        if pod is None:
            return
        self._logs.pop(key, None)
        self._scripts.pop(key, None)
        self._emit("pods", "DELETED", pod)
        owner = self._owner.pop(key, None)
        if owner is not None:
            self._reconcile(owner)

    def _update_status(self, key: tuple[str, str]) -> None:
        dep = self._objects["deployments"].get(key)
        if dep is None:
            return
        live = [p for p in self._owned(key) if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in live if _pod_ready(p))
        want = int(dep["spec"].get("replicas", 1))
        status: Obj = {"observedGeneration": dep["metadata"].get("generation", 1)}
        counts = {
            "replicas": len(live),
            "updatedReplicas": len(live),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, want - ready),
        }
        status.update({k: v for k, v in counts.items() if v})  # the API server omits zeros
        old_conditions = {c["type"]: c for c in (dep.get("status") or {}).get("conditions") or ()}
        now = self.now_iso()

        def condition(kind: str, ok: bool, reason: str, message: str) -> Obj:
            old = old_conditions.get(kind)
            value = "True" if ok else "False"
            since = old["lastTransitionTime"] if old and old["status"] == value else now
            return {
                "type": kind,
                "status": value,
                "reason": reason,
                "message": message,
                "lastUpdateTime": now,
                "lastTransitionTime": since,
            }

        available = ready >= want
        status["conditions"] = [
            condition(
                "Available",
                available,
                "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available
                else "Deployment does not have minimum availability.",
            ),
            condition(
                "Progressing",
                True,
                "NewReplicaSetAvailable" if available else "ReplicaSetUpdated",
                f'ReplicaSet "{dep["metadata"]["name"]}-{self._template_hash(dep)}" '
                + ("has successfully progressed." if available else "is progressing."),
            ),
        ]
        if _strip_times(status) != _strip_times(dep.get("status") or {}):
            dep["status"] = status
            self._emit("deployments", "MODIFIED", dep)

    # ---------------------------------------------------------------- secrets, logs, exec

    def add_secret(
        self,
        namespace: str,
        name: str,
        data: Mapping[str, str | bytes],
        *,
        type: str = "Opaque",
    ) -> Obj:
        """Create a Secret; values are base64-encoded as the API stores them."""
        encoded = {
            k: base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
            for k, v in data.items()
        }
        return self.create(
            "secrets", namespace, {"metadata": {"name": name}, "type": type, "data": encoded}
        )

    def set_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Set the log text a pod returns."""
        self.get("pods", namespace, pod)
        self._logs[(namespace, pod)] = text
        self._logs_changed(namespace, pod)

    def append_pod_logs(self, namespace: str, pod: str, text: str) -> None:
        """Add ``text`` to a pod's log (followers see it)."""
        self.get("pods", namespace, pod, copy_out=False)
        self._append_logs((namespace, pod), text)

    def _append_logs(self, key: tuple[str, str], text: str) -> None:
        self._logs[key] = self._logs.get(key, "") + text
        self._logs_changed(*key)

    def subscribe_logs(self, listener: Callable[[str, str], None]) -> Callable[[], None]:
        """Call ``listener(namespace, pod)`` when a pod's log grows; returns the unsubscriber."""
        self._log_listeners.append(listener)
        return lambda: (
            self._log_listeners.remove(listener) if listener in self._log_listeners else None
        )

    def _logs_changed(self, namespace: str, pod: str) -> None:
        for listener in list(self._log_listeners):
            listener(namespace, pod)

    def check_followable(self, namespace: str, pod: str, container: str | None) -> str:
        """The container whose log can be followed; a pod not started yet is an error (400),
        worded as the API server does."""
        name = self.container_of(namespace, pod, container)
        if self.get("pods", namespace, pod, copy_out=False)["status"].get("phase") == "Pending":
            raise KubernetesError(
                f'container "{name}" in pod "{pod}" is waiting to start: ContainerCreating',
                status=400,
                reason="BadRequest",
            )
        return name

    def log_follow_state(self, namespace: str, pod: str) -> tuple[str, bool]:
        """A pod's log text so far and whether it is complete: the pod has ended (phase
        Succeeded or Failed), is terminating, or is gone."""
        self.settle()
        obj = self._objects["pods"].get((namespace, pod))
        if obj is None:
            return "", True
        ended = bool(obj["metadata"].get("deletionTimestamp")) or (
            obj["status"].get("phase") in _ENDED
        )
        return self._logs.get((namespace, pod), ""), ended

    def add_config_map(self, namespace: str, name: str, data: Mapping[str, str]) -> Obj:
        """Create a ConfigMap holding ``data``."""
        return self.create(
            "configmaps", namespace, {"metadata": {"name": name}, "data": dict(data)}
        )

    def pod_logs(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
    ) -> str:
        """A pod's log (all containers share it), optionally the last ``tail_lines`` lines."""
        self.container_of(namespace, pod, container)
        text = self._logs.get((namespace, pod), "")
        if tail_lines is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail_lines:]) if tail_lines > 0 else ""
        return text

    def container_of(self, namespace: str, pod: str, container: str | None) -> str:
        """The named container of a pod (or its only one); errors as the API server words them."""
        obj = self.get("pods", namespace, pod)
        names: list[str] = [str(c["name"]) for c in obj["spec"].get("containers") or ()]
        if container is None:
            if len(names) != 1:
                raise KubernetesError(
                    f"a container name must be specified for pod {pod}, choose one of: [{' '.join(names)}]",
                    status=400,
                    reason="BadRequest",
                )
            return names[0]
        if container not in names:
            raise KubernetesError(
                f"container {container} is not valid for pod {pod}", status=400, reason="BadRequest"
            )
        return container

    def exec_container(self, namespace: str, pod: str, container: str | None) -> str:
        """The container an exec runs in; a pod not running is an error (400), worded as the
        API server does."""
        name = self.container_of(namespace, pod, container)
        obj = self.get("pods", namespace, pod, copy_out=False)
        if obj["status"].get("phase") != "Running":
            raise KubernetesError(
                f'unable to upgrade connection: container not found ("{name}")',
                status=400,
                reason="BadRequest",
            )
        return name

    async def run_exec(
        self, namespace: str, pod: str, container: str | None, argv: Sequence[str]
    ) -> ExecReply:
        """Run the exec handler for a running pod's container."""
        name = self.exec_container(namespace, pod, container)
        reply = self.exec_handler(namespace, pod, name, list(argv))
        if not isinstance(reply, ExecReply):
            reply = await reply
        return reply


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions") or ()
    )


def _strip_times(status: Mapping[str, Any]) -> Obj:
    out = dict(status)
    out["conditions"] = [
        {k: v for k, v in c.items() if k not in ("lastUpdateTime", "lastTransitionTime")}
        for c in status.get("conditions") or ()
    ]
    return out


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
