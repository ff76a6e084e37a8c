"""Object storage (Amazon S3): list page by page, stream objects, write, delete in batches.

``ObjectStore`` is the protocol, ``AwsS3Store`` the real one (aiobotocore, loaded on first
use), ``FakeObjectStore`` in-memory buckets for tests, ``check_object_store`` the contract
both pass.
"""

from ._aiobotocore import AwsS3Store
from ._contract import check_object_store
from ._fake import FakeObjectStore, FakeObjectStoreCall
from ._protocol import ObjectStore
from ._types import DELETE_BATCH, ObjectInfo

__all__ = [
    "DELETE_BATCH",
    "AwsS3Store",
    "FakeObjectStore",
    "FakeObjectStoreCall",
    "ObjectInfo",
    "ObjectStore",
    "check_object_store",
]
