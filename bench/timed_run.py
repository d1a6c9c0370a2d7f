"""``python -m capture run`` with Workprint's key callback timed.

Used by capture_bench.py: each call of the X11 key callback (keysym lookup,
classification, stamp, enqueue) is timed with perf_counter_ns and the
durations are written to $WORKPRINT_BENCH_TIMINGS when the daemon exits.
"""

import atexit
import os
import sys
import time
from pathlib import Path

from cli import main  # noqa: E402
from cli.lean import NoPandas as _NoPandas  # noqa: E402

sys.meta_path.insert(0, _NoPandas())  # as the real daemon does: pandas stays out
from capture.backends import x11  # noqa: E402

_original = x11._key_listener_class
durations: list[int] = []


def _timed_class():
    base = _original()

    class Timed(base):
        def _handle_message(self, display, event, *rest):
            start = time.perf_counter_ns()
            super()._handle_message(display, event, *rest)
            durations.append(time.perf_counter_ns() - start)

    return Timed


x11._key_listener_class = _timed_class
atexit.register(lambda: Path(os.environ["WORKPRINT_BENCH_TIMINGS"]).write_text("\n".join(map(str, durations))))

sys.exit(main(["run", *sys.argv[1:]]))
