"""console_link's opensearch-benchmark command lines (reference §2.5, §9 item 14), exactly:
no_auth, SigV4 and basic auth over https; the password reaches only the tool."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from asyncconsole import ConfigError, Secret
from asyncconsole.config import ClusterConfig
from asyncconsole.infra.commands import FakeCommandExecutor, OutputLine
from asyncconsole.infra.http import BasicAuth, FakeHttpClient
from asyncconsole.services.clusters import BENCHMARK_WORKLOADS, Cluster

ENDPOINT = "https://opensearchtarget:9200"
WORKLOAD = "nyctaxis"


def upstream(client_options: str) -> str:
    # console_link's test strings, verbatim.
    return (
        "opensearch-benchmark run"
        " --exclude-tasks=check-cluster-health"
        f" --target-host={ENDPOINT} --workload={WORKLOAD}"
        " --pipeline=benchmark-only"
        " --test-mode --kill-running-processes --workload-params="
        "bulk_size:10,bulk_indexing_clients:1 "
        f"--client-options={client_options}"
    )


def cluster(**auth: Any) -> Cluster:
    config = ClusterConfig.model_validate({"endpoint": ENDPOINT, **auth})
    return Cluster(config, FakeHttpClient(base_url=ENDPOINT), name="source")


async def test_no_auth() -> None:
    command = await cluster(allow_insecure=True, no_auth=None).benchmark_command(WORKLOAD)
    assert " ".join(command.reveal()) == upstream("verify_certs:false,use_ssl:true")
    assert command.password is None
    assert all(isinstance(item, str) for item in command.argv)


async def test_sigv4() -> None:
    source = cluster(allow_insecure=True, sigv4={"region": "eu-west-1", "service": "aoss"})
    command = await source.benchmark_command(WORKLOAD)
    assert " ".join(command.reveal()) == upstream(
        "verify_certs:false,use_ssl:true,amazon_aws_log_in:session,service:aoss,region:eu-west-1"
    )


async def test_sigv4_region_from_the_environment_or_a_clear_error() -> None:
    source = cluster(sigv4=None)
    command = await source.benchmark_command(WORKLOAD, environ={"AWS_DEFAULT_REGION": "us-west-1"})
    assert command.reveal()[-1] == (
        "--client-options=use_ssl:true,amazon_aws_log_in:session,service:es,region:us-west-1"
    )
    with pytest.raises(ConfigError) as missing:
        await source.benchmark_command(WORKLOAD, environ={})
    assert missing.value.issues[0].path == "source_cluster.sigv4.region"


async def test_basic_auth_over_https() -> None:
    source = cluster(basic_auth={"username": "admin", "password": "Admin1"})
    assert source.config.allow_insecure is False
    command = await source.benchmark_command(WORKLOAD)
    assert " ".join(command.reveal()) == upstream(
        "use_ssl:true,basic_auth_user:admin,basic_auth_password:Admin1"
    )
    # The item carrying the password is a Secret; the display masks only the password.
    assert isinstance(command.argv[-1], Secret)
    assert command.shown[-1] == (
        "--client-options=use_ssl:true,basic_auth_user:admin,basic_auth_password:********"
    )
    assert "Admin1" not in str(command)
    assert "Admin1" not in repr(command)


async def test_basic_auth_from_a_resolved_secret_and_test_procedure() -> None:
    config = ClusterConfig.model_validate(
        {"endpoint": ENDPOINT, "basic_auth": {"user_secret_arn": "arn:aws:secretsmanager:x"}}
    )
    http = FakeHttpClient(base_url=ENDPOINT, auth=BasicAuth("svc", "from-secret"))
    command = await Cluster(config, http, name="source").benchmark_command(
        WORKLOAD, test_procedure="append-no-conflicts"
    )
    assert command.reveal()[-2:] == [
        "--client-options=use_ssl:true,basic_auth_user:svc,basic_auth_password:from-secret",
        "--test-procedure=append-no-conflicts",
    ]
    unresolvable = Cluster(config, FakeHttpClient(base_url=ENDPOINT), name="target")
    with pytest.raises(ConfigError):
        await unresolvable.benchmark_command(WORKLOAD)


async def test_run_streams_every_workload_and_masks_the_password() -> None:
    executor = FakeCommandExecutor().script(
        ["opensearch-benchmark", ...],
        stdout="connecting with basic_auth_password:Admin1\ndone\n",
    )
    lines: list[OutputLine] = []
    source = cluster(basic_auth={"username": "admin", "password": "Admin1"})
    results = await source.run_test_benchmarks(executor, on_line=lines.append)
    assert [r.workload for r in results] == list(BENCHMARK_WORKLOADS)
    assert [shlex.join(c.revealed).split()[4] for c in executor.calls] == [
        f"--workload={w}" for w in BENCHMARK_WORKLOADS
    ]
    assert all("Admin1" not in line.text for line in lines)
    assert sum(line.text == "done" for line in lines) == 4
    assert all("Admin1" not in " ".join(r.argv) for r in results)
    assert results[0].to_dict()["argv"][-1].endswith("basic_auth_password:********")
