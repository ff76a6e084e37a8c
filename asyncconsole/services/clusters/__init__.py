"""Clusters: connection check, version and Serverless detection, call_api/curl, indices, scroll.

``Cluster(config, http, name="source")`` wraps an
:class:`~asyncconsole.infra.http.HttpClient` bound to the cluster (auth, TLS, timeouts) with
console_link's cluster operations, async and with its bugs fixed::

    status = await cluster.connection_check()     # ConnectionStatus
    rows = await cluster.cat_indices(refresh=True)  # list[IndexInfo]
    async for page in cluster.scroll("logs"):      # list of hits, constant memory
        ...
"""

from ._cluster import CLEAR_INDICES_PATTERN, CURL_TIMEOUT, Cluster, parse_header
from ._types import ClearIndicesResult, ClusterVersion, CollectionType, ConnectionStatus, IndexInfo

__all__ = [
    "CLEAR_INDICES_PATTERN",
    "CURL_TIMEOUT",
    "ClearIndicesResult",
    "Cluster",
    "ClusterVersion",
    "CollectionType",
    "ConnectionStatus",
    "IndexInfo",
    "parse_header",
]
