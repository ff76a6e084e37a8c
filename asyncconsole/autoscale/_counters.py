"""Cumulative counters read once per period: the increase since the previous reading."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Counters"]


class Counters:
    """The last value of a cumulative counter per key (node, series), to report increases.

    A key seen for the first time makes the increase unknown (None): there is nothing to
    compare with. A value lower than the last one means the counter restarted (a node
    rebooted), so its whole value is the increase.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def increase(self, values: Mapping[str, int]) -> int | None:
        """The increase summed over ``values``' keys since the previous call."""
        total = 0
        known = bool(values)
        for key, value in values.items():
            before = self._last.get(key)
            if before is None:
                known = False
            else:
                total += value - before if value >= before else value
        self._last = dict(values)
        return total if known else None
