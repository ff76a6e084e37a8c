"""The ``K8sManager`` protocol: what asyncconsole needs from a Kubernetes cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ..._secret import Secret
from ..commands._result import CommandResult
from ._types import DeploymentStatus, PodInfo

__all__ = ["K8sManager"]


@runtime_checkable
class K8sManager(Protocol):
    """Deployments, pods and secrets of one Kubernetes cluster.

    Every method raises :class:`~asyncconsole.KubernetesError` when the API fails or cannot be
    reached (``KubernetesNotFoundError`` for a missing object, ``KubernetesConflictError`` for
    HTTP 409, ``KubernetesTimeoutError`` when its deadline passed),
    :class:`~asyncconsole.MalformedResponseError` for an answer that is not what the API
    documents, and ``ValueError`` for bad arguments before any call is made.

    Each call ends within its deadline, retries included: the manager's request timeout, or a
    wait's own ``timeout``. Reads, ``scale_deployment`` and the waits are retried when safe;
    ``create_pod``, ``delete_pod`` and ``exec_in_pod`` reach the API server at most once.
    """

    @property
    def default_namespace(self) -> str:
        """The namespace of the service account (in-cluster), of the kubeconfig context, or
        ``"default"``."""
        ...

    async def ping(self) -> None:
        """Check the API server answers (``GET /version``); raise ``KubernetesError`` if not."""
        ...

    async def get_deployment_status(self, namespace: str, name: str) -> DeploymentStatus:
        """Replica counts of a Deployment and the phases of the pods its selector matches.

        Raises:
            KubernetesNotFoundError: No such Deployment.
        """
        ...

    async def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        """Set ``spec.replicas`` through the ``scale`` subresource; does not wait for pods.

        Raises:
            ValueError: ``replicas`` is negative.
            KubernetesNotFoundError: No such Deployment.
        """
        ...

    async def wait_for_replicas(
        self,
        namespace: str,
        name: str,
        *,
        ready: int,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> DeploymentStatus:
        """Wait until exactly ``ready`` replicas of the Deployment are ready.

        Follows a watch stream (no polling) and returns the status that satisfied the wait.
        Cancelling the call closes the stream.

        Args:
            namespace: The Deployment's namespace.
            name: The Deployment's name.
            ready: The number of ready replicas to wait for (0 waits for a scale-down).
            timeout: Seconds to wait in all; ``None`` waits for ever.

        Raises:
            KubernetesTimeoutError: ``timeout`` passed first (an ``OperationTimeoutError``,
                saying what the wait saw last).
            KubernetesNotFoundError: No such Deployment (also if it is deleted while waiting).
        """
        ...

    async def list_pods(
        self,
        namespace: str,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[PodInfo]:
        """Pods of a namespace, optionally filtered, sorted by name.

        Args:
            namespace: The namespace to list.
            label_selector: A Kubernetes label selector (``app=web,tier in (a,b),!canary``).
            field_selector: A field selector (``status.phase=Running``, ``spec.nodeName=n1``).
        """
        ...

    async def delete_pod(
        self,
        namespace: str,
        name: str,
        *,
        grace_period: int | None = None,
        wait: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds wait=True
    ) -> None:
        """Ask the API server to delete a pod.

        Args:
            namespace: The pod's namespace.
            name: The pod's name.
            grace_period: Seconds the pod may take to stop (the pod's own setting if None).
            wait: ``False`` (``kubectl delete --wait=false``) returns once the deletion is
                accepted and the pod terminates in the background; ``True`` waits until the
                pod is gone (following a watch stream).
            timeout: Seconds ``wait=True`` may take; ``None`` waits for ever.

        A delete whose answer was lost succeeds if the pod is terminating or gone.

        Raises:
            KubernetesNotFoundError: No such pod.
            KubernetesTimeoutError: ``wait=True`` and the pod was still there at ``timeout``.
        """
        ...

    async def create_pod(self, namespace: str, manifest: Mapping[str, Any]) -> PodInfo:
        """Create a pod from a manifest (as ``kubectl create -f``); does not wait for it.

        Args:
            namespace: Where to create it.
            manifest: A v1 Pod: ``metadata.name`` (or ``generateName``) and
                ``spec.containers`` at least; a ``metadata.namespace``, if any, must equal
                ``namespace``.

        The pod is annotated ``asyncconsole.io/create-token``: when the answer to the create
        is lost, the pod found under its name is ours only if it carries that token. A create
        cancelled while under way waits for the API server's answer, then deletes the pod.

        Returns:
            The pod as the API server stored it (normally ``Pending``).

        Raises:
            ValueError: The manifest is not a Pod, or lacks a name or containers.
            KubernetesConflictError: A pod of that name exists (HTTP 409).
        """
        ...

    async def wait_for_pod(
        self,
        namespace: str,
        name: str,
        *,
        condition: str = "Ready",
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> PodInfo:
        """Wait until a pod is ready (``condition="Ready"``) or in the phase ``condition``.

        Follows a watch stream (no polling). The wait also ends when the pod has ended
        (``Succeeded`` or ``Failed``) and so can never meet the condition: look at the
        returned pod's ``ready`` and ``phase``. Cancelling the call closes the stream.

        Args:
            namespace: The pod's namespace.
            name: The pod's name.
            condition: ``"Ready"``, or a phase: ``Pending``, ``Running``, ``Succeeded``,
                ``Failed``, ``Unknown``.
            timeout: Seconds to wait in all; ``None`` waits for ever.

        Raises:
            ValueError: ``condition`` is neither.
            KubernetesTimeoutError: ``timeout`` passed first (an ``OperationTimeoutError``).
            KubernetesNotFoundError: No such pod (also if it is deleted while waiting).
        """
        ...

    def follow_pod_logs(
        self, namespace: str, pod: str, *, container: str | None = None
    ) -> AsyncIterator[str]:
        """A pod container's log, line by line (no line ends), following it as it grows
        (``kubectl logs -f``) until the container stops.

        An async generator: leaving the ``async for`` early (``break``, an error,
        cancellation) closes the stream; use ``contextlib.aclosing`` to close it at once.
        Opening the stream is bounded by the request timeout; the lines then come as long as
        the container runs.

        Raises:
            KubernetesNotFoundError: No such pod.
            KubernetesError: No such container, or it has not started (HTTP 400).
        """
        ...

    async def read_config_map(self, namespace: str, name: str) -> dict[str, str]:
        """A ConfigMap's ``data``.

        Raises:
            KubernetesNotFoundError: No such ConfigMap.
        """
        ...

    async def exec_in_pod(
        self,
        namespace: str,
        pod: str,
        argv: Sequence[str],
        *,
        container: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> CommandResult:
        """Run ``argv`` in a pod's container; stdout, stderr and the exit code come back apart.

        A non-zero exit is a result, not an error (call ``.check()`` for that).

        Starting the command is bounded by the request timeout; it then runs until it ends or
        ``timeout`` passes (``None``: no limit).

        Raises:
            ValueError: ``argv`` is empty.
            KubernetesNotFoundError: No such pod.
            CommandTimeoutError: ``timeout`` passed; the stream is closed.
        """
        ...

    async def pod_logs(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
    ) -> str:
        """A pod container's log text (the last ``tail_lines`` lines when given).

        Raises:
            KubernetesNotFoundError: No such pod.
        """
        ...

    async def read_secret(self, namespace: str, name: str) -> dict[str, Secret]:
        """A Secret's data, base64-decoded, each value wrapped in :class:`~asyncconsole.Secret`.

        Raises:
            KubernetesNotFoundError: No such Secret.
        """
        ...
