"""Parsing Kafka tool output: consumer-group describe tables, record-timestamp probes,
GetOffsetShell lines; and rendering the time-lag and record-count tables."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from ._types import ConsumerGroupPartition, PartitionRecords, PartitionTimeLag

__all__ = [
    "NO_OFFSETS_SECTION",
    "format_lag",
    "format_timestamp",
    "parse_consumer_group",
    "parse_offsets",
    "parse_probe",
    "render_records",
    "render_time_lag",
]

_HEADER = ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG")
_TIMESTAMP = re.compile(r"^(CreateTime|LogAppendTime):(-?\d+)\b")
TITLE = "PARTITION TIME LAG"
NO_OFFSETS_SECTION = (
    f"{TITLE}\n  (no committed offsets parsed from the describe output above; nothing to probe)\n"
)
TIME_LAG_HEADERS = ("TOPIC", "PARTITION", "PROBED-OFFSET", "TIMESTAMP (UTC)", "TIME-LAG", "NOTE")
RECORDS_HEADERS = ("TOPIC", "PARTITION", "RECORDS")


def _offset(token: str) -> int | None:
    if token in ("-", ""):
        return None
    try:
        return int(token)
    except ValueError:
        return None


def parse_consumer_group(text: str) -> list[ConsumerGroupPartition]:
    """The partitions of a ``kafka-consumer-groups.sh --describe`` table.

    The header row (with GROUP, TOPIC, PARTITION, CURRENT-OFFSET, LOG-END-OFFSET, LAG, in any
    spacing) gives the columns; rows without a committed or log-end offset (``-``) are
    skipped, as are malformed ones.
    """
    rows: list[ConsumerGroupPartition] = []
    columns: dict[str, int] | None = None
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if columns is None:
            if all(name in tokens for name in _HEADER):
                columns = {name: tokens.index(name) for name in _HEADER}
            continue
        if len(tokens) <= columns["LAG"]:
            continue
        try:
            partition = int(tokens[columns["PARTITION"]])
        except ValueError:
            continue
        current = _offset(tokens[columns["CURRENT-OFFSET"]])
        log_end = _offset(tokens[columns["LOG-END-OFFSET"]])
        if current is None or log_end is None:
            continue
        lag = _offset(tokens[columns["LAG"]])
        rows.append(
            ConsumerGroupPartition(
                group=tokens[columns["GROUP"]],
                topic=tokens[columns["TOPIC"]],
                partition=partition,
                current_offset=current,
                log_end_offset=log_end,
                lag=lag if lag is not None else log_end - current,
            )
        )
    return rows


def parse_probe(stdout: str, stderr: str) -> tuple[int | None, str | None]:
    """``(epoch_ms, None)`` from a console-consumer probe, or ``(None, why not)``."""
    for line in stdout.splitlines():
        match = _TIMESTAMP.match(line.strip())
        if match:
            stamp = int(match.group(2))
            if stamp < 0:  # -1: the record has no timestamp (NoTimestampType)
                return None, "record has no timestamp"
            return stamp, None
    errors = stderr.strip().splitlines()
    if errors:
        return None, f"probe failed: {errors[-1][:120]}"
    return None, "no record returned"


def format_lag(seconds: float) -> str:
    """A duration as ``1d2h3m4s`` (``0s`` for zero, a leading ``-`` when negative)."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(int(abs(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if secs or not parts:
        parts.append(f"{secs}s")
    return sign + "".join(parts)


def format_timestamp(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``: ``2024-01-02T03:04:05.123Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond // 1000:03d}Z"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def render_time_lag(rows: Sequence[PartitionTimeLag]) -> str:
    """The ``PARTITION TIME LAG`` section appended to a consumer-group description."""
    if not rows:
        return NO_OFFSETS_SECTION
    return "\n".join([TITLE, *_table(TIME_LAG_HEADERS, [r.cells() for r in rows]), ""]) + "\n"


def parse_offsets(text: str) -> list[PartitionRecords]:
    """GetOffsetShell's ``topic:partition:offset`` lines (others ignored)."""
    found: list[PartitionRecords] = []
    for line in text.split("\n"):
        if line and line.count(":") == 2:
            topic, partition, records = line.split(":")
            found.append(PartitionRecords(topic, partition.strip(), records.strip()))
    return found


def render_records(rows: Sequence[PartitionRecords]) -> str:
    """console_link's TOPIC/PARTITION/RECORDS table (columns of 30, 10 and 10)."""
    lines = ["{:<30} {:<10} {:<10}".format(*RECORDS_HEADERS)]
    lines += [f"{r.topic:<30} {r.partition:<10} {r.records:<10}" for r in rows]
    return "\n".join(lines) + "\n"
