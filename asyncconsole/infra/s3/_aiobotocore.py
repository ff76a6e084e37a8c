"""``AwsS3Store``: Amazon S3 through aiobotocore (imported lazily, via ``infra/_aws.py``)."""

from __future__ import annotations

from ..._retry import RetryPolicy
from .._aws import AiobotocoreAdapter, AwsDefaults
from ._base import BaseObjectStore

__all__ = ["DEFAULT_RETRY", "AwsS3Store"]

DEFAULT_RETRY = RetryPolicy(
    attempts=4, wait_initial=0.2, wait_max=5.0, wait_jitter=0.2, timeout=120.0
)
"""Retries of S3 requests that failed transiently (throttling, 5xx, connection)."""


class AwsS3Store(AiobotocoreAdapter, BaseObjectStore):
    """The :class:`ObjectStore` for Amazon S3 (or an S3-compatible endpoint), on one client.

    Region and credentials come from the arguments or the standard AWS chain; each request
    ends within ``request_timeout`` (120 s by default), retries included; botocore's own
    retries are off and transient failures of every request (all are safe to repeat here) are
    retried with ``retry`` on ``clock``. A streamed object is not retried once bytes arrived.
    The constructor's arguments are :class:`~asyncconsole.infra._aws.AiobotocoreAdapter`'s.

    Example::

        async with AwsS3Store(region="us-east-1") as s3:
            async for obj in s3.list_objects("bucket", "prefix/"):
                data = await s3.get_object("bucket", obj.key)
    """

    _service = "s3"
    _title = "S3"
    _defaults = AwsDefaults(
        retry=DEFAULT_RETRY, request_timeout=120.0, read_timeout=60.0, max_pool_connections=20
    )
