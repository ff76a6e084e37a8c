"""MetadataMigration through SubprocessExecutor with stand-in tool scripts: real streaming,
masking of the password in argv and output, the run-time download directory, failures and
timeouts."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from asyncconsole import CommandTimeoutError
from asyncconsole._errors import MetadataMigrationError, ToolNotInstalledError
from asyncconsole.config import MigrationConfig
from asyncconsole.infra.commands import OutputLine, SubprocessExecutor
from asyncconsole.infra.http import FakeHttpClient
from asyncconsole.services.clusters import Cluster
from asyncconsole.services.metadata import MetadataMigration

pytestmark = pytest.mark.integration

ECHO_TOOL = """#!/bin/sh
prev=""
for a in "$@"; do
  echo "arg=$a"
  if [ "$prev" = "--local-dir" ] && [ -d "$a" ]; then echo "local dir is ready"; fi
  prev="$a"
done
echo "a warning" >&2
exit "${STANDIN_EXIT:-0}"
"""

DOC: dict[str, Any] = {
    "source_cluster": {"endpoint": "https://s:9200", "no_auth": None, "version": "ES_7.10"},
    "target_cluster": {
        "endpoint": "https://t:9200",
        "basic_auth": {"username": "admin", "password": "hunter2-secret"},
    },
    "metadata_migration": {
        "from_snapshot": {
            "snapshot_name": "snap",
            "s3": {"repo_uri": "s3://b/p", "aws_region": "r"},
        }
    },
}


def _tool(directory: Path, body: str) -> Path:
    path = directory / "MetadataMigration"
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _entries(path: Path) -> list[Path]:
    return list(path.iterdir())


def _build(tool: Path, tmp: Path, **kwargs: Any) -> MetadataMigration:
    config = MigrationConfig.from_dict(DOC)
    assert config.target_cluster is not None
    assert config.metadata_migration is not None
    assert config.source_cluster is not None
    return MetadataMigration(
        config.metadata_migration,
        target=Cluster(config.target_cluster, FakeHttpClient(), name="target"),
        source=Cluster(config.source_cluster, FakeHttpClient(), name="source"),
        snapshot=None,
        executor=SubprocessExecutor(),
        tool_path=str(tool),
        temp_root=str(tmp),
        **{"environ": {}, **kwargs},
    )


async def test_streams_real_output_with_the_password_masked(tmp_path: Path) -> None:
    tool = _tool(tmp_path, ECHO_TOOL)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    mm = _build(tool, downloads)
    seen: list[OutputLine] = []

    result = await mm.migrate(["--verbose"], on_line=seen.append)

    stdout = [line.text for line in seen if line.stream == "stdout"]
    assert stdout[:2] == ["arg=migrate", "arg=--snapshot-name"]
    assert "arg=hunter2-secret" not in stdout
    assert "arg=********" in stdout
    assert "local dir is ready" in stdout
    assert stdout[-1] == "arg=--verbose"
    assert [line.text for line in seen if line.stream == "stderr"] == ["a warning"]
    assert result.output == "".join(f"{text}\n" for text in stdout)
    assert "hunter2" not in result.output + " ".join(result.argv)
    assert result.argv[result.argv.index("--target-password") + 1] == "********"
    assert _entries(downloads) == []  # the run-time directory is gone


async def test_failure_carries_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_EXIT", "4")
    mm = _build(_tool(tmp_path, ECHO_TOOL), tmp_path)
    with pytest.raises(MetadataMigrationError) as caught:
        await mm.evaluate()
    assert caught.value.exit_code == 4
    assert "arg=evaluate" in caught.value.stdout
    assert "hunter2" not in caught.value.stdout + str(caught.value)
    assert caught.value.stderr == "a warning\n"


async def test_timeout_stops_a_hung_tool(tmp_path: Path) -> None:
    mm = _build(_tool(tmp_path, "#!/bin/sh\necho started\nexec sleep 30\n"), tmp_path, timeout=0.5)
    with pytest.raises(CommandTimeoutError) as caught:
        await mm.migrate()
    assert caught.value.stdout == "started\n"


async def test_missing_tool(tmp_path: Path) -> None:
    mm = _build(tmp_path / "absent", tmp_path)
    with pytest.raises(ToolNotInstalledError, match="MetadataMigration tool not installed"):
        await mm.migrate()
    with pytest.raises(ToolNotInstalledError, match="does not exist"):
        await mm.check()
