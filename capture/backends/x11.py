"""X11 backend: pynput's XRecord listeners for input, python-xlib for focus.

Keys are classified from their X keysym inside the callback; the character is
never looked at. A key's release takes the class of its press (matched by X
keycode): X reports shift+Tab as ISO_Left_Tab on press but Tab on release,
and "!" as "!" on press but "1" on release once shift is up.

Focus follows EWMH: ``_NET_ACTIVE_WINDOW`` on the root window, WM_CLASS for
the app, ``_NET_WM_PID`` for the process and ``_NET_WM_NAME`` (or WM_NAME) for
the title, which the recorder drops unless the title policy allows it. Focus is
event-driven (PropertyNotify), not polled.

pynput and Xlib are imported when the backend is created, never at module
import: ``import pynput`` fails without a display.
"""

from __future__ import annotations

import logging
import os
import select
import threading

from capture import clock
from store.events import BUTTON_INDEX, KEY_CLASS_INDEX

from ..keys import class_of_keysym

log = logging.getLogger("workprint.x11")

NO_FOCUS_SETTLE_NS = 500_000_000
_BUTTON_NAMES = {"left": "left", "middle": "middle", "right": "right", "button8": "back", "button9": "forward"}


class Backend:
    name = "x11"

    def __init__(self, options: dict) -> None:
        if not os.environ.get("DISPLAY"):
            raise RuntimeError("the X11 backend needs an X display: is DISPLAY set?")
        try:
            import Xlib.display  # noqa: F401
            from pynput import mouse  # noqa: F401
            from pynput.keyboard import _xorg  # noqa: F401
        except Exception as exc:  # ImportError, or Xlib failing to reach the display
            raise RuntimeError(f"cannot use X11 input capture ({exc}); is DISPLAY={os.environ['DISPLAY']} reachable?") from exc
        self.options = options
        self._keyboard = None
        self._mouse = None
        self._focus: _FocusWatcher | None = None
        self._stopping = False

    def start(self, recorder) -> None:
        from pynput import mouse

        self._keyboard = _key_listener_class()(recorder)
        button_index = {name: BUTTON_INDEX[value] for name, value in _BUTTON_NAMES.items()}
        other = BUTTON_INDEX["other"]

        def on_click(x, y, button, pressed):
            recorder.button(pressed, button_index.get(button.name, other), x, y)

        def on_scroll(x, y, dx, dy):
            recorder.scroll(dx, dy, x, y)

        self._mouse = mouse.Listener(on_move=recorder.move, on_click=on_click, on_scroll=on_scroll)
        self._focus = _FocusWatcher(recorder)
        for part in (self._keyboard, self._mouse):
            part.start()
            part.wait()
        self._focus.start()

    def stop(self) -> None:
        self._stopping = True
        for part in (self._keyboard, self._mouse):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # noqa: BLE001 - the X server may already be gone
                    pass
        if self._focus is not None:
            self._focus.stop()

    def failure(self) -> str | None:
        if self._stopping:
            return None
        if self._focus is not None and self._focus.error:
            return self._focus.error
        for part in (self._keyboard, self._mouse):
            if part is not None and not part.is_alive():
                return "the X server went away (input listener stopped)"
        return None


def _key_listener_class():
    """A pynput XRecord keyboard listener that hands key classes to a recorder."""
    import Xlib.X
    from pynput._util.xorg import numlock_mask, shift_to_index
    from pynput.keyboard._xorg import Listener

    press, release = Xlib.X.KeyPress, Xlib.X.KeyRelease
    keypad = Listener._KEYPAD_KEYS
    class_index = {}

    def classify(keysym: int) -> int:
        cls = class_index.get(keysym)
        if cls is None:
            cls = class_index[keysym] = KEY_CLASS_INDEX[class_of_keysym(keysym)]
        return cls

    class KeyListener(Listener):
        def __init__(self, recorder):
            super().__init__()
            self._recorder = recorder
            self._pressed: dict[int, tuple[int, int]] = {}  # keycode -> (class, seq)
            self._seq = 0

        # Overrides pynput's private hook to see the X keycode, which pairs a
        # release with its press; pynput's public callbacks hide it.
        def _handle_message(self, display, event, *_):
            keycode = event.detail
            if event.type == press:
                index = shift_to_index(display, event.state)
                keysym = self._keycode_to_keysym(display, keycode, index)
                if keysym in keypad:
                    keysym = self._keycode_to_keysym(display, keycode, bool(event.state & numlock_mask(display)))
                self._seq += 1
                cls = classify(keysym)
                self._pressed[keycode] = (cls, self._seq)
                self._recorder.key(True, cls, self._seq)
            elif event.type == release:
                pressed = self._pressed.pop(keycode, None)
                if pressed is None:  # pressed before capture started
                    self._seq += 1
                    pressed = (classify(self._keycode_to_keysym(display, keycode, 0)), self._seq)
                self._recorder.key(False, *pressed)

    return KeyListener


class _FocusWatcher(threading.Thread):
    """Reports the active window's app (and title) whenever it changes."""

    def __init__(self, recorder) -> None:
        super().__init__(name="x11-focus", daemon=True)
        import Xlib.display

        self.recorder = recorder
        self.error: str | None = None
        self._halt = threading.Event()
        self._display = Xlib.display.Display()
        self._root = self._display.screen().root
        atom = self._display.intern_atom
        self._active = atom("_NET_ACTIVE_WINDOW")
        self._net_name = atom("_NET_WM_NAME")
        self._pid = atom("_NET_WM_PID")
        self._utf8 = atom("UTF8_STRING")
        self._watched = None
        self._none_since: int | None = None

    def stop(self) -> None:
        self._halt.set()
        self.join(2)

    def run(self) -> None:
        import Xlib.error
        import Xlib.X
        import Xlib.Xatom

        try:
            self._root.change_attributes(event_mask=Xlib.X.PropertyChangeMask)
            self._report()
            fd = self._display.fileno()
            while not self._halt.is_set():
                if not self._display.pending_events():
                    select.select([fd], [], [], 0.1)
                while self._display.pending_events():
                    event = self._display.next_event()
                    if event.type == Xlib.X.PropertyNotify and event.atom in (self._active, self._net_name, Xlib.Xatom.WM_NAME):
                        self._report()
                # Only after the waiting events: a switch already queued must
                # not be preceded by a "nothing focused" of the busy moment.
                self._settle_no_focus()
        except (Xlib.error.ConnectionClosedError, OSError) as exc:
            self.error = f"the X server went away ({exc})"
        finally:
            try:
                self._display.close()
            except Exception:  # noqa: BLE001
                pass

    def _settle_no_focus(self) -> None:
        since = self._none_since
        if since is not None and clock.now_ns() - since > NO_FOCUS_SETTLE_NS:
            self._none_since = None
            self.recorder.focus(None, None, None, t_ns=since)

    def _report(self) -> None:
        import Xlib.error
        import Xlib.X

        try:
            prop = self._root.get_full_property(self._active, Xlib.X.AnyPropertyType)
            wid = prop.value[0] if prop and len(prop.value) else 0
            if not wid:
                # Window managers clear the active window for a moment while
                # switching; only a lasting "nothing focused" is recorded.
                if self._none_since is None:
                    self._none_since = clock.now_ns()
                return
            self._none_since = None
            window = self._display.create_resource_object("window", wid)
            if self._watched != wid:
                # Title changes arrive as PropertyNotify on the window itself.
                window.change_attributes(event_mask=Xlib.X.PropertyChangeMask)
                self._watched = wid
            wm_class = window.get_wm_class()
            app = wm_class[1] if wm_class else None
            instance = wm_class[0] if wm_class else None
            pid_prop = window.get_full_property(self._pid, Xlib.X.AnyPropertyType)
            pid = int(pid_prop.value[0]) if pid_prop and len(pid_prop.value) else None
            title = None
            if self.recorder.wants_title(app, instance):
                name = window.get_full_property(self._net_name, self._utf8)
                raw = name.value if name else window.get_wm_name()
                title = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            self.recorder.focus(app, title, pid, instance=instance)
        except (Xlib.error.BadWindow, Xlib.error.BadValue, Xlib.error.BadMatch):
            pass  # the window vanished between the event and our look
