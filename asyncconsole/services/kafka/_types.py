"""Results of Kafka operations (plain frozen data, JSON shapes, console_link's text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..._display import DisplayMixin, Pre, Table, fields, table

__all__ = [
    "ConsumerGroupDescription",
    "ConsumerGroupPartition",
    "KafkaResult",
    "PartitionRecords",
    "PartitionTimeLag",
    "TopicRecords",
]


@dataclass(frozen=True, slots=True)
class KafkaResult(DisplayMixin):
    """A Kafka CLI command that succeeded (failures raise
    :class:`~asyncconsole.KafkaCommandError`)."""

    operation: str
    """What was done, in console_link's words (``Create Topic``, ``List Topics``...)."""
    argv: tuple[str, ...]
    """The command line as run (secrets masked)."""
    exit_code: int
    """The tool's exit status (0)."""
    stdout: str
    """The tool's standard output."""
    stderr: str = ""
    """The tool's standard error (JVM warnings and the like)."""
    duration: float = 0.0
    """Wall time in seconds."""

    @property
    def output(self) -> str:
        """console_link's value: the output, or ``Command for <operation> completed
        successfully.`` when the tool printed nothing."""
        return self.stdout or f"Command for {self.operation} completed successfully.\n"

    def lines(self) -> list[str]:
        """The non-empty output lines, stripped (topic or group names for the list commands)."""
        return [line.strip() for line in self.stdout.splitlines() if line.strip()]

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``operation``, ``argv``, ``exit_code``, ``output``, ``stderr``,
        ``duration``."""
        return {
            "operation": self.operation,
            "argv": list(self.argv),
            "exit_code": self.exit_code,
            "output": self.output,
            "stderr": self.stderr,
            "duration": self.duration,
        }

    def render(self) -> str:
        """What console_link prints."""
        return self.output

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> Table:
        return fields(
            [
                ("Operation", self.operation),
                ("Exit code", self.exit_code),
                ("Duration", f"{self.duration:.2f} s"),
                ("Output", Pre(self.output.rstrip("\n"))),
            ],
            title="Kafka",
        )


@dataclass(frozen=True, slots=True)
class PartitionRecords:
    """One line of GetOffsetShell: a partition's end offset (its record count)."""

    topic: str
    partition: str
    records: str

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``topic``, ``partition``, ``records`` (numbers when numeric)."""
        return {
            "topic": self.topic,
            "partition": int(self.partition) if self.partition.isdigit() else self.partition,
            "records": int(self.records) if self.records.lstrip("-").isdigit() else self.records,
        }


@dataclass(frozen=True, slots=True)
class TopicRecords(DisplayMixin):
    """The record count of each partition of a topic (``describe-topic-records``)."""

    topic: str
    """The topic asked about."""
    partitions: tuple[PartitionRecords, ...]
    """One row per partition, as GetOffsetShell listed them."""
    result: KafkaResult
    """The raw command result."""

    @property
    def total(self) -> int:
        """Records over all partitions (non-numeric counts ignored)."""
        return sum(int(p.records) for p in self.partitions if p.records.lstrip("-").isdigit())

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``topic``, ``total``, ``partitions`` (list of ``{topic, partition,
        records}``), ``output`` (the table text)."""
        return {
            "topic": self.topic,
            "total": self.total,
            "partitions": [p.to_dict() for p in self.partitions],
            "output": self.render(),
        }

    def render(self) -> str:
        """console_link's TOPIC/PARTITION/RECORDS table."""
        from ._timelag import render_records

        return render_records(self.partitions)

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> Table:
        return table(
            ["topic", "partition", "records"],
            [(p.topic, p.partition, p.records) for p in self.partitions],
            title=f"{self.topic}: {self.total} records",
        )


@dataclass(frozen=True, slots=True)
class ConsumerGroupPartition:
    """One row of ``kafka-consumer-groups.sh --describe`` with committed offsets."""

    group: str
    topic: str
    partition: int
    current_offset: int
    log_end_offset: int
    lag: int

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: the fields by name."""
        return {
            "group": self.group,
            "topic": self.topic,
            "partition": self.partition,
            "current_offset": self.current_offset,
            "log_end_offset": self.log_end_offset,
            "lag": self.lag,
        }


@dataclass(frozen=True, slots=True)
class PartitionTimeLag:
    """How far behind in time a consumer group is on one partition.

    ``timestamp`` is that of the record probed: the next one the group will consume, or the
    last one written when the group has caught up. ``lag_seconds`` is how long ago it was
    written. Both are ``None`` when the partition is empty or the probe failed (``note``
    says why).
    """

    topic: str
    partition: int
    probed_offset: int | None
    timestamp: datetime | None
    lag_seconds: float | None
    note: str = ""

    def cells(self) -> list[str]:
        """The row of the ``PARTITION TIME LAG`` table."""
        from ._timelag import format_lag, format_timestamp

        return [
            self.topic,
            str(self.partition),
            "-" if self.probed_offset is None else str(self.probed_offset),
            "-" if self.timestamp is None else format_timestamp(self.timestamp),
            "-" if self.lag_seconds is None else format_lag(self.lag_seconds),
            self.note,
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``topic``, ``partition``, ``probed_offset``, ``timestamp`` (ISO UTC or
        null), ``time_lag_seconds`` (or null), ``note``."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "probed_offset": self.probed_offset,
            "timestamp": None if self.timestamp is None else self.timestamp.isoformat(),
            "time_lag_seconds": self.lag_seconds,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ConsumerGroupDescription(DisplayMixin):
    """``describe-consumer-group``: the tool's table plus the per-partition time lag."""

    group: str
    """The consumer group."""
    result: KafkaResult
    """The describe command's result (its ``stdout`` is the tool's table, verbatim)."""
    partitions: tuple[ConsumerGroupPartition, ...]
    """The rows with committed offsets, parsed."""
    time_lag: tuple[PartitionTimeLag, ...] | None
    """One row per parsed partition; ``None`` when the time lag was not computed."""
    time_lag_note: str | None = None
    """Why the time lag is missing or partial (e.g. the console consumer is not installed)."""

    @property
    def total_lag(self) -> int:
        """Messages behind over all parsed partitions."""
        return sum(p.lag for p in self.partitions)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``group``, ``total_lag``, ``partitions`` (parsed rows), ``time_lag``
        (rows or null), ``time_lag_note``, ``output`` (the text console_link prints)."""
        return {
            "group": self.group,
            "total_lag": self.total_lag,
            "partitions": [p.to_dict() for p in self.partitions],
            "time_lag": None if self.time_lag is None else [r.to_dict() for r in self.time_lag],
            "time_lag_note": self.time_lag_note,
            "output": self.render(),
        }

    def render(self) -> str:
        """The tool's table, a blank line, then the ``PARTITION TIME LAG`` section."""
        from ._timelag import TITLE, render_time_lag

        base = self.result.output
        if self.time_lag is None:
            if self.time_lag_note is None or not self.result.stdout:
                return base
            return f"{base.rstrip()}\n\n{TITLE}\n  ({self.time_lag_note})\n"
        return f"{base.rstrip()}\n\n{render_time_lag(self.time_lag)}"

    def __str__(self) -> str:
        return self.render()

    def _display_tables(self) -> list[Table]:
        if not self.partitions:  # nothing parsed: the tool's own text
            return [fields([("Output", Pre(self.render().rstrip("\n")))], title=self.group)]
        offsets = table(
            ["topic", "partition", "current offset", "log end offset", "lag"],
            [
                (p.topic, p.partition, p.current_offset, p.log_end_offset, p.lag)
                for p in self.partitions
            ],
            title=f"{self.group}: lag {self.total_lag}",
        )
        if self.time_lag is None:
            note = [fields([("Time lag", self.time_lag_note)])] if self.time_lag_note else []
            return [offsets, *note]
        lag = table(
            ["topic", "partition", "probed offset", "timestamp", "time lag", "note"],
            [row.cells() for row in self.time_lag],
            title="time lag" + (f" ({self.time_lag_note})" if self.time_lag_note else ""),
        )
        return [offsets, lag]
