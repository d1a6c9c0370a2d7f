"""Hourly rollups without events: many workers' years in seconds.

For populations too large to generate event by event (a thousand workers
over a year would be ~9 billion events), this writes ``hourly`` rows
directly, from the same model as the event generator:

- the same workers (demo_model.make_worker) and day plans (demo_plan), so
  arrivals, lunch, meetings, breaks, weekends and time zones match;
- per worker, time share and switch rate of each app from a simulated
  working day of demo_focus visits (glances included), and key presses and
  clicks per active second from the event generator's own typing and click
  functions run on those visits;
- per hour, the app mix drawn around the worker's average (Dirichlet), and
  counts drawn as Poisson around the rates, scaled by the hour's activity.

What it cannot know (which app had focus while the screen stood idle, where
exactly a span crossed an hour) is drawn, not derived. tests/test_demo.py
checks that active hours per working day, and switches, key presses and
clicks per active hour, agree with the event path's derived rows within 10 %.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

import store
from store import derive

from . import day as demo_day
from . import focus as demo_focus
from . import pointer as demo_pointer
from .day import ALT_TAB_P, CLICK_SWITCH_P
from .model import (
    APPS,
    BURSTS,
    CLICKS,
    HOUR_RATE,
    KEYS,
    MEETING_PROFILE,
    PROFILE,
    utc_offset,
)
from .plan import MEETING, PAUSE, SLOT_KINDS, STANDUP, H, hour_overlap, plan_days
from .pointer import DOUBLE_P

# Measured on the event path (tests/test_demo.py keeps them honest):
A_WORK = 0.985   # share of working time that is active (the rest: input gaps over the idle threshold)
A_MEET = 0.92    # in calls the pointer rests longer: a little more idle
SIDE_EVERY_S = demo_focus.MEETING_STRETCH_S
DIRICHLET = 40.0  # how steady an hour's app mix is (higher: closer to the worker's average)
SIM_S = 8 * H  # one simulated working day of visits per worker
HOURLY_SCHEMA = pa.schema([
    ("worker", pa.string()), ("hour", pa.timestamp("us", tz="UTC")), ("utc_offset", pa.int32()),
    ("app", pa.string()), ("focus_s", pa.float64()), ("active_s", pa.float64()), ("switches", pa.int32()),
    ("key_downs", pa.int32()), ("clicks", pa.int32()), ("source", pa.string()),
])


def app_rates(w, seed: int) -> dict[str, np.ndarray]:
    """Per app of worker ``w``: time share, visits per working second, and
    key presses and clicks per active second (at an hour's rate of 1).

    Typing and clicks come from the event generator's own functions run on
    the simulated visits, so what does not fit a short visit is left out here
    exactly as it is there.
    """
    rng = np.random.default_rng([seed, 13, w.index])
    s, a, k = demo_focus.work_visits(rng, w, 0.0, SIM_S, None)
    vs, a = np.array(s), np.array(a)
    ve = np.append(vs[1:], SIM_S)
    app, n = w.apps[a], len(w.apps)
    prof, activity = PROFILE[app], np.full(len(vs), w.volume)
    press, _, _ = demo_day.type_in_visits(rng, w, vs, ve, app, np.array(k), prof, activity)
    clicked = demo_pointer.clicks(rng, vs, ve, prof, activity, w.screen)[0]
    per_app = lambda t: np.bincount(a[np.searchsorted(vs, t, side="right") - 1], minlength=n)  # noqa: E731
    time = np.bincount(a, weights=ve - vs, minlength=n)
    visits = np.bincount(a, minlength=n) / SIM_S
    share = time / time.sum()
    active = np.maximum(time * A_WORK, 1e-9)
    per_active = SIM_S / active  # per working second -> per active second of the app
    return {"share": share, "visits": visits,
            "keys": per_app(press) / active + 2 * ALT_TAB_P * visits * per_active,
            "clicks": per_app(clicked) / active + CLICK_SWITCH_P * visits * per_active}


def _day_hours(plan):
    """Per worker and local hour: seconds working, in calls, and idle with an app still in focus."""
    present = hour_overlap(plan.start, plan.end)
    slots = hour_overlap(plan.s0, plan.s1) * plan.valid[..., None]
    call = np.isin(SLOT_KINDS, [MEETING, STANDUP])[None, :, None] & ~plan.away[..., None]
    opened = ~plan.lock[..., None] & ~call & (SLOT_KINDS != PAUSE)[None, :, None]  # paused: nothing recorded
    meet = (slots * call).sum(axis=1)
    idle = (slots * opened).sum(axis=1)
    work = np.maximum(present - slots.sum(axis=1), 0.0)
    return work * plan.works[:, None], meet * plan.works[:, None], idle * plan.works[:, None]


class Population:
    """Everything about the workers that stays the same from day to day, as arrays."""

    def __init__(self, workers, seed: int) -> None:
        self.workers, n = workers, len(workers)
        traits = lambda f: np.array([f(w) for w in workers], dtype=np.float64)  # noqa: E731
        self.traits = dict(start_h=traits(lambda w: w.start_h), day_h=traits(lambda w: w.day_h),
                           lock_p=traits(lambda w: w.lock_p), weekend_p=traits(lambda w: w.weekend_p),
                           meetings=traits(lambda w: w.meetings),
                           standup=traits(lambda w: np.nan if w.standup is None else w.standup))
        self.volume = traits(lambda w: w.volume)
        width = max(len(w.apps) for w in workers)
        self.share, self.visits, self.keys, self.clicks = (np.zeros((n, width)) for _ in range(4))
        self.app = np.full((n, width), -1, dtype=np.int32)
        for i, w in enumerate(workers):
            k, r = len(w.apps), app_rates(w, seed)
            self.share[i, :k], self.visits[i, :k], self.keys[i, :k], self.clicks[i, :k] = (
                r["share"], r["visits"], r["keys"], r["clicks"])
            self.app[i, :k] = w.apps
        self.in_call_app = self.app == np.array([w.meeting_app for w in workers])[:, None]
        self.zones = sorted({w.zone for w in workers})
        self.zone = np.array([self.zones.index(w.zone) for w in workers])
        self.ids = pa.array([w.id for w in workers])


def day_rows(rng, pop: Population, day: dt.date) -> pa.Table | None:
    """The hourly rows of every worker of ``pop`` on ``day``."""
    n = len(pop.workers)
    plan = plan_days(rng, np.full(n, day.weekday() >= 5), **pop.traits)
    work, meet, idle = _day_hours(plan)
    call_app = pop.in_call_app[:, None, :]
    # An hour's app mix varies around the worker's average (a Dirichlet draw).
    mix = rng.gamma(DIRICHLET * pop.share[:, None, :] + 1e-9)
    mix /= mix.sum(axis=2, keepdims=True)
    in_call = meet[..., None] * call_app
    focus = (work + idle)[..., None] * mix + in_call
    active = work[..., None] * mix * A_WORK + in_call * A_MEET
    side = (meet / SIDE_EVERY_S)[..., None]  # side visits from a call go out and come back
    switches = rng.poisson(work[..., None] * pop.visits[:, None, :] + side * np.where(call_app, 1.0, mix))
    rate = HOUR_RATE[None, :, None]
    call_rate = rate * pop.volume[:, None, None] * A_MEET
    key_downs = rng.poisson(work[..., None] * mix * A_WORK * pop.keys[:, None, :] * rate
                            + in_call * call_rate * MEETING_PROFILE[BURSTS] / 60 * MEETING_PROFILE[KEYS])
    clicks = rng.poisson(work[..., None] * mix * A_WORK * pop.clicks[:, None, :] * rate
                         + in_call * call_rate * MEETING_PROFILE[CLICKS] / 60 * (1 + DOUBLE_P))
    wi, hi, ai = np.nonzero((focus > 0.5) & (pop.app[:, None, :] >= 0))
    if not len(wi):
        return None
    offsets = np.array([utc_offset(z, day) for z in pop.zones], dtype=np.int64)[pop.zone][wi]
    midnight = (day - dt.date(1970, 1, 1)).days * 86400
    return pa.Table.from_arrays([
        pa.DictionaryArray.from_arrays(pa.array(wi.astype(np.int32)), pop.ids).cast(pa.string()),
        pa.array((midnight + hi * 3600 - offsets) * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        pa.array(offsets.astype(np.int32)),
        pa.DictionaryArray.from_arrays(pa.array(pop.app[wi, ai]), pa.array(APPS)).cast(pa.string()),
        pa.array(focus[wi, hi, ai]),
        pa.array(active[wi, hi, ai]),
        pa.array(switches[wi, hi, ai].astype(np.int32)),
        pa.array(key_downs[wi, hi, ai].astype(np.int32)),
        pa.array(clicks[wi, hi, ai].astype(np.int32)),
        pa.DictionaryArray.from_arrays(pa.array(np.zeros(len(wi), np.int8)), pa.array(["demo"])).cast(pa.string()),
    ], schema=HOURLY_SCHEMA)


def write_rollups(con, workers, dates: list[dt.date], seed: int, chunk_rows: int = 1_000_000) -> int:
    """Write every worker's hourly rows for ``dates`` (source 'demo'); returns rows written.

    Memory stays bounded: rows are written whenever ``chunk_rows`` have gathered.
    """
    from .generate import batch_id  # generate imports this module

    pop = Population(workers, seed)
    buffered, n_buffered, written = [], 0, 0

    def flush():
        nonlocal buffered, n_buffered, written
        if buffered:
            table = pa.concat_tables(buffered)
            bid = batch_id(seed, "hourly", len(workers), dates[0], written)
            written += store.write_batches(con, [(bid, table, "hourly")], source="demo")
            buffered, n_buffered = [], 0

    for day in dates:
        table = day_rows(np.random.default_rng([seed, 17, day.toordinal()]), pop, day)
        if table is not None:
            buffered.append(table)
            n_buffered += table.num_rows
        if n_buffered >= chunk_rows:
            flush()
    flush()
    # Rolled-up workers have no events to derive from: their hour totals come
    # straight from the hourly rows just written.
    derive.refresh_source_totals(con, "demo")
    return written
