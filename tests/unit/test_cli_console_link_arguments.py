"""console_link's command lines parse here: the argument lists upstream console_link's own CLI
tests run (its tests/test_cli.py, 122 invocations, these distinct ones), unchanged.

Parsing is click's part: the options and arguments are known and well formed. What each then
does is tested with the commands (tests/integration/test_cli_console_link_parity.py runs the
new options as processes). Exceptions, each with its reason, are in ``NOT_PARSED``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import click
import pytest

from asyncconsole.cli import CliState, cli

CONFIG = "/config/migration_services.yaml"  # never read: parsing only
TUPLES_IN = "tuples.ndjson"
TUPLES_OUT = "converted.ndjson"

CONSOLE_LINK_ARGUMENT_LISTS: list[list[str]] = [
    ["--config-file", "~/non-existent/file/services.yaml", "clusters", "cat-indices"],
    ["--config-file", CONFIG, "backfill", "describe"],
    ["--config-file", CONFIG, "clusters", "connection-check"],
    ["--config-file", CONFIG, "snapshot", "create"],
    ["--config-file", CONFIG, "clusters", "cat-indices"],
    ["--config-file", CONFIG, "--json", "clusters", "cat-indices"],
    ["--config-file", CONFIG, "clusters", "cat-indices", "--cluster", "proxy"],
    ["clusters", "cat-indices"],
    ["clusters", "cat-indices", "--source", "source2", "--target", "target1"],
    ["clusters", "clear-indices", "--cluster", "source2", "--acknowledge-risk"],
    ["clusters", "clear-indices", "--cluster", "source", "--acknowledge-risk"],
    ["--config-file", CONFIG, "clusters", "connection-check", "--cluster", "proxy"],
    ["--version"],
    [],
    ["--config-file", CONFIG, "clusters", "connection-check", "--cluster", "source"],
    ["--config-file", CONFIG, "clusters", "connection-check", "--cluster", "target"],
    ["--config-file", CONFIG, "clusters", "cat-indices", "--cluster", "source"],
    ["--config-file", CONFIG, "clusters", "cat-indices", "--cluster", "target"],
    ["--config-file", CONFIG, "clusters", "run-test-benchmarks", "--cluster", "source"],
    ["--config-file", CONFIG, "clusters", "run-test-benchmarks"],
    ["--config-file", CONFIG, "clusters", "run-test-benchmarks", "--cluster", "proxy"],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "curl",
        "source",
        "new_index/_doc",
        "-XPOST",
        "--json",
        '{"field": "value"}',
    ],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "curl",
        "target",
        "/_cat/indices",
        "-XGET",
        "-H",
        "user-agent:TestAgent",
    ],
    ["--config-file", CONFIG, "clusters", "curl", "proxy", "/_cat/indices", "-XGET"],
    ["--config-file", CONFIG, "clusters", "curl", "target", "/_cat/indices"],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "curl",
        "source",
        "/new-index",
        "-XPOST",
        "--json",
        '{"field": "value"',
    ],
    ["--config-file", CONFIG, "clusters", "curl", "source", "/new-index", "-H", "key=value"],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "curl",
        "target",
        "/",
        "-H",
        "X-Custom: value",
        "-H",
        "X-Custom: value",
    ],
    ["--config-file", CONFIG, "clusters", "curl", "target", "/", "-X", "HEAD"],
    ["--config-file", CONFIG, "clusters", "curl", "target", "/_cluster/health"],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "generate-data",
        "--cluster",
        "proxy",
        "--index-name",
        "test-index",
        "--num-docs",
        "10",
    ],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "generate-data",
        "--cluster",
        "proxy",
        "--index-name",
        "test-index",
        "--num-docs",
        "50",
    ],
    [
        "--config-file",
        CONFIG,
        "clusters",
        "clear-indices",
        "--cluster",
        "source",
        "--acknowledge-risk",
    ],
    ["--config-file", CONFIG, "clusters", "clear-indices", "--cluster", "source"],
    [
        "--config-file",
        CONFIG,
        "snapshot",
        "create",
        "--extra-flag",
        "--extra-arg",
        "extra-arg-value",
        "this-is-an-option",
    ],
    ["--config-file", CONFIG, "snapshot", "status"],
    ["--config-file", CONFIG, "snapshot", "delete", "--acknowledge-risk"],
    ["--config-file", CONFIG, "snapshot", "delete"],
    ["--config-file", CONFIG, "snapshot", "unregister-repo", "--acknowledge-risk"],
    ["--config-file", CONFIG, "snapshot", "unregister-repo"],
    ["--config-file", CONFIG, "backfill", "start"],
    ["--config-file", CONFIG, "backfill", "pause"],
    ["--config-file", CONFIG, "backfill", "stop"],
    ["--config-file", CONFIG, "backfill", "scale", "3"],
    ["--config-file", CONFIG, "backfill", "scale"],
    ["--config-file", CONFIG, "backfill", "status"],
    ["--config-file", CONFIG, "backfill", "status", "--deep-check"],
    ["--config-file", CONFIG, "--json", "backfill", "status", "--deep-check"],
    ["--config-file", CONFIG, "replay", "describe"],
    ["--config-file", CONFIG, "replay", "start"],
    ["--config-file", CONFIG, "replay", "stop"],
    ["--config-file", CONFIG, "replay", "scale", "5"],
    ["--config-file", CONFIG, "replay", "scale"],
    ["--config-file", CONFIG, "replay", "status"],
    ["--config-file", CONFIG, "metadata", "migrate"],
    ["--config-file", CONFIG, "metadata", "evaluate"],
    ["--config-file", CONFIG, "metrics", "list"],
    ["--config-file", CONFIG, "--json", "metrics", "list"],
    ["--config-file", CONFIG, "metrics", "get-data", "replayer", "kafkaCommitCount"],
    ["--config-file", CONFIG, "--json", "metrics", "get-data", "replayer", "kafkaCommitCount"],
    ["--config-file", CONFIG, "kafka", "create-topic"],
    ["-vv", "--config-file", CONFIG, "kafka", "create-topic", "test"],
    ["-vv", "--config-file", CONFIG, "kafka", "list-topics"],
    ["kafka", "list-topics", "--kafka", "kafka-b"],
    ["kafka", "list-topics"],
    ["-vv", "--config-file", CONFIG, "kafka", "delete-topic", "--acknowledge-risk", "test"],
    ["-vv", "--config-file", CONFIG, "kafka", "describe-consumer-group", "test-group"],
    ["-vv", "--config-file", CONFIG, "kafka", "describe-consumer-group"],
    ["kafka", "describe-consumer-group", "--kafka", "kafka-b"],
    ["kafka", "describe-consumer-group", "--kafka", "default"],
    ["-vv", "--config-file", CONFIG, "kafka", "list-consumer-groups"],
    ["-vv", "--config-file", CONFIG, "kafka", "describe-topic-records", "test"],
    ["-vv", "--config-file", CONFIG, "kafka", "describe-topic-records"],
    ["kafka", "describe-topic-records", "--kafka", "default"],
    ["kafka", "describe-topic-records", "--kafka", "kafka-b"],
    ["--config-file", CONFIG, "completion", "bash"],
    ["--config-file", CONFIG, "tuples", "show", "--in", TUPLES_IN, "--out", TUPLES_OUT],
    ["--config-file", CONFIG, "failed-document-stream", "location"],
    ["--config-file", CONFIG, "failed-document-stream", "location", "--migration", "backfill-1"],
    ["--config-file", CONFIG, "failed-document-stream", "count"],
    ["--config-file", CONFIG, "failed-document-stream", "list"],
    ["--config-file", CONFIG, "--json", "failed-document-stream", "list"],
    ["--config-file", CONFIG, "failed-document-stream", "list", "--limit", "5"],
    ["--config-file", CONFIG, "backfill", "reset"],
    ["--config-file", CONFIG, "backfill", "reset", "--include-failed-document-stream", "--yes"],
    ["--config-file", CONFIG, "backfill", "reset", "--include-failed-document-stream"],
]

NOT_PARSED = {
    # console_link refuses these too: no command, and no UNITS
    (): "Usage: asyncconsole",  # the help, as for console_link
    ("--config-file", CONFIG, "backfill", "scale"): "units",
    ("--config-file", CONFIG, "replay", "scale"): "units",
    # console_link appends these to the Java CreateSnapshot tool's command line; asyncconsole
    # creates snapshots through the _snapshot API: there is no tool to pass them to, and
    # accepting flags that do nothing would hide a mistake (docs/migrating.md)
    (
        "--config-file", CONFIG, "snapshot", "create",
        "--extra-flag", "--extra-arg", "extra-arg-value", "this-is-an-option",
    ): "No such option '--extra-flag'",
}  # fmt: skip


def parse(args: Sequence[str]) -> None:
    """Parse ``args`` down to the command, as running it would, without running it.

    Raises:
        click.ClickException: A usage error.
    """
    with cli.make_context("asyncconsole", list(args), obj=CliState()) as ctx:
        group: click.Command = cli
        current = ctx
        while isinstance(group, click.Group):
            with warnings.catch_warnings():
                # click 8.2+ deprecates protected_args, where 8.1 keeps the command's name
                warnings.simplefilter("ignore", DeprecationWarning)
                words = [*current.protected_args, *current.args]
            if not words:
                raise click.UsageError("Missing command")
            name, command, rest = group.resolve_command(current, words)
            assert name is not None
            assert command is not None
            current = command.make_context(name, rest, parent=current)
            group = command


@pytest.mark.parametrize(
    "args", CONSOLE_LINK_ARGUMENT_LISTS, ids=lambda args: " ".join(args) or "(nothing)"
)
def test_console_link_command_lines_parse(args: list[str]) -> None:
    refused = NOT_PARSED.get(tuple(args))
    if refused is None:
        try:
            parse(args)
        except click.exceptions.Exit:
            pass  # --version
    else:
        with pytest.raises(click.ClickException, match=refused):
            parse(args)


def test_every_exception_is_one_of_the_lists() -> None:
    assert set(NOT_PARSED) <= {tuple(args) for args in CONSOLE_LINK_ARGUMENT_LISTS}
