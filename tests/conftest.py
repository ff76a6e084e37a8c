"""Root conftest: fixture plugins for each real peer live in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.peers",
    "tests.fixtures.moto",
    "tests.fixtures.commands",
    "tests.fixtures.docker",
    "tests.fixtures.kube",
    "tests.fixtures.prometheus",
    "tests.fixtures.http_servers",
    "tests.fixtures.opensearch",
]
