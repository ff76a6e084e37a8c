"""Kafka with FakeCommandExecutor: exact argv per command and flavour, KAFKA_OPTS, the SCRAM
properties file (content, privacy, removal), GetOffsetShell reformatting, typed errors, tool
resolution, and the concurrent time-lag probes of describe_consumer_group."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import CommandTimeoutError, ConfigError, FakeClock
from asyncconsole._errors import KafkaCommandError, ToolNotInstalledError
from asyncconsole.config import KafkaConfig
from asyncconsole.infra.commands import FakeCall, FakeCommandExecutor, FakeReply
from asyncconsole.services.kafka import (
    ConsumerGroupDescription,
    Kafka,
    KafkaToolLocator,
    TopicRecords,
    format_lag,
    parse_consumer_group,
    parse_probe,
    scram_properties,
)

BROKERS = "b-1:9092,b-2:9092"
NOW = datetime(2024, 1, 2, 3, 12, 17, tzinfo=UTC)
FLAVOURS: dict[str, dict[str, Any]] = {
    "standard": {"standard": None},
    "msk": {"msk": None},
    "scram": {"scram": {"username": "alice", "password": "pa$$"}},
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A Kafka install: scripts in kafka/bin/, the MSK properties in aws/."""
    root = tmp_path / "kafka-tools"
    (root / "kafka" / "bin").mkdir(parents=True)
    (root / "aws").mkdir()
    for script in (
        "kafka-topics.sh",
        "kafka-consumer-groups.sh",
        "kafka-run-class.sh",
        "kafka-console-consumer.sh",
    ):
        (root / "kafka" / "bin" / script).write_text("#!/bin/sh\n")
    (root / "aws" / "msk-iam-auth.properties").write_text("security.protocol=SASL_SSL\n")
    return root


def _entries(path: Path) -> list[Path]:
    return list(path.iterdir())


def make(
    flavour: str,
    executor: FakeCommandExecutor,
    home: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Kafka:
    config = KafkaConfig.model_validate({"broker_endpoints": BROKERS, **FLAVOURS[flavour]})
    return Kafka(
        config,
        executor=executor,
        tools_home=None if home is None else str(home),
        environ={"KAFKA_OPTS": "-Xmx1g"} if environ is None else environ,
        clock=FakeClock(start=NOW),
        **kwargs,
    )


def _bin(home: Path, script: str) -> str:
    return str(home / "kafka" / "bin" / script)


COMMANDS: list[tuple[str, tuple[Any, ...], str, list[str]]] = [
    ("create_topic", ("t1",), "kafka-topics.sh",
     ["--bootstrap-server", BROKERS, "--create", "--topic", "t1"]),
    ("delete_topic", ("t1",), "kafka-topics.sh",
     ["--bootstrap-server", BROKERS, "--delete", "--topic", "t1"]),
    ("list_topics", (), "kafka-topics.sh", ["--bootstrap-server", BROKERS, "--list"]),
    ("list_consumer_groups", (), "kafka-consumer-groups.sh",
     ["--bootstrap-server", BROKERS, "--timeout", "100000", "--list"]),
    ("describe_consumer_group", ("g1",), "kafka-consumer-groups.sh",
     ["--bootstrap-server", BROKERS, "--timeout", "100000", "--describe", "--group", "g1"]),
    ("describe_topic_records", ("t1",), "kafka-run-class.sh",
     ["org.apache.kafka.tools.GetOffsetShell", "--bootstrap-server", BROKERS, "--topic", "t1",
      "--time", "-1"]),
]  # fmt: skip


@pytest.mark.parametrize("flavour", list(FLAVOURS))
@pytest.mark.parametrize(("method", "args", "script", "expected"), COMMANDS)
async def test_exact_argv_for_every_command_and_flavour(
    home: Path,
    tmp_path: Path,
    flavour: str,
    method: str,
    args: tuple[Any, ...],
    script: str,
    expected: list[str],
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    seen_props: list[tuple[str, str, int]] = []

    def reply(call: FakeCall) -> FakeReply:
        if "--command-config" in call.revealed:
            path = call.revealed[call.revealed.index("--command-config") + 1]
            seen_props.append((path, Path(path).read_text(), os.stat(path).st_mode))
        return FakeReply(stdout="")

    executor = FakeCommandExecutor().script(lambda argv: True, reply)
    kafka = make(flavour, executor, home, temp_dir=str(scratch))
    await getattr(kafka, method)(*args)

    [call] = executor.calls
    assert list(call.revealed[: len(expected) + 1]) == [_bin(home, script), *expected]
    auth = list(call.revealed[len(expected) + 1 :])
    if flavour == "standard":
        assert auth == []
    elif flavour == "msk":
        assert auth == ["--command-config", str(home / "aws" / "msk-iam-auth.properties")]
    else:
        [(path, content, mode)] = seen_props
        assert auth == ["--command-config", path]
        assert Path(path).parent == scratch
        assert Path(path).name.startswith("kafka-scram-")
        assert path.endswith(".properties")
        assert stat.S_IMODE(mode) == 0o600
        assert content == scram_properties("alice", kafka.config.scram.password)  # type: ignore[union-attr,arg-type]
        assert _entries(scratch) == []  # deleted once the command ended
    assert call.env == {"KAFKA_OPTS": "-Xmx1g -XX:-UsePerfData"}
    assert call.timeout == 180.0


async def test_defaults_are_console_links_topic_and_group(home: Path) -> None:
    executor = FakeCommandExecutor(unmatched="ok")
    kafka = make("standard", executor, home)
    await kafka.create_topic()
    await kafka.describe_consumer_group(time_lag=False)
    assert executor.calls[0].revealed[-1] == "logging-traffic-topic"
    assert executor.calls[1].revealed[-1] == "logging-group-default"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ({}, "-XX:-UsePerfData"),
        ({"KAFKA_OPTS": "  "}, "-XX:-UsePerfData"),
        ({"KAFKA_OPTS": "-Dx=1 -Xmx512m"}, "-Dx=1 -Xmx512m -XX:-UsePerfData"),
        ({"KAFKA_OPTS": "-XX:-UsePerfData -Dx=1"}, "-XX:-UsePerfData -Dx=1"),
    ],
)
async def test_kafka_opts_gets_use_perf_data_appended(
    home: Path, existing: dict[str, str], expected: str
) -> None:
    executor = FakeCommandExecutor(unmatched="ok")
    await make("standard", executor, home, environ=existing).list_topics()
    assert executor.calls[0].env == {"KAFKA_OPTS": expected}
    assert executor.calls[0].environ["KAFKA_OPTS"] == expected


def test_scram_properties_content() -> None:
    from asyncconsole import Secret

    assert scram_properties("alice", Secret("pw")) == (
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="alice" password="pw";\n'
    )
    with_ca = scram_properties("a", Secret('p"q\\r'), "/certs/ca.pem")
    assert with_ca.splitlines()[2].endswith('password="p\\\\"q\\\\\\\\r";')
    assert with_ca.splitlines()[3:] == [
        "ssl.truststore.type=PEM",
        "ssl.truststore.location=/certs/ca.pem",
    ]
    with pytest.raises(ValueError, match="line breaks"):
        scram_properties("a", Secret("p\nq"))


async def test_scram_password_from_the_environment_or_a_clear_error(
    home: Path, tmp_path: Path
) -> None:
    config = KafkaConfig.model_validate(
        {
            "broker_endpoints": BROKERS,
            "scram": {"username": "bob", "password_env": "MY_PW", "ca_cert_path": "/ca.pem"},
        }
    )
    contents: list[str] = []

    def reply(call: FakeCall) -> FakeReply:
        path = call.revealed[call.revealed.index("--command-config") + 1]
        contents.append(Path(path).read_text())
        return FakeReply(stdout="t1\n", stderr="echo of env-secret\n")

    executor = FakeCommandExecutor().script(lambda argv: True, reply)
    kafka = Kafka(config, executor=executor, tools_home=str(home), environ={"MY_PW": "env-secret"})
    result = await kafka.list_topics()
    assert 'username="bob" password="env-secret"' in contents[0]
    assert "ssl.truststore.location=/ca.pem" in contents[0]
    assert result.stderr == "echo of ********\n"  # the password is masked in output too
    assert kafka.describe()["scram"] == {
        "username": "bob",
        "password": None,
        "password_env": "MY_PW",
        "ca_cert_path": "/ca.pem",
    }

    missing = Kafka(config, executor=executor, tools_home=str(home), environ={})
    with pytest.raises(ConfigError, match=r"SCRAM password not found\. Set 'MY_PW'"):
        await missing.list_topics()


async def test_scram_file_is_removed_after_failures_and_timeouts(
    home: Path, tmp_path: Path
) -> None:
    executor = FakeCommandExecutor()
    executor.script("* --create *", exit_code=1)
    executor.script("* --list *", delay=500.0)
    kafka = make("scram", executor, home, temp_dir=str(tmp_path))
    with pytest.raises(KafkaCommandError):
        await kafka.create_topic()
    with pytest.raises(CommandTimeoutError):
        await kafka.list_topics()
    assert [p for p in _entries(tmp_path) if p.name.startswith("kafka-scram-")] == []


async def test_topic_records_are_reformatted_into_console_links_table(home: Path) -> None:
    executor = FakeCommandExecutor().script(
        lambda argv: True,
        stdout="logging-traffic-topic:0:120\nlogging-traffic-topic:1:7\nWARN noise here\n",
    )
    records = await make("standard", executor, home).describe_topic_records()
    assert isinstance(records, TopicRecords)
    assert records.total == 127
    assert str(records) == (
        "TOPIC                          PARTITION  RECORDS   \n"
        "logging-traffic-topic          0          120       \n"
        "logging-traffic-topic          1          7         \n"
    )
    assert records.to_dict()["partitions"] == [
        {"topic": "logging-traffic-topic", "partition": 0, "records": 120},
        {"topic": "logging-traffic-topic", "partition": 1, "records": 7},
    ]


async def test_failure_is_a_typed_error_carrying_the_output(home: Path) -> None:
    executor = FakeCommandExecutor().script(
        lambda argv: True,
        exit_code=1,
        stdout="partial\n",
        stderr="Error while executing topic command : Topic 't1' already exists.\n",
    )
    with pytest.raises(KafkaCommandError) as caught:
        await make("standard", executor, home).create_topic("t1")
    error = caught.value
    assert error.operation == "Create Topic"
    assert error.exit_code == 1
    assert error.stdout == "partial\n"
    assert "Kafka Create Topic failed with exit code 1: Error while executing" in str(error)


async def test_empty_output_gets_console_links_message(home: Path) -> None:
    result = await make("standard", FakeCommandExecutor(unmatched="ok"), home).delete_topic()
    assert str(result) == "Command for Delete Topic completed successfully.\n"
    assert result.to_dict()["output"] == result.output


async def test_missing_tools_are_reported_as_not_installed(tmp_path: Path) -> None:
    executor = FakeCommandExecutor()  # knows no programs
    kafka = make("standard", executor, None, environ={})
    with pytest.raises(ToolNotInstalledError, match=r"Kafka tools not installed: kafka-topics\.sh"):
        await kafka.list_topics()
    assert executor.calls[0].revealed[0] == "kafka-topics.sh"  # bare name, nothing found
    with pytest.raises(ToolNotInstalledError, match="Kafka tools not installed") as caught:
        await kafka.check()
    assert caught.value.tool == "kafka-topics.sh"
    assert "/root/kafka-tools/kafka/bin/kafka-topics.sh" in caught.value.searched

    msk = make("msk", FakeCommandExecutor(unmatched="ok"), tmp_path, environ={})
    with pytest.raises(ToolNotInstalledError, match=r"msk-iam-auth\.properties not found"):
        await msk.list_topics()


def test_scripts_are_found_in_console_links_places(tmp_path: Path) -> None:
    first, second, on_path = tmp_path / "first", tmp_path / "second", tmp_path / "path"
    for directory in (first / "bin", second, on_path):
        directory.mkdir(parents=True)
    (second / "kafka-topics.sh").write_text("")
    (first / "bin" / "kafka-run-class.sh").write_text("")
    path_script = on_path / "kafka-consumer-groups.sh"
    path_script.write_text("")
    path_script.chmod(0o755)
    env = {"KAFKA_TOOLS_HOME": str(first), "KAFKA_HOME": str(second), "PATH": str(on_path)}
    locator = KafkaToolLocator(environ=env)
    assert locator.find("kafka-topics.sh") == str(second / "kafka-topics.sh")
    assert locator.find("kafka-run-class.sh") == str(first / "bin" / "kafka-run-class.sh")
    assert locator.find("kafka-consumer-groups.sh") == str(path_script)
    assert locator.find("kafka-console-consumer.sh") is None
    assert locator.homes() == [str(first), str(second), "/root/kafka-tools"]
    explicit = KafkaToolLocator(tools_home=str(second), environ=env)
    assert explicit.candidates("x.sh")[:4] == [
        str(second / "x.sh"),
        str(second / "bin" / "x.sh"),
        str(second / "kafka" / "bin" / "x.sh"),
        "$PATH/x.sh",
    ]


# -- describe-consumer-group time lag ----------------------------------------------------------

DESCRIBE = """
Consumer group 'g1' has no active members.

GROUP  TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID
g1     t1     0          100             150             50   -            -     -
g1     t1     1          200             200             0    -            -     -
g1     t1     2          0               0               0    -            -     -
g1     t1     3          -               7               -    -            -     -
"""


def _probe_of(partition: str) -> Any:
    def matches(argv: tuple[str, ...]) -> bool:
        return "--partition" in argv and argv[argv.index("--partition") + 1] == partition

    return matches


def _time_lag_executor(home: Path, **probe: Any) -> FakeCommandExecutor:
    executor = FakeCommandExecutor()
    executor.script([_bin(home, "kafka-consumer-groups.sh"), ...], stdout=DESCRIBE)
    executor.script(
        _probe_of("0"),
        stdout="CreateTime:1704164645000\n",
        stderr="Processed a total of 1 messages\n",
        **probe,
    )
    executor.script(_probe_of("1"), stdout="LogAppendTime:1704165110123\t\n", **probe)
    return executor


async def test_time_lag_section_for_lagging_caught_up_empty_and_uncommitted(home: Path) -> None:
    executor = _time_lag_executor(home)
    desc = await make("standard", executor, home).describe_consumer_group("g1")

    assert isinstance(desc, ConsumerGroupDescription)
    assert [(p.partition, p.lag) for p in desc.partitions] == [(0, 50), (1, 0), (2, 0)]
    assert desc.total_lag == 50
    probes = executor.calls[1:]
    assert [c.revealed for c in probes] == [
        (
            _bin(home, "kafka-console-consumer.sh"),
            "--bootstrap-server", BROKERS,
            "--topic", "t1",
            "--partition", partition,
            "--offset", offset,
            "--max-messages", "1",
            "--timeout-ms", "5000",
            "--property", "print.timestamp=true",
            "--property", "print.value=false",
            "--property", "print.key=false",
        )
        for partition, offset in (("0", "100"), ("1", "199"))
    ]  # fmt: skip
    assert all(c.timeout == 10.0 for c in probes)
    assert all(c.env == {"KAFKA_OPTS": "-Xmx1g -XX:-UsePerfData"} for c in probes)
    assert str(desc) == DESCRIBE.rstrip() + "\n\n" + (
        "PARTITION TIME LAG\n"
        "TOPIC  PARTITION  PROBED-OFFSET  TIMESTAMP (UTC)           TIME-LAG  NOTE\n"
        "t1     0          100            2024-01-02T03:04:05.000Z  8m12s\n"
        "t1     1          199            2024-01-02T03:11:50.123Z  26s       "
        "caught up; showing last record\n"
        "t1     2          -              -                         -         partition empty\n"
        "\n"
    )
    lag = desc.to_dict()["time_lag"]
    assert lag[0] == {
        "topic": "t1",
        "partition": 0,
        "probed_offset": 100,
        "timestamp": "2024-01-02T03:04:05+00:00",
        "time_lag_seconds": 492.0,
        "note": "",
    }
    assert lag[2]["note"] == "partition empty"


async def test_probes_run_concurrently_within_the_bound(home: Path) -> None:
    many = "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG\n" + "".join(
        f"g t {p} 1 5 4\n" for p in range(5)
    )
    executor = FakeCommandExecutor()
    in_flight: list[int] = []

    def probe(call: FakeCall) -> FakeReply:
        in_flight.append(executor.running + 1)  # this probe and those still running
        return FakeReply(stdout="CreateTime:1704164645000\n", delay=3.0)

    executor.script([_bin(home, "kafka-consumer-groups.sh"), ...], stdout=many)
    executor.script([_bin(home, "kafka-console-consumer.sh"), ...], probe)
    desc = await make("standard", executor, home, probe_concurrency=2).describe_consumer_group("g")
    assert max(in_flight) == 2  # bounded
    assert len(in_flight) == 5
    assert [r.partition for r in desc.time_lag or ()] == [0, 1, 2, 3, 4]  # table order kept

    in_flight.clear()
    await make("standard", executor, home).describe_consumer_group("g")
    assert max(in_flight) == 5  # all at once under the default bound of 8, never serial


async def test_probe_failures_only_mark_their_rows(home: Path) -> None:
    executor = FakeCommandExecutor()
    executor.script([_bin(home, "kafka-consumer-groups.sh"), ...], stdout=DESCRIBE)
    executor.script(_probe_of("0"), stdout="", delay=60.0)  # hangs: stopped at 10 s
    executor.script(
        _probe_of("1"), exit_code=1, stderr="ERROR Error processing message\nTimeoutException x\n"
    )
    desc = await make("standard", executor, home).describe_consumer_group("g1")
    rows = {r.partition: r for r in desc.time_lag or ()}
    assert rows[0].note == "probe timed out"
    assert rows[0].probed_offset == 100
    assert rows[0].timestamp is None
    assert rows[1].note == "caught up; showing last record; probe failed: TimeoutException x"
    assert str(desc).startswith(DESCRIBE.rstrip())
    assert "t1     0          100            -                -         probe timed out" in str(
        desc
    )


async def test_no_console_consumer_or_no_offsets_keeps_the_base_output(
    home: Path,
) -> None:
    (home / "kafka" / "bin" / "kafka-console-consumer.sh").unlink()
    executor = FakeCommandExecutor().script(lambda argv: True, stdout=DESCRIBE)
    desc = await make("standard", executor, home).describe_consumer_group("g1")
    assert desc.time_lag is None
    assert len(executor.calls) == 1
    assert str(desc).startswith(DESCRIBE.rstrip() + "\n\nPARTITION TIME LAG\n  (skipped: ")
    assert "Kafka tools not installed: kafka-console-consumer.sh" in str(desc)

    header_only = "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG\ng t 0 - 5 -\n"
    executor = FakeCommandExecutor().script(lambda argv: True, stdout=header_only)
    (home / "kafka" / "bin" / "kafka-console-consumer.sh").write_text("")
    desc = await make("standard", executor, home).describe_consumer_group("g")
    assert str(desc) == header_only.rstrip() + (
        "\n\nPARTITION TIME LAG\n"
        "  (no committed offsets parsed from the describe output above; nothing to probe)\n"
    )


async def test_secured_probes_use_the_consumer_config(home: Path, tmp_path: Path) -> None:
    existing: list[bool] = []

    def probe(call: FakeCall) -> FakeReply:
        path = call.revealed[call.revealed.index("--consumer.config") + 1]
        existing.append(Path(path).is_file())
        return FakeReply(stdout="CreateTime:1704164645000\n")

    for flavour in ("msk", "scram"):
        executor = FakeCommandExecutor()
        executor.script([_bin(home, "kafka-consumer-groups.sh"), ...], stdout=DESCRIBE)
        executor.script([_bin(home, "kafka-console-consumer.sh"), ...], probe)
        await make(flavour, executor, home, temp_dir=str(tmp_path)).describe_consumer_group("g1")
        describe_config = executor.calls[0].revealed[-1]
        assert all(
            c.revealed[-2:] == ("--consumer.config", describe_config) for c in executor.calls[1:]
        )
    assert existing == [True] * 4
    assert [p.name for p in _entries(tmp_path)] == ["kafka-tools"]  # SCRAM file removed


async def test_check_lists_topics(home: Path) -> None:
    executor = FakeCommandExecutor().script(
        lambda argv: True, stdout="__consumer_offsets\nlogging-traffic-topic\nother\n"
    )
    kafka = make("standard", executor, home)
    assert await kafka.check() == f"2 topics on {BROKERS} (standard)"
    assert kafka.describe()["brokers"] == ["b-1:9092", "b-2:9092"]
    assert repr(kafka) == f"Kafka(brokers={BROKERS!r}, auth='standard')"


def test_parsers_and_formatting() -> None:
    assert format_lag(0) == "0s"
    assert format_lag(59.9) == "59s"
    assert format_lag(93784) == "1d2h3m4s"
    assert format_lag(3600) == "1h"
    assert format_lag(-5) == "-5s"
    assert parse_probe("CreateTime:1000\tnull\n", "") == (1000, None)
    assert parse_probe("LogAppendTime:5\n", "") == (5, None)
    assert parse_probe("CreateTime:-1\n", "") == (None, "record has no timestamp")
    assert parse_probe("", "x\n" + "E" * 200 + "\n") == (None, "probe failed: " + "E" * 120)
    assert parse_probe("", "") == (None, "no record returned")
    spaced = "  GROUP   TOPIC PARTITION  LAG CURRENT-OFFSET LOG-END-OFFSET\n  g t 4 - 3 9\n"
    [row] = parse_consumer_group(spaced)
    assert (row.partition, row.current_offset, row.log_end_offset, row.lag) == (4, 3, 9, 6)
    assert parse_consumer_group("no table here\n") == []


async def test_cancelling_a_command_stops_it_and_removes_the_scram_file(
    home: Path, tmp_path: Path
) -> None:
    import asyncio
    import math

    # Time stands still, so only the cancellation can end the command.
    executor = FakeCommandExecutor(clock=FakeClock(auto_advance=False))
    executor.script(lambda argv: True, delay=math.inf)
    kafka = make("scram", executor, home, temp_dir=str(tmp_path))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await kafka.list_topics()
    assert executor.calls[0].outcome == "cancelled"
    assert executor.running == 0
    assert [p.name for p in _entries(tmp_path)] == ["kafka-tools"]
