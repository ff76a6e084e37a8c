"""The K8sManager's pod lifecycle calls: list, create, delete, wait for a pod.

A create is not safe to repeat: it is sent once, and when its answer is lost the pod found
under its name is ours only if it carries the token the create sent (:data:`CREATE_TOKEN`). A
create cancelled while under way lets the API server answer, then deletes what it made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Mapping
from typing import Any, Final

from ..._errors import KubernetesNotFoundError
from .._core import PeerFailure, check_timeout, finish, undo
from ._convert import api_object, pod_info, pod_seen, pod_wait_over
from ._exchange import K8sExchanges, operation
from ._types import PodInfo
from ._validate import check_condition, check_count, check_name, check_pod_manifest

__all__ = ["CREATE_TOKEN", "PodCalls"]

_log = logging.getLogger("asyncconsole.infra.kubernetes")

CREATE_TOKEN: Final = "asyncconsole.io/create-token"
"""The annotation ``create_pod`` puts on a pod so that, when the answer to the create is lost,
the pod it finds under that name is known to be its own (and not someone else's)."""

LIST_PODS: Final = operation("list_pods", idempotent=True)
CREATE_POD: Final = operation("create_pod", idempotent=False)
DELETE_POD: Final = operation("delete_pod", idempotent=False)
WAIT_GONE: Final = operation("wait_pod_gone", idempotent=True)
WAIT_POD: Final = operation("wait_for_pod", idempotent=True)

_UNDO_LIMIT = 10.0  # at most this many seconds to delete what a cancelled create made


class PodCalls(K8sExchanges):
    """``list_pods``, ``create_pod``, ``delete_pod`` and ``wait_for_pod``."""

    async def list_pods(
        self,
        namespace: str,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[PodInfo]:
        check_name("namespace", namespace)
        self._ready()
        self._called(
            "list_pods",
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
        )
        given = (("label_selector", label_selector), ("field_selector", field_selector))
        selectors = {key: value for key, value in given if value}

        async def attempt(left: float | None) -> list[PodInfo]:
            pods = await self._pods(namespace, selectors)
            infos = self._shaped(pods, _pod_infos, "a pod", None)
            return sorted(infos, key=lambda p: p.name)

        where = ", ".join(selectors.values())
        action = f"list pods {namespace}" + (f" ({where})" if where else "")
        return await self._core.call(LIST_PODS, action, attempt)

    async def create_pod(self, namespace: str, manifest: Mapping[str, Any]) -> PodInfo:
        check_name("namespace", namespace)
        body = check_pod_manifest(namespace, manifest)
        self._ready()
        self._called("create_pod", namespace=namespace, manifest=body)
        token = secrets.token_hex(8)
        meta = body["metadata"]
        annotations = {**(meta.get("annotations") or {}), CREATE_TOKEN: token}
        sent = {**body, "metadata": {**meta, "annotations": annotations}}
        name: str | None = meta.get("name") or None
        made: list[str] = []  # the name the server gave it, once known

        async def attempt(left: float | None) -> PodInfo:
            status, value = await self._create_pod(namespace, sent, self._limit())
            created = self._shaped(value, api_object, "the created pod", status)
            made.append(str(created["metadata"].get("name") or name))
            return self._shaped(created, pod_info, "the created pod", status)

        async def reconcile() -> PodInfo | None:
            # The answer was lost: the pod is ours if it carries the token we sent.
            found = await self._find_created(namespace, name, sent, token)
            if found is None:
                return None
            made.append(str(found["metadata"].get("name")))
            return self._shaped(found, pod_info, "the created pod", None)

        action = f"create pod {namespace}/{name or str(meta.get('generateName')) + '*'}"
        try:
            # The API server finishes a create it received even if we stop listening: so does
            # this, then deletes what it made before letting the cancellation through.
            return await finish(self._core.call(CREATE_POD, action, attempt, reconcile=reconcile))
        except asyncio.CancelledError:
            made_name = made[-1] if made else name
            await undo(
                f"delete pod {namespace}/{made_name} of a cancelled create",
                self._discard(namespace, made_name, sent, token),
                limit=min(self._timeout or _UNDO_LIMIT, _UNDO_LIMIT),
                logger=_log,
            )
            raise

    async def _find_created(
        self, namespace: str, name: str | None, sent: Mapping[str, Any], token: str
    ) -> dict[str, Any] | None:
        """The pod a create of ``sent`` made, found by its token (by name, or among the pods
        with its labels for a ``generateName``), or None."""
        if name is not None:
            try:
                candidates = [await self._read("pods", namespace, name)]
            except KubernetesNotFoundError:
                return None
        else:
            labels = sent["metadata"].get("labels") or {}
            selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))

            async def attempt(left: float | None) -> list[dict[str, Any]]:
                return await self._pods(namespace, {"label_selector": selector} if selector else {})

            candidates = await self._core.call(LIST_PODS, f"list pods {namespace}", attempt)
        for pod in candidates:
            annotations = pod["metadata"].get("annotations")
            if isinstance(annotations, dict) and annotations.get(CREATE_TOKEN) == token:
                return pod
        return None

    async def _discard(
        self, namespace: str, name: str | None, sent: Mapping[str, Any], token: str
    ) -> None:
        """Delete the pod a cancelled create made, if it made one."""
        pod = await self._find_created(namespace, name, sent, token)
        if pod is None:
            return
        made = str(pod["metadata"].get("name"))

        async def attempt(left: float | None) -> None:
            await self._delete_pod(namespace, made, None, self._limit())

        with contextlib.suppress(KubernetesNotFoundError):
            await self._core.call(DELETE_POD, f"delete pod {namespace}/{made}", attempt)

    async def delete_pod(
        self,
        namespace: str,
        name: str,
        *,
        grace_period: int | None = None,
        wait: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds wait=True
    ) -> None:
        check_name("namespace", namespace)
        check_name("name", name)
        if grace_period is not None:
            check_count("grace_period", grace_period)
        check_timeout("timeout", timeout)
        self._ready()
        self._called(
            "delete_pod",
            namespace=namespace,
            name=name,
            grace_period=grace_period,
            wait=wait,
            timeout=timeout,
        )

        async def attempt(left: float | None) -> dict[str, Any]:
            status, value = await self._delete_pod(namespace, name, grace_period, self._limit())
            return self._shaped(value, api_object, "the deleted pod", status)

        async def reconcile() -> dict[str, Any] | None:
            # The answer was lost: the delete took effect if the pod is terminating or gone.
            try:
                pod = await self._read("pods", namespace, name)
            except KubernetesNotFoundError:
                return {"metadata": {}}
            return pod if pod["metadata"].get("deletionTimestamp") else None

        deleted = await self._core.call(
            DELETE_POD, f"delete pod {namespace}/{name}", attempt, reconcile=reconcile
        )
        if not wait:
            return
        uid = deleted["metadata"].get("uid")

        def decide(change: str, pod: dict[str, Any]) -> bool | None:
            # DELETED, or a new pod of the same name: ours is gone.
            return True if change == "DELETED" or pod["metadata"].get("uid") != uid else None

        async def gone(left: float | None) -> bool:
            return await self._watch_until("pods", namespace, name, decide, gone=lambda: True)

        await self._wait(
            WAIT_GONE,
            f"wait for pod {namespace}/{name} to be gone",
            gone,
            timeout=timeout,
            what="still there",
            seen=lambda: "",
            namespace=namespace,
            name=name,
        )

    async def wait_for_pod(
        self,
        namespace: str,
        name: str,
        *,
        condition: str = "Ready",
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> PodInfo:
        check_name("namespace", namespace)
        check_name("name", name)
        condition = check_condition(condition)
        check_timeout("timeout", timeout)
        self._ready()
        self._called(
            "wait_for_pod", namespace=namespace, name=name, condition=condition, timeout=timeout
        )
        last: list[dict[str, Any]] = []

        def decide(change: str, pod: dict[str, Any]) -> PodInfo | None:
            if change == "DELETED":
                raise PeerFailure("status", "the pod was deleted while waiting", status=404)
            last[:] = [pod]
            return pod_info(pod) if pod_wait_over(pod, condition) else None

        async def attempt(left: float | None) -> PodInfo:
            return await self._watch_until("pods", namespace, name, decide)

        what = "become Ready" if condition == "Ready" else f"reach phase {condition}"
        return await self._wait(
            WAIT_POD,
            f"wait for pod {namespace}/{name}",
            attempt,
            timeout=timeout,
            what=f"did not {what}",
            seen=lambda: pod_seen(last[-1] if last else None),
            namespace=namespace,
            name=name,
            condition=condition,
        )


def _pod_infos(pods: list[dict[str, Any]]) -> list[PodInfo]:
    return [pod_info(p) for p in pods]
