"""The dashboard in a real browser: headless Chromium drives ``asyncconsole demo --serve``.

The demo runs as its own process (``--no-script``: nothing happens unless the page does it),
exactly as a user starts it; the test reads the printed address with the token, then drives the
whole migration from the page: the overview fills in live, Start and Scale change the backfill
deployment on the fake Kubernetes API server (read back through that server's own API, not the
dashboard's), a POST without the token is refused with 403, the work completes, the clusters
page shows the source and target counts equal, and Stop scales the deployment to 0.

Every wait is for a condition on a generous deadline, never a measured time.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import requests
import yaml

from tests.fixtures.browser import screenshot

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

URL = re.compile(r"(http://127\.0\.0\.1:\d+)/\?token=([A-Za-z0-9_-]+)")
DEPLOYMENT = "/apis/apps/v1/namespaces/ma/deployments/bulk-document-loader"
WAIT = 90.0
T = TypeVar("T")


@dataclass
class RunningDemo:
    """``asyncconsole demo --serve`` in its own process."""

    process: subprocess.Popen[str]
    base_url: str
    token: str
    kube_url: str
    workdir: Path
    output: list[str]

    def replicas(self) -> int:
        """The backfill deployment's desired replicas, read from the fake Kubernetes API."""
        found = requests.get(self.kube_url + DEPLOYMENT, timeout=10).json()
        return int(found["spec"]["replicas"])


def _read_until(process: subprocess.Popen[str], pattern: re.Pattern[str], lines: list[str]) -> Any:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if not selector.select(timeout=1.0):
                if process.poll() is not None:
                    break
                continue
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = pattern.search(line)
            if found:
                return found
    raise AssertionError("the demo printed no dashboard address:\n" + "".join(lines))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[RunningDemo]:
    """``asyncconsole demo --serve --no-script`` on a free port, stopped with Ctrl-C (SIGINT)."""
    workdir = tmp_path / "demo"
    command = [sys.executable, "-m", "asyncconsole.cli", "demo", "--serve", "--no-script"]
    command += ["--no-docker", "--port", "0", "--speed", "4", "--workdir", str(workdir)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400"},  # one address per line, never folded
    )
    output: list[str] = []
    try:
        found = _read_until(process, URL, output)
        kubeconfig = yaml.safe_load((workdir / "kubeconfig").read_text())
        kube_url = kubeconfig["clusters"][0]["cluster"]["server"].rstrip("/")
        yield RunningDemo(process, found.group(1), found.group(2), kube_url, workdir, output)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _until(driver: WebDriver, condition: Callable[[WebDriver], T], what: str) -> T:
    from selenium.webdriver.support.ui import WebDriverWait

    result: T = WebDriverWait(driver, WAIT, poll_frequency=0.2).until(condition, what)
    return result


def _text(driver: WebDriver, css: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def _click(driver: WebDriver, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, element_id).click()


def _post_without_token(driver: WebDriver, path: str, body: dict[str, Any]) -> int:
    """POST from the page itself, as its own code would, but without the token header."""
    status: int = driver.execute_async_script(
        """
        const [path, body, done] = arguments;
        fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                     body: JSON.stringify(body)}).then((r) => done(r.status), () => done(-1));
        """,
        path,
        body,
    )
    return status


def _replicas_become(demo: RunningDemo, wanted: int) -> None:
    deadline = time.monotonic() + WAIT
    while demo.replicas() != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    assert demo.replicas() == wanted


def test_the_page_drives_the_demo_migration(
    demo: RunningDemo, browser: WebDriver, artifacts: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.set_script_timeout(30)
    driver.get(f"{demo.base_url}/?token={demo.token}")
    # the token leaves the address bar at once (kept for this tab only)
    assert "token" not in driver.current_url

    # -- the overview fills in live: every component's row reaches "ok" -----------------------
    components = requests.get(demo.base_url + "/api/session", timeout=10).json()["components"]
    assert set(components) >= {"source_cluster", "target_cluster", "backfill", "replay"}

    def all_ok(d: WebDriver) -> bool:
        statuses = [
            _text(d, f'#overview-table tr[data-component="{name}"] .status') for name in components
        ]
        return statuses == ["ok"] * len(components)

    _until(driver, all_ok, "every component checked ok on the overview")
    screenshot(driver, artifacts, "dashboard-overview")

    # -- backfill: start from the page; the deployment on the fake Kubernetes API follows ----
    assert demo.replicas() == 0
    driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="backfill"]').click()
    _until(driver, lambda d: _text(d, "#backfill-status") == "STOPPED", "the backfill status shown")
    _click(driver, "backfill-start")
    _replicas_become(demo, 2)  # the configured scale
    _until(driver, lambda d: _text(d, "#backfill-status") == "RUNNING", "workers running")

    # -- scale from the page ------------------------------------------------------------------
    units = driver.find_element(By.ID, "backfill-units")
    units.clear()
    units.send_keys("4")
    _click(driver, "backfill-scale")
    _replicas_become(demo, 4)
    _until(driver, lambda d: _text(d, "#backfill-workers").endswith("/ 4"), "4 desired shown")

    # -- a POST without the token is refused, and changes nothing -----------------------------
    assert _post_without_token(driver, "/api/backfill/scale", {"units": 1}) == 403
    assert demo.replicas() == 4
    answer = requests.post(demo.base_url + "/api/backfill/scale", json={"units": 1}, timeout=10)
    assert answer.status_code == 403
    assert answer.json()["error"]["type"] == "Forbidden"
    assert demo.replicas() == 4

    # -- the work completes; the chart has drawn the way there --------------------------------
    _until(driver, lambda d: "Completed" in _text(d, "#backfill-percent"), "the backfill completed")
    assert _text(driver, "#backfill-percent").startswith("100.0%")
    history = requests.get(demo.base_url + "/api/backfill/history", timeout=10).json()
    assert any(p["percentage_completed"] == 100.0 for p in history["points"])
    assert driver.find_elements(By.CSS_SELECTOR, "#backfill-chart canvas")
    screenshot(driver, artifacts, "dashboard-backfill")

    # -- clusters: every index has the same count on both sides -------------------------------
    driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="clusters"]').click()
    _until(
        driver,
        lambda d: "0 indices differ" in _text(d, "#clusters-summary"),
        "source and target equal",
    )
    rows = driver.find_elements(By.CSS_SELECTOR, "#clusters-table tbody tr:not([hidden])")
    assert len(rows) == 4  # the demo's sample indices
    assert not driver.find_elements(By.CSS_SELECTOR, "#clusters-table tr.differs")
    screenshot(driver, artifacts, "dashboard-clusters")

    # -- stop (after the page's confirmation): the deployment goes to 0 -----------------------
    driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="backfill"]').click()
    _click(driver, "backfill-stop")
    driver.switch_to.alert.accept()
    _replicas_become(demo, 0)
    _until(driver, lambda d: _text(d, "#backfill-status") == "STOPPED", "workers stopped")
