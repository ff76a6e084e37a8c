"""asyncconsole.config errors: one ConfigError listing every problem with its key path and
console_link's exact messages; secrets never echoed; file and YAML problems named."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from asyncconsole import ConfigError, ConfigIssue, Secret
from asyncconsole.config import BasicAuthConfig, MigrationConfig, load_config

DATA = Path(__file__).resolve().parent.parent / "data"
INVALID = DATA / "invalid"

NEITHER = (
    "Must provide either (username + password) or a secret (user_secret_arn or k8s_secret_name)"
)
BOTH = "Cannot provide both (username + password) and a secret (user_secret_arn or k8s_secret_name)"
NO_VERSION = (
    "A version field in the source_cluster object, or source_cluster_version in the metadata "
    'object is required to perform metadata migrations e.g. version: "ES_6.8" '
)


def issues_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        MigrationConfig.from_yaml(textwrap.dedent(text))
    assert str(caught.value).startswith("Invalid configuration")
    for issue in caught.value.issues:
        assert isinstance(issue, ConfigIssue)
        assert "pydantic" not in issue.message
        assert "errors.pydantic.dev" not in issue.message
    return [str(issue) for issue in caught.value.issues]


CASES: list[tuple[str, str, list[str]]] = [
    (
        "unknown auth block",  # reference §1.3's example payload
        "target_cluster: {endpoint: 'http://t', invalid_authorization: {}}",
        [
            "target_cluster: No values are present from set: ['basic_auth', 'no_auth', 'sigv4']",
            "target_cluster.invalid_authorization: unknown field",
        ],
    ),
    (
        "two auth blocks",
        "target_cluster: {endpoint: 'http://t', no_auth: , sigv4: }",
        ["target_cluster: More than one value is present: ['no_auth', 'sigv4']"],
    ),
    (
        "missing auth",
        "source_cluster: {endpoint: 'http://s'}",
        ["source_cluster: No values are present from set: ['basic_auth', 'no_auth', 'sigv4']"],
    ),
    (
        "missing endpoint",
        "target_cluster: {no_auth: }",
        ["target_cluster.endpoint: field required"],
    ),
    (
        "basic auth with password and secret",
        "target_cluster: {endpoint: http://e, basic_auth: {username: u, password: p, user_secret_arn: a}}",
        [f"target_cluster.basic_auth: {BOTH}"],
    ),
    (
        "basic auth with only a username",
        "target_cluster: {endpoint: http://e, basic_auth: {username: u}}",
        [f"target_cluster.basic_auth: {NEITHER}"],
    ),
    (
        "empty basic auth",
        "target_cluster: {endpoint: http://e, basic_auth: }",
        [f"target_cluster.basic_auth: {NEITHER}"],
    ),
    (
        "basic auth with an empty password",
        "target_cluster: {endpoint: http://e, basic_auth: {username: u, password: ''}}",
        ["target_cluster.basic_auth: Both username and password must be non-empty"],
    ),
    (
        "basic auth with two secret references",
        "target_cluster: {endpoint: http://e, basic_auth: {user_secret_arn: a, k8s_secret_name: k}}",
        ["target_cluster.basic_auth: Only one secret reference can be provided"],
    ),
    (
        "proxy on the target",
        "target_cluster: {endpoint: http://e, no_auth: , proxy: {endpoint: http://p}}",
        ["target_cluster.proxy: unknown field"],
    ),
    (
        "proxy without endpoint",
        "source_cluster: {endpoint: http://e, no_auth: , proxy: {name: p}}",
        ["source_cluster.proxy.endpoint: field required"],
    ),
    (
        "empty cloudwatch block",  # console_link accepted it and failed on first use
        "metrics_source: {cloudwatch: }",
        ["metrics_source.cloudwatch.qualifier: field required"],
    ),
    (
        "two metrics sources",
        "metrics_source: {cloudwatch: {qualifier: q}, prometheus: {endpoint: http://p}}",
        ["metrics_source: More than one value is present: ['cloudwatch', 'prometheus']"],
    ),
    (
        "backfill without a target",
        "backfill: {reindex_from_snapshot: {docker: }}",
        ["backfill: target_cluster must be provided for RFS backfill"],
    ),
    (
        "ecs backfill missing a required key",
        """
        target_cluster: {endpoint: http://e, no_auth: }
        backfill: {reindex_from_snapshot: {ecs: {service_name: s}}}
        """,
        ["backfill.reindex_from_snapshot.ecs.cluster_name: field required"],
    ),
    (
        "two deployment types",
        """
        target_cluster: {endpoint: http://e, no_auth: }
        backfill: {reindex_from_snapshot: {docker: , k8s: {namespace: n, deployment_name: d}}}
        """,
        ["backfill.reindex_from_snapshot: More than one value is present: ['docker', 'k8s']"],
    ),
    (
        "opensearch ingestion",
        """
        target_cluster: {endpoint: http://e, no_auth: }
        backfill: {opensearch_ingestion: {pipeline_role_arn: r}}
        """,
        [
            "backfill.opensearch_ingestion: Unsupported backfill type: asyncconsole runs "
            "reindex_from_snapshot only"
        ],
    ),
    (
        "scale below one and of the wrong type",
        """
        target_cluster: {endpoint: http://e, no_auth: }
        backfill: {reindex_from_snapshot: {docker: , scale: 0}}
        replay: {k8s: {namespace: n, deployment_name: d}, scale: '3'}
        """,
        [
            "backfill.reindex_from_snapshot.scale: must be at least 1",
            "replay.scale: must be an integer",
        ],
    ),
    (
        "replay with no deployment",
        "replay: {scale: 2}",
        ["replay: No values are present from set: ['docker', 'ecs', 'k8s']"],
    ),
    (
        "snapshot problems",
        "snapshot: {fs: {repo_path: p}, s3: {repo_uri: u}, mode: copy, gcs: {repo_uri: ''}}",
        [
            "snapshot: More than one value is present: ['fs', 'gcs', 's3']",
            "snapshot.snapshot_name: field required",
            "snapshot.mode: must be one of 'create' or 'import'",
            "snapshot.s3.aws_region: field required",
            "snapshot.gcs.repo_uri: must not be empty",
        ],
    ),
    (
        "snapshot without a repository",
        "snapshot: {snapshot_name: s}",
        ["snapshot: No values are present from set: ['fs', 'gcs', 's3']"],
    ),
    (
        "metadata with nothing to read and no version",  # reference §9 item 38
        "metadata_migration: {from_snapshot: }",
        [
            "metadata_migration.from_snapshot: No snapshot is specified or can be assumed for "
            "the metadata migration to use.",
            f"metadata_migration: {NO_VERSION}",
        ],
    ),
    (
        "partial from_snapshot",  # console_link passed validation then raised KeyError
        """
        source_cluster: {endpoint: http://e, no_auth: , version: ES_7.10}
        metadata_migration: {from_snapshot: {snapshot_name: s}}
        """,
        ["metadata_migration.from_snapshot: No values are present from set: ['fs', 'gcs', 's3']"],
    ),
    (
        "from_snapshot is required",
        "metadata_migration: {source_cluster_version: ES_7.10}",
        ["metadata_migration.from_snapshot: field required"],
    ),
    (
        "bad metadata values",
        """
        source_cluster: {endpoint: http://e, no_auth: , version: ES_7.10}
        snapshot: {snapshot_name: s, fs: {repo_path: p}}
        metadata_migration: {from_snapshot: , cluster_awareness_attributes: -1, index_allowlist: [a, 2]}
        """,
        [
            "metadata_migration.cluster_awareness_attributes: must be at least 0",
            "metadata_migration.index_allowlist[1]: must be a string",
        ],
    ),
    (
        "kafka without auth type and without brokers",
        "kafka: {}",
        [
            "kafka: No values are present from set: ['msk', 'scram', 'standard']",
            "kafka.broker_endpoints: field required",
        ],
    ),
    (
        "kafka marker blocks take no keys",
        "kafka: {broker_endpoints: b, msk: {region: r}}",
        ["kafka.msk.region: unknown field"],
    ),
    (
        "scram without username",
        "kafka: {broker_endpoints: b, scram: {password_env: P}}",
        ["kafka.scram.username: field required"],
    ),
    (
        "alias given twice",
        """
        source: {endpoint: http://a, no_auth: }
        source_cluster: {endpoint: http://b, no_auth: }
        """,
        ["source: source is another name for source_cluster; give only one of them"],
    ),
    (
        "errors under an alias are reported under the name the file used",
        "target: {endpoint: 5, no_auth: , allow_insecure: 'yes'}",
        ["target.endpoint: must be a string", "target.allow_insecure: must be true or false"],
    ),
    (
        "typos get a hint",
        "target_cluster: {endpiont: e, no_auth: }\nreplay: {dokcer: }",
        [
            "target_cluster.endpoint: field required",
            "target_cluster.endpiont: unknown field (did you mean endpoint?)",
            "replay: No values are present from set: ['docker', 'ecs', 'k8s']",
            "replay.dokcer: unknown field (did you mean docker?)",
        ],
    ),
    (
        "a block that is not a mapping",
        "target_cluster: [endpoint]\nclient_options: {user_agent_extra: [x]}",
        ["target_cluster: must be a mapping", "client_options.user_agent_extra: must be a string"],
    ),
    (
        "keys that are not strings",
        "1: x\ntarget_cluster: {endpoint: http://e, no_auth: , 2: y}",
        ["1: keys must be strings", "target_cluster.2: keys must be strings"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_problem_with_its_key_path(text: str, expected: list[str]) -> None:
    assert sorted(issues_of(text)) == sorted(expected)


def test_all_problems_of_a_file_in_one_error() -> None:
    # reference §1.6's inline case: unknown source field, null backfill, unknown top-level key.
    with pytest.raises(ConfigError) as caught:
        load_config(INVALID / "unknown_fields.yaml")
    error = caught.value
    assert error.source == str(INVALID / "unknown_fields.yaml")
    assert [str(i) for i in error.issues] == [
        "source_cluster.unknown_field: unknown field",
        "backfill: No values are present from set: ['opensearch_ingestion', 'reindex_from_snapshot']",
        "unknown_top_level_key: unknown field",
        "backfill: target_cluster must be provided for RFS backfill",
    ]
    text = str(error)
    assert text.startswith(f"Invalid configuration in {error.source}:\n")
    assert "  source_cluster.unknown_field: unknown field" in text
    assert "Traceback" not in text
    assert "pydantic" not in text
    assert error.__cause__ is None
    assert error.__context__ is None


def test_readme_spellings_get_hints() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(INVALID / "readme_hyphenated_keys.yaml")
    issues = [str(i) for i in caught.value.issues]
    for expected in [
        "target_cluster.basic_auth.user_from_secret_arn: unknown field (did you mean user_secret_arn?)",
        "backfill.reindex_from_snapshot.ecs.cluster-name: unknown field (did you mean cluster_name?)",
        "backfill.reindex_from_snapshot.ecs.service-name: unknown field (did you mean service_name?)",
        "backfill.reindex_from_snapshot.ecs.aws-region: unknown field (did you mean aws_region?)",
        "backfill.reindex_from_snapshot.ecs.cluster_name: field required",
    ]:
        assert expected in issues


def test_two_auth_blocks_file() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(INVALID / "two_auth_blocks.yaml")
    assert caught.value.issues == [
        ConfigIssue("target_cluster", "More than one value is present: ['basic_auth', 'no_auth']")
    ]


def test_backfill_without_target_file() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(INVALID / "backfill_without_target.yaml")
    assert caught.value.issues == [
        ConfigIssue("backfill", "target_cluster must be provided for RFS backfill")
    ]


def test_yaml_syntax_error_has_line_and_column() -> None:
    path = INVALID / "syntax_error.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.source == str(path)
    assert str(error).startswith(f"Invalid YAML in {path}:")
    [issue] = error.issues
    assert issue.message.startswith("line 4, column 1: found unexpected end of stream")
    assert "started at line 2, column 13" in issue.message


def test_yaml_value_that_cannot_be_built() -> None:
    with pytest.raises(ConfigError, match="Invalid YAML") as caught:
        MigrationConfig.from_yaml("snapshot: {snapshot_name: 2024-13-45}")
    assert "month must be in 1..12" in str(caught.value)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    with pytest.raises(ConfigError, match="the top level must be a mapping"):
        MigrationConfig.from_yaml(text)
    with pytest.raises(ConfigError, match="the top level must be a mapping"):
        load_config(INVALID / "not_a_mapping.yaml")


def test_unreadable_files_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert caught.value.source == str(missing)
    assert (
        str(caught.value) == f"Cannot read configuration file {missing}: No such file or directory"
    )
    with pytest.raises(ConfigError, match="Is a directory"):
        load_config(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(binary)
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.yaml"
        locked.write_text("{}")
        locked.chmod(0)
        with pytest.raises(ConfigError, match="Permission denied"):
            load_config(locked)


SECRET = "hunter2-very-secret"


@pytest.mark.parametrize(
    "text",
    [
        # a password of the wrong type
        "target_cluster: {endpoint: http://e, basic_auth: {username: u, password: [hunter2-very-secret]}}",
        "kafka: {broker_endpoints: b, scram: {username: u, password: {p: hunter2-very-secret}}}",
        # a password where it does not belong
        "target_cluster: {endpoint: http://e, no_auth: , password: hunter2-very-secret}",
        # a password next to other problems
        "target_cluster: {endpoint: 1, basic_auth: {username: u, password: hunter2-very-secret,"
        " user_secret_arn: a}}",
        # broken YAML around a password
        'target_cluster: {endpoint: http://e, basic_auth: {username: u, password: "hunter2-very-secret}}',
        "target_cluster:\n  basic_auth:\n    password: hunter2-very-secret\n   username: u\n",
    ],
)
def test_errors_never_echo_passwords(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        MigrationConfig.from_yaml(text)
    error = caught.value
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert all(SECRET not in str(issue) for issue in error.issues)
    assert error.__context__ is None
    assert error.__cause__ is None


def test_number_password_is_refused_without_showing_it() -> None:
    issues = issues_of(
        "target_cluster: {endpoint: http://e, basic_auth: {username: u, password: 987654}}"
    )
    assert issues == ["target_cluster.basic_auth.password: must be a string (quote it in YAML)"]
    assert "987654" not in "".join(issues)


def test_secrets_are_masked_in_reprs_and_dumps() -> None:
    config = load_config(DATA / "services.yaml")
    assert config.target_cluster is not None
    assert config.target_cluster.basic_auth is not None
    password = config.target_cluster.basic_auth.password
    assert isinstance(password, Secret)
    assert password.get() == "myStrongPassword123!"
    for text in (
        repr(config),
        str(config),
        config.model_dump_json(),
        str(config.model_dump()),
        str(config.model_dump(mode="json")),
        config.to_yaml(),
        str(config.to_dict()),
        repr(config.target_cluster.basic_auth),
    ):
        assert "myStrongPassword123!" not in text
        assert "********" in text
    assert "myStrongPassword123!" in config.to_yaml(reveal_secrets=True)


def test_secret_values_can_be_given_in_python() -> None:
    auth = BasicAuthConfig(username="u", password=Secret("p"))
    assert auth.password == Secret("p")
    assert BasicAuthConfig.model_validate({"username": "u", "password": "p"}) == auth
