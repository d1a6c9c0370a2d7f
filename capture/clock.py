"""Capture's clock: wall time for what is stored, that never runs backwards.

A clock set back while capturing (by hand, or corrected after a suspend)
must not keep idle from ever starting, stamp the stop before the start, or
leave keys outside every span. So every stamp is the wall time of the last
anchor plus the time elapsed since on CLOCK_BOOTTIME (steady, and counting
suspend, unlike CLOCK_MONOTONIC). A wall clock that moves ahead of that is
followed at once (stamps jump forward, which is harmless); one that moves
back is not followed until it has caught up again.
"""

from __future__ import annotations

import threading
import time

_STEADY = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
_lock = threading.Lock()
_anchor: tuple[int, int] | None = None  # (wall ns, steady ns) at the last anchor


def now_ns() -> int:
    """Nanoseconds since the epoch, never less than any earlier call returned."""
    global _anchor
    steady = time.clock_gettime_ns(_STEADY)
    wall = time.time_ns()
    with _lock:
        if _anchor is not None:
            estimate = _anchor[0] + steady - _anchor[1]
            if wall <= estimate:
                return estimate
        _anchor = (wall, steady)
        return wall
