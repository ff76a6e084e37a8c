"""The simulation's Deployment controller and kubelet: a part of :class:`KubeCluster`.

A Deployment's pods go Pending -> Running (ready) ``converge_delay`` seconds after it asks for
them, and terminating -> gone ``terminate_delay`` seconds after deletion.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..._errors import KubernetesConflictError, KubernetesError
from ._selectors import selector_from_spec
from ._sim_objects import RESOURCES, Obj, PodScript, not_found

__all__ = ["Workloads"]

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class Workloads:
    """Deployments and their pods, and pods on their own."""

    converge_delay: float
    terminate_delay: float
    _objects: dict[str, dict[tuple[str, str], Obj]]
    _owner: dict[tuple[str, str], tuple[str, str]]
    _scripts: dict[tuple[str, str], PodScript]
    _logs: dict[tuple[str, str], str]
    _random: random.Random
    _nodes: tuple[str, ...]
    _ips: itertools.count[int]

    if TYPE_CHECKING:  # provided by KubeCluster, the class this one is part of

        def now_iso(self) -> str: ...

        def settle(self) -> None: ...

        def create(self, resource: str, namespace: str, obj: Mapping[str, Any]) -> Obj: ...

        def _emit(self, resource: str, kind: str, obj: Obj) -> None: ...

        def _schedule(self, delay: float, action: str, key: tuple[str, str]) -> None: ...

        def _new_meta(self, namespace: str, name: str, labels: Mapping[str, str] | None) -> Obj: ...

        def _append_logs(self, key: tuple[str, str], text: str) -> None: ...

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
            raise not_found("deployments", name)
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
            raise not_found("deployments", name)
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
