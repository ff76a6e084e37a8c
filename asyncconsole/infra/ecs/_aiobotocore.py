"""``AwsECSManager``: ECS through aiobotocore (imported lazily, via ``infra/_aws.py``)."""

from __future__ import annotations

from .._aws import AiobotocoreAdapter, AwsDefaults
from ._base import BaseECSManager
from ._common import DEFAULT_RETRY

__all__ = ["AwsECSManager"]


class AwsECSManager(AiobotocoreAdapter, BaseECSManager):
    """The :class:`ECSManager` for AWS ECS, on one pooled aiobotocore client.

    Region and credentials come from the arguments or the standard AWS chain (environment,
    shared config, container/instance role). Each call ends within ``request_timeout`` (60 s by
    default), retries included; botocore's own retries are off, and calls safe to repeat are
    retried with ``retry`` (``RunTask`` never is: a lost answer is reconciled by its tag).
    The constructor's arguments are :class:`~asyncconsole.infra._aws.AiobotocoreAdapter`'s.

    Example::

        async with AwsECSManager(region="us-east-1") as ecs:
            await ecs.scale_service("cluster", "service", 4)
            st = await ecs.wait_until_stable("cluster", "service", timeout=300)
    """

    _service = "ecs"
    _title = "ECS"
    _defaults = AwsDefaults(retry=DEFAULT_RETRY, request_timeout=60.0, max_pool_connections=50)
    _region_hint = "pass region= (backfill/replay ecs.aws_region) or set AWS_DEFAULT_REGION"
