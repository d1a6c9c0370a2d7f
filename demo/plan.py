"""Day plans: when a worker arrives, meets, breaks and leaves.

Vectorized over many worker-days at once (the hourly rollups plan a thousand
workers' day in one call); the event generator plans one day at a time and
walks the result with :func:`segments`. All times are local seconds since
midnight.

A plan is a start and an end plus fixed slots, in priority order: lunch, the
team stand-up, up to four meetings (calls, or in a room and so away from the
computer), a pause of capture, two coffee breaks and four short moments away
from the desk. A slot that overlaps one of higher priority, or the edges of
the day, is dropped. These shapes are assumptions made for the demo, tuned so
a working day has 6-7 active hours (arrivals mostly 8:00-9:30, ~8.4 h at
work, lunch around 12:15, meetings on the half hour, an afternoon dip with
more moments away, now and then a day off, a weekend hour or two for some),
not published figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

H = 3600.0
LUNCH, STANDUP, MEETING, PAUSE, BREAK, AWAY = range(6)
SLOT_KINDS = np.array([LUNCH, STANDUP] + [MEETING] * 4 + [PAUSE] + [BREAK] * 2 + [AWAY] * 4)
ABSENT_P = 0.04    # a weekday off: leave, sickness
PAUSE_P = 0.07     # a day with a private moment the worker pauses capture for
IN_PERSON_P = 0.4  # meetings in a room: away from the computer, not in a call
EDGE_S = 20 * 60   # no slot in the first or last 20 minutes of the day
WORK, MEET = 0, 1  # segment modes


@dataclass
class Plan:
    works: np.ndarray   # (n,) bool: at the computer that day
    start: np.ndarray   # (n,) seconds
    end: np.ndarray     # (n,) seconds
    s0: np.ndarray      # (n, slots) slot starts
    s1: np.ndarray      # (n, slots) slot ends
    valid: np.ndarray   # (n, slots) bool
    lock: np.ndarray    # (n, slots) bool: the screen is locked during this break
    away: np.ndarray    # (n, slots) bool: a meeting in a room, away from the computer


def _uniform_in(rng, lo, hi):
    return lo + rng.random(lo.shape) * np.maximum(hi - lo, 0.0)


def plan_days(rng, weekend, start_h, day_h, lock_p, weekend_p, meetings, standup) -> Plan:
    """Plans for n worker-days; every argument is an array of length n
    (``standup`` is NaN where the team has none)."""
    n = len(weekend)
    works = np.where(weekend, rng.random(n) < weekend_p, rng.random(n) >= ABSENT_P)
    start = np.where(weekend, rng.uniform(10.0, 15.5, n), start_h + 0.3 * rng.standard_normal(n))
    start = np.clip(start, 6.5, 16.0) * H
    length = np.where(weekend, rng.uniform(0.5, 2.5, n), day_h + 0.45 * rng.standard_normal(n))
    end = np.minimum(start + np.clip(length, 0.5, 12.0) * H, 23.5 * H)
    k = len(SLOT_KINDS)
    s0, dur = np.zeros((n, k)), np.zeros((n, k))
    valid = np.zeros((n, k), dtype=bool)
    weekday = ~weekend

    s0[:, 0] = np.clip(12.25 + 0.35 * rng.standard_normal(n), 11.5, 13.75) * H
    dur[:, 0], valid[:, 0] = rng.uniform(35, 65, n) * 60, weekday
    has_standup = weekday & ~np.isnan(standup)
    s0[:, 1], dur[:, 1], valid[:, 1] = np.nan_to_num(standup) * H, 15 * 60, has_standup
    n_meet = np.minimum(rng.poisson(np.where(weekday, meetings, 0.0)), 4)
    first, last = np.ceil(start / 1800 + 1), np.floor(end / 1800 - 2)
    for j in range(4):
        slot = first + np.floor(rng.random(n) * np.maximum(last - first + 1, 0))
        s0[:, 2 + j] = slot * 1800  # meetings start on the half hour
        dur[:, 2 + j] = rng.choice([15, 30, 30, 30, 45, 60, 60], n) * 60
        valid[:, 2 + j] = j < n_meet
    s0[:, 6], dur[:, 6] = _uniform_in(rng, start + H, end - H), rng.uniform(10, 40, n) * 60
    valid[:, 6] = weekday & (rng.random(n) < PAUSE_P)
    for j in (7, 8):
        s0[:, j], dur[:, j] = _uniform_in(rng, start + H, end - H), rng.uniform(5, 20, n) * 60
        valid[:, j] = weekday & (rng.random(n) < 0.75)
    for j in range(9, 13):
        # Half of the moments away fall in the post-lunch dip (13:30-15:30).
        dip = rng.random(n) < 0.5
        s0[:, j] = np.where(dip, rng.uniform(13.5, 15.5, n) * H, _uniform_in(rng, start, end))
        dur[:, j], valid[:, j] = rng.uniform(4.0, 15.0, n) * 60, rng.random(n) < 0.55
    s1 = s0 + dur
    away = (SLOT_KINDS == MEETING)[None, :] & (rng.random((n, k)) < IN_PERSON_P)
    lock = (np.isin(SLOT_KINDS, [LUNCH, BREAK])[None, :] | away) & (rng.random((n, k)) < lock_p[:, None])

    valid &= works[:, None] & (s0 >= start[:, None] + EDGE_S) & (s1 <= end[:, None] - EDGE_S)
    # Keep slots in priority order, dropping any that overlaps one already kept
    # (with a minute between, so every interruption stands on its own).
    for j in range(k):
        for i in range(j):
            clash = valid[:, i] & (s0[:, j] < s1[:, i] + 60) & (s1[:, j] > s0[:, i] - 60)
            valid[:, j] &= ~clash
    return Plan(works, start, end, s0, s1, valid, lock & valid, away & valid)


def segments(plan: Plan, row: int) -> list[tuple[float, float, int, str, float]]:
    """The day's stretches at the computer, in order: (t0, t1, mode, before, t_mark).

    mode is WORK or MEET; ``before`` says what came just before: 'start',
    'none' (straight on), 'idle' (away, screen unlocked), 'lock' (away, screen
    locked at ``t_mark``) or 'pause' (capture paused at ``t_mark``).
    """
    order = np.argsort(plan.s0[row])
    slots = [(plan.s0[row, j], plan.s1[row, j], BREAK if plan.away[row, j] else SLOT_KINDS[j], plan.lock[row, j])
             for j in order if plan.valid[row, j]]
    out, cursor, before, mark = [], float(plan.start[row]), "start", float(plan.start[row])
    for t0, t1, kind, locked in slots:
        if t0 > cursor:
            out.append((cursor, t0, WORK, before, mark))
            before, mark = "none", t0
        if kind in (STANDUP, MEETING):
            out.append((t0, t1, MEET, before, mark))
            before, mark = "none", t1
        else:
            before = "pause" if kind == PAUSE else "lock" if locked else "idle"
            mark = t0
        cursor = t1
    if plan.end[row] > cursor:
        out.append((cursor, float(plan.end[row]), WORK, before, mark))
    return out


def hour_overlap(t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Seconds of [t0, t1) in each local hour 0..23; shape t0.shape + (24,)."""
    hours = np.arange(24) * H
    lo = np.maximum(t0[..., None], hours)
    hi = np.minimum(t1[..., None], hours + H)
    return np.maximum(hi - lo, 0.0)
