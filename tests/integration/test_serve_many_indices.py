"""10,000 indices stay readable: the API pages, filters and sorts them on the server, and the
page (in headless Chromium) shows 100 rows at a time in the same 100 row elements, which a
new state updates in place instead of rebuilding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests

from asyncconsole import Environment
from asyncconsole.serve import DashboardServer, DashboardSettings
from asyncconsole.testing import FakeOpenSearchServer
from tests.fixtures.browser import screenshot
from tests.unit.test_cli_support import LoopThread

if TYPE_CHECKING:
    from pathlib import Path

    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

INDICES = 10_000
MISSING_ON_TARGET = 10  # the last ten are not on the target
DASH = "\u2013"  # the page writes ranges with an en dash
DIFFERENT = 5  # indices 0..4 have 3 documents on the source, none on the target


@dataclass
class Many:
    loop: LoopThread
    source: FakeOpenSearchServer
    target: FakeOpenSearchServer
    server: DashboardServer

    def comparison(self, **params: Any) -> dict[str, Any]:
        answer = requests.get(
            self.server.base_url + "/api/clusters/comparison", params=params, timeout=60
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def _name(i: int) -> str:
    return f"index-{i:05d}"


@pytest.fixture(scope="module")
def many() -> Iterator[Many]:
    loop = LoopThread()
    source = loop.run(FakeOpenSearchServer().open())
    target = loop.run(FakeOpenSearchServer().open())

    def fill() -> None:
        for i in range(INDICES):
            docs = [{"n": n} for n in range(3)] if i < DIFFERENT else []
            source.create_index(_name(i), docs, replicas=0)
            if i < INDICES - MISSING_ON_TARGET:
                target.create_index(_name(i), replicas=0)

    loop.call(fill)
    env = Environment.from_dict(
        {
            "source_cluster": {"endpoint": source.url, "no_auth": None},
            "target_cluster": {"endpoint": target.url, "no_auth": None},
        }
    )
    loop.run(env.open())
    settings = DashboardSettings(intervals={"clusters": 0.5, "overview": 30.0})
    server = loop.run(DashboardServer(env, settings).open())
    try:
        yield Many(loop, source, target, server)
    finally:
        for resource in (server, env, target, source):
            loop.run(resource.aclose())
        loop.close()


def test_the_api_pages_filters_and_sorts_on_the_server(many: Many) -> None:
    first = many.comparison(limit=100)
    assert (first["total"], len(first["rows"])) == (INDICES, 100)
    assert first["rows"][0]["index"] == _name(0)
    assert first["summary"]["indices"] == INDICES
    assert first["summary"]["target_indices"] == INDICES - MISSING_ON_TARGET
    assert first["summary"]["differences"] == MISSING_ON_TARGET + DIFFERENT
    last = many.comparison(offset=9_950, limit=100)
    assert len(last["rows"]) == 50
    assert last["rows"][-1] == {
        "index": _name(INDICES - 1),
        "source": 0,
        "target": None,
        "difference": 0,
        "differs": True,
    }
    only = many.comparison(only_differences="true", limit=1000)
    assert only["total"] == MISSING_ON_TARGET + DIFFERENT
    biggest = many.comparison(sort="difference", limit=DIFFERENT)
    assert {row["index"] for row in biggest["rows"]} == {_name(i) for i in range(DIFFERENT)}
    assert all(row["difference"] == 3 for row in biggest["rows"])
    found = many.comparison(q="index-0999")
    assert found["total"] == 10


def test_the_page_shows_10000_indices_a_page_at_a_time(
    many: Many, browser: WebDriver, artifacts: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def text(css: str) -> str:
        return str(browser.find_element(By.CSS_SELECTOR, css).text)

    def wait(condition: Any, what: str) -> None:
        WebDriverWait(browser, 90, poll_frequency=0.2).until(condition, what)

    browser.get(f"{many.server.url}#/clusters")
    wait(lambda _d: text("#clusters-range") == f"1{DASH}100 of 10,000", "the first page")
    rows = browser.find_elements(By.CSS_SELECTOR, "#clusters-table tbody tr")
    assert len(rows) == 100  # one element per slot, never one per index
    assert "5 differ" not in text("#clusters-summary")
    assert "15 indices differ" in text("#clusters-summary")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#clusters-table tr.differs")) == DIFFERENT

    # a new state updates the rows in place: the marked element is still the first row
    first = rows[0]
    browser.execute_script("arguments[0].dataset.marker = 'kept';", first)
    many.loop.call(lambda: many.target.bulk_load(_name(0), [{"n": n} for n in range(3)]))
    wait(lambda _d: first.find_elements(By.CSS_SELECTOR, "td")[2].text == "3", "the new count")
    assert first.get_attribute("data-marker") == "kept"
    assert "14 indices differ" in text("#clusters-summary")
    screenshot(browser, artifacts, "dashboard-clusters-10000")

    # the next page reuses the same elements
    browser.find_element(By.ID, "clusters-next").click()
    wait(lambda _d: text("#clusters-range") == f"101{DASH}200 of 10,000", "the second page")
    assert first.get_attribute("data-marker") == "kept"
    assert first.find_elements(By.CSS_SELECTOR, "td")[0].text == _name(100)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#clusters-table tbody tr")) == 100

    # filtering is the server's: ten rows shown, the other slots hidden
    box = browser.find_element(By.ID, "clusters-filter")
    box.send_keys("index-0999")
    wait(lambda _d: text("#clusters-range") == f"1{DASH}10 of 10", "the filtered rows")
    shown = browser.find_elements(By.CSS_SELECTOR, "#clusters-table tbody tr:not([hidden])")
    assert [row.find_elements(By.CSS_SELECTOR, "td")[0].text for row in shown] == [
        _name(i) for i in range(9_990, 10_000)
    ]
