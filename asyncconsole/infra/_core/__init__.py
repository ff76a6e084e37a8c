"""The adapter core: what every adapter (real and fake) shares, in one place.

- :class:`AdapterCore` runs each public call: one deadline, retries that know idempotency,
  reconciliation of lost creates, typed errors, one event, a fake's injected faults.
- :class:`PeerFailure` is how an adapter reports a failed exchange; :class:`ErrorTypes` types it.
- :mod:`._decode` turns answers into values with shape checks; :mod:`._shield` holds cleanup
  that survives cancellation.

A real adapter only moves bytes through its library; a fake only moves simulated state.
"""

from ..._decode import ShapeError, expect, loads, shaped
from ._call import (
    DEFAULT,
    AdapterCore,
    Attempt,
    Operation,
    check_timeout,
    detach_deadline,
    time_left,
)
from ._errors import ErrorTypes
from ._failure import FailureKind, PeerFailure
from ._faults import FaultKind, FaultPlan, FaultRule
from ._shield import finish, settle, undo

__all__ = [
    "DEFAULT",
    "AdapterCore",
    "Attempt",
    "ErrorTypes",
    "FailureKind",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "Operation",
    "PeerFailure",
    "ShapeError",
    "check_timeout",
    "detach_deadline",
    "expect",
    "finish",
    "loads",
    "settle",
    "shaped",
    "time_left",
    "undo",
]
