"""The base of every config block: strict fields, unknown keys rejected, and rules that report
every problem at once (pydantic stops at a block's field errors; we merge rule errors in)."""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    WithJsonSchema,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from .._redact import mask_urls_in
from .._secret import MASK, Secret

__all__ = ["ConfigModel", "HttpEndpoint", "Loc", "SecretField", "one_of_problems", "rule"]

Loc = tuple[str | int, ...]


def _http_url(value: str) -> str:
    # The message never quotes the value: an endpoint may carry user:password@.
    if not value.lower().startswith(("http://", "https://")):
        raise ValueError(
            "must start with http:// or https:// (a URL with scheme, host and port, "
            "e.g. https://host:9200)"
        )
    return value


HttpEndpoint = Annotated[str, AfterValidator(_http_url)]
"""An ``http://`` or ``https://`` base URL (checked when the file loads, as console_link
would fail on first use); errors name the key, never the value."""

# Error types we create ourselves; every other type in a ValidationError is one of pydantic's own.
RULE = "config_rule"
UNKNOWN = "unknown_field"
_PYDANTIC_TYPES = frozenset(typing.get_args(core_schema.ErrorType))

# README spellings console_link never accepted; worth a pointed hint.
_KNOWN_MISTAKES = {"user_from_secret_arn": "user_secret_arn"}


def rule(message: str, loc: Loc = ()) -> InitErrorDetails:
    """An error for a rule across keys, at ``loc`` relative to the block that checks it."""
    return {
        "type": PydanticCustomError(RULE, "{message}", {"message": message}),
        "loc": loc,
        "input": None,
    }


def one_of_problems(data: Mapping[Any, Any], group: tuple[str, ...]) -> list[str]:
    """console_link's "exactly one of" check: a key counts when present, even with a null value."""
    present = sorted(key for key in group if key in data)
    if len(present) > 1:
        return [f"More than one value is present: {present}"]
    if not present:
        return [f"No values are present from set: {sorted(group)}"]
    return []


def _secret_input(value: Any) -> Any:
    if isinstance(value, str | Secret):
        return value
    # Never echo the value: it is a password written without quotes (or a typo).
    raise PydanticCustomError("secret_type", "must be a string (quote it in YAML)")


def _revealing(info: SerializationInfo) -> bool:
    context = info.context
    return isinstance(context, Mapping) and bool(context.get("reveal_secrets"))


def _serialize_secret(value: Secret, info: SerializationInfo) -> str:
    return value.get() if _revealing(info) else MASK


def _masked(value: Any) -> Any:
    """A plain value with URL passwords masked (strings, and strings in lists)."""
    if isinstance(value, str):
        return mask_urls_in(value)
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        return type(value)(mask_urls_in(v) if isinstance(v, str) else v for v in value)
    return value


SecretField = Annotated[
    Secret,
    BeforeValidator(_secret_input),
    PlainSerializer(_serialize_secret, return_type=str),
    WithJsonSchema({"type": "string", "writeOnly": True}),
]
"""A password: held as a :class:`~asyncconsole.Secret`, masked when dumped unless the dump's
context has ``reveal_secrets``."""


def _hint(cls: type[ConfigModel], key: object) -> str:
    names = [*cls.model_fields, *cls.key_aliases]
    if not isinstance(key, str) or key in names:
        return ""
    guess = _KNOWN_MISTAKES.get(key)
    if guess is None and key.replace("-", "_") in names:
        guess = key.replace("-", "_")
    if guess is None:
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
        guess = close[0] if close else None
    return f" (did you mean {guess}?)" if guess else ""


def _rebuild(cls: type[ConfigModel], error: Any, rename: Mapping[str, str]) -> InitErrorDetails:
    loc: Loc = tuple(error["loc"])
    if loc and isinstance(loc[0], str) and loc[0] in rename:
        loc = (rename[loc[0]], *loc[1:])
    kind = error["type"]
    details: InitErrorDetails
    if kind == "extra_forbidden" and len(loc) == 1:
        message = "unknown field" + _hint(cls, loc[0])
        details = {
            "type": PydanticCustomError(UNKNOWN, "{message}", {"message": message}),
            "loc": loc,
            "input": None,
        }
    elif kind not in _PYDANTIC_TYPES:
        details = {
            "type": PydanticCustomError(kind, "{message}", {"message": error["msg"]}),
            "loc": loc,
            "input": None,
        }
    else:
        details = {"type": kind, "loc": loc, "input": error["input"]}
        if "ctx" in error:
            details["ctx"] = error["ctx"]
    return details


@functools.cache
def _block_fields(cls: type[ConfigModel]) -> frozenset[str]:
    """Fields whose value is a nested block (a ConfigModel, maybe optional)."""
    found = set()
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        args = (
            typing.get_args(annotation)
            if typing.get_origin(annotation) in (typing.Union, types.UnionType)
            else (annotation,)
        )
        if any(isinstance(a, type) and issubclass(a, ConfigModel) for a in args):
            found.add(name)
    return frozenset(found)


class ConfigModel(BaseModel):
    """Base of every block of ``migration_services.yaml``.

    Blocks are immutable plain data: building one never does I/O. Unknown keys are rejected,
    values are not coerced (``"5"`` is not an integer), and an empty block (``docker:`` with no
    value) means an empty mapping unless the block says null has its own meaning.
    """

    # defer_build: a model's validator is built when it first validates, so loading a config
    # builds only what the file uses (the CLI starts faster). The attribute docstrings become
    # field descriptions only for the JSON schema (see model_json_schema): reading them from
    # the source at class creation cost every import.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        hide_input_in_errors=True,
        defer_build=True,
    )

    # Groups of keys of which exactly one must be present (console_link semantics).
    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # Keys whose null value is meaningful and must not become an empty block.
    null_is_value: ClassVar[frozenset[str]] = frozenset()
    # Accepted alternative spellings of keys: alias -> field name.
    key_aliases: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def _raw_problems(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        """Rules checked on the raw mapping, so they are reported even when fields are invalid."""
        return []

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON schema (for editors), each field described by its attribute docstring."""
        _describe_fields()
        return super().model_json_schema(*args, **kwargs)

    def _problems(self) -> list[InitErrorDetails]:
        """Rules checked once every field is valid."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _validate_block(cls, data: Any, handler: Any) -> Any:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            return handler(data)
        data = dict(data)
        rename: dict[str, str] = {}
        problems: list[InitErrorDetails] = []
        for alias, name in cls.key_aliases.items():
            if alias in data:
                value = data.pop(alias)
                if name in data:
                    problems.append(
                        rule(f"{alias} is another name for {name}; give only one of them", (alias,))
                    )
                else:
                    data[name] = value
                    rename[name] = alias
        for group in cls.exactly_one_of:
            problems.extend(rule(message) for message in one_of_problems(data, group))
        cross = cls._raw_problems(data)
        for name in _block_fields(cls) - cls.null_is_value:
            if name in data and data[name] is None:
                data[name] = {}
        failed: list[InitErrorDetails] = []
        try:
            model = handler(data)
        except ValidationError as exc:
            failed = [_rebuild(cls, error, rename) for error in exc.errors()]
        if failed:
            raise ValidationError.from_exception_data(cls.__name__, [*problems, *failed, *cross])
        problems.extend(cross)
        problems.extend(model._problems())
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return model

    @model_serializer(mode="wrap")
    def _dump_block(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        # Keys the file did not give and that hold nothing are left out of dumps: a present
        # key counts even when null ("exactly one of", empty blocks), so a dump must not
        # invent them if it is to load back into the same config.
        dumped = handler(self)
        if isinstance(dumped, dict):
            for name in type(self).model_fields:
                if name not in self.model_fields_set and getattr(self, name) is None:
                    dumped.pop(name, None)
            if not _revealing(info):
                # A password written into a URL (https://user:pw@host) is a secret too.
                for key, value in dumped.items():
                    dumped[key] = _masked(value)
        return dumped

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, _masked(value)


_described = False


def _attribute_docstrings(model: type) -> dict[str, str]:
    """The string literal under each annotated field of the class body (PEP 257's attribute
    docstrings), read from the source with ast."""
    import ast
    import inspect
    import itertools
    import textwrap

    try:
        source = textwrap.dedent(inspect.getsource(model))
    except (OSError, TypeError):  # no source (e.g. a class built at run time)
        return {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body.body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _describe_fields() -> None:
    """Give every config field the description of its attribute docstring (once), and rebuild
    the models so that their JSON schema carries it."""
    global _described
    if _described:
        return
    _described = True
    models: list[type[ConfigModel]] = []
    pending: list[type[ConfigModel]] = [ConfigModel]
    while pending:
        model = pending.pop()
        models.append(model)
        pending.extend(model.__subclasses__())
    for model in models:
        docstrings = _attribute_docstrings(model)
        for name, field in model.model_fields.items():
            if field.description is None and name in docstrings:
                field.description = docstrings[name]
    for model in models:
        model.model_rebuild(force=True)
