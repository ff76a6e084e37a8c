"""Running programs: argv lists, timeouts, streaming output, masking, process-group cleanup.

``CommandExecutor`` is the protocol services depend on; ``SubprocessExecutor`` runs real
processes with asyncio; ``FakeCommandExecutor`` is a scripted in-memory stand-in for tests.
"""

from __future__ import annotations

from ._fake import FakeCall, FakeCommandExecutor, FakeReply
from ._protocol import CommandExecutor, CommandStream
from ._result import CommandResult
from ._subprocess import DEFAULT_GRACE_PERIOD, SubprocessExecutor
from ._types import Argv, EnvMapping, LineSink, OutputLine, OutputMode

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "Argv",
    "CommandExecutor",
    "CommandResult",
    "CommandStream",
    "EnvMapping",
    "FakeCall",
    "FakeCommandExecutor",
    "FakeReply",
    "LineSink",
    "OutputLine",
    "OutputMode",
    "SubprocessExecutor",
]
