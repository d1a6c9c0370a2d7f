"""Mouse input inside focus visits: clicks, scrolling, pointer movement.

Shaped like what the recorder stores: a click is a mouse_down and a
mouse_up (about 0.1 s apart, left button mostly, now and then a double
click); scrolling comes in episodes of wheel steps of one notch each (dy -1
is down, as pynput reports it); movement is one ``move`` per wall-clock
second in which the pointer moved, stamped at its first movement, carrying
the distance travelled in that second. The pointer travels before a click.
The rates per app are in demo_model.APP_PROFILES (assumptions for the demo).
"""

from __future__ import annotations

import numpy as np

from store.events import BUTTON_INDEX

from .model import CLICKS, MOVES, SCROLLS

BUTTON_P = {"left": 0.90, "right": 0.07, "middle": 0.02, "back": 0.01}
_BUTTONS = np.array([BUTTON_INDEX[b] for b in BUTTON_P], dtype=np.int8)
_BUTTON_CUM = np.cumsum(list(BUTTON_P.values()))
DOUBLE_P = 0.08
MARGIN_S = 0.3


def _times_in(rng, owner, vs, ve):
    span = np.maximum(ve - vs - 2 * MARGIN_S, 0.0)
    return vs[owner] + MARGIN_S + rng.random(len(owner)) * span[owner]


def _counts(rng, rate_per_min, seconds):
    return rng.poisson(np.maximum(rate_per_min, 0.0) / 60.0 * np.maximum(seconds, 0.0))


def clicks(rng, vs, ve, prof, activity, screen):
    """Clicks in visits [vs, ve): (down times, hold seconds, button, x, y, pre-move times)."""
    n = _counts(rng, prof[:, CLICKS] * activity, ve - vs)
    owner = np.repeat(np.arange(len(vs)), n)
    t = _times_in(rng, owner, vs, ve)
    double = rng.random(len(t)) < DOUBLE_P
    t = np.concatenate((t, t[double] + rng.uniform(0.12, 0.25, int(double.sum()))))
    owner = np.concatenate((owner, owner[double]))
    k = len(t)
    button = _BUTTONS[np.searchsorted(_BUTTON_CUM, rng.random(k) * _BUTTON_CUM[-1])]
    x = rng.integers(0, screen[0], k).astype(np.int32)
    y = rng.integers(0, screen[1], k).astype(np.int32)
    hold = 0.095 * np.exp(0.35 * rng.standard_normal(k))
    travel = np.maximum(t - rng.uniform(0.25, 0.9, k), vs[owner])  # the pointer gets there first
    return t, hold, button, x, y, travel[: len(t) - int(double.sum())]


def scrolls(rng, vs, ve, prof, activity, screen):
    """Scroll steps: (times, dx, dy, x, y)."""
    n = _counts(rng, prof[:, SCROLLS] * activity, ve - vs)
    owner = np.repeat(np.arange(len(vs)), n)
    start = _times_in(rng, owner, vs, ve)
    steps = rng.geometric(0.3, len(start))
    ep = np.repeat(np.arange(len(start)), steps)
    first = np.cumsum(steps) - steps
    gaps = rng.uniform(0.04, 0.12, len(ep))
    gaps[first] = 0.0
    c = np.cumsum(gaps)
    t = start[ep] + c - np.repeat(c[first], steps)
    down = rng.random(len(start)) < 0.75
    sideways = rng.random(len(start)) < 0.04
    dy = np.where(sideways, 0, np.where(down, -1, 1))[ep].astype(np.int32)
    dx = np.where(sideways, np.where(down, -1, 1), 0)[ep].astype(np.int32)
    x = rng.integers(0, screen[0], len(start)).astype(np.int32)[ep]
    y = rng.integers(0, screen[1], len(start)).astype(np.int32)[ep]
    keep = t < ve[owner[ep]]  # an episode ends with its visit
    return t[keep], dx[keep], dy[keep], x[keep], y[keep]


def moves(rng, vs, ve, prof, activity):
    """Pointer-move episodes of one to a few seconds: (times, distances) per second."""
    n = _counts(rng, prof[:, MOVES] * activity, ve - vs)
    owner = np.repeat(np.arange(len(vs)), n)
    start = _times_in(rng, owner, vs, ve)
    secs = rng.geometric(0.55, len(start))
    ep = np.repeat(np.arange(len(start)), secs)
    k = np.arange(len(ep)) - np.repeat(np.cumsum(secs) - secs, secs)
    # Later seconds start moving right at the second's boundary.
    t = np.where(k == 0, start[ep], np.floor(start[ep]) + k + rng.uniform(0.0, 0.02, len(ep)))
    keep = t < ve[owner[ep]]
    dist = 420.0 * np.exp(0.8 * rng.standard_normal(len(ep)))
    dist = np.where(k == 0, dist * (1.0 - (start[ep] % 1.0)), dist)
    return t[keep], np.round(np.maximum(dist[keep], 1.0), 1)


def merge_moves(t, dist):
    """One move per wall-clock second, as the recorder keeps them: the first
    movement's time and the second's total distance."""
    order = np.argsort(t, kind="stable")
    t, dist = t[order], dist[order]
    sec = np.floor(t)
    first = np.flatnonzero(np.concatenate(([True], sec[1:] != sec[:-1])))
    return t[first], np.round(np.add.reduceat(dist, first), 1) if len(t) else dist
