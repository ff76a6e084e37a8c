"""Secrets: read secret strings by id (AWS Secrets Manager or a fake), cached once fetched.

``SecretStore`` is the protocol, ``AwsSecretsManager`` the real one (aiobotocore, loaded on
first use), ``FakeSecretStore`` the in-memory one, ``CachedSecretStore`` the fetch-once wrapper,
and ``get_basic_auth_secret`` reads ``basic_auth.user_secret_arn`` secrets.
"""

from ._aiobotocore import AwsSecretsManager
from ._cache import CachedSecretStore
from ._fake import FakeSecretStore, FakeSecretStoreCall
from ._format import decode_json_object, get_basic_auth_secret
from ._protocol import SecretStore
from ._types import BasicAuthSecret

__all__ = [
    "AwsSecretsManager",
    "BasicAuthSecret",
    "CachedSecretStore",
    "FakeSecretStore",
    "FakeSecretStoreCall",
    "SecretStore",
    "decode_json_object",
    "get_basic_auth_secret",
]
