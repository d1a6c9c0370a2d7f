"""The one place platform backends hand input to: stamp and enqueue, nothing more.

Backends classify keys themselves (inside their callback) and call these
methods from their listener threads. No method blocks or does I/O: each reads
the clock, applies the privacy gates that are plain flags (paused, title
policy), and puts a small tuple on a queue that the writer drains.
"""

from __future__ import annotations

import math
import queue
import threading

from capture import clock
from store.events import (
    FOCUS,
    KEY_DOWN,
    KEY_UP,
    MOUSE_DOWN,
    MOUSE_UP,
    MOVE,
    PAUSE,
    RESUME,
    SCROLL,
)

_NS = 1_000_000_000


class Recorder:
    """Receives input from a backend; owns the pause flag and the title policy."""

    def __init__(self, store_titles: bool = False) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.paused = False
        self.store_titles = store_titles
        self._move_lock = threading.Lock()
        self._move_sec = 0
        self._move_dist = 0.0
        self._move_first_ns = 0
        self._last_xy: tuple[int, int] | None = None
        self._focus: tuple[str | None, str | None, int | None] | None = None

    # --- input, called from listener threads -------------------------------
    def key(self, pressed: bool, key_class: int, seq: int) -> None:
        """A key went down or up; ``seq`` is the same for a press and its release."""
        if not self.paused:
            self.queue.put((clock.now_ns(), KEY_DOWN if pressed else KEY_UP, key_class, seq))

    def button(self, pressed: bool, button: int, x: int, y: int) -> None:
        if not self.paused:
            self.queue.put((clock.now_ns(), MOUSE_DOWN if pressed else MOUSE_UP, button, x, y))

    def scroll(self, dx: int, dy: int, x: int, y: int) -> None:
        if not self.paused:
            self.queue.put((clock.now_ns(), SCROLL, dx, dy, x, y))

    def move(self, x: int, y: int) -> None:
        """Pointer position; only the distance travelled per second is kept."""
        t = clock.now_ns()
        with self._move_lock:
            last, self._last_xy = self._last_xy, (x, y)
            if self.paused or last is None:
                return
            sec = t // _NS
            if sec != self._move_sec:
                self._emit_move()
                self._move_sec = sec
            if self._move_dist == 0:
                self._move_first_ns = t
            self._move_dist += math.hypot(x - last[0], y - last[1])

    def focus(self, app: str | None, title: str | None, pid: int | None, t_ns: int | None = None) -> None:
        """The focused window changed (or its title did), now or at ``t_ns``."""
        if not self.store_titles:
            title = None
        current = (app, title, pid)
        if current == self._focus:
            return
        self._focus = current
        if not self.paused:
            self.queue.put((t_ns or clock.now_ns(), FOCUS, app, title, pid))

    # --- control, called by the daemon ---------------------------------------
    def flush_move(self, now_ns: int | None = None) -> None:
        """Emit the pending move total once its second is over (or at stop)."""
        now_ns = clock.now_ns() if now_ns is None else now_ns
        with self._move_lock:
            if now_ns // _NS != self._move_sec or now_ns == 0:
                self._emit_move()

    def _emit_move(self) -> None:
        if self._move_dist > 0:
            self.queue.put((self._move_first_ns, MOVE, round(self._move_dist, 1)))
        self._move_dist = 0.0

    def mark(self, kind: int) -> None:
        self.queue.put((clock.now_ns(), kind))

    def set_paused(self, paused: bool) -> bool:
        """Pause or resume; returns False if already in that state."""
        if paused == self.paused:
            return False
        if paused:
            self.flush_move(0)
            self.paused = True
            self.mark(PAUSE)
        else:
            self.mark(RESUME)
            self.paused = False
            if self._focus is not None:
                # Time after a resume belongs to whatever has focus now.
                self.queue.put((clock.now_ns(), FOCUS, *self._focus))
        return True
