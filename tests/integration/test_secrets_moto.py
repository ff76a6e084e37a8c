"""AwsSecretsManager against moto server: the contract suite, binary secrets, the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from asyncconsole import ConfigError
from asyncconsole._errors import AwsError, AwsNotFoundError
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.secrets import (
    AwsSecretsManager,
    CachedSecretStore,
    SecretStore,
    get_basic_auth_secret,
)
from asyncconsole.testing import check_secret_store

pytestmark = pytest.mark.integration


class MotoSecrets:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.options = AwsClientOptions(region="us-east-1", endpoint_url=endpoint)

    async def put_secret(self, name: str, value: str) -> str:
        async with open_aws_client("secretsmanager", self.options) as sm:
            created = await sm.create_secret(Name=name, SecretString=value)
        return str(created["ARN"])

    async def put_binary(self, name: str, value: bytes) -> str:
        async with open_aws_client("secretsmanager", self.options) as sm:
            created = await sm.create_secret(Name=name, SecretBinary=value)
        return str(created["ARN"])


@pytest.fixture
def moto_secrets(moto_endpoint: str) -> MotoSecrets:
    return MotoSecrets(moto_endpoint)


async def test_contract_on_moto(moto_secrets: MotoSecrets) -> None:
    def open_store() -> AbstractAsyncContextManager[SecretStore]:
        return AwsSecretsManager(region="us-east-1", endpoint_url=moto_secrets.endpoint)

    await check_secret_store(open_store, put_secret=moto_secrets.put_secret)


async def test_contract_on_moto_through_the_cache(moto_secrets: MotoSecrets) -> None:
    @asynccontextmanager
    async def open_store() -> AsyncIterator[SecretStore]:
        async with AwsSecretsManager(endpoint_url=moto_secrets.endpoint) as real:
            yield CachedSecretStore(real)

    await check_secret_store(open_store, put_secret=moto_secrets.put_secret, prefix="cached")


async def test_user_secret_arn_by_arn_and_by_name(moto_secrets: MotoSecrets) -> None:
    arn = await moto_secrets.put_secret("ma/creds", '{"username": "u", "password": "p"}')
    async with AwsSecretsManager(region="us-east-1", endpoint_url=moto_secrets.endpoint) as sm:
        by_arn = await get_basic_auth_secret(sm, arn)
        by_name = await get_basic_auth_secret(sm, "ma/creds")
    assert by_arn == by_name
    assert by_arn.username == "u"
    assert by_arn.password.get() == "p"


async def test_binary_secrets_decode_as_utf8(moto_secrets: MotoSecrets) -> None:
    await moto_secrets.put_binary("bin", "héllo".encode())
    await moto_secrets.put_binary("raw", b"\xff\xfe")
    async with AwsSecretsManager(region="us-east-1", endpoint_url=moto_secrets.endpoint) as sm:
        assert (await sm.get_secret_string("bin")).get() == "héllo"
        with pytest.raises(AwsError, match="no SecretString") as caught:
            await sm.get_secret_string("raw")
    assert caught.value.code == "InvalidSecretFormat"


async def test_missing_secret_is_not_found(moto_secrets: MotoSecrets) -> None:
    async with AwsSecretsManager(region="us-east-1", endpoint_url=moto_secrets.endpoint) as sm:
        with pytest.raises(AwsNotFoundError, match="Secret nope not found") as caught:
            await sm.get_secret_string("nope")
    assert caught.value.code == "ResourceNotFoundException"
    assert not caught.value.transient


async def test_no_region_is_a_config_error(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ConfigError, match="region"):
        async with AwsSecretsManager(endpoint_url=moto_endpoint):
            pass
    with pytest.raises(ConfigError, match="both access_key and secret_key"):
        AwsSecretsManager(access_key="AK")
