"""Public door for users' tests: every fake, the fake servers, and contract suites.

Names are resolved lazily so importing this package does not start or import backends.
"""

from __future__ import annotations

from .._lazy import lazy_names

# public name -> module (relative to asyncconsole) that defines it. Keep one entry per line,
# sorted; each component adds its fakes, fake servers and contract suites here.
_LAZY: dict[str, str] = {
    "BUSYBOX_IMAGE": ".infra.docker._busybox",
    "DelayLine": ".testing._delay",
    "FakeCommandExecutor": ".infra.commands._fake",
    "FakeDockerManager": ".infra.docker._fake",
    "FakeECSManager": ".infra.ecs._fake",
    "FakeHttpClient": ".infra.http._fake",
    "FakeK8sManager": ".infra.kubernetes._fake",
    "FakeKubernetesApiServer": ".testing._kube_server",
    "FakeMetricsCollector": ".infra.metrics",
    "FakeObjectStore": ".infra.s3._fake",
    "FakeOpenSearch": ".testing._opensearch",
    "FakeOpenSearchServer": ".testing._opensearch",
    "FakeSecretStore": ".infra.secrets._fake",
    "FakeWorkerDeployment": ".services.workers._fake",
    "FaultCall": ".testing._fault_contract",
    "FaultInjector": ".testing._fault_contract",
    "FaultPlan": ".infra._core",
    "FaultProxy": ".testing._faults",
    "FleetStats": ".testing._fleet",
    "HttpContractHandler": ".infra.http._contract",
    "HttpHandlerServer": ".infra.http._server",
    "HttpRouter": ".infra.http._fake",
    "LoadModel": ".testing._opensearch",
    "MALFORMED_ANSWERS": ".testing._faults",
    "MalformedAnswer": ".testing._faults",
    "MuteServer": ".testing._faults",
    "PlanInjector": ".testing._fault_contract",
    "PrometheusRemoteWriter": ".testing._prometheus",
    "ProxyInjector": ".testing._fault_contract",
    "RoundTrips": ".testing._delay",
    "ScriptInjector": ".testing._fault_contract",
    "SimulatedFleet": ".testing._fleet",
    "WorkItem": ".testing._opensearch",
    "WorkItemState": ".testing._opensearch",
    "busybox_rootfs": ".infra.docker._busybox",
    "check_command_executor": ".infra.commands._contract",
    "check_docker_manager": ".infra.docker._contract",
    "check_ecs_manager": ".infra.ecs._contract",
    "check_fault_contract": ".testing._fault_contract",
    "check_http_client": ".infra.http._contract",
    "check_k8s_manager": ".infra.kubernetes._contract",
    "check_metrics_collector": ".infra.metrics._contract",
    "check_object_store": ".infra.s3._contract",
    "check_secret_store": ".infra.secrets._contract",
    "ensure_busybox_image": ".infra.docker._busybox",
}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY, anchor="asyncconsole")


__all__ = sorted(_LAZY, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n))
