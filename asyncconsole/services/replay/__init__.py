"""The traffic replayer on Docker, ECS or Kubernetes: start, stop, scale, status.

::

    replay = Replay(config.replay, workers)
    await replay.start()                  # the configured scale (default 1)
    print(await replay.status())          # ReplayStatus.RUNNING / counts

    for line in convert_tuples(open("tuples.log")):   # the replayer's tuple log, decoded
        print(line, end="")
"""

from ._replay import Replay, replay_status
from ._tuples import TupleReadReport, convert_tuples, read_tuple
from ._types import ReplayStatus, ReplayStatusReport

__all__ = [
    "Replay",
    "ReplayStatus",
    "ReplayStatusReport",
    "TupleReadReport",
    "convert_tuples",
    "read_tuple",
    "replay_status",
]
