"""The one place platform backends hand input to: stamp and enqueue, nothing more.

Backends classify keys themselves (inside their callback) and call these
methods from their listener threads. No method blocks or does I/O: each reads
the clock, applies the privacy gates (held: paused, outside work hours,
waiting for consent; an excluded app in focus; the title policy and
redaction), and puts a small tuple on a queue that the writer drains.
"""

from __future__ import annotations

import logging
import math
import queue
import threading

from capture import clock
from capture.policy import EXCLUDED_APP, Policy
from capture.settings import Settings
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
log = logging.getLogger("workprint.recorder")


class Recorder:
    """Receives input from a backend; owns the holds and applies the policy.

    ``paused`` is true while any hold is in place (:meth:`hold`): then no
    input is queued at all. ``excluded`` is true while an excluded app has
    focus: then only that focus is queued, and input only keeps idle from
    starting (:attr:`excluded_activity_ns`), never as an event.
    """

    def __init__(self, policy: Policy | None = None) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.policy = policy or Policy(Settings())
        self.paused = False
        self.holds: dict[str, str] = {}
        self.excluded = False
        self.excluded_activity_ns = 0
        self._hold_lock = threading.Lock()
        self._move_lock = threading.Lock()
        self._move_sec = 0
        self._move_dist = 0.0
        self._move_first_ns = 0
        self._last_xy: tuple[int, int] | None = None
        self._focus: tuple | None = None  # (app, title, pid, excluded) as queued
        self._window: tuple | None = None  # the focused window as the backend reported it

    # --- input, called from listener threads -------------------------------
    def key(self, pressed: bool, key_class: int, seq: int) -> None:
        """A key went down or up; ``seq`` is the same for a press and its release."""
        if self.paused:
            return
        if self.excluded:
            self.excluded_activity_ns = clock.now_ns()
            return
        self.queue.put((clock.now_ns(), KEY_DOWN if pressed else KEY_UP, key_class, seq))

    def button(self, pressed: bool, button: int, x: int, y: int) -> None:
        if self.paused:
            return
        if self.excluded:
            self.excluded_activity_ns = clock.now_ns()
            return
        self.queue.put((clock.now_ns(), MOUSE_DOWN if pressed else MOUSE_UP, button, x, y))

    def scroll(self, dx: int, dy: int, x: int, y: int) -> None:
        if self.paused:
            return
        if self.excluded:
            self.excluded_activity_ns = clock.now_ns()
            return
        self.queue.put((clock.now_ns(), SCROLL, dx, dy, x, y))

    def move(self, x: int, y: int) -> None:
        """Pointer position; only the distance travelled per second is kept."""
        t = clock.now_ns()
        with self._move_lock:
            last, self._last_xy = self._last_xy, (x, y)
            if self.paused or last is None:
                return
            if self.excluded:
                self.excluded_activity_ns = t
                return
            sec = t // _NS
            if sec != self._move_sec:
                self._emit_move()
                self._move_sec = sec
            if self._move_dist == 0:
                self._move_first_ns = t
            self._move_dist += math.hypot(x - last[0], y - last[1])

    def wants_title(self, app: str | None, instance: str | None = None) -> bool:
        """May this app's window title be stored? (A backend need not even read it otherwise.)"""
        return self.policy.titles_for(app, instance) and not self.policy.excluded(app, instance)

    def focus(self, app: str | None, title: str | None, pid: int | None, t_ns: int | None = None,
              instance: str | None = None) -> None:
        """The focused window changed (or its title did), now or at ``t_ns``.
        ``app`` is the WM_CLASS class, ``instance`` its instance name."""
        self._window = (app, title, pid, None, instance)
        policy = self.policy
        excluded = policy.excluded(app, instance)
        if excluded:
            current = (app if policy.record_excluded_name else EXCLUDED_APP, None, None, True)
        else:
            current = (app, policy.redact(title) if title and policy.titles_for(app, instance) else None, pid, False)
        if excluded and not self.excluded:
            self.flush_move(0)  # the pointer's travel so far belongs to the app before
        self.excluded = excluded
        if current == self._focus:
            return
        self._focus = current
        if not self.paused:
            self.queue.put((t_ns or clock.now_ns(), FOCUS, *current))

    def set_policy(self, policy: Policy) -> None:
        """New settings: the focus is judged again by them at once."""
        self.policy = policy
        if self._focus is not None and self._window is not None:
            self.focus(*self._window)

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

    def mark(self, kind: int, t_ns: int | None = None) -> None:
        self.queue.put((t_ns or clock.now_ns(), kind))

    def hold(self, cause: str, reason: str | None, t_ns: int | None = None) -> bool:
        """Hold recording for ``cause`` (``reason`` says why) or release that
        hold (None). Capture is paused while any hold is in place: a pause
        mark when the first comes, a resume mark when the last goes (at
        ``t_ns``, else now). Returns False if that cause was already so."""
        with self._hold_lock:
            if self.holds.get(cause) == reason:
                return False
            held = bool(self.holds)
            if reason is None:
                self.holds.pop(cause, None)
            else:
                self.holds[cause] = reason
                log.info("capture held, recording nothing: %s", reason)
            if held and not self.holds:
                log.info("capture records again")
            if held == bool(self.holds):
                return True
            t_ns = t_ns or clock.now_ns()
            if self.holds:
                self.flush_move(0)
                self.paused = True
                self.mark(PAUSE, t_ns)
            else:
                self.mark(RESUME, t_ns)
                self.paused = False
                if self._focus is not None:
                    # Time after a resume belongs to whatever has focus now.
                    self.queue.put((t_ns, FOCUS, *self._focus))
            return True

    def set_paused(self, paused: bool) -> bool:
        """Pause or resume by hand; returns False if already in that state."""
        return self.hold("paused", "paused by you" if paused else None)
