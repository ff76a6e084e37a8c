"""The traffic replayer on Docker, ECS or Kubernetes: start, stop, scale, status.

::

    replay = Replay(config.replay, workers)
    await replay.start()                  # the configured scale (default 1)
    print(await replay.status())          # ReplayStatus.RUNNING / counts
"""

from ._replay import Replay, replay_status
from ._types import ReplayStatus, ReplayStatusReport

__all__ = ["Replay", "ReplayStatus", "ReplayStatusReport", "replay_status"]
