"""Mappings: validating definitions, dynamic mapping of new fields, and parsing values by type.

A document is checked against its index's mapping before it is stored, as OpenSearch's
document parser does: a value that cannot be parsed into its field's type (``"abc"`` into a
``long``), a concrete value where an object is mapped, or a new field under ``dynamic:
strict`` fails that document with a 400, while new fields under ``dynamic: true`` are mapped
from their first value (strings that look like dates become ``date``, other strings ``text``
with a ``keyword`` sub-field). The mapping changes only when the whole document parsed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError

__all__ = ["FIELD_TYPES", "NUMERIC_TYPES", "Mappings"]

INTEGER_RANGES = {
    "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "unsigned_long": (0, 2**64 - 1),
}
NUMERIC_TYPES = frozenset({*INTEGER_RANGES, "double", "float", "half_float", "scaled_float"})
FIELD_TYPES = frozenset(
    {
        *NUMERIC_TYPES,
        "alias", "binary", "boolean", "completion", "constant_keyword", "date", "date_nanos",
        "date_range", "double_range", "flat_object", "float_range", "geo_point", "geo_shape",
        "integer_range", "ip", "ip_range", "join", "keyword", "knn_vector", "long_range",
        "match_only_text", "nested", "object", "percolator", "rank_feature", "rank_features",
        "search_as_you_type", "text", "token_count", "wildcard",
    }
)  # fmt: skip
_ROOT_KEYS = frozenset(
    {
        "properties", "dynamic", "_source", "_meta", "_routing", "date_detection",
        "numeric_detection", "dynamic_templates", "dynamic_date_formats", "_field_names",
        "enabled", "derived",
    }
)  # fmt: skip
_DATE = re.compile(
    r"^[+-]?\d{4,}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?"
    r"(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?$"
)
_DYNAMIC_DATE = re.compile(
    # strict_date_optional_time (a full date at least) or yyyy/MM/dd[ HH:mm:ss]
    r"^(\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
    r"|\d{4}/\d{2}/\d{2}( \d{2}:\d{2}:\d{2})?)$"
)
_DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
# Types whose values may be JSON objects.
_OBJECT_VALUED = frozenset(
    {"object", "nested", "flat_object", "geo_point", "geo_shape", "rank_features", "join",
     "percolator", "completion"}
)  # fmt: skip


def _java(value: Any) -> str:
    """A value as Java's ``Map.toString`` prints it (OpenSearch quotes mappings that way)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_java(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_java(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_error(
    field: str, type_: str, doc_id: str, value: Any, cause: dict[str, str]
) -> ApiError:
    preview = _java(value)
    return ApiError(
        400,
        "mapper_parsing_exception",
        f"failed to parse field [{field}] of type [{type_}] in document with id '{doc_id}'. "
        f"Preview of field's value: '{preview}'",
        caused_by=cause,
    )


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _check_value(field: str, spec: Mapping[str, Any], value: Any, doc_id: str) -> None:
    """Raise the 400 OpenSearch gives when ``value`` cannot be parsed into ``spec``'s type."""
    type_ = str(spec.get("type", "object"))
    if isinstance(value, dict) and type_ not in _OBJECT_VALUED and not type_.endswith("_range"):
        raise _parse_error(
            field,
            type_,
            doc_id,
            value,
            {"type": "illegal_state_exception", "reason": "Can't get text on a START_OBJECT"},
        )
    if type_ in NUMERIC_TYPES:
        number = _number(value)
        if number is None:
            raise _parse_error(
                field,
                type_,
                doc_id,
                value,
                {"type": "number_format_exception", "reason": f'For input string: "{value}"'},
            )
        bounds = INTEGER_RANGES.get(type_)
        if bounds is not None and not bounds[0] <= int(number) <= bounds[1]:
            raise _parse_error(
                field,
                type_,
                doc_id,
                value,
                {
                    "type": "illegal_argument_exception",
                    "reason": f"Value [{value}] is out of range for {'an' if type_[0] in 'aeiou' else 'a'} {type_}",
                },
            )
    elif type_ == "boolean":
        if not (isinstance(value, bool) or value in {"true", "false", ""}):
            raise _parse_error(
                field,
                type_,
                doc_id,
                value,
                {
                    "type": "illegal_argument_exception",
                    "reason": f"Failed to parse value [{_java(value)}] as only [true] or [false] "
                    "are allowed.",
                },
            )
    elif type_ in {"date", "date_nanos"}:
        if "format" in spec:
            return  # custom formats are not interpreted: any value is accepted
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and (value.isdigit() or _DATE.match(value) is not None)
        )
        if not ok:
            raise _parse_error(
                field,
                type_,
                doc_id,
                value,
                {
                    "type": "illegal_argument_exception",
                    "reason": f"failed to parse date field [{_java(value)}] with format "
                    f"[{_DEFAULT_DATE_FORMAT}]",
                },
            )
    elif type_ == "ip":
        try:
            ipaddress.ip_address(str(value))
        except ValueError:
            raise _parse_error(
                field,
                type_,
                doc_id,
                value,
                {
                    "type": "illegal_argument_exception",
                    "reason": f"'{value}' is not an IP string literal.",
                },
            ) from None


class Mappings:
    """The mapping of one index: its JSON definition, lookups and the document parser."""

    def __init__(self, definition: Mapping[str, Any] | None = None) -> None:
        definition = dict(definition or {})
        validate_definition(definition)
        self.root: dict[str, Any] = _copy(definition)
        self.root.setdefault("properties", {})
        self.field_count = _count_fields(self.root["properties"])

    # ------------------------------------------------------------------ lookups

    def field(self, path: str) -> Mapping[str, Any] | None:
        """The mapping of a dotted field path (sub-fields like ``name.keyword`` included)."""
        node: Any = self.root
        parts = path.split(".")
        for i, part in enumerate(parts):
            props = node.get("properties") if isinstance(node, Mapping) else None
            if isinstance(props, Mapping) and part in props:
                node = props[part]
                continue
            fields = node.get("fields") if isinstance(node, Mapping) else None
            if isinstance(fields, Mapping) and part in fields and i == len(parts) - 1:
                node = fields[part]
                continue
            return None
        return node if isinstance(node, Mapping) else None

    def type_of(self, path: str) -> str | None:
        """The mapped type of a dotted field path, if known (objects report ``object``)."""
        spec = self.field(path)
        if spec is None:
            return None
        if "type" in spec:
            return str(spec["type"])
        return "object" if "properties" in spec else None

    # ------------------------------------------------------------------ updates

    def merge(self, definition: Mapping[str, Any]) -> None:
        """``PUT _mapping``: add fields and change updatable options; a type never changes."""
        validate_definition(definition)
        for key, value in definition.items():
            if key != "properties":
                self.root[key] = _copy(value)
        _merge_properties(self.root["properties"], definition.get("properties") or {}, "")
        self.field_count = _count_fields(self.root["properties"])

    def parse(self, doc_id: str, source: Mapping[str, Any]) -> None:
        """Check ``source`` against the mapping and map its new fields (400 when it cannot)."""
        staged: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
        dynamic = str(self.root.get("dynamic", "true")).lower()
        self._walk(doc_id, source, self.root["properties"], "", dynamic, staged)
        for properties, name, spec in staged:
            properties.setdefault(name, spec)
        if staged:
            self.field_count = _count_fields(self.root["properties"])

    def _walk(
        self,
        doc_id: str,
        source: Mapping[str, Any],
        properties: dict[str, Any],
        prefix: str,
        dynamic: str,
        staged: list[tuple[dict[str, Any], str, dict[str, Any]]],
    ) -> None:
        for raw_key, value in source.items():
            key = str(raw_key)
            if not key:
                raise ApiError(
                    400,
                    "mapper_parsing_exception",
                    "failed to parse",
                    caused_by={
                        "type": "illegal_argument_exception",
                        "reason": "field name cannot be an empty string",
                    },
                )
            if "." in key and not key.startswith(".") and not key.endswith("."):
                # "a.b": 1 is the object a holding b, as OpenSearch expands dotted names.
                head, _, rest = key.partition(".")
                self._walk(doc_id, {head: {rest: value}}, properties, prefix, dynamic, staged)
                continue
            self._value(doc_id, key, value, properties, prefix, dynamic, staged)

    def _value(
        self,
        doc_id: str,
        key: str,
        value: Any,
        properties: dict[str, Any],
        prefix: str,
        dynamic: str,
        staged: list[tuple[dict[str, Any], str, dict[str, Any]]],
    ) -> None:
        path = f"{prefix}{key}"
        values = value if isinstance(value, list) else [value]
        spec = properties.get(key)
        if spec is None:
            for pending_props, name, pending_spec in staged:
                if pending_props is properties and name == key:
                    spec = pending_spec
                    break
        for item in values:
            if item is None:
                continue
            if isinstance(item, list):
                self._value(doc_id, key, item, properties, prefix, dynamic, staged)
                continue
            if spec is None:
                if dynamic == "strict":
                    where = prefix[:-1] if prefix else "_doc"
                    raise ApiError(
                        400,
                        "strict_dynamic_mapping_exception",
                        f"mapping set to strict, dynamic introduction of [{key}] within "
                        f"[{where}] is not allowed",
                    )
                if dynamic == "false":
                    return
                spec = self._dynamic_spec(item)
                staged.append((properties, key, spec))
            if "properties" in spec or spec.get("type") in {None, "object", "nested"}:
                if not isinstance(item, Mapping):
                    raise ApiError(
                        400,
                        "mapper_parsing_exception",
                        f"object mapping for [{path}] tried to parse field [{key}] as object, "
                        "but found a concrete value",
                    )
                if spec.get("enabled") is False:
                    continue
                child_dynamic = str(spec.get("dynamic", dynamic)).lower()
                children = spec.setdefault("properties", {})
                self._walk(doc_id, item, children, f"{path}.", child_dynamic, staged)
                continue
            _check_value(path, spec, item, doc_id)

    def _dynamic_spec(self, value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"type": "boolean"}
        if isinstance(value, int):
            return {"type": "long"}
        if isinstance(value, float):
            return {"type": "float"}
        if isinstance(value, Mapping):
            return {"properties": {}}
        text = str(value)
        if self.root.get("date_detection", True) is not False and _DYNAMIC_DATE.match(text):
            return {"type": "date"}
        if str(self.root.get("numeric_detection", "false")).lower() == "true":
            number = _number(text)
            if number is not None:
                return {"type": "long" if isinstance(number, int) else "float"}
        return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _count_fields(properties: Mapping[str, Any]) -> int:
    count = 0
    for spec in properties.values():
        count += 1
        if isinstance(spec, Mapping):
            count += _count_fields(spec.get("properties") or {})
            count += len(spec.get("fields") or {})
    return count


def validate_definition(definition: Mapping[str, Any]) -> None:
    """Reject what OpenSearch's mapping parser rejects (400)."""
    if not isinstance(definition, Mapping):
        raise ApiError(400, "mapper_parsing_exception", "Failed to parse mapping: not an object")
    if "_doc" in definition and isinstance(definition["_doc"], Mapping):
        raise ApiError(
            400,
            "illegal_argument_exception",
            "The mapping definition cannot be nested under a type [_doc] unless "
            "include_type_name is set to true.",
        )
    unknown = {k: v for k, v in definition.items() if k not in _ROOT_KEYS}
    if unknown:
        listed = ", ".join(f"{k} : {_java(v)}" for k, v in unknown.items())
        raise ApiError(
            400,
            "mapper_parsing_exception",
            f"Root mapping definition has unsupported parameters:  [{listed}]",
        )
    dynamic = definition.get("dynamic")
    if dynamic is not None and str(dynamic).lower() not in {"true", "false", "strict"}:
        raise ApiError(
            400,
            "mapper_parsing_exception",
            "Could not convert [dynamic] to boolean",
        )
    properties = definition.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise ApiError(400, "mapper_parsing_exception", "Expected map for property [properties]")
    _validate_properties(properties)


def _validate_properties(properties: Mapping[str, Any]) -> None:
    for name, spec in properties.items():
        if not name:
            raise ApiError(
                400, "illegal_argument_exception", "field name cannot be an empty string"
            )
        if not isinstance(spec, Mapping):
            raise ApiError(
                400,
                "mapper_parsing_exception",
                f"Expected map for property [fields] on field [{name}] but got a class "
                "java.lang.String",
            )
        type_ = spec.get("type")
        if type_ is None:
            _validate_properties(spec.get("properties") or {})
            continue
        if type_ not in FIELD_TYPES:
            raise ApiError(
                400,
                "mapper_parsing_exception",
                f"No handler for type [{type_}] declared on field [{name}]",
            )
        if type_ in {"object", "nested"}:
            _validate_properties(spec.get("properties") or {})
        fields = spec.get("fields") or {}
        if isinstance(fields, Mapping):
            _validate_properties(fields)
        if type_ == "knn_vector":
            dim = str(spec.get("dimension", ""))
            if not re.match(r"^-?\d+$", dim) or int(dim) <= 0:
                raise ApiError(
                    400,
                    "mapper_parsing_exception",
                    f"Dimension value must be greater than 0 for vector: {name}",
                )


def _merge_properties(target: dict[str, Any], given: Mapping[str, Any], prefix: str) -> None:
    for name, spec in given.items():
        current = target.get(name)
        if current is None:
            target[name] = _copy(spec)
            continue
        old = current.get("type", "object")
        new = spec.get("type", "object")
        if old != new:
            raise ApiError(
                400,
                "illegal_argument_exception",
                f"mapper [{prefix}{name}] cannot be changed from type [{old}] to [{new}]",
            )
        if "properties" in spec:
            children = current.setdefault("properties", {})
            _merge_properties(children, spec["properties"], f"{prefix}{name}.")
        for key, value in spec.items():
            if key not in {"properties", "type"}:
                current[key] = _copy(value)
