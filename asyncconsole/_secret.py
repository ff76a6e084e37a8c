"""A string whose value never shows in ``repr``, ``str``, f-strings, logs or errors."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["MASK", "Secret", "reveal"]

MASK: Final = "********"


class Secret:
    """Holds a sensitive string; ``str()``/``repr()``/``format()`` show ``********``.

    Call :meth:`get` (or :func:`reveal`) at the one place that must send the real value.
    Equality compares values in constant time so secrets can be used in tests and caches.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.get()
        if not isinstance(value, str):
            raise TypeError(f"Secret value must be str, not {type(value).__name__}")
        self._value = value

    def get(self) -> str:
        """The real value. Only call where it is sent to its destination."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        import hmac

        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("asyncconsole.Secret", self._value))

    def __reduce__(self) -> Any:
        raise TypeError("Secret values cannot be pickled")

    # pydantic v2 support without importing pydantic here (keeps `import asyncconsole` light).
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def validate(value: Any) -> Secret:
            return value if isinstance(value, Secret) else Secret(value)

        return core_schema.no_info_before_validator_function(
            validate,
            core_schema.is_instance_schema(cls),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: MASK, when_used="always"
            ),
        )


def reveal(value: str | Secret | None) -> str | None:
    """The plain value of a ``Secret`` (or the string itself), for the one place that sends it."""
    if isinstance(value, Secret):
        return value.get()
    return value
