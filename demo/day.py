"""One worker's day, event by event, as the capture daemon would have stored it.

The day plan (demo_plan) gives stretches at the computer; demo_focus fills
them with visits; typing, clicks, scrolling and movement fill the visits.
What the daemon adds itself is derived the way it derives it:

- ``start`` when the worker sits down, the first ``focus`` a moment later,
  ``stop`` when they shut down;
- ``idle_start``/``idle_end`` wherever input pauses for the idle threshold
  (180 s) or more: stamped at the last input before the gap and the first
  after it (or at the pause or stop that ends it), exactly as IdleTracker;
- ``pause``/``resume`` around a private moment, with focus re-sent on resume;
- a locked screen is a ``focus`` on nothing (app NULL), which ends the span;
- a focus change caused by a click or alt+tab carries that click or those keys.

Times are local seconds since midnight, as float64 (microsecond exact).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from store import events as ev

from . import focus as demo_focus
from . import keystrokes as demo_typing
from . import pointer as demo_pointer
from .model import APP_PROFILES, APPS, BURSTS, HOUR_RATE, KEYS, MEETING_PROFILE, PROFILE
from .plan import MEET, plan_days, segments

IDLE_S = 180.0      # the daemon's default idle threshold
LEAD_S = 1.2        # after a switch, a moment before typing starts
TAIL_S = 1.2        # and before the next switch
BURST_GAP_S = 2.3   # pauses between bursts exceed the query's 2 s
CLICK_SWITCH_P, ALT_TAB_P = 0.55, 0.12  # how switches are made (the rest: no input)
FOCUS_DELAY = {"start": 0.15, "lock": 0.4, "pause": 1e-6, "idle": 0.0, "none": 0.0}
_MIX = np.array([demo_typing.MIX_NAMES.index(p[7]) for p in APP_PROFILES.values()])
_CHAT_MIX = demo_typing.MIX_NAMES.index("chat")
_RESET, _INPUT, _END = 0, 1, 2
# Order of events stamped at the same microsecond: idle_end before the input
# that ended it, idle_start after the input it follows.
_RANK = np.zeros(len(ev.EVENT_KINDS), dtype=np.int8)
_RANK[[ev.START, ev.RESUME, ev.IDLE_END, ev.IDLE_START, ev.PAUSE, ev.STOP]] = [0, 1, 2, 5, 6, 7]
_RANK[[ev.FOCUS, ev.KEY_DOWN, ev.KEY_UP, ev.MOUSE_DOWN, ev.MOUSE_UP, ev.SCROLL, ev.MOVE]] = 3


class _Events:
    """Blocks of events, each filling only its own columns."""

    def __init__(self) -> None:
        self.blocks: list[dict] = []

    def add(self, ts, kind, **cols) -> None:
        ts = np.asarray(ts, dtype=np.float64)
        if len(ts):
            self.blocks.append({"ts": ts, "kind": np.broadcast_to(np.int8(kind), ts.shape)
                                if np.ndim(kind) == 0 else kind, **cols})

    def table(self) -> dict[str, np.ndarray]:
        n = sum(len(b["ts"]) for b in self.blocks)
        out = {"ts": np.empty(n), "kind": np.empty(n, np.int8), "key_class": np.zeros(n, np.int8),
               "button": np.zeros(n, np.int8), "x": np.zeros(n, np.int32), "y": np.zeros(n, np.int32),
               "dx": np.zeros(n, np.int32), "dy": np.zeros(n, np.int32), "distance": np.zeros(n),
               "app": np.full(n, -1, np.int16), "key_seq": np.zeros(n, np.int64)}
        i = 0
        for b in self.blocks:
            j = i + len(b["ts"])
            for name, values in b.items():
                out[name][i:j] = values
            i = j
        order = np.lexsort((_RANK[out["kind"]], out["ts"]))
        return {name: col[order] for name, col in out.items()}


def _place(rng, owner, length, win_start, win_len):
    """Start times for bursts of ``length`` s in their visit's typing window,
    in order, with pauses over 2 s between; bursts that do not fit are dropped."""
    v = len(win_start)
    need = length + BURST_GAP_S
    keep = demo_typing.seg_cumsum(need, np.bincount(owner, minlength=v)) - BURST_GAP_S <= win_len[owner]
    o, d = owner[keep], length[keep]
    counts = np.bincount(o, minlength=v)
    used = np.bincount(o, weights=d + BURST_GAP_S, minlength=v) - BURST_GAP_S * (counts > 0)
    slack = np.maximum(win_len - used, 0.0)
    e = rng.exponential(size=len(o))
    share = e / (np.bincount(o, weights=e, minlength=v) + rng.exponential(size=v))[o]
    before = demo_typing.seg_cumsum(d + BURST_GAP_S, counts) - (d + BURST_GAP_S)
    return win_start[o] + before + demo_typing.seg_cumsum(slack[o] * share, counts), keep


def _visits(rng, w, plan, out: _Events):
    """All visits of the day: start, end, app, kind, focus time (NaN: no focus
    event, the app already had it) and whether a click or keys made the switch."""
    parts, current, last_app = [], None, None
    for t0, t1, mode, before, mark in segments(plan, 0):
        if mode == MEET:
            s, a, k = demo_focus.meeting_visits(rng, w, t0, t1)
        else:
            s, a, k = demo_focus.work_visits(rng, w, t0, t1, current)
        current = a[-1]
        s, a = np.array(s), w.apps[np.array(a)]
        focus_at = s.copy()
        focus_at[0] += FOCUS_DELAY[before]
        made = np.ones(len(s), dtype=bool)  # switches made by the worker, not by a wake-up
        made[0] = before in ("none", "idle")
        if before in ("none", "idle") and a[0] == last_app:
            focus_at[0] = np.nan  # same app as before the break: no new focus event
        last_app = a[-1]
        parts.append((s, np.append(s[1:], t1), a, np.array(k), focus_at, made))
        if before == "lock":  # the locker takes focus: nothing focused
            out.add([mark + rng.uniform(1.0, 20.0)], ev.FOCUS, app=np.array([-1], np.int16))
        elif before == "pause":
            out.add([mark], ev.PAUSE)
            out.add([t0], ev.RESUME)
    return [np.concatenate(c) for c in zip(*parts)]


def type_in_visits(rng, w, vs, ve, app, kind, prof, activity):
    """Bursts in each visit's typing window: (press, hold, key class)."""
    win = np.maximum(ve - vs - LEAD_S - TAIL_S, 0.0)
    n = rng.poisson(prof[:, BURSTS] / 60.0 * win * activity)
    owner = np.repeat(np.arange(len(vs)), n)
    mix = np.where(kind == demo_focus.MEETING, _CHAT_MIX, _MIX[app])[owner]
    typed = demo_typing.type_bursts(rng, w, mix, demo_typing.base_lengths(rng, prof[owner, KEYS]))
    start, keep = _place(rng, owner, typed.duration, vs + LEAD_S, win)
    burst_start = np.full(len(owner), np.nan)
    burst_start[keep] = start
    press = burst_start[typed.burst] + typed.offset
    ok = keep[typed.burst]
    return press[ok], typed.hold[ok], typed.key_class[ok]


def _switches(rng, t_focus):
    """Clicks and alt+tab keys that made focus switches at ``t_focus``."""
    u = rng.random(len(t_focus))
    click, alt = t_focus[u < CLICK_SWITCH_P], t_focus[(u >= CLICK_SWITCH_P) & (u < CLICK_SWITCH_P + ALT_TAB_P)]
    down = click - rng.uniform(0.005, 0.03, len(click))
    mod = alt - rng.uniform(0.15, 0.35, len(alt))
    tab = alt - rng.uniform(0.05, 0.12, len(alt))
    press = np.concatenate((mod, tab))
    alt_up = alt + rng.uniform(0.02, 0.08, len(alt))  # alt comes up once the new window shows
    hold = np.concatenate((alt_up - mod, 0.09 * np.exp(0.3 * rng.standard_normal(len(alt)))))
    classes = np.repeat(np.array([demo_typing.K["modifier"], demo_typing.K["tab"]], np.int8), len(alt))
    return down, press, hold, classes


def idle_marks(ts, typ):
    """idle_start and idle_end times from anchors: resets (start, resume),
    inputs and ends (pause, stop), as the daemon's IdleTracker finds them."""
    order = np.lexsort((typ, ts))
    ts, typ = ts[order], typ[order]
    gap = np.diff(ts)
    hit = (typ[:-1] != _END) & (typ[1:] != _RESET) & (gap >= IDLE_S)
    return ts[:-1][hit], ts[1:][hit]


def worker_day(w, day: dt.date, seed: int, seq0: int) -> dict[str, np.ndarray] | None:
    """Worker ``w``'s events on ``day`` (None if they did not work); key_seq from ``seq0``."""
    rng = np.random.default_rng([seed, 11, w.index, day.toordinal()])
    one = lambda v: np.array([v], dtype=np.float64)  # noqa: E731
    plan = plan_days(rng, np.array([day.weekday() >= 5]), one(w.start_h), one(w.day_h), one(w.lock_p),
                     one(w.weekend_p), one(w.meetings), one(np.nan if w.standup is None else w.standup))
    if not plan.works[0]:
        return None
    out = _Events()
    vs, ve, app, kind, focus_at, made = _visits(rng, w, plan, out)
    prof = np.where((kind == demo_focus.MEETING)[:, None], MEETING_PROFILE, PROFILE[app])
    activity = HOUR_RATE[np.minimum(vs // 3600, 23).astype(int)] * w.volume
    emitted = ~np.isnan(focus_at)
    out.add(focus_at[emitted], ev.FOCUS, app=app[emitted].astype(np.int16))
    switch_clicks = _keys(rng, w, out, (vs, ve, app, kind, prof, activity), focus_at[emitted & made], seq0)
    _pointer(rng, w, out, (vs, ve, prof, activity), switch_clicks, wake=vs[~made])
    start, stop = float(plan.start[0]), float(plan.end[0]) + rng.uniform(2.0, 40.0)
    out.add([start], ev.START)
    out.add([stop], ev.STOP)
    _idle(out, start, stop)
    events = out.table()
    pids = rng.integers(1000, 400_000, len(APPS)).astype(np.int32)  # apps start afresh each day
    events["pid"] = np.where(events["app"] >= 0, pids[np.maximum(events["app"], 0)], 0)
    return events


def _keys(rng, w, out: _Events, visits, switches, seq0: int) -> np.ndarray:
    """Typing plus the alt+tab keys of keyboard switches; returns the times of
    the switches made by clicking."""
    press, hold, kclass = type_in_visits(rng, w, *visits)
    clicks, alt_press, alt_hold, alt_class = _switches(rng, switches)
    press, hold = np.concatenate((press, alt_press)), np.concatenate((hold, alt_hold))
    kclass = np.concatenate((kclass, alt_class))
    order = np.argsort(press, kind="stable")  # key_seq counts presses in order, like the backend's counter
    press, hold, kclass = press[order], hold[order], kclass[order]
    seq = seq0 + np.arange(len(press), dtype=np.int64)
    out.add(press, ev.KEY_DOWN, key_class=kclass, key_seq=seq)
    out.add(press + hold, ev.KEY_UP, key_class=kclass, key_seq=seq)
    return clicks


def _pointer(rng, w, out: _Events, visits, switch_clicks, wake) -> None:
    """Clicks (with those that switched focus), scrolling and movement."""
    vs, ve, prof, activity = visits
    t, hold, button, x, y, travel = demo_pointer.clicks(rng, vs, ve, prof, activity, w.screen)
    n = len(switch_clicks)
    t = np.concatenate((t, switch_clicks))
    hold = np.concatenate((hold, 0.095 * np.exp(0.35 * rng.standard_normal(n))))
    button = np.concatenate((button, np.zeros(n, np.int8)))  # left
    x = np.concatenate((x, rng.integers(0, w.screen[0], n).astype(np.int32)))
    y = np.concatenate((y, rng.integers(0, w.screen[1], n).astype(np.int32)))
    out.add(t, ev.MOUSE_DOWN, button=button, x=x, y=y)
    out.add(t + hold, ev.MOUSE_UP, button=button, x=x, y=y)
    st, dx, dy, sx, sy = demo_pointer.scrolls(rng, vs, ve, prof, activity, w.screen)
    out.add(st, ev.SCROLL, dx=dx, dy=dy, x=sx, y=sy)
    mt, dist = demo_pointer.moves(rng, vs, ve, prof, activity)
    # The pointer travels to what is clicked, and moves first when one is back at the desk.
    lead_in = np.concatenate((travel, switch_clicks - rng.uniform(0.2, 0.6, n),
                              wake + rng.uniform(0.0, 0.3, len(wake))))
    lead_dist = 300.0 * np.exp(0.8 * rng.standard_normal(len(lead_in)))
    mt, dist = demo_pointer.merge_moves(np.concatenate((mt, lead_in)), np.concatenate((dist, lead_dist)))
    out.add(mt, ev.MOVE, distance=dist)


def _idle(out: _Events, start: float, stop: float) -> None:
    ts, typ = [np.array([start, stop])], [np.array([_RESET, _END])]
    for b in out.blocks:
        k = int(b["kind"][0])
        if k in ev.INPUT_KINDS:
            ts.append(b["ts"]), typ.append(np.full(len(b["ts"]), _INPUT))
        elif k in (ev.PAUSE, ev.RESUME):
            ts.append(b["ts"]), typ.append(np.full(len(b["ts"]), _END if k == ev.PAUSE else _RESET))
    s, e = idle_marks(np.concatenate(ts), np.concatenate(typ))
    out.add(s, ev.IDLE_START)
    out.add(e, ev.IDLE_END)
