"""AWS ECS: read, scale and wait on services; list, run and stop tasks.

``ECSManager`` is the protocol, ``AwsECSManager`` the real one (aiobotocore, loaded on first
use), ``FakeECSManager`` an in-memory ECS over fake time for tests.
"""

from ._aiobotocore import AwsECSManager
from ._fake import FakeECSCall, FakeECSManager
from ._protocol import ECSManager
from ._types import ContainerOverride, ECSDeployment, ServiceStatus, TaskInfo, TaskState

__all__ = [
    "AwsECSManager",
    "ContainerOverride",
    "ECSDeployment",
    "ECSManager",
    "FakeECSCall",
    "FakeECSManager",
    "ServiceStatus",
    "TaskInfo",
    "TaskState",
]
