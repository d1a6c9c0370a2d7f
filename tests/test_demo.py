"""The demo generator: published figures recovered by the project's own queries,
data shaped like the daemon's, identical for the same seed, and kept apart
from real data.

The calibration targets and their sources are in capture/demo_model.py; the
typing tolerances are those ../shared/data/README.md sets for an importer of
the 136M-keystrokes study.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import queries
import store
from capture.writer import IdleTracker
from demo import day as demo_day
from demo import generate as demo
from demo import hourly as demo_hourly
from demo import model as demo_model
from demo import plan as demo_plan
from store import events as ev
from testkit import cli, rows, shared

WORKERS, TEAMS, END = 6, 3, dt.date(2026, 3, 6)  # Mon 2 to Fri 6 March 2026
DATES = [END - dt.timedelta(days=4 - i) for i in range(5)]


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """Six workers in three teams over one working week, written by the CLI."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = cli("demo", "--db", str(db), "--workers", str(WORKERS), "--teams", str(TEAMS),
                 "--days", "5", "--seed", "1", "--end", END.isoformat())
    assert "events/s" in result.stdout
    return db


def _per_worker(db, name, **params):
    return {f"w{i + 1:02d}": queries.run(name, db=db, worker=f"w{i + 1:02d}", **params) for i in range(WORKERS)}


def test_typing_recovers_the_136m_keystrokes_figures(week):
    """If this fails, the demo's typing dashboards show numbers no real typist produces."""
    t = queries.run("typing_summary", db=week).row(0, named=True)
    assert t["iki_mean_ms"] == pytest.approx(245.6, abs=10)
    assert t["hold_mean_ms"] == pytest.approx(119.7, abs=5)
    assert t["rollover"] == pytest.approx(0.216, abs=0.02)
    assert t["backspace_share"] == pytest.approx(0.0521, abs=0.005)
    assert t["wpm"] == pytest.approx(51.5, abs=3)
    iki = queries.run("percentiles", db=week, measure="iki").row(0, named=True)
    assert iki["mean"] > 1.15 * iki["p50"], "IKIs are right-skewed, like real typing"
    assert iki["p99"] > 3 * iki["p50"], "with a heavy tail of hesitations"


def test_switches_and_time_on_screen_reconcile_hbr_and_mark(week):
    """~1,200 switches a day (HBR 2022) and 47 s on one screen (Mark 2023), as
    demo_focus explains: dwells of 47 s on average, plus glances under 5 s
    that are most of the switches and next to none of the time."""
    dwell = queries.run("measure_sample", db=week, measure="dwell", n=10**8)["v"].to_numpy()
    glance = dwell < 5
    assert dwell[~glance].mean() == pytest.approx(47, rel=0.1)
    assert 20 < np.median(dwell[~glance]) < 35  # heavy-tailed: the mean is well above the median
    assert 0.45 < glance.mean() < 0.65
    assert dwell[glance].sum() / dwell.sum() < 0.05
    days = [d for frame in _per_worker(week, "daily_activity").values() for d in frame.iter_rows(named=True)]
    assert len(days) >= WORKERS * 4  # a day off now and then
    assert np.mean([d["switches"] for d in days]) == pytest.approx(1200, rel=0.1)
    # The switches times the mean of all spans is the time an app had focus.
    focus_h = np.mean([(d["active_s"] + d["idle_s"]) / 3600 for d in days])
    assert np.mean([d["switches"] for d in days]) * dwell.mean() / 3600 == pytest.approx(focus_h, rel=0.05)


def test_six_to_seven_active_hours_on_a_working_day(week):
    """The dashboard's headline figure for a working day looks like an office worker's."""
    days = [d for frame in _per_worker(week, "daily_activity").values() for d in frame.iter_rows(named=True)]
    assert 6.0 <= np.mean([d["active_s"] for d in days]) / 3600 <= 7.0
    assert all(4.5 * 3600 < d["active_s"] < 9 * 3600 for d in days)


def test_working_day_rhythm(week):
    """Arrivals 7-10 local, a lunch dip, an afternoon dip, nothing at night."""
    by_hour = {}
    for frame in _per_worker(week, "hourly_activity").values():
        for day in frame.partition_by("day"):
            active = day.filter(day["active_s"] > 60)
            assert 7 <= active["hour_of_day"].min() <= 10
            assert active["hour_of_day"].max() <= 20
        for h, a in zip(frame["hour_of_day"], frame["active_s"]):
            by_hour.setdefault(h, []).append(a)
    total = {h: np.sum(a) for h, a in by_hour.items()}
    assert total[12] < 0.7 * total[10]  # lunch
    assert total[14] + total[15] < 0.95 * (total[10] + total[11])  # the post-lunch dip


def test_each_worker_mostly_uses_their_teams_tools(week):
    """Teams differ (engineers in Code, designers in Figma, ...), or team comparisons show nothing."""
    names = {row[0]: row[1] for row in rows(week, "SELECT worker, team FROM workers")}
    assert len(names) == WORKERS and len(set(names.values())) == TEAMS
    for worker, frame in _per_worker(week, "app_time", active_only=True).items():
        role = demo_model.ROLES[names[worker].split()[0]]
        assert frame["app"][0] == max(role["weights"], key=role["weights"].get)


def test_transitions_show_quick_back_and_forth(week):
    """Glances go out and come back: the workflow views should find the ping-pong."""
    t = queries.run("transitions", db=week)
    top = t.row(0, named=True)
    back = t.filter((t["src"] == top["dst"]) & (t["dst"] == top["src"]))
    assert back["n"][0] >= 0.8 * top["n"]
    assert min(top["median_s"], back["median_s"][0]) < 5  # one of the two directions is a glance


def test_events_are_shaped_like_the_daemons():
    """Idle marks are exactly what the daemon's IdleTracker derives from the
    same input; each key press has its release; titles are never stored."""
    for index in range(3):
        w = demo_model.make_worker(1, index, 3, 3)
        for day in DATES:
            e = demo_day.worker_day(w, day, 1, 0)
            if e is None:
                continue
            assert e["kind"][0] == ev.START and e["kind"][-1] == ev.STOP
            assert np.all(np.diff(e["ts"]) >= 0)
            ts = np.rint(e["ts"] * 1e6).astype(np.int64) * 1000
            marks = {ev.IDLE_START, ev.IDLE_END}
            given = [(int(t), int(k)) for t, k in zip(ts, e["kind"]) if k in marks]
            tracker, derived = IdleTracker(180.0, int(ts[0])), []
            for row in ((int(t), int(k)) for t, k in zip(ts, e["kind"]) if k not in marks):
                idle = tracker.tick(row[0])
                derived += [idle] if idle else []
                derived += [r for r in tracker.observe([row]) if r[1] in marks]
            assert given == derived
            downs, ups = e["key_seq"][e["kind"] == ev.KEY_DOWN], e["key_seq"][e["kind"] == ev.KEY_UP]
            assert sorted(downs) == sorted(ups) and len(set(downs)) == len(downs)


def test_derived_tables_are_complete(week):
    """Every press finds its release, no title is stored, and the demo says it is one."""
    assert rows(week, "SELECT count(*) FROM keystrokes WHERE release IS NULL")[0][0] == 0
    assert rows(week, "SELECT count(*) FROM events WHERE title IS NOT NULL")[0][0] == 0
    kinds = {k for (k,) in rows(week, "SELECT DISTINCT kind FROM events")}
    assert kinds >= set(ev.EVENT_KINDS) - {"pause", "resume"}
    assert rows(week, "SELECT DISTINCT source FROM batches") == [("demo",)]
    assert rows(week, "SELECT value FROM meta WHERE key = 'demo'") == [("true",)]


def _digest(db) -> str:
    """A hash of every table the demo writes, row order and all. Parquet keeps
    only the values (Arrow buffers may hold anything under a NULL)."""
    h = hashlib.sha256()
    for sql in ("SELECT * FROM raw_events ORDER BY ALL", "SELECT * FROM spans ORDER BY ALL",
                "SELECT * FROM keystrokes ORDER BY ALL", "SELECT * FROM bursts ORDER BY ALL",
                "SELECT * FROM hourly ORDER BY ALL", "SELECT * FROM workers ORDER BY ALL",
                "SELECT * EXCLUDE (written_at) FROM batches ORDER BY ALL"):
        con = store.open_read_only(db)
        try:
            data = con.sql(sql).to_arrow_table()
        finally:
            con.close()
        # DuckDB's threads decide the chunks, and the ENUM dictionaries with them.
        data = pa.table([c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in data.columns],
                        names=data.column_names)
        sink = pa.BufferOutputStream()
        pq.write_table(data, sink, compression="none")
        h.update(sink.getvalue().to_pybytes())
    return h.hexdigest()


def _generate(db, seed, end=dt.date(2026, 3, 31), days=5):
    con = store.open_writable(db)
    try:
        demo.generate(con, 2, 2, days, seed, end, out=lambda *_: None)
    finally:
        con.close()


def test_same_seed_same_bytes(tmp_path):
    """A demo someone screenshots can be regenerated exactly."""
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        _generate(tmp_path / f"{name}.duckdb", seed)
    a, b, c = (_digest(tmp_path / f"{n}.duckdb") for n in "abc")
    assert a == b != c


def test_local_time_follows_daylight_saving(tmp_path):
    """Berlin moves to UTC+2 on 29 March 2026: arrivals stay at local 8-10."""
    db = tmp_path / "dst.duckdb"
    _generate(db, 1)
    starts = rows(db, "SELECT utc_offset, hour(ts + to_seconds(utc_offset)) FROM raw_events "
                      "WHERE kind = 'start' AND worker = 'w01' ORDER BY ts")
    assert {o for o, _ in starts} == {3600, 7200}
    assert all(7 <= h <= 10 for o, h in starts)


def test_refuses_a_database_holding_real_data(db):
    """Generated behaviour must never mix with, or overwrite, someone's real capture."""
    con = store.open_writable(db)
    store.write_batch(con, 1, ev.to_table([(1_767_261_600 * 10**9, ev.START)]), "capture")
    con.close()
    result = cli("demo", "--db", str(db), "--days", "1", check=False)
    assert result.returncode == 2 and "captured or imported" in result.stderr
    assert rows(db, "SELECT count(*) FROM raw_events") == [(1,)]


def test_the_demo_never_goes_into_your_own_database(tmp_path, replay_recording):
    """Issue 9 #1: `demo` without --db writes the demo database, not your own;
    your own database is refused by name; and capture, imports and consent
    refuse a demo database, so real and generated data never share a file."""
    own, demo_file = tmp_path / "own.duckdb", tmp_path / "demo.duckdb"
    env = {"WORKPRINT_DB": str(own), "WORKPRINT_DEMO_DB": str(demo_file)}
    made = cli("demo", "--days", "1", "--workers", "1", "--teams", "1", env=env)
    assert f"written to {demo_file}" in made.stdout and demo_file.exists() and not own.exists()
    refused = cli("demo", "--db", str(own), "--days", "1", env=env, check=False)
    assert refused.returncode == 2 and "is your own database" in refused.stderr and not own.exists()
    events = rows(demo_file, "SELECT count(*) FROM raw_events")
    for command in (("consent", "--accept"),
                    ("run", "--backend", "replay", "--replay", f"file={replay_recording(keys=5)}"),
                    ("import", "eventlog", str(shared("eventlogs", "running-example.csv")), "--case",
                     "case:concept:name", "--activity", "concept:name", "--time", "time:timestamp")):
        result = cli(*command, "--db", str(demo_file), env=env, check=False)
        assert result.returncode != 0 and "is a demo database" in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert rows(demo_file, "SELECT count(*) FROM raw_events") == events
    assert rows(demo_file, "SELECT count(*) FROM consent_log") == [(0,)]


def test_a_second_demo_replaces_the_first(tmp_path):
    """Running the demo again does not pile a second history onto the first."""
    db = tmp_path / "again.duckdb"
    _generate(db, 1, days=2)
    _generate(db, 2, days=1)
    assert rows(db, "SELECT count(DISTINCT CAST(ts AS DATE)) FROM raw_events WHERE kind = 'start'") == [(1,)]


def test_weekends_are_light():
    """A worker with a 10 % weekend habit works one weekend day in ten, briefly."""
    rng = np.random.default_rng(0)
    n = 20_000
    weekend = np.arange(n) % 2 == 0
    w = demo_model.make_worker(1, 0, 1, 1)
    one = lambda v: np.full(n, v, dtype=float)  # noqa: E731
    plan = demo_plan.plan_days(rng, weekend, one(w.start_h), one(w.day_h), one(w.lock_p), one(0.1),
                               one(w.meetings), one(w.standup))
    hours = (plan.end - plan.start) / 3600
    assert plan.works[weekend].mean() == pytest.approx(0.1, abs=0.02)
    assert plan.works[~weekend].mean() > 0.9
    assert hours[weekend & plan.works].mean() < 3 < 8 < hours[~weekend & plan.works].mean()


def test_rollups_agree_with_the_event_path(week, tmp_path):
    """The 1,000-worker benchmark writes hourly rows directly; for the same
    workers they must say what the event generator's derived rows say:
    active hours per working day, and switches, key presses and clicks per
    active hour. (The rollups cover three months, so their own noise is small.)"""
    db = tmp_path / "rollups.duckdb"
    workers = [demo_model.make_worker(1, i, WORKERS, TEAMS) for i in range(WORKERS)]
    days = [END - dt.timedelta(days=i) for i in range(90)]
    con = store.open_writable(db)
    try:
        demo_hourly.write_rollups(con, workers, sorted(d for d in days if d.weekday() < 5), 1)
    finally:
        con.close()
    sql = ("SELECT count(DISTINCT (worker, CAST(hour + to_seconds(utc_offset) AS DATE))), sum(active_s) / 3600, "
           "sum(switches), sum(key_downs), sum(clicks) FROM hourly")
    (e_days, e_hours, *e_counts), (r_days, r_hours, *r_counts) = rows(week, sql)[0], rows(db, sql)[0]
    assert r_hours / r_days == pytest.approx(e_hours / e_days, rel=0.1)
    for e, r in zip(e_counts, r_counts):
        assert r / r_hours == pytest.approx(e / e_hours, rel=0.1)
