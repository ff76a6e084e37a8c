"""AwsS3Store against moto server: the contract suite, paging, errors, cancellation."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

import pytest

from asyncconsole import ConfigError
from asyncconsole._errors import AwsError, AwsNotFoundError
from asyncconsole.infra._aws import AwsClientOptions, open_aws_client
from asyncconsole.infra.s3 import AwsS3Store, ObjectStore
from asyncconsole.testing import check_object_store

pytestmark = pytest.mark.integration

BUCKET = "asyncconsole-s3-test"


@pytest.fixture
async def bucket(moto_endpoint: str) -> str:
    options = AwsClientOptions(region="us-east-1", endpoint_url=moto_endpoint)
    async with open_aws_client("s3", options) as s3:
        await s3.create_bucket(Bucket=BUCKET)
    return BUCKET


async def test_contract_on_moto(moto_endpoint: str, bucket: str) -> None:
    def open_store() -> AbstractAsyncContextManager[ObjectStore]:
        return AwsS3Store(region="us-east-1", endpoint_url=moto_endpoint)

    await check_object_store(open_store, bucket=bucket)


async def test_paging_follows_continuation_tokens(moto_endpoint: str, bucket: str) -> None:
    async with AwsS3Store(region="us-east-1", endpoint_url=moto_endpoint) as s3:
        for i in range(5):
            await s3.put_object(bucket, f"p/{i}", b"x" * i)
        found = [o async for o in s3.list_objects(bucket, "p/", page_size=2)]
        assert [o.key for o in found] == [f"p/{i}" for i in range(5)]
        assert [o.size for o in found] == list(range(5))
        assert all(o.last_modified is not None and o.last_modified.tzinfo for o in found)
        assert all(o.etag and '"' not in o.etag for o in found)


async def test_errors_are_typed_and_name_the_object(moto_endpoint: str, bucket: str) -> None:
    async with AwsS3Store(region="us-east-1", endpoint_url=moto_endpoint) as s3:
        with pytest.raises(AwsNotFoundError) as missing:
            await s3.get_object(bucket, "nope/key")
        assert missing.value.code == "NoSuchKey"
        assert f"s3://{bucket}/nope/key" in str(missing.value)
        with pytest.raises(AwsNotFoundError) as no_bucket:
            await s3.put_object("no-such-bucket-xyz", "k", b"")
        assert no_bucket.value.code == "NoSuchBucket"


async def test_unreachable_endpoint_is_an_aws_error(aws_env: dict[str, str]) -> None:
    from asyncconsole import NO_RETRY
    from tests.fixtures.peers import free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    async with AwsS3Store(
        region="us-east-1", endpoint_url=endpoint, retry=NO_RETRY, connect_timeout=1.0
    ) as s3:
        with pytest.raises(AwsError) as failed:
            await s3.ping()
        assert failed.value.transient


async def test_stopping_a_stream_early_releases_the_connection(
    moto_endpoint: str, bucket: str
) -> None:
    async with AwsS3Store(
        region="us-east-1", endpoint_url=moto_endpoint, max_pool_connections=1
    ) as s3:
        await s3.put_object(bucket, "big", b"y" * 200_000)
        for _ in range(3):
            stream = s3.stream_object(bucket, "big", chunk_size=1024)
            assert len(await anext(stream)) <= 1024
            await stream.aclose()
        # With one pooled connection, a leaked body would make this hang.
        async with asyncio.timeout(10):
            assert len(await s3.get_object(bucket, "big")) == 200_000


def test_credentials_come_in_pairs() -> None:
    with pytest.raises(ConfigError):
        AwsS3Store(access_key="AK")
    assert "secret" not in repr(AwsS3Store(access_key="AK", secret_key="secret"))
