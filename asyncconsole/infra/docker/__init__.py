"""Docker Engine: containers, exec, logs and local images, real (aiodocker) or fake.

``DockerEngineManager`` talks to a real daemon (``DOCKER_HOST`` or the default socket, or
console_link's ``docker.socket``); ``FakeDockerManager`` is an in-memory daemon for tests. Both
satisfy :class:`DockerManager` and raise the same ``DockerError`` family. aiodocker is imported
only when a ``DockerEngineManager`` opens.
"""

from ..._errors import (
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    DockerTimeoutError,
    DockerUnavailableError,
)
from ..commands._result import CommandResult
from ._address import docker_url
from ._aiodocker import DockerEngineManager
from ._fake import FakeDockerCall, FakeDockerManager
from ._fake_programs import FakeProgram, emulate_program
from ._protocol import DockerManager, EnvValue
from ._stream import LogStream
from ._types import ContainerInfo, ContainerState

__all__ = [
    "CommandResult",
    "ContainerInfo",
    "ContainerState",
    "DockerConflictError",
    "DockerEngineManager",
    "DockerError",
    "DockerManager",
    "DockerNotFoundError",
    "DockerTimeoutError",
    "DockerUnavailableError",
    "EnvValue",
    "FakeDockerCall",
    "FakeDockerManager",
    "FakeProgram",
    "LogStream",
    "docker_url",
    "emulate_program",
]
