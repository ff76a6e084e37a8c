"""What the real Docker manager and the fake share: every public call, checked and bounded once.

:class:`BaseDockerManager` is the whole of :class:`DockerManager` for both: argument checks,
the :class:`~asyncconsole.infra._core.Operation` of each call, its deadline, retries and
reconciliation, typed errors, one log event, and cleanup that leaves nothing behind
(:mod:`._containers`, :mod:`._output`, :mod:`._images`). A subclass implements the steps of
:class:`~._steps.DockerSteps` and nothing else: :class:`DockerEngineManager` moves bytes
through aiodocker, :class:`FakeDockerManager` moves simulated state.

Deadlines: ``request_timeout`` bounds each public call, retries and cleanup included. A call
that waits adds what it waits for: ``stop_container(timeout=t)`` gets ``request_timeout + t``
(the daemon waits ``t`` first, ``10`` when None), ``wait_container(timeout=t)`` gets ``t``,
an attached ``run_container`` or an ``exec_in_container`` with ``timeout=t`` gets
``request_timeout + t``, imports and builds their ``timeout``. Those without a timeout wait as
long as it takes, but the short requests inside them are still bounded.

=======================  =============  ==================================================
call                     repeated       after a lost answer
=======================  =============  ==================================================
inspect, list, logs,     yes            (repeated)
wait, image_exists
ping                     no (a check)   reported
create, run              no             the run token finds the container (reconciled)
start, stop              no             the container's state says whether it happened
remove, remove_image     no             its absence says it happened
exec, import, build      no             reported
=======================  =============  ==================================================

A call is repeated only within its deadline, for a transient failure (unreachable, a lost
answer, 502/503/504); one that is not safe to repeat is sent again only when it certainly
never reached the daemon.
"""

from __future__ import annotations

from ._containers import ContainerCalls
from ._images import ImageCalls
from ._output import OutputCalls
from ._steps import DEFAULT_RETRY, DEFAULT_STOP_GRACE

__all__ = ["DEFAULT_RETRY", "DEFAULT_STOP_GRACE", "BaseDockerManager"]


class BaseDockerManager(ContainerCalls, OutputCalls, ImageCalls):
    """A :class:`DockerManager` whose subclass implements only the steps (see the module
    docstring for the promises every call keeps)."""
