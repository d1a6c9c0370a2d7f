"""derive.refresh_many: all workers in one pass per step gives, row for row,
what a refresh of each worker on its own gives (store/sql/derive.sql keeps a
one-worker and an all-workers form of every statement that builds rows).

Two databases are fed the same events; the first is refreshed worker by
worker, the second all at once, and every derived table must then be equal:
captured-like days of three generated workers in three time zones (across
the spring DST change) and the hand-worked day of conftest with a change of
UTC offset in it, written in rounds that leave each worker at a different
resume point, and a keystroke-study import of a few participants (refreshed
inside the import's transaction, from the time each worker's data starts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tarfile

import numpy as np
import pyarrow.compute as pc
import pytest

import store
from demo import generate
from demo.day import worker_day
from demo.model import make_worker, utc_offset
from importers import common, keystrokes
from store import derive
from store import events as ev
from testkit import shared

DERIVED = {  # table -> which of its rows derive writes
    "spans": "source = 'capture'",
    "keystrokes": "true",
    "bursts": "true",
    "hourly": "source = 'derived'",
    "hourly_total": "source = 'derived'",
    "steps": "true",
    "derive_state": "true",
}
SEED = 11
S = 1_000_000_000  # nanoseconds per second
T0 = 1_767_261_600 * S  # conftest.T0, where its hand-worked day begins
DAYS = (dt.date(2026, 3, 27), dt.date(2026, 3, 30))  # a Friday and a Monday: Europe moves its clocks in between
WORKERS = [make_worker(SEED, i, 5, 5) for i in (0, 2, 3)]  # Berlin, London, New York


def derived(con) -> dict[str, list[tuple]]:
    return {table: con.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY ALL").fetchall()  # noqa: S608 - constants
            for table, where in DERIVED.items()}


def assert_same(one, many) -> None:
    a, b = derived(one), derived(many)
    for table in DERIVED:
        assert len(a[table]) == len(b[table]), f"{table}: {len(a[table])} rows one by one, {len(b[table])} at once"
        for row_a, row_b in zip(a[table], b[table]):
            assert row_a == row_b, f"{table} differs"


def write_hand_day(con, events, batch: int, worker: str, offset_of, shift: float = 0) -> None:
    """conftest's hand-written events for ``worker``, ``shift`` seconds later."""
    rows = [(T0 + int((e[0] + shift) * S), *e[1:]) for e in events]
    store.write_batch(con, batch, ev.to_table(rows, lambda t_ns: offset_of((t_ns - T0) / S - shift), worker), "test")


def refresh_each(con, workers: dict) -> None:
    for worker, rebuild_from in workers.items():
        derive.refresh(con, worker, rebuild_from)


def _days(w):
    """Worker ``w``'s generated DAYS, as one table in time order."""
    days = []
    for day in DAYS:
        events = worker_day(w, day, SEED, generate._first_key_seq(day))
        assert events is not None, f"{w.id} has {day} off: choose another seed"
        offset = utc_offset(w.zone, day)
        days.append((events, generate._midnight_us(day, offset), offset))
    return generate.to_arrow(days, w.id).sort_by("ts")


def _cut(table, at: list[dt.datetime]) -> list:
    """``table`` in slices, cut at the given times."""
    ts = pc.cast(table.column("ts"), "int64").to_numpy()
    bounds = [0, *(int(np.searchsorted(ts, int(t.timestamp() * 1e6))) for t in at), len(ts)]
    return [table.slice(lo, hi - lo) for lo, hi in zip(bounds, bounds[1:])]


@pytest.fixture
def pair(tmp_path):
    """Two fresh databases: (refreshed one worker at a time, all at once)."""
    one = store.open_writable(tmp_path / "one.duckdb")
    many = store.open_writable(tmp_path / "many.duckdb")
    yield one, many
    one.close()
    many.close()


def test_captured_days_in_rounds_equal_one_worker_at_a_time(pair, day_events):
    one, many = pair
    batch = iter(range(1, 10_000))

    def write(table) -> None:
        b = next(batch)
        for con in pair:
            store.write_batches(con, [(b, table, "raw_events")], source="capture")

    utc = dt.timezone.utc
    # Each worker's two days, cut at different moments: most refreshes below
    # start every worker from a resume point of its own.
    cuts = {
        WORKERS[0].id: [dt.datetime(2026, 3, 27, 11, 17, tzinfo=utc), dt.datetime(2026, 3, 30, 9, 3, tzinfo=utc)],
        WORKERS[1].id: [dt.datetime(2026, 3, 27, 15, 41, tzinfo=utc), dt.datetime(2026, 3, 30, 13, 29, tzinfo=utc)],
        WORKERS[2].id: [dt.datetime(2026, 3, 27, 20, 5, tzinfo=utc), dt.datetime(2026, 3, 30, 17, 0, tzinfo=utc)],
    }
    parts = {w.id: _cut(_days(w), cuts[w.id]) for w in WORKERS}
    everyone = [w.id for w in WORKERS] + ["local", "other"]

    # Round 1: the first part of every generated worker, and the hand-worked
    # day's first half for "local", whose clock moves an hour at 200 s (and
    # whose Code is then called Editor, so that no app's hour has two
    # offsets), and for "other", half a second behind, whose clock is where
    # local's moves to (an offset change looked for across workers is missed).
    for w in WORKERS:
        write(parts[w.id][0])
    moves = lambda s: 3600 if s < 200 else 7200  # noqa: E731
    stays = lambda s: 7200  # noqa: E731
    local_day = [(e[0], e[1], "Editor", *e[3:]) if e[0] >= 200 and e[1] == ev.FOCUS else e for e in day_events]
    for con in pair:
        write_hand_day(con, local_day[:10], 5000, "local", moves)
        write_hand_day(con, day_events[:10], 5001, "other", stays, shift=0.5)
    refresh_each(one, dict.fromkeys(everyone))
    derive.refresh_many(many, dict.fromkeys(everyone))
    assert_same(one, many)

    # Round 2: new events for one worker only; all are refreshed.
    write(parts[WORKERS[0].id][1])
    refresh_each(one, dict.fromkeys(everyone))
    derive.refresh_many(many, dict.fromkeys(everyone))
    assert_same(one, many)

    # Round 3: the rest for some, a forced rebuild for one, and a worker with no events at all.
    write(parts[WORKERS[0].id][2])
    write(parts[WORKERS[1].id][1])
    for con in pair:
        write_hand_day(con, local_day[10:], 5002, "local", moves)
        write_hand_day(con, day_events[10:], 5003, "other", stays, shift=0.5)
    chosen = {WORKERS[0].id: None, WORKERS[1].id: dt.datetime(2026, 3, 27, 8, 0, tzinfo=utc),
              "local": None, "nobody": None}
    refresh_each(one, chosen)
    derive.refresh_many(many, chosen)
    assert_same(one, many)

    # Round 4: everything, then every worker.
    write(parts[WORKERS[1].id][2])
    write(parts[WORKERS[2].id][1])
    write(parts[WORKERS[2].id][2])
    refresh_each(one, dict.fromkeys(everyone))
    assert derive.refresh_all(many) == len(everyone)
    assert_same(one, many)

    # What was compared is real: every table has rows of every worker, and
    # offsets changed (DST between the days, the hand-worked day's own change).
    counts = dict(many.execute("SELECT worker, count(*) FROM keystrokes GROUP BY ALL").fetchall())
    assert set(counts) == set(everyone) and min(counts.values()) >= 4
    assert many.execute("SELECT count(DISTINCT worker) FROM hourly").fetchone()[0] == len(everyone)
    assert many.execute("SELECT count(DISTINCT worker) FROM bursts").fetchone()[0] == len(everyone)
    assert many.execute("SELECT count(DISTINCT utc_offset) FROM hourly").fetchone()[0] >= 4
    assert many.execute("SELECT app, utc_offset FROM hourly WHERE worker = 'local' GROUP BY ALL ORDER BY ALL").fetchall() == [
        ("Code", 3600), ("Editor", 7200), ("Firefox", 3600)]
    assert many.execute("SELECT count(*) FROM derive_state").fetchone()[0] == 3 * len(everyone)


def test_keystroke_import_equals_one_worker_at_a_time(pair, tmp_path, monkeypatch):
    """A study import refreshes its workers inside its own transaction, each
    from its first key: at once, as one by one."""
    folder = tmp_path / "study"
    folder.mkdir()
    with tarfile.open(shared("keystrokes", "aalto136m-every6th.tar.gz")) as tar:
        files = sorted((m for m in tar if m.isfile()), key=lambda m: m.name)[:4]
        for member in files:
            (folder / member.name.rsplit("/", 1)[-1]).write_bytes(tar.extractfile(member).read())

    def load():
        return keystrokes.load(argparse.Namespace(source=str(folder), skip_bad_rows=True))

    one, many = pair
    with monkeypatch.context() as patched:
        patched.setattr(derive, "refresh_many", lambda con, workers: refresh_each(con, workers))
        common.write(one, load())
    common.write(many, load())
    assert_same(one, many)
    assert many.execute("SELECT count(DISTINCT worker) FROM keystrokes").fetchone()[0] == 4
    assert many.execute("SELECT count(*) FROM keystrokes").fetchone()[0] > 1000
