"""The simulation's Secrets, ConfigMaps, pod logs and exec: a part of :class:`KubeCluster`."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..._errors import KubernetesError
from ._sim_objects import ENDED, ExecHandler, ExecReply, Obj

__all__ = ["PodIO"]


class PodIO:
    """What a fake cluster's API serves besides workloads: Secrets, ConfigMaps, logs, exec."""

    exec_handler: ExecHandler
    _objects: dict[str, dict[tuple[str, str], Obj]]
    _logs: dict[tuple[str, str], str]
    _log_listeners: list[Callable[[str, str], None]]

    if TYPE_CHECKING:  # provided by KubeCluster, the class this one is part of

        def get(
            self, resource: str, namespace: str, name: str, *, copy_out: bool = True
        ) -> Obj: ...

        def create(self, resource: str, namespace: str, obj: Mapping[str, Any]) -> Obj: ...

        def settle(self) -> None: ...

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
            obj["status"].get("phase") in ENDED
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
