"""Whatever YAML it is given, the loader returns a config or raises ConfigError, nothing else."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncconsole import ConfigError
from asyncconsole.config import ConfigModel, MigrationConfig

DATA = Path(__file__).resolve().parent.parent / "data"
VALID = [yaml.safe_load(p.read_text()) or {} for p in sorted(DATA.glob("*.yaml"))]


def _schema_keys(model: type[ConfigModel], seen: set[str]) -> None:
    for name, field in model.model_fields.items():
        seen.add(name)
        for arg in getattr(field.annotation, "__args__", (field.annotation,)):
            if isinstance(arg, type) and issubclass(arg, ConfigModel):
                _schema_keys(arg, seen)


_KEYS: set[str] = {"source", "target", "cluster-name", "aws-region", "user_from_secret_arn"}
_schema_keys(MigrationConfig, _KEYS)
KEYS = sorted(_KEYS)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["https://h:9200", "http://h", "ES_7.10", "create", "import", ""]),
    st.dates(min_value=datetime.date(1, 1, 1)),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=25,
)
documents = st.dictionaries(keys, values, max_size=6)


def check(load: Any, arg: Any) -> None:
    error: ConfigError | None = None
    try:
        config = load(arg)
    except ConfigError as exc:
        error = exc
    if error is not None:
        assert str(error)
        assert all(issue.message for issue in error.issues)
        return
    assert isinstance(config, MigrationConfig)
    # anything that loads also dumps and loads back to the same config
    assert MigrationConfig.from_dict(config.to_dict(reveal_secrets=True)) == config


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


yaml_ish = st.text(alphabet="{}[]:,-?&*!|>'\"%@` \n\tabc019.#<=", max_size=80)


@FUZZ
@given(st.one_of(st.text(max_size=200), yaml_ish))
def test_random_text(text: str) -> None:
    check(MigrationConfig.from_yaml, text)


@FUZZ
@given(documents)
def test_random_documents_as_yaml(document: dict[str, Any]) -> None:
    check(MigrationConfig.from_yaml, yaml.safe_dump(document))


@FUZZ
@given(st.one_of(values, st.dictionaries(st.one_of(scalars, keys), values, max_size=4)))
def test_random_python_data(data: Any) -> None:
    check(MigrationConfig.from_dict, data)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def near_valid(draw: st.DrawFn) -> Any:
    """A valid config with a few random edits: a key dropped, renamed, nulled or replaced, or a
    key added."""
    import copy

    document = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = draw(st.sampled_from(["drop", "rename", "null", "replace", "add"]))
        if action == "drop" and isinstance(parent, dict):
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(keys)] = parent.pop(last)
        elif action == "null":
            parent[last] = None
        elif action == "replace":
            parent[last] = draw(values)
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(keys)] = draw(values)
    return document


@FUZZ
@given(near_valid())
def test_near_valid_configs(document: Any) -> None:
    check(MigrationConfig.from_yaml, yaml.safe_dump(document))
    check(MigrationConfig.from_dict, document)
