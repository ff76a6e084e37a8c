"""The fault contract for the S3 object store and the Secrets Manager store: moto behind a
FaultProxy. Every call of both is safe to repeat (a read, or a put/delete of the same keys)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from asyncconsole import RetryPolicy, Secret
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.s3 import AwsS3Store, ObjectInfo
from asyncconsole.infra.secrets import AwsSecretsManager
from asyncconsole.testing import FaultCall, FaultProxy, ProxyInjector, check_fault_contract

pytestmark = pytest.mark.integration

TIMEOUT = 2.0
PATIENT = RetryPolicy(attempts=8, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, timeout=None)
BUCKET = "asyncconsole-fault-contract"
_keys = itertools.count()


async def _listed(s3: AwsS3Store) -> list[ObjectInfo]:
    return [obj async for obj in s3.list_objects(BUCKET, "")]


async def test_s3_store_keeps_the_fault_contract(moto_endpoint: str) -> None:
    options = AwsClientOptions(region="us-east-1", endpoint_url=moto_endpoint)
    async with open_aws_client("s3", options) as s3:
        await s3.create_bucket(Bucket=BUCKET)
        await s3.put_object(Bucket=BUCKET, Key="kept", Body=b"kept")
    calls: list[FaultCall[AwsS3Store]] = [
        FaultCall("get_object", lambda s3: s3.get_object(BUCKET, "kept"), True, bytes),
        FaultCall("list_objects", _listed, True, list),
        FaultCall(
            "put_object",
            lambda s3: s3.put_object(BUCKET, f"put/{next(_keys)}", b"data"),
            True,
        ),
        FaultCall("delete_objects", lambda s3: s3.delete_objects(BUCKET, ["absent"]), True, int),
        FaultCall("ping", lambda s3: s3.ping(), True),
    ]
    async with FaultProxy(moto_endpoint, seed=11) as proxy:

        @asynccontextmanager
        async def open_store() -> AsyncIterator[AwsS3Store]:
            async with AwsS3Store(
                region="us-east-1",
                endpoint_url=proxy.url,
                request_timeout=TIMEOUT,
                retry=PATIENT,
            ) as s3:
                yield s3

        await check_fault_contract(open_store, calls, ProxyInjector(proxy), timeout=TIMEOUT)
        assert any(path.startswith(f"/{BUCKET}") for _, path in proxy.forwarded)


async def test_secrets_manager_keeps_the_fault_contract(moto_endpoint: str) -> None:
    options = AwsClientOptions(region="us-east-1", endpoint_url=moto_endpoint)
    async with open_aws_client("secretsmanager", options) as sm:
        await sm.create_secret(Name="plain", SecretString="s3cr3t")
        await sm.create_secret(Name="json", SecretString='{"username": "u", "password": "p"}')
    calls: list[FaultCall[AwsSecretsManager]] = [
        FaultCall("get_secret_string", lambda sm: sm.get_secret_string("plain"), True, Secret),
        FaultCall("get_json_secret", lambda sm: sm.get_json_secret("json"), True, dict),
        FaultCall("ping", lambda sm: sm.ping(), True),
    ]
    async with FaultProxy(moto_endpoint, seed=13, operation_header="X-Amz-Target") as proxy:

        @asynccontextmanager
        async def open_store() -> AsyncIterator[AwsSecretsManager]:
            async with AwsSecretsManager(
                region="us-east-1",
                endpoint_url=proxy.url,
                request_timeout=TIMEOUT,
                retry=PATIENT,
            ) as sm:
                yield sm

        await check_fault_contract(open_store, calls, ProxyInjector(proxy), timeout=TIMEOUT)
        assert proxy.forwarded_operations["secretsmanager.GetSecretValue"] > 0
