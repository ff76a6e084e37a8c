"""FakeOpenSearchServer runs standalone as a process: ``asyncconsole testing opensearch``."""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.request

import pytest

pytestmark = pytest.mark.integration


def fetch(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.loads(reply.read())


async def test_standalone_process_serves_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asyncconsole.cli",
        "testing",
        "opensearch",
        "--working-state",
        "3,2,1",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        body = await asyncio.to_thread(fetch, f"{url}/.migrations_working_state/_count")
        assert body == {
            "count": 7,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        }
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
