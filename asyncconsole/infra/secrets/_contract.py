"""``check_secret_store``: the behaviour every :class:`SecretStore` must show (fake and real)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from ..._errors import AwsError, AwsNotFoundError, NotFoundError
from ..._secret import Secret
from ._format import get_basic_auth_secret
from ._protocol import SecretStore

__all__ = ["check_secret_store"]

PutSecret = Callable[[str, str], Awaitable[str]]

PLAIN = "contract-plain-value-0xDEADBEEF"


async def check_secret_store(
    open_store: Callable[[], AbstractAsyncContextManager[SecretStore]],
    *,
    put_secret: PutSecret,
    prefix: str = "contract",
) -> None:
    """Check a secret store against the protocol; raises AssertionError on a violation.

    Args:
        open_store: Returns a fresh store (an async context manager).
        put_secret: ``await put_secret(name, value)`` creates a secret in the peer and returns
            the id to read it by (an ARN for AWS).
        prefix: Prefix for the secret names the check creates.
    """
    plain_id = await put_secret(f"{prefix}/plain", PLAIN)
    creds_id = await put_secret(
        f"{prefix}/creds", json.dumps({"username": "admin", "password": "pw-123", "port": 9200})
    )
    not_json_id = await put_secret(f"{prefix}/not-json", "user:" + PLAIN)
    list_id = await put_secret(f"{prefix}/list", json.dumps(["username", "password"]))
    empty_id = await put_secret(f"{prefix}/empty", "{}")
    partial_id = await put_secret(f"{prefix}/partial", json.dumps({"username": "admin"}))
    missing_id = f"{prefix}/does-not-exist"

    async with open_store() as store:
        await store.ping()

        value = await store.get_secret_string(plain_id)
        assert isinstance(value, Secret)
        assert value.get() == PLAIN
        assert PLAIN not in repr(value)
        assert PLAIN not in str(value)
        assert PLAIN not in f"{value}"

        data = await store.get_json_secret(creds_id)
        assert {k: v.get() for k, v in data.items()} == {
            "username": "admin",
            "password": "pw-123",
            "port": "9200",
        }, sorted(data)
        assert all(isinstance(v, Secret) for v in data.values())
        creds = await get_basic_auth_secret(store, creds_id)
        assert (creds.username, creds.password) == ("admin", Secret("pw-123"))
        assert "pw-123" not in repr(creds)

        await _expect_format_error(
            store.get_json_secret(not_json_id), f"Expected secret {not_json_id} to be a JSON object"
        )
        await _expect_format_error(store.get_json_secret(list_id), f"Secret {list_id} is a JSON")
        await _expect_format_error(
            get_basic_auth_secret(store, not_json_id),
            f"Expected secret {not_json_id} to be a JSON object with username and password fields",
        )
        for bad in (list_id, empty_id):
            await _expect_format_error(
                get_basic_auth_secret(store, bad),
                "Secret is not a valid object containing a username and password.",
            )
        await _expect_format_error(
            get_basic_auth_secret(store, partial_id),
            f"Secret {partial_id} is missing required key(s): password",
        )

        missing = await _raises(
            AwsNotFoundError, store.get_secret_string(missing_id), "a missing secret"
        )
        assert isinstance(missing, NotFoundError)
        assert missing_id in str(missing), str(missing)

        async with asyncio.TaskGroup() as tg:
            reads = [tg.create_task(store.get_secret_string(plain_id)) for _ in range(20)]
        assert all(r.result().get() == PLAIN for r in reads)


E = TypeVar("E", bound=BaseException)


async def _raises(kind: type[E], call: Awaitable[object], what: str) -> E:
    """The ``kind`` error ``call`` raises; AssertionError when it raises none."""
    try:
        await call
    except kind as exc:
        return exc
    raise AssertionError(f"{what} must raise {kind.__name__}")


async def _expect_format_error(call: Awaitable[object], message: str) -> None:
    exc = await _raises(AwsError, call, f"a malformed secret ({message})")
    assert not isinstance(exc, NotFoundError), exc
    assert exc.code == "InvalidSecretFormat", exc.code
    assert str(exc).startswith(message), (str(exc), message)
    assert PLAIN not in str(exc)
    assert PLAIN not in repr(exc.context)
    assert exc.__cause__ is None or PLAIN not in str(exc.__cause__)
