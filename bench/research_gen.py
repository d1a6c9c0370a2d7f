"""The engine-neutral Parquet dataset (team/dataset.py) of N workers x one year of daily releases, for
bench/research_bench.py: the team ledger's ``releases`` and the study long tables of team/study_tables.py,
generated with numpy and written a block of days at a time (at most ~1 M day rows in memory).

Which tables each size gets: ``releases`` and ``days`` always; the per-day long tables (categories,
transitions, typing, clicking) up to 10,000 workers; ``hours`` and the fine bins up to 1,000 workers
(hours at 10,000 would be 88 M rows, at 100,000 876 M).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sharing import release_format as rf
from sharing import study_format as sf
from team import dataset

DAY0 = dt.date(2025, 1, 6)  # a Monday
DAYS = 365
TEAM_SIZE = 10
CATEGORIES = ("Code", "Mail", "Meetings")
PAIRS = [(a, b) for a in CATEGORIES for b in CATEGORIES if a != b]
BINS = {"typing": ("ms", rf.TYPING_EDGES_MS, 400), "clicking": ("s", rf.CLICK_EDGES_S, 50),
        "typing_fine": ("ms", sf.TYPING_FINE_EDGES_MS, 100), "clicking_fine": ("s", sf.CLICK_FINE_EDGES_S, 30)}


def tables_for(workers: int) -> tuple[str, ...]:
    names = ["releases", "days"]
    if workers <= 10_000:
        names += ["categories", "transitions", "typing", "clicking"]
    if workers <= 1_000:
        names += ["hours", "typing_fine", "clicking_fine"]
    return tuple(names)


def _blocks(workers: int, rows_per_block: int = 1_000_000):
    """(first day index, number of days) blocks of about rows_per_block day rows."""
    step = max(1, rows_per_block // workers)
    return [(d, min(step, DAYS - d)) for d in range(0, DAYS, step)]


class _Block:
    """One block of days x every worker: the keys and the day's measures, as numpy arrays."""

    def __init__(self, workers: int, first: int, days: int, persons: pa.Array, teams: pa.Array, seed: int):
        rng = np.random.default_rng(seed)
        n = workers * days
        self.n = n
        self.who = np.tile(np.arange(workers), days)
        day_idx = np.repeat(np.arange(first, first + days), workers)
        self.day = pa.array((np.datetime64(DAY0) + day_idx).astype("datetime64[D]"), pa.date32())
        self.week = pa.array((np.datetime64(DAY0) + day_idx - day_idx % 7).astype("datetime64[D]"), pa.date32())
        self.weekday = (day_idx % 7 + 1).astype(np.int32)
        self.person = persons.take(pa.array(self.who))
        self.team = teams.take(pa.array(self.who))
        weekend = self.weekday >= 6
        hours = np.zeros((n, 24), np.int16)
        hours[:, 9:17] = rng.integers(20, 56, (n, 8))
        hours[weekend] //= 6
        evening = rng.random(n) < 0.3
        hours[evening, 20] = rng.integers(1, 31, evening.sum())
        self.minutes = hours
        self.switches = np.where(hours > 0, hours // 2 + rng.integers(0, 6, (n, 24)), 0).astype(np.int32)
        self.cat = rng.integers(600, 9000, (n, len(CATEGORIES))).astype(np.int32)
        self.focus = rng.integers(0, 5 * 3600, n).astype(np.int32)
        self.pairs = rng.integers(1, 41, (n, len(PAIRS))).astype(np.int32)
        self.bins = {name: rng.integers(0, top, (n, len(edges) + 1)).astype(np.int32)
                     for name, (_, edges, top) in BINS.items()}

    def keys(self, m: int) -> dict[str, pa.Array]:
        """person, day, week, weekday, each repeated m times (m rows per person-day)."""
        idx = pa.array(np.repeat(np.arange(self.n), m))
        return {"person": self.person.take(idx), "day": self.day.take(idx), "week": self.week.take(idx),
                "weekday": pa.array(np.repeat(self.weekday, m))}


def _list(values: np.ndarray, type_) -> pa.Array:
    n, m = values.shape
    return pa.ListArray.from_arrays(pa.array(np.arange(0, n * m + 1, m, dtype=np.int32)),
                                    pa.array(values.reshape(-1), type_))


def _releases(b: _Block) -> pa.Table:
    m = len(CATEGORIES)
    offsets = pa.array(np.arange(0, b.n * m + 1, m, dtype=np.int32))
    cats = pa.MapArray.from_arrays(offsets, pa.array(np.tile(CATEGORIES, b.n)), pa.array(b.cat.reshape(-1)))
    key = pc.binary_join_element_wise("releases/", b.team, "/", pc.cast(b.day, pa.string()), "/", b.person,
                                      ".parquet", "")
    return pa.table({"key": key, "pseudonym": b.person, "team": b.team, "day": b.day, "week": b.week,
                     "active_minutes": _list(b.minutes, pa.int16()), "switches": _list(b.switches, pa.int32()),
                     "category_seconds": cats, "focus_sessions": pa.array(b.focus // 1800),
                     "focus_seconds": pa.array(b.focus), "typing_bins": _list(b.bins["typing"], pa.int32()),
                     "click_bins": _list(b.bins["clicking"], pa.int32())})


def _long(b: _Block, name: str) -> pa.Table:
    if name == "days":
        return pa.table({**b.keys(1), "active_minutes": pa.array(b.minutes.sum(1, dtype=np.int32)),
                         "switches": pa.array(b.switches.sum(1, dtype=np.int32)),
                         "focus_sessions": pa.array(b.focus // 1800), "focus_seconds": pa.array(b.focus)})
    if name == "hours":
        return pa.table({**b.keys(24), "hour": pa.array(np.tile(np.arange(24, dtype=np.int32), b.n)),
                         "active_minutes": pa.array(b.minutes.reshape(-1).astype(np.int32)),
                         "switches": pa.array(b.switches.reshape(-1))})
    if name == "categories":
        return pa.table({**b.keys(len(CATEGORIES)), "category": pa.array(np.tile(CATEGORIES, b.n)),
                         "seconds": pa.array(b.cat.reshape(-1))})
    if name == "transitions":
        return pa.table({**b.keys(len(PAIRS)), "from_category": pa.array(np.tile([p[0] for p in PAIRS], b.n)),
                         "to_category": pa.array(np.tile([p[1] for p in PAIRS], b.n)),
                         "n": pa.array(b.pairs.reshape(-1))})
    unit, edges, _ = BINS[name]
    m = len(edges) + 1
    lo = np.array((0.0, *edges))
    hi = pa.array(np.tile(np.array((*edges, 0.0), float), b.n), mask=np.tile(np.arange(m) == m - 1, b.n))
    return pa.table({**b.keys(m), "bin": pa.array(np.tile(np.arange(m, dtype=np.int32), b.n)),
                     f"lo_{unit}": pa.array(np.tile(lo, b.n)), f"hi_{unit}": hi,
                     "n": pa.array(b.bins[name].reshape(-1))})


def generate(root: Path, workers: int, log=print) -> dict[str, int]:
    """Write the dataset of ``workers`` x one year under ``root``; returns each table's rows."""
    persons = pa.array([f"p{i:06d}" for i in range(workers)])
    teams = pa.array([f"t{i // TEAM_SIZE:05d}" for i in range(workers)])
    names = tables_for(workers)
    blocks = _blocks(workers)
    started = time.monotonic()
    rows = dict.fromkeys(names, 0)

    def feed(name):
        for i, (first, days) in enumerate(blocks):
            block = cache(i, first, days)
            table = _releases(block) if name == "releases" else _long(block, name)
            rows[name] += table.num_rows
            yield table
            if i % 10 == 0 or i == len(blocks) - 1:
                log(f"  {workers} workers: {name} block {i + 1}/{len(blocks)}, {rows[name]:,} rows, "
                    f"{time.monotonic() - started:.0f} s")

    _cache: dict = {}

    def cache(i, first, days):
        if i not in _cache:
            _cache.clear()
            _cache[i] = _Block(workers, first, days, persons, teams, seed=i)
        return _cache[i]

    for name in names:
        dataset.write_table(root, name, feed(name))
    return rows
