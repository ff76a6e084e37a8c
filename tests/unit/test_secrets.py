"""Secret stores: the contract on the fake, the fetch-once cache, basic-auth parsing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from asyncconsole import FakeClock, RetryPolicy, Secret
from asyncconsole._errors import AwsError, AwsNotFoundError, NotFoundError
from asyncconsole.infra.secrets import (
    CachedSecretStore,
    FakeSecretStore,
    SecretStore,
    decode_json_object,
    get_basic_auth_secret,
)
from asyncconsole.testing import check_secret_store


async def test_contract_on_the_fake() -> None:
    store = FakeSecretStore()

    async def put_secret(name: str, value: str) -> str:
        return store.put_secret(name, value)

    def open_store() -> AbstractAsyncContextManager[SecretStore]:
        return store

    await check_secret_store(open_store, put_secret=put_secret)
    assert isinstance(store, SecretStore)


async def test_contract_through_the_cache() -> None:
    inner = FakeSecretStore()

    async def put_secret(name: str, value: str) -> str:
        return inner.put_secret(name, value)

    @asynccontextmanager
    async def open_store() -> AsyncIterator[SecretStore]:
        async with inner:
            yield CachedSecretStore(inner)

    await check_secret_store(open_store, put_secret=put_secret)


async def test_fake_reads_by_name_or_arn_and_logs_no_values() -> None:
    store = FakeSecretStore({"db": "hunter2"})
    arn = store.put_secret("db", "hunter3")
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-")
    assert (await store.get_secret_string("db")).get() == "hunter3"
    assert (await store.get_secret_string(arn)).get() == "hunter3"
    assert "hunter" not in repr(store.calls)
    store.delete_secret("db")
    with pytest.raises(AwsNotFoundError):
        await store.get_secret_string(arn)


async def test_cache_fetches_each_secret_once_even_when_asked_concurrently() -> None:
    inner = FakeSecretStore({"a": "1", "b": "2"}, latency=0.5)
    cache = CachedSecretStore(inner)
    async with asyncio.TaskGroup() as tg:
        reads = [tg.create_task(cache.get_secret_string(k)) for k in ("a", "b") * 25]
    assert [r.result().get() for r in reads[:2]] == ["1", "2"]
    assert sorted(c.secret_id for c in inner.calls_to("get_secret_string")) == ["a", "b"]
    with pytest.raises(AwsError, match="is a JSON number, not an object"):
        await cache.get_json_secret("a")  # parsed from the cached value: no new fetch
    assert len(inner.calls) == 2


async def test_cache_shares_a_failure_with_waiters_but_does_not_keep_it() -> None:
    inner = FakeSecretStore({"a": "1"}, latency=0.5)
    inner.fail_next("get_secret_string", AwsError("denied", code="AccessDeniedException"))
    cache = CachedSecretStore(inner)
    results = await asyncio.gather(
        *(cache.get_secret_string("a") for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, AwsError) and r.code == "AccessDeniedException" for r in results)
    assert len(inner.calls) == 1  # one fetch failed; four waiters shared its error
    assert (await cache.get_secret_string("a")).get() == "1"  # the failure was not cached
    assert len(inner.calls) == 2


async def test_cache_ttl_and_invalidate() -> None:
    clock = FakeClock(auto_advance=False)
    inner = FakeSecretStore({"a": "v1"})
    cache = CachedSecretStore(inner, ttl=60, clock=clock)
    assert (await cache.get_secret_string("a")).get() == "v1"
    inner.put_secret("a", "v2")
    assert (await cache.get_secret_string("a")).get() == "v1"
    await clock.advance(60)
    assert (await cache.get_secret_string("a")).get() == "v2"
    inner.put_secret("a", "v3")
    cache.invalidate("a")
    assert (await cache.get_secret_string("a")).get() == "v3"
    cache.invalidate()
    await cache.ping()
    with pytest.raises(ValueError, match="ttl"):
        CachedSecretStore(inner, ttl=0)


async def test_cache_refetches_after_a_cancelled_fetch() -> None:
    clock = FakeClock(auto_advance=False)
    inner = FakeSecretStore({"a": "1"}, latency=5, clock=clock)
    cache = CachedSecretStore(inner)
    async with asyncio.TaskGroup() as tg:
        first = tg.create_task(cache.get_secret_string("a"))
        second = tg.create_task(cache.get_secret_string("a"))
        await asyncio.sleep(0)
        first.cancel()
        for _ in range(3):
            await clock.advance(5)
    assert first.cancelled()
    assert second.result().get() == "1"


async def test_throttling_is_retried_when_a_policy_is_given() -> None:
    store = FakeSecretStore(
        {"a": "1"}, retry=RetryPolicy(attempts=3, wait_initial=1, wait_jitter=0, timeout=None)
    )
    store.throttle_next("get_secret_string", times=2)
    assert (await store.get_secret_string("a")).get() == "1"
    assert [c.error is None for c in store.calls] == [False, False, True]
    with pytest.raises(ValueError, match="unknown"):
        store.throttle_next("put")


def test_json_values_stay_secret_and_non_strings_keep_their_json_text() -> None:
    data = decode_json_object("id", Secret(json.dumps({"u": "x", "n": 5, "o": {"k": [1]}})))
    assert {k: v.get() for k, v in data.items()} == {"u": "x", "n": "5", "o": '{"k": [1]}'}
    assert "x" not in repr(data)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "not json at all",
            "Expected secret arn:s to be a JSON object with username and password fields",
        ),
        ("[]", "Secret is not a valid object containing a username and password."),
        ("{}", "Secret is not a valid object containing a username and password."),
        ('{"password": "p"}', "Secret arn:s is missing required key(s): username"),
        ('{"user": "u"}', "Secret arn:s is missing required key(s): username, password"),
    ],
)
async def test_basic_auth_messages_match_console_link(value: str, message: str) -> None:
    store = FakeSecretStore({"arn:s": value})
    with pytest.raises(AwsError) as caught:
        await get_basic_auth_secret(store, "arn:s")
    assert str(caught.value) == message
    assert caught.value.code == "InvalidSecretFormat"
    assert not isinstance(caught.value, NotFoundError)


async def test_basic_auth_reads_username_and_password() -> None:
    store = FakeSecretStore({"s": json.dumps({"username": "admin", "password": "pw", "x": 1})})
    creds = await get_basic_auth_secret(store, "s")
    assert creds.username == "admin"
    assert creds.password == Secret("pw")
    assert "pw" not in repr(creds)
