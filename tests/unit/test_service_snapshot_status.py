"""Snapshot progress maths: the reference's table (§9 item 19), worked example (§3.2), bug fixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asyncconsole.services.snapshot import SnapshotState, SnapshotStatus, format_duration

GIB = 1 << 30
MIB = 1 << 20
START = 1719343996753


def _bytes(
    incremental: int, processed: int | None, *, total: int | None = None, ms: int = 60_000
) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "incremental": {"size_in_bytes": incremental},
        "total": {"size_in_bytes": incremental if total is None else total},
        "start_time_in_millis": START,
        "time_in_millis": ms,
    }
    if processed is not None:
        stats["processed"] = {"size_in_bytes": processed}
    return stats


# (case, info, status, percentage, eta_ms)
TABLE: list[tuple[str, dict[str, Any], SnapshotState, float, float | None]] = [
    (
        "opensearch bytes 512 MiB of 1 GiB at 60 s",
        {
            "state": "IN_PROGRESS",
            "shards_stats": {"total": 10, "done": 2, "failed": 0},
            "stats": _bytes(GIB, 512 * MIB),
        },
        SnapshotState.RUNNING,
        50.0,
        60_000.0,
    ),
    (
        "es 7.8 shards 50 of 100 at 60 s",
        {
            "state": "IN_PROGRESS",
            "shards_stats": {"total": 100, "done": 50, "failed": 0},
            "start_time_in_millis": START,
            "time_in_millis": 60_000,
        },
        SnapshotState.RUNNING,
        50.0,
        60_000.0,
    ),
    (
        "es before 7.8 shards 25 of 100 at 30 s",
        {
            "state": "IN_PROGRESS",
            "shards": {"total": 100, "successful": 25, "failed": 0},
            "start_time_in_millis": START,
            "time_in_millis": 30_000,
        },
        SnapshotState.RUNNING,
        25.0,
        90_000.0,
    ),
    (
        "success is 100 % with ETA 0",
        {
            "state": "SUCCESS",
            "shards_stats": {"total": 100, "done": 50, "failed": 0},
            "time_in_millis": 60_000,
        },
        SnapshotState.COMPLETED,
        100.0,
        0.0,
    ),
    (
        "failed keeps percentage and ETA",
        {
            "state": "FAILED",
            "shards_stats": {"total": 100, "done": 50, "failed": 0},
            "time_in_millis": 60_000,
        },
        SnapshotState.FAILED,
        50.0,
        60_000.0,
    ),
    (
        "partial is failed at 100 % without ETA",
        {
            "state": "PARTIAL",
            "shards_stats": {"total": 100, "done": 75, "failed": 25},
            "time_in_millis": 60_000,
        },
        SnapshotState.FAILED,
        100.0,
        None,
    ),
    (
        "zero totals are 0 % without ETA",
        {
            "state": "IN_PROGRESS",
            "shards_stats": {"total": 0, "done": 0, "failed": 0},
            "time_in_millis": 60_000,
        },
        SnapshotState.RUNNING,
        0.0,
        None,
    ),
    (
        "missing fields are running at 0 %",
        {"state": "IN_PROGRESS"},
        SnapshotState.RUNNING,
        0.0,
        None,
    ),
    ("no state yet is running at 0 %", {}, SnapshotState.RUNNING, 0.0, None),
    (
        "bytes take precedence over shards",
        {
            "state": "IN_PROGRESS",
            "shards_stats": {"total": 100, "done": 90, "failed": 0},
            "stats": _bytes(4 * MIB, MIB, ms=30_000),
        },
        SnapshotState.RUNNING,
        25.0,
        90_000.0,
    ),
    (
        "incremental bytes are the work (issue #1687): done incremental snapshot is 100 %",
        {
            "state": "IN_PROGRESS",
            "shards_stats": {"total": 5, "done": 4, "failed": 0},
            "stats": _bytes(16 * MIB, None, total=100 * MIB),
        },
        SnapshotState.RUNNING,
        100.0,
        None,
    ),
    (
        "processed present and 0 is 0 % (console_link read 100 %)",
        {"state": "IN_PROGRESS", "stats": _bytes(GIB, 0)},
        SnapshotState.RUNNING,
        0.0,
        None,
    ),
    (
        "no incremental bytes: total bytes are the work",
        {"state": "IN_PROGRESS", "stats": _bytes(0, 256 * MIB, total=GIB)},
        SnapshotState.RUNNING,
        25.0,
        180_000.0,
    ),
]


@pytest.mark.parametrize(
    ("info", "status", "percentage", "eta"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_progress_table(
    info: dict[str, Any], status: SnapshotState, percentage: float, eta: float | None
) -> None:
    result = SnapshotStatus.from_snapshot_info(info)
    assert result.status is status
    assert result.percentage_completed == pytest.approx(percentage)
    if eta is None:
        assert result.eta_ms is None
    else:
        assert result.eta_ms == pytest.approx(eta)


def test_unknown_state_is_failed_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    result = SnapshotStatus.from_snapshot_info({"state": "ABORTED"})
    assert result.status is SnapshotState.FAILED
    assert "ABORTED" in caplog.text


def worked_example() -> dict[str, Any]:
    return {
        "snapshot": "rfs-snapshot",
        "state": "SUCCESS",
        "shards_stats": {
            "initializing": 0,
            "started": 0,
            "finalizing": 0,
            "done": 304,
            "failed": 0,
            "total": 304,
        },
        "stats": {
            "incremental": {"file_count": 1500, "size_in_bytes": 67108864},
            "total": {"file_count": 1500, "size_in_bytes": 67108864},
            "start_time_in_millis": START,
            "time_in_millis": 79426,
        },
        "indices": {
            "geonames": {
                "shards_stats": {"done": 300, "failed": 0, "total": 300},
                "stats": {"total": {"size_in_bytes": 60000000}},
                "shards": {str(i): {} for i in range(300)},
            },
            "logs.2024": {
                "shards_stats": {"done": 4, "failed": 0, "total": 4},
                "stats": {"total": {"size_in_bytes": 7108864}},
                "shards": {str(i): {} for i in range(4)},
            },
        },
    }


def test_worked_example_renders_console_link_lines() -> None:
    result = SnapshotStatus.from_snapshot_info(worked_example())
    text = result.render()
    lines = text.splitlines()
    assert lines[0] == "Snapshot status: SUCCESS"
    assert lines[1].startswith("Start time: 2024-06-2")
    assert "Percent completed: 100.00%" in lines
    assert "Estimated time to completion: 0h 0m 0s" in lines
    assert "Data processed: 64.000/64.000 MiB" in lines
    assert "Total shards: 304" in lines
    assert "Successful shards: 304" in lines
    assert "N/A" not in text
    # 64 MiB in 79.426 s: shown once in MiB/s (console_link divided by 2^20 twice and showed 0.000).
    assert "Throughput: 0.806 MiB/sec" in lines
    assert result.data_throughput_bytes_avg_sec == pytest.approx(67108864 / 79.426)
    utc = result.render(tz=UTC).splitlines()
    assert utc[1] == "Start time: 2024-06-25 19:33:16"
    assert utc[2] == "Finished time: 2024-06-25 19:34:36"
    assert [i.to_dict() for i in result.indexes] == [
        {
            "name": "geonames",
            "status": "completed",
            "shard_count": 300,
            "document_count": None,  # _status has none; deep_status() reads the source's
            "size_bytes": 60000000,
        },
        {
            "name": "logs.2024",
            "status": "completed",
            "shard_count": 4,
            "document_count": None,
            "size_bytes": 7108864,
        },
    ]


def test_document_counts_are_the_ones_given() -> None:
    result = SnapshotStatus.from_snapshot_info(worked_example(), document_counts={"geonames": 5})
    assert [(i.name, i.document_count) for i in result.indexes] == [
        ("geonames", 5),
        ("logs.2024", None),
    ]


def test_to_dict_shape() -> None:
    data = SnapshotStatus.from_snapshot_info(worked_example()).to_dict()
    assert data["status"] == "Completed"
    assert data["state"] == "SUCCESS"
    assert data["percentage_completed"] == 100.0
    assert data["eta_ms"] == 0.0
    assert data["started"] == "2024-06-25T19:33:16.753000+00:00"
    assert data["finished"] == "2024-06-25T19:34:36.179000+00:00"
    assert data["data_total_bytes"] == data["data_processed_bytes"] == 67108864
    assert data["shard_total"] == data["shard_complete"] == 304
    assert len(data["indexes"]) == 2


def test_finished_only_when_finished_and_elapsed_from_now() -> None:
    info = {
        "state": "IN_PROGRESS",
        "start_time_in_millis": START,
        "shards": {"total": 4, "successful": 1, "failed": 0},
    }
    now = datetime.fromtimestamp(START / 1000, tz=UTC) + timedelta(seconds=30)
    running = SnapshotStatus.from_snapshot_info(info, now=now)
    assert running.finished is None
    assert running.elapsed_ms == 30_000
    assert running.eta_ms == pytest.approx(90_000)
    assert "Finished time: N/A" in running.render()
    done = SnapshotStatus.from_snapshot_info(
        {**info, "state": "SUCCESS", "end_time_in_millis": START + 5000}
    )
    assert done.finished == datetime.fromtimestamp((START + 5000) / 1000, tz=UTC)


def test_missing_byte_stats_fall_back_to_shards_without_crashing() -> None:
    info = {
        "state": "IN_PROGRESS",
        "shards_stats": {"total": 8, "done": 2, "failed": 0},
        "stats": {"start_time_in_millis": START, "time_in_millis": 10_000},
    }
    result = SnapshotStatus.from_snapshot_info(info)
    assert result.percentage_completed == pytest.approx(25.0)
    assert result.data_total_bytes is None
    assert result.throughput_mib_per_sec is None
    text = result.render(tz=UTC)
    assert "Data processed: unknown" in text
    assert "Throughput: unknown" in text
    assert "Estimated time to completion: 0h 0m 30s" in text
    assert "<progress" in result._repr_html_()


def test_basic_info_index_list() -> None:
    result = SnapshotStatus.from_snapshot_info({"state": "IN_PROGRESS", "indices": ["b", "a"]})
    assert [(i.name, i.status) for i in result.indexes] == [
        ("a", "not_started"),
        ("b", "not_started"),
    ]


@pytest.mark.parametrize(
    ("ms", "text"),
    [(None, "N/A"), (0, "0h 0m 0s"), (61_000, "0h 1m 1s"), (3_725_400, "1h 2m 5s")],
)
def test_format_duration(ms: float | None, text: str) -> None:
    assert format_duration(ms) == text
