"""``AwsSecretsManager``: Secrets Manager through aiobotocore (imported lazily via ``_aws.py``)."""

from __future__ import annotations

from ..._retry import RetryPolicy
from .._aws import AiobotocoreAdapter, AwsDefaults
from ._base import BaseSecretStore

__all__ = ["AwsSecretsManager"]

DEFAULT_RETRY = RetryPolicy(
    attempts=4, wait_initial=0.2, wait_max=5.0, wait_jitter=0.2, timeout=60.0
)


class AwsSecretsManager(AiobotocoreAdapter, BaseSecretStore):
    """The :class:`SecretStore` for AWS Secrets Manager (``GetSecretValue``), on one client.

    Region and credentials come from the arguments or the standard AWS chain; each call ends
    within ``request_timeout`` (60 s by default), retries included; botocore's own retries are
    off and throttling is retried with ``retry`` on ``clock``. Wrap it in
    :class:`CachedSecretStore` to fetch each secret once. The constructor's arguments are
    :class:`~asyncconsole.infra._aws.AiobotocoreAdapter`'s.
    """

    _service = "secretsmanager"
    _title = "Secrets Manager"
    _defaults = AwsDefaults(retry=DEFAULT_RETRY)
