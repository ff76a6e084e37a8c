"""OpenSearch Benchmark against a cluster: its command line (console_link's exact arguments)
and the test-mode workloads of ``clusters run-test-benchmarks``."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..._errors import CommandError, ConfigError, ConfigIssue, ToolNotInstalledError
from ..._observe import observe
from ..._redact import mask_url
from ..._secret import Secret
from ._types import BenchmarkCommand, BenchmarkResult

if TYPE_CHECKING:
    from ...infra.commands import CommandExecutor, LineSink
    from ._cluster import Cluster

__all__ = [
    "BENCHMARK_TOOL",
    "BENCHMARK_WORKLOADS",
    "BENCHMARK_WORKLOAD_PARAMS",
    "basic_credentials",
    "benchmark_command",
    "run_test_benchmarks",
]

_log = logging.getLogger("asyncconsole.services.clusters")

BENCHMARK_TOOL = "opensearch-benchmark"
"""The OpenSearch Benchmark command ``clusters run-test-benchmarks`` runs."""

BENCHMARK_WORKLOADS = ("geonames", "http_logs", "nested", "nyc_taxis")
"""The workloads ``clusters run-test-benchmarks`` runs, one after the other (console_link's)."""

BENCHMARK_WORKLOAD_PARAMS = "bulk_size:10,bulk_indexing_clients:1"
"""console_link's ``--workload-params`` for the test benchmarks."""


async def basic_credentials(self: Cluster) -> tuple[str, Secret]:
    """The basic-auth user and password: inline in the config, else from the HTTP
    client's auth (which resolves a Secrets Manager or Kubernetes secret once).

    Raises:
        ConfigError: The cluster does not use basic auth, or its secret cannot be read
            through this cluster's HTTP client.
    """
    basic = self.config.basic_auth
    if self.auth_kind != "basic_auth" or basic is None:
        raise ConfigError(f"the {self.name} cluster does not use basic_auth")
    if basic.username is not None and basic.password is not None:
        return basic.username, basic.password
    auth = getattr(self.http, "auth", None)
    username, password = getattr(auth, "username", None), getattr(auth, "password", None)
    if isinstance(username, str) and isinstance(password, Secret):
        return username, password
    resolve = getattr(auth, "basic_auth", None)
    if callable(resolve):
        found = await resolve()
        username = getattr(found, "username", None)
        password = getattr(found, "password", None)
        if isinstance(username, str) and isinstance(password, Secret):
            return username, password
    raise ConfigError(
        "Invalid configuration",
        [
            ConfigIssue(
                f"{self.name}_cluster.basic_auth",
                "the credentials are in a secret that this cluster's HTTP client cannot "
                "resolve; build the cluster through asyncconsole.Environment",
            )
        ],
    )


async def benchmark_command(
    self: Cluster,
    workload: str,
    *,
    workload_params: str = BENCHMARK_WORKLOAD_PARAMS,
    test_procedure: str | None = None,
    tool: str = BENCHMARK_TOOL,
    environ: Mapping[str, str] | None = None,
) -> BenchmarkCommand:
    """console_link's ``opensearch-benchmark run`` arguments for one workload.

    ``--client-options``: ``verify_certs:false`` when ``allow_insecure``, ``use_ssl:true``
    for an ``https`` endpoint, then ``basic_auth_user:<u>,basic_auth_password:<p>`` (basic
    auth) or ``amazon_aws_log_in:session,service:<s>,region:<r>`` (SigV4; the region
    falls back to ``AWS_DEFAULT_REGION``/``AWS_REGION`` in ``environ``).

    Raises:
        ConfigError: SigV4 without any region, or unreadable basic-auth credentials.
    """
    options: list[str] = []
    if self.config.allow_insecure:
        options.append("verify_certs:false")
    if self.endpoint.startswith("https"):
        options.append("use_ssl:true")
    password: Secret | None = None
    if self.auth_kind == "basic_auth":
        username, password = await basic_credentials(self)
        options.append(f"basic_auth_user:{username}")
        options.append(f"basic_auth_password:{password.get()}")
    elif self.auth_kind == "sigv4":
        service, region = _sigv4_details(self, environ)
        options += ["amazon_aws_log_in:session", f"service:{service}", f"region:{region}"]
    client_options = "--client-options=" + ",".join(options)
    target_host = f"--target-host={self.endpoint}"
    argv: list[str | Secret] = [
        tool,
        "run",
        "--exclude-tasks=check-cluster-health",
        # a password written into the endpoint URL is as secret as basic auth's
        Secret(target_host) if mask_url(self.endpoint) != self.endpoint else target_host,
        f"--workload={workload}",
        "--pipeline=benchmark-only",
        "--test-mode",
        "--kill-running-processes",
        f"--workload-params={workload_params}",
        Secret(client_options) if password is not None else client_options,
    ]
    if test_procedure:
        argv.append(f"--test-procedure={test_procedure}")
    return BenchmarkCommand(workload=workload, argv=tuple(argv), password=password)


def _sigv4_details(self: Cluster, environ: Mapping[str, str] | None) -> tuple[str, str]:
    sigv4 = self.config.sigv4
    service = sigv4.service if sigv4 is not None else "es"
    region = sigv4.region if sigv4 is not None else None
    env = os.environ if environ is None else environ
    region = region or env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
    if not region:
        raise ConfigError(
            "Invalid configuration",
            [
                ConfigIssue(
                    f"{self.name}_cluster.sigv4.region",
                    "opensearch-benchmark needs a region: set it here or in AWS_DEFAULT_REGION",
                )
            ],
        )
    return service, region


async def run_test_benchmarks(
    self: Cluster,
    executor: CommandExecutor,
    *,
    workloads: Sequence[str] = BENCHMARK_WORKLOADS,
    on_line: LineSink | None = None,
    tool: str = BENCHMARK_TOOL,
    timeout: float | None = None,  # noqa: ASYNC109 - passed to the executor
) -> list[BenchmarkResult]:
    """Run OpenSearch Benchmark's test-mode workloads against this cluster, one after
    the other (console_link's ``clusters run-test-benchmarks``), streaming their output.

    Unlike console_link the command is an argument list (no shell), the password reaches
    only the tool (masked in results, errors and logs), and a failing workload raises.

    Raises:
        ToolNotInstalledError: ``opensearch-benchmark`` cannot be started.
        CommandError: A workload exited non-zero (the ones after it do not run).
    """
    from ...infra.commands import OutputMode

    results: list[BenchmarkResult] = []
    for workload in workloads:
        command = await benchmark_command(self, workload, tool=tool)
        shown = command.shown
        _log.info("Running opensearch-benchmark with '%s' workload", workload)
        _log.info("Executing command: %s", " ".join(shown))
        sensitive = [command.password] if command.password is not None else []
        async with observe(_log, "cluster.benchmark", self.name, workload=workload) as info:
            try:
                result = await executor.run(
                    list(command.argv),
                    check=False,
                    timeout=timeout,
                    output=OutputMode.STREAM,
                    on_line=on_line,
                    sensitive=sensitive,
                )
            except CommandError as exc:
                if exc.exit_code is None and not isinstance(exc, TimeoutError):
                    raise ToolNotInstalledError(
                        f"{tool} is not installed (cannot run it: {exc}); install "
                        "OpenSearch Benchmark (pip install opensearch-benchmark)",
                        tool=tool,
                        searched=[tool],
                    ) from exc
                raise
            info["exit_code"] = result.exit_code
        if result.exit_code != 0:
            tail = (result.stderr.strip() or result.stdout.strip())[-2000:]
            raise CommandError(
                f"opensearch-benchmark workload {workload} failed with exit code "
                f"{result.exit_code}" + (f":\n{tail}" if tail else ""),
                argv=shown,
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        results.append(BenchmarkResult(workload, shown, result.exit_code, result.duration))
    return results
