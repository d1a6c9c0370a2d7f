"""python -m capture demo: a realistic multi-worker history, for the dashboard demo.

    python -m capture demo [--db PATH] [--workers 8] [--teams 2] [--days 14]
                           [--seed 1] [--end YYYY-MM-DD]

Writes generated workers through the same path as capture: raw events as
Arrow tables in events.ARROW_SCHEMA, stored by store.write_batches (source
'demo'), then the derived tables by derive.refresh per worker, the team of
every worker in ``workers``, and ``('demo', 'true')`` in ``meta`` so the
dashboard can say plainly that it shows generated data.

The same arguments give identical data, byte for byte: every worker-day
draws from its own random stream (seed, worker, date), so a longer history
keeps the events of a shorter one's days; batch ids are derived from the
arguments too. Running the demo again on its own database replaces it.

What the data is calibrated to, and the sources, are in demo_model (figures),
demo_typing (keystrokes), demo_focus (switches and time on screen) and
demo_plan (the working day). The refusal to mix demo and real data is on
purpose: a demo written into a database with captured or imported events
would pass generated behaviour off as someone's own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time

import numpy as np
import pyarrow as pa

from . import derive, store
from .demo_day import worker_day
from .demo_model import APPS, Worker, make_worker, utc_offset
from .events import ARROW_SCHEMA
from .keys import KEY_CLASSES
from .schema import BUTTONS, EVENT_KINDS

CHUNK_EVENTS = 1_000_000  # events per write: large batches are DuckDB's fast path
_KINDS, _CLASSES, _BUTTONS = pa.array(EVENT_KINDS), pa.array(KEY_CLASSES), pa.array(BUTTONS)
_APPS = pa.array(APPS)
_KEY, _POINTER = np.zeros(len(EVENT_KINDS), bool), np.zeros(len(EVENT_KINDS), bool)
_KEY[[EVENT_KINDS.index("key_down"), EVENT_KINDS.index("key_up")]] = True
_POINTER[[EVENT_KINDS.index(k) for k in ("mouse_down", "mouse_up", "scroll")]] = True
_SCROLL, _MOVE = EVENT_KINDS.index("scroll"), EVENT_KINDS.index("move")
# Everything a demo writes (and an older demo leaves behind); settings such as
# meta and category_rules stay.
DATA_TABLES = ("raw_events", "spans", "keystrokes", "bursts", "hourly", "hourly_total", "input_totals", "derive_state",
               "workers", "batches")


class DemoError(RuntimeError):
    """The demo cannot be written where asked (a message for the user)."""


def add_parser(sub, common) -> None:
    """Register the ``demo`` subcommand."""
    parser = sub.add_parser("demo", parents=[common],
                            help="write a generated demo history (marked as demo data)")
    parser.add_argument("--workers", type=int, default=8, help="how many workers (default 8)")
    parser.add_argument("--teams", type=int, default=2, help="how many teams (default 2)")
    parser.add_argument("--days", type=int, default=14, help="days of history (default 14)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="last day of the history (default: yesterday, so nothing lies in the future)")


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
    real = con.execute("SELECT count(*) FROM batches WHERE source <> 'demo'").fetchall()[0][0]
    if real:
        raise DemoError("this database holds captured or imported data; write the demo to its own "
                        "database, e.g. --db data/demo.duckdb")
    present = {name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    con.execute("BEGIN TRANSACTION")
    for table in DATA_TABLES:
        if table in present:  # an older demo goes; settings (meta, category_rules) stay
            con.execute(f"DELETE FROM {table}")  # noqa: S608 - names from DATA_TABLES only
    con.execute("INSERT OR REPLACE INTO meta VALUES ('demo', 'true')")
    con.execute("COMMIT")


def write_workers(con, workers: list[Worker]) -> None:
    con.executemany("INSERT OR REPLACE INTO workers VALUES ($1, $2)", [(w.id, w.team) for w in workers])


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


def run(args, paths) -> int:
    end = args.end or dt.date.today() - dt.timedelta(days=1)
    try:
        con = store.open_writable(paths.db)
    except store.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        generate(con, args.workers, args.teams, args.days, args.seed, end)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(f"  written to {paths.db} (marked as demo data)")
    return 0
