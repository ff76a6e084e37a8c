"""Every result a user looks at draws as a rich table and as escaped HTML, secrets masked;
metric series become DataFrames and plots."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from asyncconsole import Environment
from asyncconsole.config import ClusterConfig
from asyncconsole.infra.docker import ContainerInfo, ContainerState
from asyncconsole.infra.ecs import ECSDeployment, ServiceStatus
from asyncconsole.infra.http import FakeHttpClient
from asyncconsole.infra.kubernetes import DeploymentStatus, PodInfo, PodPhase
from asyncconsole.infra.metrics import MetricSeries, Statistic
from asyncconsole.orchestrator import Outcome, OutcomeStatus, Report
from asyncconsole.services.backfill import (
    BackfillOverallStatus,
    BackfillStatus,
    BackfillStatusReport,
    StepState,
)
from asyncconsole.services.clusters import Cluster, ConnectionStatus, IndexInfo
from asyncconsole.services.kafka import (
    ConsumerGroupDescription,
    ConsumerGroupPartition,
    KafkaResult,
    PartitionRecords,
    PartitionTimeLag,
    TopicRecords,
)
from asyncconsole.services.metadata import MetadataResult
from asyncconsole.services.metrics import MetricData, MetricNames, MetricSeriesList
from asyncconsole.services.replay import ReplayStatus, ReplayStatusReport
from asyncconsole.services.snapshot import SnapshotInfo, SnapshotStatus
from asyncconsole.services.workers import WorkerCounts

EVIL = '<script>alert("x")</script> [bold]b[/]'
SECRET = "hunter2"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def shown(obj: Any) -> str:
    console = Console(record=True, width=250, file=io.StringIO())
    console.print(obj)
    return console.export_text()


def _series() -> MetricSeries:
    return MetricSeries(
        "kafkaCommitCount",
        "replayer",
        Statistic.SUM,
        {"pod": EVIL},
        ((T0, 1.0), (T0 + MINUTE, 2.5), (T0 + 3 * MINUTE, 4.0)),
    )


def _kafka(stdout: str) -> KafkaResult:
    return KafkaResult("Describe Group", ("kafka-consumer-groups.sh",), 0, stdout, duration=1.5)


def _the_environment() -> Environment:
    return Environment.from_dict(
        {
            "source_cluster": {
                "endpoint": f"https://user:{SECRET}@source:9200",
                "basic_auth": {"username": EVIL, "password": SECRET},
            },
            "target_cluster": {"endpoint": "https://target:9200", "no_auth": None},
        }
    )


def _environment() -> dict[str, Any]:
    return _the_environment().describe()


def _series_list() -> MetricSeriesList:
    return MetricSeriesList(
        [
            _series(),
            MetricSeries("kafkaSendCount", "captureProxy", Statistic.SUM, {}, ((T0, 7.0),)),
        ]
    )


# (object, texts both renderings must show)
CASES: dict[str, tuple[Callable[[], Any], list[str]]] = {
    "Outcome": (lambda: Outcome(EVIL, OutcomeStatus.FAILED, duration=2.5), ["failed", "2.50 s"]),
    "Report": (
        lambda: Report(
            [Outcome("source", OutcomeStatus.OK, detail=EVIL), Outcome("x", OutcomeStatus.FAILED)],
            title="check",
        ),
        ["source", "ok", "failed", "check"],
    ),
    "ConnectionStatus": (
        lambda: ConnectionStatus(True, EVIL, version="2.15.0", distribution="opensearch"),
        ["Connected", "yes", "2.15.0", "opensearch"],
    ),
    "IndexInfo": (
        lambda: IndexInfo.from_cat({"index": EVIL, "health": "green", "docs.count": "12"}),
        ["health", "green", "docs.count", "12"],
    ),
    "SnapshotStatus": (
        lambda: SnapshotStatus.from_snapshot_info(
            {
                "snapshot": EVIL,
                "state": "IN_PROGRESS",
                "shards_stats": {"total": 4, "done": 1},
                "stats": {
                    "total": {"size_in_bytes": 4 << 20},
                    "processed": {"size_in_bytes": 1 << 20},
                    "start_time_in_millis": 1_700_000_000_000,
                    "time_in_millis": 10_000,
                },
                "indices": {"logs": {"shards_stats": {"total": 4, "done": 1}}},
            }
        ),
        ["Running", "25.00%", "1.000/4.000 MiB", "logs", "in_progress"],
    ),
    "SnapshotInfo": (
        lambda: SnapshotInfo.from_api(
            {"snapshot": EVIL, "state": "SUCCESS", "indices": ["a", "b"], "shards": {"total": 2}}
        ),
        ["SUCCESS", "Indices"],
    ),
    "MetricSeries": (_series, ["timestamp (UTC)", "2026-01-01T00:01:00+00:00", "2.5", "Sum"]),
    "MetricData": (
        lambda: MetricData(
            "replayer",
            EVIL,
            Statistic.AVERAGE,
            30,
            60,
            T0,
            T0 + 30 * MINUTE,
            "FakeMetricsCollector",
            (_series(),),
        ),
        ["Average", "30 minutes", "FakeMetricsCollector", "2.5"],
    ),
    "MetricNames": (
        lambda: MetricNames({"replayer": ["b", EVIL], "captureProxy": ["a"]}),
        ["captureProxy", "replayer"],
    ),
    "WorkerCounts": (
        lambda: WorkerCounts(running=3, pending=1, desired=4),
        ["Running", "Terminating", "3"],
    ),
    "BackfillOverallStatus": (
        lambda: BackfillOverallStatus(
            StepState.RUNNING,
            percentage_completed=40.0,
            eta_ms=3_723_000,
            started=T0,
            shard_total=10,
            shard_complete=4,
            shard_in_progress=2,
            shard_waiting=4,
        ),
        ["Running", "40.00%", "1h 2m 3s", "Waiting shards"],
    ),
    "BackfillStatusReport": (
        lambda: BackfillStatusReport(
            BackfillStatus.RUNNING,
            WorkerCounts(running=2, desired=2),
            "Running=2",
            deep_error=EVIL,
            failed_document_stream_location="s3://bucket/failed/",
            failed_documents_present=None,
        ),
        ["RUNNING", "Deep status unavailable", "s3://bucket/failed/", "unavailable"],
    ),
    "ReplayStatusReport": (
        lambda: ReplayStatusReport(ReplayStatus.STOPPED, WorkerCounts(), EVIL),
        ["STOPPED", "Replay", "Desired"],
    ),
    "KafkaResult": (
        lambda: _kafka(f"topic-a\n{EVIL}\nsasl https://svc:{SECRET}@broker:9098\n"),
        ["Describe Group", "topic-a", "1.50 s", "svc:********@broker"],
    ),
    "TopicRecords": (
        lambda: TopicRecords(
            "logging-traffic-topic",
            (PartitionRecords("logging-traffic-topic", "0", "7"), PartitionRecords(EVIL, "1", "3")),
            _kafka(""),
        ),
        ["logging-traffic-topic: 10 records", "partition"],
    ),
    "ConsumerGroupDescription": (
        lambda: ConsumerGroupDescription(
            "logging-group-default",
            _kafka("GROUP TOPIC ...\n"),
            (ConsumerGroupPartition("logging-group-default", EVIL, 0, 5, 9, 4),),
            (PartitionTimeLag(EVIL, 0, 5, T0, 90.0),),
        ),
        ["lag 4", "log end offset", "time lag", "2026-01-01"],
    ),
    "MetadataResult": (
        lambda: MetadataResult(
            "migrate",
            ("MetadataMigration", "--target-password", "********"),
            0,
            f"{EVIL}\nconnected to https://admin:{SECRET}@target:9200\n",
            duration=3.25,
        ),
        ["metadata migrate", "Command executed successfully", "3.2 s", "admin:********@target"],
    ),
    "DeploymentStatus": (
        lambda: DeploymentStatus("ma", EVIL, desired=2, ready=1, running=1, pending=1),
        ["Settled", "no", "Pending pods", "ma/"],
    ),
    "PodInfo": (
        lambda: PodInfo("ma", EVIL, PodPhase.RUNNING, ready=True, labels={"token": SECRET}),
        ["Phase", "Running", "yes"],
    ),
    "ServiceStatus": (
        lambda: ServiceStatus(
            "cluster",
            EVIL,
            "arn:aws:ecs:service",
            "ACTIVE",
            running=1,
            pending=0,
            desired=2,
            deployments=(ECSDeployment("ecs-svc/1", "PRIMARY", "IN_PROGRESS", 1, 0, 2, "td:1"),),
        ),
        ["ACTIVE", "Stable", "PRIMARY", "IN_PROGRESS", "deployments"],
    ),
    "ContainerInfo": (
        lambda: ContainerInfo(
            "a" * 64,
            EVIL,
            "busybox:1",
            ContainerState.EXITED,
            labels={"token": SECRET},
            exit_code=3,
            command=("worker", "--target-password", SECRET),
        ),
        ["aaaaaaaaaaaa", "busybox:1", "exited", "Exit code"],
    ),
    "Environment.describe": (
        _environment,
        ["source_cluster", "target_cluster", "basic_auth.password", "user:********@source"],
    ),
    # the environment itself (a notebook cell ending in `env`), and get_data()'s result
    "Environment": (
        _the_environment,
        ["not opened", "source_cluster, target_cluster", "user:********@source"],
    ),
    "MetricSeriesList": (
        _series_list,
        ["timestamp (UTC)", "captureProxy/kafkaSendCount", "2.5", "7"],
    ),
}


# no free text to smuggle markup into: counts, enums, numbers
ONLY_NUMBERS = {"BackfillOverallStatus", "ReplayStatusReport", "WorkerCounts"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_renders_to_rich_and_escaped_html(name: str) -> None:
    make, expected = CASES[name]
    obj = make()
    text = shown(obj)
    page = obj._repr_html_()
    assert page.startswith("<table")
    for needle in expected:
        assert needle in text, (needle, text)
        assert needle in page, (needle, page)
    assert "<script>" not in page
    if name not in ONLY_NUMBERS:
        assert "[bold]b[/]" in text  # values are never read as rich markup
        assert "&lt;script&gt;" in page
    assert SECRET not in text
    assert SECRET not in page


async def test_lists_of_results_draw_as_one_table() -> None:
    http = FakeHttpClient(base_url="http://os.test:9200")
    http.route(
        "GET",
        "/_cat/indices/_all",
        json=[{"index": "logs", "health": "green"}, {"index": EVIL, "health": "red"}],
    )
    cluster = Cluster(
        ClusterConfig(endpoint="http://os.test:9200", no_auth=None), http, name="source"
    )
    rows = await cluster.cat_indices()
    assert [r.index for r in rows] == ["logs", EVIL]
    page = rows._repr_html_()  # type: ignore[attr-defined]
    assert page.count("<table>") == 1
    assert page.count("<tr>") == 3  # heading and two indices
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    text = shown(rows)
    assert "logs" in text
    assert "[bold]b[/]" in text


def test_backfill_report_includes_the_work_items_when_deep() -> None:
    deep = BackfillOverallStatus(StepState.COMPLETED_WITH_ERRORS, percentage_completed=100.0)
    report = BackfillStatusReport(BackfillStatus.STOPPED, WorkerCounts(), "", deep=deep)
    page = report._repr_html_()
    assert "CompletedWithErrors" in page
    assert "color: #9a6700" in page  # a warning, not a success
    assert '<progress value="100.0"' in page
    initializing = BackfillOverallStatus(StepState.RUNNING)
    assert initializing.initializing
    assert "initializing" in shown(initializing)


# -- metric series as data ------------------------------------------------------------------


def test_series_to_dataframe_has_a_utc_index_and_the_values() -> None:
    frame = _series().to_dataframe()
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "timestamp"
    assert list(frame.index) == [T0, T0 + MINUTE, T0 + 3 * MINUTE]
    (column,) = frame.columns
    assert column == f"replayer/kafkaCommitCount{{pod={EVIL}}}"
    assert frame[column].tolist() == [1.0, 2.5, 4.0]
    assert str(frame[column].dtype) == "float64"


def test_series_plot_returns_axes() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    try:
        axes = _series().plot()
        assert isinstance(axes, Axes)
        (line,) = axes.get_lines()
        ydata: Any = line.get_ydata()
        assert list(ydata) == [1.0, 2.5, 4.0]
        _fig, own = plt.subplots()
        assert _series().plot(ax=own, title="mine") is own
        assert own.get_title() == "mine"
    finally:
        plt.close("all")


@pytest.mark.parametrize(("blocked", "call"), [("pandas", "to_dataframe"), ("matplotlib", "plot")])
def test_missing_notebook_extra_is_named(
    monkeypatch: pytest.MonkeyPatch, blocked: str, call: str
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)  # import of it now fails
    with pytest.raises(ImportError, match=r"asyncconsole\[notebook\]"):
        getattr(_series(), call)()


def test_series_html_keeps_its_shape_through_the_shared_renderer() -> None:
    page = _series()._repr_html_()
    assert page.startswith('<table class="asyncconsole-metrics"><caption>Sum per period</caption>')
    assert "<td>2026-01-01T00:03:00+00:00</td><td>4</td>" in page


def test_describe_is_still_plain_json_data() -> None:
    data = _environment()
    assert isinstance(data, dict)
    assert json.loads(json.dumps(data))["source_cluster"]["basic_auth"]["password"] == "********"
