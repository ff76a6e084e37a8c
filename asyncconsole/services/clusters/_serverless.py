"""Amazon OpenSearch Serverless: the connection check of a collection and the KNN probe that
tells its type (console_link's, from the Java client)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from ..._concurrency import gather_pair
from ..._errors import AsyncConsoleError
from ...infra.http import HttpResponse
from ._answers import unable
from ._types import CollectionType, ConnectionStatus

if TYPE_CHECKING:
    from ._cluster import Cluster

__all__ = ["CONNECTION_CHECK_TIMEOUT", "detect_collection_type", "knn_probe", "serverless_connect"]

CONNECTION_CHECK_TIMEOUT = 5.0
SERVERLESS_CAT_TIMEOUT = 3.0
KNN_PROBE_TIMEOUT = 10.0

_KNN_PROBE_BODY = {
    "settings": {"index.knn": True},
    "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": -1}}},
}
_COLLECTION_MARKERS = (
    ("KNN features not supported on TIMESERIES collection type", CollectionType.TIMESERIES),
    ("KNN features not supported on SEARCH collection type", CollectionType.SEARCH),
    ("Dimension value must be greater than 0", CollectionType.VECTOR),
)


async def serverless_connect(self: Cluster) -> tuple[ConnectionStatus, AsyncConsoleError | None]:
    async def cat() -> HttpResponse:
        return await self.call_api("/_cat/indices", timeout=SERVERLESS_CAT_TIMEOUT)

    try:
        probe, _ = await gather_pair(knn_probe(self), cat())
    except AsyncConsoleError as exc:
        return unable(exc), exc
    collection, diagnostic = probe
    self._detected_serverless = True
    self._collection_type = collection
    warning = None
    if collection is CollectionType.UNKNOWN:
        warning = (
            "Warning: could not determine the collection type "
            f"(probe failed with {diagnostic}). Check that the AOSS data access policy "
            "grants this principal permissions to create and delete indices "
            "(aoss:CreateIndex, aoss:DeleteIndex)."
        )
    return (
        ConnectionStatus(
            connected=True,
            message="Successfully connected to serverless collection!",
            distribution="opensearch-serverless",
            serverless=True,
            collection_type=collection,
            warning=warning,
        ),
        None,
    )


async def detect_collection_type(
    self: Cluster, *, probe_root: bool = True
) -> CollectionType | None:
    """The Serverless collection type (None when ``GET /`` shows a regular cluster).

    Mirrors the Java client: optionally ``GET /`` first (200 or any non-404 status means
    not Serverless), then the KNN probe index ``PUT``, deleted again when it was created.
    """
    if probe_root:
        try:
            root = await self.call_api("/", timeout=CONNECTION_CHECK_TIMEOUT, raise_error=False)
        except AsyncConsoleError:
            root = None
        if root is not None and root.status != 404:
            return None
    collection, _ = await knn_probe(self)
    self._collection_type = collection
    return collection


async def knn_probe(self: Cluster) -> tuple[CollectionType, str | None]:
    index = f"/migrations_type_probe_{int(self.clock.now().timestamp())}"
    try:
        response = await self.call_api(
            index,
            "PUT",
            json=_KNN_PROBE_BODY,
            timeout=KNN_PROBE_TIMEOUT,
            raise_error=False,
        )
    except AsyncConsoleError as exc:
        return CollectionType.UNKNOWN, str(exc)
    if response.status < 400:
        with contextlib.suppress(AsyncConsoleError):
            await self.call_api(index, "DELETE", timeout=KNN_PROBE_TIMEOUT, raise_error=False)
    text = response.text
    for marker, collection in _COLLECTION_MARKERS:
        if marker in text:
            return collection, None
    return CollectionType.UNKNOWN, f"HTTP {response.status}: {text[:500]}"
