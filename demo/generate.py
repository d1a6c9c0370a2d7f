"""Writing the demo: generated workers through the same write path as capture."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import numpy as np
import pyarrow as pa

import store
from store import derive, statements
from store.events import ARROW_SCHEMA
from store.schema import BUTTONS, EVENT_KINDS, KEY_CLASSES

from .day import worker_day
from .model import APPS, Worker, make_worker, utc_offset

CHUNK_EVENTS = 1_000_000  # events per write: large batches are DuckDB's fast path
_KINDS, _CLASSES, _BUTTONS = pa.array(EVENT_KINDS), pa.array(KEY_CLASSES), pa.array(BUTTONS)
_APPS = pa.array(APPS)
_KEY, _POINTER = np.zeros(len(EVENT_KINDS), bool), np.zeros(len(EVENT_KINDS), bool)
_KEY[[EVENT_KINDS.index("key_down"), EVENT_KINDS.index("key_up")]] = True
_POINTER[[EVENT_KINDS.index(k) for k in ("mouse_down", "mouse_up", "scroll")]] = True
_SCROLL, _MOVE = EVENT_KINDS.index("scroll"), EVENT_KINDS.index("move")
class DemoError(RuntimeError):
    """The demo cannot be written where asked (a message for the user)."""


def batch_id(*parts) -> int:
    """A batch id derived from what the batch holds: the same demo gets the same ids."""
    digest = hashlib.blake2b(":".join(map(str, ("demo",) + parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # fits UBIGINT and BIGINT alike


def to_arrow(days: list[tuple[dict, int, int]], worker: str) -> pa.Table:
    """Events of several days -> one table in ARROW_SCHEMA.

    ``days`` holds (events, UTC microseconds of local midnight, UTC offset).
    """
    ev = {name: np.concatenate([d[0][name] for d in days]) for name in days[0][0]}
    n = len(ev["ts"])
    counts = [len(d[0]["ts"]) for d in days]
    base = np.repeat(np.array([d[1] for d in days], np.int64), counts)
    offsets = np.repeat(np.array([d[2] for d in days], np.int32), counts)
    kind = ev["kind"]
    is_key, is_pointer = _KEY[kind], _POINTER[kind]
    has_app = ev["app"] >= 0
    ts = base + np.rint(ev["ts"] * 1e6).astype(np.int64)
    columns = [
        pa.array(ts, pa.int64()).cast(ARROW_SCHEMA.field("ts").type),
        pa.array(offsets),
        pa.DictionaryArray.from_arrays(pa.array(kind), _KINDS),
        pa.DictionaryArray.from_arrays(pa.array(ev["key_class"], mask=~is_key), _CLASSES),
        pa.DictionaryArray.from_arrays(pa.array(ev["button"], mask=~(is_pointer & (kind != _SCROLL))), _BUTTONS),
        pa.array(ev["x"], mask=~is_pointer),
        pa.array(ev["y"], mask=~is_pointer),
        pa.array(ev["dx"], mask=kind != _SCROLL),
        pa.array(ev["dy"], mask=kind != _SCROLL),
        pa.array(ev["distance"], mask=kind != _MOVE),
        pa.DictionaryArray.from_arrays(pa.array(ev["app"].astype(np.int8), mask=~has_app), _APPS).cast(pa.string()),
        pa.nulls(n, pa.string()),  # titles are not stored unless a worker allows it
        pa.array(ev["pid"].astype(np.int32), mask=~has_app),
        pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([worker])).cast(pa.string()),
        pa.array(ev["key_seq"], mask=~is_key),
    ]
    return pa.Table.from_arrays(columns, schema=ARROW_SCHEMA)


def _first_key_seq(day: dt.date) -> int:
    """key_seq numbers a worker's presses, from a base per day (a day holds far
    fewer than a million). Unlike the daemon's counter, which restarts with
    every run, they never repeat: derive_keystrokes pairs presses and releases
    by key_seq and would mismatch repeated ones across runs."""
    return (day - dt.date(1970, 1, 1)).days * 1_000_000


def _midnight_us(day: dt.date, offset: int) -> int:
    return ((day - dt.date(1970, 1, 1)).days * 86400 - offset) * 1_000_000


def write_worker(con, w: Worker, dates: list[dt.date], seed: int,
                 chunk_events: int = CHUNK_EVENTS) -> tuple[int, float]:
    """Generate and store one worker's days; returns (events, seconds spent writing)."""
    buffered, n_buffered, total, write_s, chunk = [], 0, 0, 0.0, 0

    def flush():
        nonlocal buffered, n_buffered, total, write_s, chunk
        if buffered:
            table = to_arrow(buffered, w.id)
            t = time.perf_counter()
            store.write_batches(con, [(batch_id(seed, w.id, dates[0], chunk), table, "raw_events")], source="demo")
            write_s += time.perf_counter() - t
            total += table.num_rows
            buffered, n_buffered, chunk = [], 0, chunk + 1

    for day in dates:
        events = worker_day(w, day, seed, _first_key_seq(day))
        if events is None:
            continue
        offset = utc_offset(w.zone, day)
        buffered.append((events, _midnight_us(day, offset), offset))
        n_buffered += len(events["ts"])
        if n_buffered >= chunk_events:
            flush()
    flush()
    return total, write_s


def prepare(con) -> None:
    """Make ``con`` ready for a demo: refuse real data, clear an older demo, mark it."""
    if statements.scalar(con, "foreign_batches", {"source": "demo"}):
        raise DemoError("this database holds captured or imported data; write the demo to its own "
                        "database, e.g. --db data/demo.duckdb")
    with store.transaction(con):  # an older demo goes; settings (meta, category_rules) stay
        statements.execute(con, "data_clear")
        statements.execute(con, "meta_set", {"key": "demo", "value": "true"})


def write_workers(con, workers: list[Worker]) -> None:
    with store.transaction(con):
        for w in workers:
            statements.execute(con, "worker_team_set", {"worker": w.id, "team": w.team})


def generate(con, n_workers: int, n_teams: int, days: int, seed: int, end: dt.date, out=print) -> dict:
    """Write the whole demo into ``con``; returns what was done and how fast."""
    if n_workers < 1 or n_teams < 1 or days < 1:
        raise DemoError("--workers, --teams and --days must be at least 1")
    n_teams = min(n_teams, n_workers)
    dates = [end - dt.timedelta(days=days - 1 - i) for i in range(days)]
    prepare(con)
    workers = [make_worker(seed, i, n_workers, n_teams) for i in range(n_workers)]
    write_workers(con, workers)
    t0 = time.perf_counter()
    events = write_s = 0
    for w in workers:
        n, s = write_worker(con, w, dates, seed)
        events, write_s = events + n, write_s + s
    t1 = time.perf_counter()
    for w in workers:
        derive.refresh(con, w.id)
    t2 = time.perf_counter()
    stats = {"workers": n_workers, "teams": n_teams, "days": days, "first": dates[0], "last": end,
             "events": events, "generate_write_s": t1 - t0, "write_s": write_s, "derive_s": t2 - t1}
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    out(f"demo: {plural(n_workers, 'worker')} in {plural(n_teams, 'team')}, {dates[0]} to {end}: {events:,} events")
    out(f"  generated and written in {t1 - t0:.1f} s ({events / max(t1 - t0, 1e-9):,.0f} events/s; "
        f"writing {write_s:.1f} s), derived tables in {t2 - t1:.1f} s; "
        f"{events / max(t2 - t0, 1e-9):,.0f} events/s end to end")
    return stats
