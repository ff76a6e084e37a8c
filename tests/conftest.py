"""Root conftest: fixture plugins for each real peer live in tests/fixtures/."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.peers",
    "tests.fixtures.moto",
    "tests.fixtures.commands",
    "tests.fixtures.docker",
    "tests.fixtures.kube",
    "tests.fixtures.prometheus",
    "tests.fixtures.http_servers",
    "tests.fixtures.opensearch",
    "tests.fixtures.browser",
]


@pytest.fixture(autouse=True, scope="session")
def _shared_logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Backfill archives default to ``$SHARED_LOGS_DIR_PATH``: keep them out of the checkout.

    Set for the whole session so CLI subprocesses started by tests inherit it too.
    """
    path = tmp_path_factory.mktemp("shared-logs")
    old = os.environ.get("SHARED_LOGS_DIR_PATH")
    os.environ["SHARED_LOGS_DIR_PATH"] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("SHARED_LOGS_DIR_PATH", None)
        else:
            os.environ["SHARED_LOGS_DIR_PATH"] = old


@pytest.fixture(autouse=True)
def _restore_asyncconsole_logger() -> Iterator[None]:
    """The CLI configures the ``asyncconsole`` logger (level, handler) when a test invokes it
    in-process; restore it so later tests' ``caplog`` sees what they log."""
    import logging

    logger = logging.getLogger("asyncconsole")
    level, handlers, propagate = logger.level, list(logger.handlers), logger.propagate
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    logger.propagate = propagate
