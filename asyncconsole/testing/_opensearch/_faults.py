"""Latency and fault injection rules matched on method and path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Fault", "FaultRules", "LatencyRule"]

_DEFAULT_TYPES = {
    400: "illegal_argument_exception",
    401: "security_exception",
    403: "security_exception",
    404: "resource_not_found_exception",
    409: "version_conflict_engine_exception",
    429: "rejected_execution_exception",
    503: "cluster_block_exception",
}


def _matches(
    pattern: re.Pattern[str] | None, method: str | None, req_method: str, path: str
) -> bool:
    if method is not None and method.upper() != req_method:
        return False
    return pattern is None or pattern.search(path) is not None


@dataclass
class Fault:
    """Fail the next ``remaining`` matching requests."""

    remaining: int
    method: str | None
    path: re.Pattern[str] | None
    status: int
    error_type: str
    reason: str
    reset: bool
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LatencyRule:
    """Delay matching requests by ``seconds``."""

    seconds: float
    method: str | None
    path: re.Pattern[str] | None


class FaultRules:
    """The server's fault and latency rules."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.faults: list[Fault] = []
        self.latencies: list[LatencyRule] = []

    def add_fault(
        self,
        count: int,
        *,
        method: str | None,
        path: str | None,
        status: int,
        error_type: str | None,
        reason: str,
        reset: bool,
        headers: dict[str, str] | None,
    ) -> Fault:
        fault = Fault(
            remaining=count,
            method=method,
            path=re.compile(path) if path is not None else None,
            status=status,
            error_type=error_type or _DEFAULT_TYPES.get(status, "exception"),
            reason=reason,
            reset=reset,
            headers=dict(headers or {}),
        )
        self.faults.append(fault)
        return fault

    def add_latency(self, seconds: float, *, method: str | None, path: str | None) -> None:
        self.latencies.append(
            LatencyRule(seconds, method, re.compile(path) if path is not None else None)
        )

    def delay_for(self, method: str, path: str) -> float:
        """The first matching rule's delay, else the global latency."""
        for rule in self.latencies:
            if _matches(rule.path, rule.method, method, path):
                return rule.seconds
        return self.latency

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first matching fault."""
        for fault in self.faults:
            if fault.remaining > 0 and _matches(fault.path, fault.method, method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every fault and latency rule (the global latency stays)."""
        self.faults.clear()
        self.latencies.clear()
