"""``Kafka``: the Kafka CLI tools console_link runs, through a ``CommandExecutor``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..._clock import Clock, SystemClock
from ..._errors import (
    CommandError,
    CommandTimeoutError,
    KafkaCommandError,
    ToolNotInstalledError,
)
from ..._observe import observe
from ..._secret import Secret
from ...config import KafkaConfig
from ...infra.commands import CommandExecutor, CommandResult
from ._dump_calls import dump_topic_records, open_topic_dump
from ._scram import scram_properties, scram_properties_file
from ._timelag import parse_consumer_group, parse_offsets, parse_probe
from ._tools import MSK_IAM_AUTH_PROPERTIES, KafkaToolLocator
from ._types import (
    ConsumerGroupDescription,
    ConsumerGroupPartition,
    KafkaResult,
    PartitionTimeLag,
    TopicRecords,
)

__all__ = [
    "DEFAULT_CONSUMER_GROUP",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOPIC",
    "GET_OFFSET_SHELL",
    "PERF_DATA_OPTION",
    "PROBE_TIMEOUT",
    "PROBE_TIMEOUT_MS",
    "Kafka",
]

_log = logging.getLogger("asyncconsole.services.kafka")

DEFAULT_TOPIC = "logging-traffic-topic"
"""The capture topic console_link defaults to."""
DEFAULT_CONSUMER_GROUP = "logging-group-default"
"""The replayer's consumer group console_link defaults to."""
DEFAULT_TIMEOUT = 180.0
"""Seconds a Kafka command may take (the consumer-group tool's own ``--timeout`` is 100 s)."""
PROBE_TIMEOUT_MS = 5000
"""The console consumer's ``--timeout-ms`` when probing one record."""
PROBE_TIMEOUT = 10.0
"""Seconds a probe may take in all (JVM start-up included)."""
PERF_DATA_OPTION = "-XX:-UsePerfData"
"""Appended to ``KAFKA_OPTS`` so the JVMs write no hsperfdata files."""
GET_OFFSET_SHELL = "org.apache.kafka.tools.GetOffsetShell"

TOPICS = "kafka-topics.sh"
CONSUMER_GROUPS = "kafka-consumer-groups.sh"
CONSOLE_CONSUMER = "kafka-console-consumer.sh"
RUN_CLASS = "kafka-run-class.sh"
_ERROR_TAIL = 2000

if TYPE_CHECKING:
    from ...infra.kubernetes import K8sManager


class Kafka:
    """The Kafka cluster that holds captured traffic, driven through Apache Kafka's CLI
    scripts (``console kafka ...``).

    Every command has console_link's exact arguments for the configured flavour: standard
    (plaintext), MSK (``--command-config msk-iam-auth.properties``) or SCRAM
    (``--command-config`` a client properties file). Fixes over console_link:

    * a failure raises :class:`~asyncconsole.KafkaCommandError` (console_link returned the
      output as if it had worked and exited 0), a missing tool raises
      :class:`~asyncconsole.ToolNotInstalledError`;
    * every command has a timeout;
    * the SCRAM properties file (it holds the password) is written when a command runs, as a
      private 0600 temporary file, and deleted as soon as the command ends (console_link wrote
      it when the environment was built and removed it at garbage collection);
    * the time-lag probes of :meth:`describe_consumer_group` run concurrently
      (``probe_concurrency`` at a time, each bounded by ``probe_timeout``), not one by one.

    Args:
        config: The ``kafka`` block.
        executor: Runs the scripts.
        tools_home: A directory searched first for the scripts (``<home>/``, ``<home>/bin/``,
            ``<home>/kafka/bin/``) and ``msk-iam-auth.properties`` (``<home>/``,
            ``<home>/aws/``); then ``PATH``, ``$KAFKA_TOOLS_HOME``, ``$KAFKA_HOME`` and
            ``/root/kafka-tools``.
        timeout: Seconds each command may take.
        probe_timeout: Seconds each time-lag probe may take.
        probe_concurrency: Time-lag probes run at once.
        environ: Where ``PATH``, ``KAFKA_*`` and the SCRAM password variable are read
            (``os.environ`` by default).
        clock: "Now" for the time lag.
        temp_dir: Where the SCRAM properties file is written (the system default).
        k8s: The Kubernetes cluster :meth:`open_topic_dump` runs its pod on (it is
            Kubernetes-only, as in console_link).
        namespace: Namespace of the dump pod (``k8s.default_namespace`` if None).
    """

    def __init__(
        self,
        config: KafkaConfig,
        *,
        executor: CommandExecutor,
        tools_home: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        probe_timeout: float = PROBE_TIMEOUT,
        probe_concurrency: int = 8,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        temp_dir: str | None = None,
        k8s: K8sManager | None = None,
        namespace: str | None = None,
    ) -> None:
        if probe_concurrency < 1:
            raise ValueError(f"probe_concurrency must be at least 1, got {probe_concurrency!r}")
        if timeout <= 0 or probe_timeout <= 0:
            raise ValueError("timeout and probe_timeout must be positive")
        self.config = config
        self.executor = executor
        self.tools_home = tools_home
        self.timeout = timeout
        self.probe_timeout = probe_timeout
        self.probe_concurrency = probe_concurrency
        self.environ = environ
        self.clock: Clock = clock or SystemClock()
        self.temp_dir = temp_dir
        self.k8s = k8s
        self.namespace = namespace
        self.tools = KafkaToolLocator(tools_home=tools_home, environ=environ)

    def __repr__(self) -> str:
        return f"Kafka(brokers={self.brokers!r}, auth={self.auth_kind!r})"

    @property
    def brokers(self) -> str:
        """``broker_endpoints`` as configured (passed verbatim to ``--bootstrap-server``)."""
        return self.config.broker_endpoints

    @property
    def auth_kind(self) -> str:
        """``msk``, ``standard`` or ``scram``."""
        return self.config.auth_kind

    def describe(self) -> dict[str, Any]:
        """The brokers, the auth flavour and where the tools are looked for (no password)."""
        data: dict[str, Any] = {
            "brokers": self.config.brokers,
            "auth": self.auth_kind,
            "tools_home": self.tools_home,
            "search_homes": self.tools.homes(),
            "timeout": self.timeout,
        }
        scram = self.config.scram
        if self.auth_kind == "scram" and scram is not None:
            data["scram"] = {
                "username": scram.username,
                "password": "********" if scram.password is not None else None,
                "password_env": None if scram.password is not None else scram.password_env,
                "ca_cert_path": scram.ca_cert_path,
            }
        return data

    # -- plumbing --------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        source = os.environ if self.environ is None else self.environ
        existing = source.get("KAFKA_OPTS", "").strip()
        if PERF_DATA_OPTION in existing.split():
            return {"KAFKA_OPTS": existing}
        return {"KAFKA_OPTS": f"{existing} {PERF_DATA_OPTION}".strip()}

    def _script(self, name: str) -> str:
        # Unknown location: run the bare name so the executor reports it missing (and
        # FakeCommandExecutor scripts can match it); that error becomes ToolNotInstalledError.
        return self.tools.find(name) or name

    def _not_installed(
        self, script: str, cause: BaseException | None = None
    ) -> ToolNotInstalledError:
        searched = self.tools.candidates(script)
        return ToolNotInstalledError(
            f"Kafka tools not installed: {script} not found on PATH or under "
            f"{', '.join(self.tools.homes())} (set KAFKA_TOOLS_HOME)"
            + (f": {cause}" if cause is not None else ""),
            tool=script,
            searched=searched,
        )

    @contextlib.asynccontextmanager
    async def _auth(self) -> AsyncIterator[tuple[str | None, list[Secret]]]:
        """The client properties file for this flavour (``None`` for standard) and the values
        to mask, valid for the block."""
        kind = self.auth_kind
        if kind == "msk":
            found = self.tools.find_msk_properties()
            if found is None:
                raise ToolNotInstalledError(
                    f"Kafka tools not installed: {MSK_IAM_AUTH_PROPERTIES} not found under "
                    f"{', '.join(self.tools.homes())} (set KAFKA_TOOLS_HOME)",
                    tool=MSK_IAM_AUTH_PROPERTIES,
                    searched=self.tools.msk_properties_candidates(),
                )
            yield found, []
        elif kind == "scram":
            scram = self.config.scram
            assert scram is not None  # the config model guarantees it
            password = scram.resolve_password(self.environ)
            content = scram_properties(scram.username, password, scram.ca_cert_path)
            with scram_properties_file(content, directory=self.temp_dir) as path:
                yield path, [password]
        else:
            yield None, []

    async def _run(
        self,
        operation: str,
        script: str,
        args: Sequence[str],
        properties: str | None,
        secrets: Sequence[Secret],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (per-call override)
    ) -> KafkaResult:
        argv = [self._script(script), *args]
        if properties is not None:
            argv += ["--command-config", properties]
        result = await self._exec(operation, script, argv, secrets, timeout or self.timeout)
        if result.exit_code != 0:
            tail = (result.stderr.strip() or result.stdout.strip())[-_ERROR_TAIL:]
            raise KafkaCommandError(
                f"Kafka {operation} failed with exit code {result.exit_code}"
                + (f": {tail}" if tail else ""),
                operation=operation,
                argv=result.argv,
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        return KafkaResult(
            operation=operation,
            argv=result.argv,
            exit_code=result.exit_code,
            stdout=result.stdout,
            stderr=result.stderr,
            duration=result.duration,
        )

    async def _exec(
        self,
        operation: str,
        script: str,
        argv: Sequence[str],
        secrets: Sequence[Secret],
        timeout: float,  # noqa: ASYNC109 (passed to the executor)
    ) -> CommandResult:
        async with observe(_log, "kafka.command", operation, brokers=self.brokers) as info:
            try:
                result = await self.executor.run(
                    argv, check=False, timeout=timeout, env=self._env(), sensitive=secrets
                )
            except CommandTimeoutError:
                raise
            except CommandError as exc:
                if exc.exit_code is None:
                    raise self._not_installed(script, exc) from exc
                raise
            info["exit_code"] = result.exit_code
            return result

    # -- topics ----------------------------------------------------------------------------

    async def create_topic(self, topic: str = DEFAULT_TOPIC) -> KafkaResult:
        """``kafka-topics.sh --bootstrap-server B --create --topic T``."""
        async with self._auth() as (props, secrets):
            return await self._run(
                "Create Topic",
                TOPICS,
                ["--bootstrap-server", self.brokers, "--create", "--topic", topic],
                props,
                secrets,
            )

    async def delete_topic(self, topic: str = DEFAULT_TOPIC) -> KafkaResult:
        """``kafka-topics.sh --bootstrap-server B --delete --topic T`` (irreversible: the
        topic's captured traffic is gone; ask before calling)."""
        async with self._auth() as (props, secrets):
            return await self._run(
                "Delete Topic",
                TOPICS,
                ["--bootstrap-server", self.brokers, "--delete", "--topic", topic],
                props,
                secrets,
            )

    async def list_topics(self) -> KafkaResult:
        """``kafka-topics.sh --bootstrap-server B --list``; ``.lines()`` gives the names."""
        async with self._auth() as (props, secrets):
            return await self._run(
                "List Topics",
                TOPICS,
                ["--bootstrap-server", self.brokers, "--list"],
                props,
                secrets,
            )

    async def describe_topic_records(self, topic: str = DEFAULT_TOPIC) -> TopicRecords:
        """Each partition's record count: ``kafka-run-class.sh
        org.apache.kafka.tools.GetOffsetShell --bootstrap-server B --topic T --time -1``,
        its ``topic:partition:offset`` lines made into console_link's table."""
        async with self._auth() as (props, secrets):
            result = await self._run(
                "Describe Topic Records",
                RUN_CLASS,
                [
                    GET_OFFSET_SHELL,
                    "--bootstrap-server",
                    self.brokers,
                    "--topic",
                    topic,
                    "--time",
                    "-1",
                ],
                props,
                secrets,
            )
        return TopicRecords(
            topic=topic, partitions=tuple(parse_offsets(result.stdout)), result=result
        )

    # -- consumer groups -------------------------------------------------------------------

    async def list_consumer_groups(self) -> KafkaResult:
        """``kafka-consumer-groups.sh --bootstrap-server B --timeout 100000 --list``."""
        async with self._auth() as (props, secrets):
            return await self._run(
                "List Consumer Groups",
                CONSUMER_GROUPS,
                ["--bootstrap-server", self.brokers, "--timeout", "100000", "--list"],
                props,
                secrets,
            )

    async def describe_consumer_group(
        self, group: str = DEFAULT_CONSUMER_GROUP, *, time_lag: bool = True
    ) -> ConsumerGroupDescription:
        """``kafka-consumer-groups.sh --bootstrap-server B --timeout 100000 --describe --group
        G``, plus how far behind in time the group is on each partition.

        For each partition with committed offsets, one record is read with
        ``kafka-console-consumer.sh`` (``--partition P --offset O --max-messages 1
        --timeout-ms 5000``, printing only its timestamp; ``--consumer.config`` for MSK and
        SCRAM): the record at the group's offset, or the last record when the group has
        caught up; empty partitions are not probed. The probes run concurrently, each bounded
        by ``probe_timeout``; a failed probe only marks its row, never the description.

        Args:
            group: The consumer group.
            time_lag: Probe the record timestamps (``False``: just the tool's table).
        """
        async with self._auth() as (props, secrets):
            result = await self._run(
                "Describe Consumer Group",
                CONSUMER_GROUPS,
                [
                    "--bootstrap-server",
                    self.brokers,
                    "--timeout",
                    "100000",
                    "--describe",
                    "--group",
                    group,
                ],
                props,
                secrets,
            )
            partitions = tuple(parse_consumer_group(result.stdout))
            if not time_lag or not result.stdout:
                return ConsumerGroupDescription(group, result, partitions, None)
            consumer = self.tools.find(CONSOLE_CONSUMER)
            if consumer is None:
                note = f"skipped: {self._not_installed(CONSOLE_CONSUMER)}"
                return ConsumerGroupDescription(group, result, partitions, None, note)
            now = self.clock.now()
            rows = await self._probe_all(consumer, partitions, props, secrets, now)
        return ConsumerGroupDescription(group, result, partitions, rows)

    async def _probe_all(
        self,
        consumer: str,
        partitions: Sequence[ConsumerGroupPartition],
        props: str | None,
        secrets: Sequence[Secret],
        now: datetime,
    ) -> tuple[PartitionTimeLag, ...]:
        rows: list[PartitionTimeLag | None] = [None] * len(partitions)
        limit = asyncio.Semaphore(self.probe_concurrency)

        async def probe(index: int) -> None:
            async with limit:
                rows[index] = await self._probe(consumer, partitions[index], props, secrets, now)

        async with asyncio.TaskGroup() as group:
            for index in range(len(partitions)):
                group.create_task(probe(index))
        return tuple(row for row in rows if row is not None)

    async def _probe(
        self,
        consumer: str,
        part: ConsumerGroupPartition,
        props: str | None,
        secrets: Sequence[Secret],
        now: datetime,
    ) -> PartitionTimeLag:
        if part.log_end_offset == 0:
            return PartitionTimeLag(part.topic, part.partition, None, None, None, "partition empty")
        caught_up = part.current_offset >= part.log_end_offset
        offset = part.log_end_offset - 1 if caught_up else part.current_offset
        note = "caught up; showing last record" if caught_up else ""
        argv = [
            consumer,
            "--bootstrap-server", self.brokers,
            "--topic", part.topic,
            "--partition", str(part.partition),
            "--offset", str(offset),
            "--max-messages", "1",
            "--timeout-ms", str(PROBE_TIMEOUT_MS),
            "--property", "print.timestamp=true",
            "--property", "print.value=false",
            "--property", "print.key=false",
        ]  # fmt: skip
        if props is not None:
            argv += ["--consumer.config", props]
        stamp: int | None = None
        try:
            result = await self.executor.run(
                argv,
                check=False,
                timeout=self.probe_timeout,
                env=self._env(),
                sensitive=secrets,
            )
            stamp, problem = parse_probe(result.stdout, result.stderr)
        except CommandTimeoutError:
            problem = "probe timed out"
        except CommandError as exc:
            problem = f"probe failed: {str(exc)[:120]}"
        if stamp is None:
            why = f"{note}; {problem}" if note else (problem or "unknown error")
            return PartitionTimeLag(part.topic, part.partition, offset, None, None, why)
        written = datetime.fromtimestamp(stamp / 1000, tz=UTC)
        lag = (now.astimezone(UTC) - written).total_seconds()
        return PartitionTimeLag(part.topic, part.partition, offset, written, lag, note)

    # -- dump (Kubernetes): its own module ----------------------------------------------------

    open_topic_dump = open_topic_dump
    dump_topic_records = dump_topic_records

    # -- health ----------------------------------------------------------------------------

    async def check(self) -> str:
        """List the topics (a round trip to the brokers); a one-line summary.

        Raises:
            ToolNotInstalledError: The Kafka tools are not installed ("Kafka tools not
                installed: ...").
            KafkaCommandError: The brokers could not be reached or refused.
            CommandTimeoutError: No answer in time.
        """
        result = await self.list_topics()
        topics = [t for t in result.lines() if not t.startswith("__")]
        return f"{len(topics)} topics on {self.brokers} ({self.auth_kind})"
