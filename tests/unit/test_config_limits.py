"""Config loading stays linear and bounded; a password inside a URL never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncconsole import ConfigError
from asyncconsole.config import MigrationConfig, load_config
from asyncconsole.config._load import load_mapping

URL = "https://admin:hunter2@search.example:9200"


def _bad_items(n: int) -> dict[str, object]:
    # Every item of the list is wrong in its own place: n distinct issues to report.
    return {"metadata_migration": {"from_snapshot": None, "index_allowlist": [1] * n}}


def test_many_bad_items_are_reported_in_linear_time() -> None:
    # 32,000 bad list items took 59 s (issues were de-duplicated pairwise); 1e6 never ended.
    # The guard is pytest's own timeout: the pairwise step alone would take minutes here.
    with pytest.raises(ConfigError) as caught:
        load_mapping(_bad_items(50_000))
    error = caught.value
    listed = {issue.path for issue in error.issues}
    assert {f"metadata_migration.index_allowlist[{i}]" for i in range(50_000)} <= listed
    # The message lists a bounded number of them, and says how many more there are.
    assert len(str(error).splitlines()) < 120
    assert "more" in str(error)


def test_an_endless_file_is_refused_not_read_forever() -> None:
    with pytest.raises(ConfigError, match="larger than"):
        load_config("/dev/zero")


def test_a_large_file_names_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (17 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError, match="larger than 16 MiB"):
        load_config(big)


def test_a_password_in_an_endpoint_never_shows() -> None:
    config = MigrationConfig.from_dict(
        {
            "source_cluster": {"endpoint": URL, "no_auth": None},
            "metrics_source": {"prometheus": {"endpoint": "http://u:pw0rd@prom:9090"}},
        }
    )
    for shown in (
        repr(config),
        str(config),
        repr(config.source_cluster),
        str(config.to_dict()),
        config.to_yaml(),
    ):
        assert "hunter2" not in shown
        assert "pw0rd" not in shown
    assert config.to_dict()["source_cluster"]["endpoint"] == (
        "https://admin:********@search.example:9200"
    )
    assert config.source_cluster is not None
    assert config.source_cluster.endpoint == URL  # what the SDK connects with
    revealed = config.to_dict(reveal_secrets=True)
    assert revealed["source_cluster"]["endpoint"] == URL
    assert MigrationConfig.from_dict(revealed) == config
