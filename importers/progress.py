"""What a running import is doing, for a worker watching a terminal.

One line on stderr, redrawn in place a few times a second: the step, how much
has been read, the rate, and the time left where the size is known::

    big.csv: reading times: 1,250,000 of 2,000,000 times, 61,000 times/s, about 12 s left

When stderr is not a terminal (piped, redirected to a file, under cron) it
writes nothing at all, so logs and pipes get only the summary line.
"""

from __future__ import annotations

import os
import sys
import time


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class Progress:
    """Progress of one import, drawn on ``stream`` (default stderr) if it is a terminal.

    ``step(what, unit, total)`` starts a step (drawn at once), ``add(n)``
    counts ``n`` more units of it, ``fraction`` overrides done/total where the
    share done is known otherwise (bytes of an archive read), and ``close()``
    clears the line. Every call is cheap and does nothing when off.
    """

    def __init__(self, label: str, stream=None, every: float = 0.25, clock=time.monotonic) -> None:
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.on = _is_terminal(self.stream)
        self.every, self.clock = every, clock
        self.what, self.unit, self.total, self.done, self.fraction = "", "rows", None, 0, None
        self._started = self._drawn = 0.0
        self._shown = False

    def step(self, what: str, unit: str = "rows", total: int | None = None) -> None:
        if not self.on:
            return
        self.what, self.unit, self.total, self.done, self.fraction = what, unit, total, 0, None
        self._started = self.clock()
        self._draw()

    def add(self, n: int = 1, fraction: float | None = None) -> None:
        if not self.on:
            return
        self.done += n
        if fraction is not None:
            self.fraction = fraction
        if self.clock() - self._drawn >= self.every:
            self._draw()

    def line(self) -> str:
        """The line as it would be drawn now."""
        if not self.done and not self.total:
            return f"{self.label}: {self.what}..."
        parts = [f"{self.done:,} of {self.total:,} {self.unit}" if self.total else f"{self.done:,} {self.unit}"]
        elapsed = self.clock() - self._started
        if elapsed >= 1 and self.done:
            rate = self.done / elapsed
            parts.append(f"{rate:,.0f} {self.unit}/s" if rate >= 10 else f"{rate:.1f} {self.unit}/s")
            share = self.fraction if self.fraction is not None else (self.done / self.total if self.total else None)
            if share and 0 < share < 1:
                parts.append(f"about {_duration(elapsed * (1 - share) / share)} left")
        return f"{self.label}: {self.what}: {', '.join(parts)}"

    def _draw(self) -> None:
        self._drawn = self.clock()
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns or 200  # 0: a terminal that did not say
        except (AttributeError, OSError, ValueError):
            width = 200
        self.stream.write("\r\x1b[K" + self.line()[: max(20, width - 1)])
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Clear the line, so the summary that follows stands alone."""
        if self.on and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


QUIET = Progress("", stream=None)
QUIET.on = False  # for callers that want no progress (tests calling an importer directly)
