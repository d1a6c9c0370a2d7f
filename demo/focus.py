"""Which app has focus, visit by visit.

Two published figures pull in different directions. Gloria Mark (*Attention
Span*, 2023) logged 47 s on one screen on average; Murty, Dadlani & Das (HBR,
2022) counted about 1,200 app and website switches a day. 1,200 visits of 47 s
would fill 15.7 h, twice a working day. They fit together once the switches
are seen as two kinds:

- *dwells*, the time spent working on one screen: heavy-tailed (log-normal,
  median ~26 s, a few of many minutes), with a mean of 47 s. Measured as the
  project measures any focus span (the ``dwell`` measure: from a focus event
  to the next, idle moments inside included), over spans of 5 s or more;
- *glances*, quick looks elsewhere and back (a chat notification, a mail, the
  browser tab with the ticket), each under 5 s (median 1.4 s), about 1.2 per
  dwell. They are most of the toggling HBR counted and next to none of the
  time. Whether Mark's loggers kept such glances apart is not said; counting
  them with the dwells is what makes the two figures incompatible.

So a working day with ~7.5 h of focus (a lunch behind a locked screen has
none) holds ~550 dwells of ~47 s and ~650 glances of ~1.5 s: ~1,200
switches, and a mean over *all* focus spans of ~22 s (= 7.5 h / 1,200).
tests/test_demo.py checks each of these through the project's queries.

In meetings the meeting app keeps focus for minutes, with the odd side visit
to chat or mail.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from .model import DWELL as DWELL_WEIGHT
from .model import PROFILE

DWELL, GLANCE, MEETING, SIDE = 0, 1, 2, 3  # visit kinds
DWELL_SIGMA = 0.9      # log-normal spread of dwells: most short, a few long
GLANCE_MEDIAN_S = 1.4
RETURN_P = 0.7         # after a glance, back to where one was
MEETING_STRETCH_S = 400.0  # mean time in the meeting app between side visits
SIDE_MEDIAN_S = 12.0


class _Draws:
    """Pre-drawn random numbers, refilled in blocks (a Python loop over numpy
    scalars would be slow; over Python floats it is fast)."""

    def __init__(self, rng, size: int = 512) -> None:
        self.rng, self.size = rng, size
        self._u: list[float] = []
        self._z: list[float] = []

    def u(self) -> float:
        if not self._u:
            self._u = self.rng.random(self.size).tolist()
        return self._u.pop()

    def z(self) -> float:
        if not self._z:
            self._z = self.rng.standard_normal(self.size).tolist()
        return self._z.pop()


def _poisson(d: _Draws, mean: float) -> int:
    k, p, target = 0, 1.0, math.exp(-mean)
    while True:
        p *= d.u()
        if p < target:
            return k
        k += 1


def work_visits(rng, w, t0: float, t1: float, current: int | None) -> tuple[list, list, list]:
    """Visits filling [t0, t1): (starts, local app indices, kinds).

    ``current`` is the local index of the app in focus before, if any.
    """
    d = _Draws(rng)
    n_apps = len(w.apps)
    scale = PROFILE[w.apps, DWELL_WEIGHT] * w.dwell_s
    mu = np.log(scale) - DWELL_SIGMA**2 / 2
    mu, glance = mu.tolist(), w.glance_cum.tolist()
    weights = np.cumsum(w.weights).tolist()
    cur = current if current is not None else bisect_right(weights, d.u() * weights[-1])
    cur = min(cur, n_apps - 1)
    starts, apps, kinds = [], [], []
    t = t0
    while t < t1:
        starts.append(t), apps.append(cur), kinds.append(DWELL)
        t += math.exp(mu[cur] + DWELL_SIGMA * d.z())
        origin = cur
        for _ in range(_poisson(d, w.flips)):
            if t >= t1:
                break
            nxt = min(bisect_right(glance, d.u()), n_apps - 1)
            if nxt == cur:
                continue
            starts.append(t), apps.append(nxt), kinds.append(GLANCE)
            t += min(max(GLANCE_MEDIAN_S * math.exp(0.5 * d.z()), 0.4), 4.5)
            cur = nxt
        if cur != origin and d.u() < RETURN_P:
            cur = origin
        else:
            cur = min(bisect_right(w.trans_cum[cur], d.u()), n_apps - 1)
    return starts, apps, kinds


def meeting_visits(rng, w, t0: float, t1: float) -> tuple[list, list, list]:
    """A meeting: the meeting app in focus, now and then a short side visit."""
    d = _Draws(rng, 64)
    meet = int(np.flatnonzero(w.apps == w.meeting_app)[0])
    glance = w.glance_cum.tolist()
    starts, apps, kinds = [], [], []
    t = t0
    while t < t1:
        starts.append(t), apps.append(meet), kinds.append(MEETING)
        t += -MEETING_STRETCH_S * math.log(1 - d.u())
        if t >= t1:
            break
        side = min(bisect_right(glance, d.u()), len(w.apps) - 1)
        if side != meet:
            starts.append(t), apps.append(side), kinds.append(SIDE)
            t += min(SIDE_MEDIAN_S * math.exp(0.8 * d.z()), 120.0)
    return starts, apps, kinds
