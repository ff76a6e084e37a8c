"""Clusters: connection check, version and Serverless detection, call_api/curl, indices, scroll.

``Cluster(config, http, name="source")`` wraps an
:class:`~asyncconsole.infra.http.HttpClient` bound to the cluster (auth, TLS, timeouts) with
console_link's cluster operations, async and with its bugs fixed::

    status = await cluster.connection_check()     # ConnectionStatus
    rows = await cluster.cat_indices(refresh=True)  # list[IndexInfo]
    async for page in cluster.scroll("logs"):      # list of hits, constant memory
        ...
    result = await cluster.generate_data("test", num_docs=10_000)   # concurrent _bulk
    await cluster.run_test_benchmarks(executor)    # opensearch-benchmark, streamed
"""

from ._cluster import (
    BENCHMARK_TOOL,
    BENCHMARK_WORKLOAD_PARAMS,
    BENCHMARK_WORKLOADS,
    CLEAR_INDICES_PATTERN,
    CURL_TIMEOUT,
    Cluster,
    parse_header,
)
from ._types import (
    BenchmarkCommand,
    BenchmarkResult,
    ClearIndicesResult,
    ClusterVersion,
    CollectionType,
    ConnectionStatus,
    GenerateDataProgress,
    GenerateDataResult,
    IndexInfo,
)

__all__ = [
    "BENCHMARK_TOOL",
    "BENCHMARK_WORKLOADS",
    "BENCHMARK_WORKLOAD_PARAMS",
    "CLEAR_INDICES_PATTERN",
    "CURL_TIMEOUT",
    "BenchmarkCommand",
    "BenchmarkResult",
    "ClearIndicesResult",
    "Cluster",
    "ClusterVersion",
    "CollectionType",
    "ConnectionStatus",
    "GenerateDataProgress",
    "GenerateDataResult",
    "IndexInfo",
    "parse_header",
]
