"""SimulatedClock: time that passes only when a fake says so.

Latency is a figure of the gate, so a slow gateway needs a gallery mode. Sleeping for real would make the suite
slow and the verdict depend on the machine's load; instead a fake gateway *spends* simulated seconds on a
:class:`SimulatedClock` and the observer reads the same clock (``GatewayTarget(clock=clock.now)``). Over a real
socket (``catalog-guard serve``) the fake sleeps for real and the observer reads ``time.perf_counter``.
"""

from __future__ import annotations

import threading


class SimulatedClock:
    """A monotonic clock in seconds that moves only by :meth:`advance` (thread-safe)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock does not go back ({seconds} s)")
        with self._lock:
            self._now += seconds
