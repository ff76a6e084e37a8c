"""The demo's sample data, simulated RFS workers and document mirror, on the fake servers."""

from __future__ import annotations

from collections import Counter

import pytest

from asyncconsole.demo import (
    DOCS_PER_ITEM,
    SAMPLE_INDICES,
    DocumentMirror,
    SimulatedWorkers,
    docker_worker_command,
)
from asyncconsole.demo._sample import sample_documents, work_item_documents, work_item_ids
from asyncconsole.demo._workers import ready_pods, work_item_counts
from asyncconsole.testing import (
    FakeKubernetesApiServer,
    FakeOpenSearchServer,
    WorkItem,
    WorkItemState,
)

SESSION = "t1"
INDEX = f".migrations_working_state_{SESSION}"


def test_every_document_belongs_to_exactly_one_work_item() -> None:
    items = work_item_documents()
    assert list(items) == work_item_ids()
    assert len(items) == 27
    ids = Counter(doc_id for docs in items.values() for doc_id, _ in docs)
    expected = {doc_id for index in SAMPLE_INDICES for doc_id, _ in sample_documents(index)}
    assert set(ids) == expected
    assert set(ids.values()) == {1}
    assert all(0 < len(docs) <= DOCS_PER_ITEM for docs in items.values())
    # deterministic: the same documents every time
    assert list(sample_documents(SAMPLE_INDICES[1])) == list(sample_documents(SAMPLE_INDICES[1]))


def _seed(target: FakeOpenSearchServer, count: int = 10) -> None:
    items = [WorkItem("idx", 0, WorkItemState.UNCLAIMED, n * 100) for n in range(count)]
    target.seed_working_state(items, session=SESSION, started_ago=1.0)


def test_simulated_workers_follow_the_ready_pods() -> None:
    kube = FakeKubernetesApiServer()
    kube.add_deployment("ma", "rfs", replicas=2, labels={"app": "rfs"})
    target = FakeOpenSearchServer()
    _seed(target)
    workers = SimulatedWorkers(
        kube, target, namespace="ma", selector="app=rfs", session=SESSION, items_per_pod_second=1.0
    )
    assert ready_pods(kube, "ma", "app=rfs") == 2
    now = target.clock.now().timestamp()
    assert workers.step(0.4) == 0  # 2 pods x 0.4 s x 1/s: not one item yet
    assert work_item_counts(target, INDEX, now) == (0, 2, 10)  # but each pod holds a lease
    assert workers.step(0.6) == 2
    assert work_item_counts(target, INDEX, now) == (2, 2, 10)
    kube.cluster.set_replicas("ma", "rfs", 0)
    kube.cluster.settle()
    assert workers.step(5.0) == 0  # no pods, no progress
    assert work_item_counts(target, INDEX, now)[0] == 2
    with pytest.raises(ValueError, match="positive"):
        SimulatedWorkers(
            kube, target, namespace="ma", selector="a=b", session="s", items_per_pod_second=0
        )


def test_document_mirror_copies_completed_items_once() -> None:
    target = FakeOpenSearchServer()
    documents = {
        "idx__0__0": [("a", {"n": 1}), ("b", {"n": 2})],
        "idx__0__100": [("c", {"n": 3})],
    }
    _seed(target, 2)
    mirror = DocumentMirror(target, INDEX, documents)
    assert mirror.step() == 0
    target.rfs_complete(1, session=SESSION)
    assert mirror.step() == 2
    assert mirror.step() == 0  # already copied
    assert target.document("idx", "a") == {"n": 1}
    target.rfs_complete(1, session=SESSION)
    assert mirror.step() == 1
    assert len(target.index("idx").docs) == 3
    assert DocumentMirror(target, ".missing", documents).step() == 0


def test_docker_worker_command_leases_then_completes() -> None:
    argv = docker_worker_command("http://127.0.0.1:9200/", "s1", seconds_per_item=0.5)
    assert argv[:2] == ["/bin/sh", "-c"]
    script = argv[2]
    claim = script.index("http://127.0.0.1:9200/_asyncconsole/rfs/claim?count=1&session=s1")
    complete = script.index("http://127.0.0.1:9200/_asyncconsole/rfs/complete?count=1&session=s1")
    assert claim < script.index("sleep 0.50") < complete
    assert "trap 'exit 0' TERM" in script
