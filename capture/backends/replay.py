"""Replay backend: feeds a recorded or generated event stream through the recorder.

For tests, benchmarks and demos. Options (``--replay`` on the command line or
``WORKPRINT_REPLAY``, comma-separated ``key=value``):

- ``rate=N``: generate about N input events per second (default 20), forever,
  a deterministic mix of typing, clicks, scrolls, pointer moves and app
  switches (``seed=S`` changes it);
- ``file=PATH``: replay a JSON-lines recording instead, one event per line,
  ``{"t": seconds_from_start, "kind": "key_down", "key_class": "letter", ...}``
  with the fields of the ``events`` view; ``loop=1`` repeats it.

Events pass through the same recorder methods as real input, so pause, title
policy, idle detection and the writer behave exactly as in capture.
"""

from __future__ import annotations

import json
import random
import threading
import time

from store.events import BUTTON_INDEX, KEY_CLASS_INDEX

_APPS = ("Code", "Firefox", "Slack", "Terminal", "Thunderbird")
_TYPING = ["letter"] * 78 + ["space"] * 14 + ["punctuation"] * 3 + ["backspace"] * 4 + ["digit"]


def parse_options(text: str | None) -> dict:
    options = {}
    for part in (text or "").split(","):
        if part.strip():
            key, _, value = part.partition("=")
            options[key.strip()] = value.strip()
    return options


class Backend:
    name = "replay"

    def __init__(self, options: dict) -> None:
        self.options = options
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: str | None = None

    def start(self, recorder) -> None:
        target = self._replay_file if self.options.get("file") else self._generate
        self._thread = threading.Thread(target=self._guard, args=(target, recorder), name="replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread:
            self._thread.join(5)

    def failure(self) -> str | None:
        return self._error

    def _guard(self, target, recorder) -> None:
        try:
            target(recorder)
        except Exception as exc:  # noqa: BLE001 - reported through failure()
            self._error = f"replay stopped: {exc}"

    def _pace(self, due: float) -> bool:
        """Sleep until ``due`` (monotonic); False once asked to stop."""
        delay = due - time.monotonic()
        return not self._halt.wait(delay) if delay > 0 else not self._halt.is_set()

    def _generate(self, recorder) -> None:
        rate = float(self.options.get("rate", 20))
        rng = random.Random(int(self.options.get("seed", 1)))
        interval = 1.0 / rate
        due = time.monotonic()
        x, y = 400, 300
        seq = 0
        recorder.focus(_APPS[0], "replay", 1000)
        while True:
            roll = rng.random()
            if roll < 0.80:  # a keystroke: down now, up next tick
                cls = KEY_CLASS_INDEX[rng.choice(_TYPING)]
                seq += 1
                recorder.key(True, cls, seq)
                due += interval
                if not self._pace(due):
                    return
                recorder.key(False, cls, seq)
            elif roll < 0.86:
                x, y = rng.randint(0, 1279), rng.randint(0, 799)
                recorder.move(x, y)
            elif roll < 0.92:
                recorder.button(True, BUTTON_INDEX["left"], x, y)
                due += interval
                if not self._pace(due):
                    return
                recorder.button(False, BUTTON_INDEX["left"], x, y)
            elif roll < 0.97:
                recorder.scroll(0, rng.choice((-1, 1)), x, y)
            else:
                app = rng.choice(_APPS)
                recorder.focus(app, f"{app} window", 1000 + _APPS.index(app))
            due += interval
            if not self._pace(due):
                return

    def _replay_file(self, recorder) -> None:
        with open(self.options["file"], encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        while True:
            start = time.monotonic()
            for rec in records:
                if not self._pace(start + float(rec["t"])):
                    return
                _feed(recorder, rec)
            if self.options.get("loop") not in ("1", "true", "yes"):
                self._halt.wait()
                return


def _feed(recorder, rec: dict) -> None:
    kind = rec["kind"]
    if kind in ("key_down", "key_up"):
        recorder.key(kind == "key_down", KEY_CLASS_INDEX[rec.get("key_class") or "other"], rec.get("key_seq"))
    elif kind in ("mouse_down", "mouse_up"):
        recorder.button(kind == "mouse_down", BUTTON_INDEX[rec.get("button") or "left"], rec.get("x", 0), rec.get("y", 0))
    elif kind == "scroll":
        recorder.scroll(rec.get("dx", 0), rec.get("dy", 0), rec.get("x", 0), rec.get("y", 0))
    elif kind == "move":
        recorder.move(rec["x"], rec["y"])
    elif kind == "focus":
        recorder.focus(rec.get("app"), rec.get("title"), rec.get("pid"))
    else:
        raise ValueError(f"cannot replay events of kind {kind!r}")
