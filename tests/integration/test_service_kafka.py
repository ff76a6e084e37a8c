"""Kafka through SubprocessExecutor with stand-in Kafka scripts: real argv, KAFKA_OPTS, the
SCRAM properties file as the child sees it (content, mode 0600, gone afterwards, password
masked in output), concurrent time-lag probes, timeouts and missing tools."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import CommandTimeoutError
from asyncconsole._errors import KafkaCommandError, ToolNotInstalledError
from asyncconsole.config import KafkaConfig
from asyncconsole.infra.commands import SubprocessExecutor
from asyncconsole.services.kafka import Kafka

pytestmark = pytest.mark.integration

BROKERS = "localhost:9092"

TOPICS = """#!/bin/sh
[ -n "$STANDIN_SLEEP" ] && exec sleep "$STANDIN_SLEEP"
for a in "$@"; do echo "arg=$a"; done
echo "opts=$KAFKA_OPTS"
prev=""
for a in "$@"; do
  if [ "$prev" = "--command-config" ]; then
    echo "mode=$(stat -c %a "$a")"
    cat "$a"
  fi
  prev="$a"
done
[ -n "$STANDIN_FAIL" ] && { echo "Topic already exists" >&2; exit 1; }
exit 0
"""

GROUPS = """#!/bin/sh
cat <<'TABLE'
GROUP  TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID
g1     t1     0          10              20              10   -            -     -
g1     t1     1          5               9               4    -            -     -
g1     t1     2          3               3               0    -            -     -
TABLE
"""

# Partitions 0 and 1 wait for each other (a barrier): they only both succeed when they run
# at the same time. Partition 2 hangs until its timeout.
CONSUMER = """#!/bin/sh
partition=""; prev=""
for a in "$@"; do [ "$prev" = "--partition" ] && partition="$a"; prev="$a"; done
if [ "$partition" = "2" ]; then exec sleep 30; fi
touch "$STANDIN_DIR/started-$partition"
i=0
while [ ! -e "$STANDIN_DIR/started-0" ] || [ ! -e "$STANDIN_DIR/started-1" ]; do
  i=$((i + 1)); [ "$i" -gt 100 ] && { echo "partner never started" >&2; exit 1; }
  sleep 0.05
done
echo "CreateTime:170416464500$partition"
echo "Processed a total of 1 messages" >&2
"""

RUN_CLASS = """#!/bin/sh
echo "t1:0:20"
echo "t1:1:9"
"""


def _install(home: Path) -> Path:
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    for name, body in (
        ("kafka-topics.sh", TOPICS),
        ("kafka-consumer-groups.sh", GROUPS),
        ("kafka-console-consumer.sh", CONSUMER),
        ("kafka-run-class.sh", RUN_CLASS),
    ):
        script = bin_dir / name
        script.write_text(body)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return home


def _entries(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def _kafka(home: Path, auth: dict[str, Any], **kwargs: Any) -> Kafka:
    config = KafkaConfig.model_validate({"broker_endpoints": BROKERS, **auth})
    return Kafka(config, executor=SubprocessExecutor(), tools_home=str(home), **kwargs)


async def test_scram_file_as_the_tool_sees_it(tmp_path: Path) -> None:
    home = _install(tmp_path / "kafka")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    kafka = _kafka(
        home,
        {"scram": {"username": "alice", "password": "s3cr3t-pw", "ca_cert_path": "/ca.pem"}},
        environ={"KAFKA_OPTS": "-Xmx256m"},
        temp_dir=str(scratch),
    )
    result = await kafka.create_topic("t1")

    lines = result.stdout.splitlines()
    config_path = lines[lines.index("arg=--command-config") + 1].removeprefix("arg=")
    assert lines[: lines.index("arg=--command-config")] == [
        "arg=--bootstrap-server",
        f"arg={BROKERS}",
        "arg=--create",
        "arg=--topic",
        "arg=t1",
    ]
    assert config_path.startswith(str(scratch / "kafka-scram-"))
    assert "opts=-Xmx256m -XX:-UsePerfData" in lines
    assert "mode=600" in lines
    assert "security.protocol=SASL_SSL" in lines
    assert (
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="alice" password="********";' in lines
    )
    assert "ssl.truststore.location=/ca.pem" in lines
    assert "s3cr3t-pw" not in result.stdout
    assert _entries(scratch) == []


async def test_failures_and_timeouts_are_typed_and_clean_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _install(tmp_path / "kafka")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    kafka = _kafka(
        home, {"scram": {"username": "u", "password": "pw-123456"}}, temp_dir=str(scratch)
    )
    monkeypatch.setenv("STANDIN_FAIL", "1")
    with pytest.raises(KafkaCommandError, match="Topic already exists") as failed:
        await kafka.create_topic("t1")
    assert failed.value.exit_code == 1
    monkeypatch.delenv("STANDIN_FAIL")
    monkeypatch.setenv("STANDIN_SLEEP", "30")
    quick = _kafka(home, {"standard": None}, timeout=0.5)
    with pytest.raises(CommandTimeoutError):
        await quick.list_topics()
    assert _entries(scratch) == []


async def test_time_lag_probes_run_concurrently_and_time_out_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _install(tmp_path / "kafka")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    monkeypatch.setenv("STANDIN_DIR", str(barrier))
    kafka = _kafka(home, {"standard": None}, probe_timeout=1.5)

    desc = await kafka.describe_consumer_group("g1")

    rows = {r.partition: r for r in desc.time_lag or ()}
    assert rows[0].timestamp is not None
    assert rows[0].probed_offset == 10
    assert rows[1].timestamp is not None
    assert rows[1].probed_offset == 5
    assert rows[2].note == "caught up; showing last record; probe timed out"
    assert str(desc).startswith("GROUP  TOPIC  PARTITION")
    assert "PARTITION TIME LAG" in str(desc)


async def test_topic_records_and_missing_tools(tmp_path: Path) -> None:
    home = _install(tmp_path / "kafka")
    records = await _kafka(home, {"standard": None}).describe_topic_records("t1")
    assert records.total == 29
    assert str(records).splitlines()[1].split() == ["t1", "0", "20"]

    empty = tmp_path / "empty"
    empty.mkdir()
    missing = _kafka(empty, {"standard": None}, environ={"PATH": ""})
    with pytest.raises(ToolNotInstalledError, match="Kafka tools not installed"):
        await missing.check()
