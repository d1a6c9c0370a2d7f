"""The named queries, each on a small database whose answers were worked out by hand."""

import datetime as dt
import inspect
import io
import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
import store
from sharing import stats
from store import derive
from store import events as ev
from testkit import ROOT, cli, copy_db, rows, shared

S = 1_000_000_000  # nanoseconds per second
LETTER = ev.KEY_CLASS_INDEX["letter"]


def run(db, name, **params):
    return queries.run(name, db=db, **params)


# What each public query must return on the hand-worked day (conftest.DAY).
# A check takes the day's database and, by name, any fixtures it needs.
def check_app_time(db, at):
    assert run(db, "app_time").rows() == [("Code", 3704.0), ("Firefox", 195.0)]
    # Active: Code 1-10 (9 s) inside active 0-12, 205-300 inside 200-300, 400-4000; Firefox 10-12 and 200-205.
    assert run(db, "app_time", active_only=True).rows() == [("Code", 3704.0), ("Firefox", 7.0)]
    window = run(db, "app_time", start=at(400), end="infinity")
    assert window.rows() == [("Code", 3600.0)]


def check_category_time(db):
    assert run(db, "category_time").rows() == [("Development", 3704.0, 1), ("Web", 7.0, 1)]


def check_app_categories(db):
    assert run(db, "app_categories").rows() == [("Code", "Development"), ("Firefox", "Web")]


def check_app_first_seen(db):
    # Code has focus from 1 s, Firefox from 10 s (see check_app_time).
    assert run(db, "app_first_seen")["app"].to_list() == ["Code", "Firefox"]


def check_daily_activity(db):
    row = run(db, "daily_activity").row(0, named=True)
    assert row["day"] == dt.date(2026, 1, 1) and row["active_s"] == 3711.0 and row["idle_s"] == 188.0
    assert (row["switches"], row["key_downs"], row["clicks"]) == (4, 4, 1)


def check_hourly_activity(db):
    assert run(db, "hourly_activity").select("hour_of_day", "active_s").rows() == [(10, 3311.0), (11, 400.0)]


def check_weekday_hour_heatmap(db):
    frame = run(db, "weekday_hour_heatmap")
    assert frame["weekday"].to_list() == [4, 4]  # 2026-01-01 is a Thursday
    assert frame["active_min"].round(3).to_list() == [round(3311 / 60, 3), round(400 / 60, 3)]


def check_weekly_trend(db):
    assert run(db, "weekly_trend").select("active_h", "days").rows() == [(3711 / 3600, 1)]


def check_timeline(db):
    frame = run(db, "timeline")
    assert frame.filter(pl.col("kind") == "focus")["app"].to_list() == ["Code", "Firefox", "Code", "Code"]
    assert frame["seconds"].sum() == 9 + 195 + 95 + 3600 + 12 + 100 + 3600


def check_transitions(db):
    assert_frame_equal(
        run(db, "transitions"),
        pl.DataFrame({"src": ["Code"], "dst": ["Firefox"], "n": [1], "mean_s": [9.0], "median_s": [9.0]}),
    )


def check_variants(db):
    # Sessions: [0,12] (Code > Firefox) and [200,300]+[400,4000] merged (gap 100 s < 180 s): Code.
    assert run(db, "variants").select("variant", "n").rows() == [("Code", 1), ("Code > Firefox", 1)]
    # With a 60 s session gap the last two runs are separate sessions: Code twice.
    assert run(db, "variants", session_gap=60).select("variant", "n").rows() == [("Code", 2), ("Code > Firefox", 1)]


def check_start_end_activities(db):
    assert run(db, "start_end_activities").rows() == [("start", "Code", 2), ("end", "Code", 1), ("end", "Firefox", 1)]


def check_typing_summary(db):
    row = run(db, "typing_summary").row(0, named=True)
    assert row["iki_mean_ms"] == pytest.approx(525, abs=0.01)  # 1000 and 50 ms inside the first burst
    assert row["hold_mean_ms"] == pytest.approx(112.5, abs=0.01)
    assert row["rollover"] == 0.5 and row["backspace_share"] == 0.0 and row["keystrokes"] == 4
    assert row["wpm"] is None  # no burst of 5 keys


def check_distribution(db):
    frame = run(db, "distribution", measure="dwell")
    assert frame["n"].sum() == 4 and frame["cum_share"].to_list()[-1] == pytest.approx(1.0)
    assert all((frame["lo"] < frame["hi"]).to_list())


def check_percentiles(db):
    row = run(db, "percentiles", measure="hold").row(0, named=True)
    assert row["n"] == 4 and row["p50"] == pytest.approx(100, abs=0.01) and row["mean"] == pytest.approx(112.5, abs=0.01)


def check_measure_sample(db):
    assert sorted(run(db, "measure_sample", measure="dwell")["v"].to_list()) == [9.0, 95.0, 195.0, 3600.0]
    assert run(db, "measure_sample", measure="dwell", n=2).height == 2


def check_typing_bursts(db):
    assert run(db, "typing_bursts").select("bursts", "mean_keys").rows() == [(2, 2.0)]


def check_sequences(db):
    assert run(db, "sequences").select("sequence", "occurrences", "total_s").rows() == [("Code > Firefox", 1, 204.0)]


def check_automation_candidates(db):
    assert run(db, "automation_candidates", min_count=1).height == 0  # no run of 3 steps


def check_sequence_occurrences(db):
    assert run(db, "sequence_occurrences", sequence="Code > Firefox").select("seconds").rows() == [(204.0,)]


def check_ping_pong(db):
    assert run(db, "ping_pong").height == 0


def check_rework(db):
    assert run(db, "rework").height == 0


def check_focus_sessions(db):
    assert run(db, "focus_sessions").select("label", "seconds").rows() == [("Code", 3600.0)]
    by_category = run(db, "focus_sessions", by="category", min_s=100)
    assert by_category.select("label", "seconds").rows() == [("Web", 195.0), ("Development", 3600.0)]


def check_event_counts(db):
    counts = dict(run(db, "event_counts").select("kind", "n").rows())
    assert counts["key_down"] == 4 and counts["focus"] == 4 and counts["start"] == 1


def check_recent_events(db):
    frame = run(db, "recent_events", limit=3)
    assert frame["kind"].to_list() == ["stop", "key_up", "key_down"]


def check_worker_list(db):
    assert run(db, "worker_list").rows() == [("local", None)]


def check_data_sources(db, tmp_path):
    assert run(db, "data_sources").rows() == [("local", dt.date(2026, 1, 1), dt.date(2026, 1, 1), True)]
    # An event log says which activity was in front, not whether anyone was at it: activity unknown.
    mixed = tmp_path / "mixed.duckdb"
    copy_db(db, mixed)
    cli("import", "eventlog", str(shared("eventlogs", "running-example.csv")), "--case", "case:concept:name",
        "--activity", "concept:name", "--time", "time:timestamp", "--db", str(mixed))
    assert run(mixed, "data_sources").rows() == [("local", dt.date(2026, 1, 1), dt.date(2026, 1, 1), True),
                                                 ("eventlog", dt.date(2010, 12, 30), dt.date(2011, 1, 24), False)]


def check_stored_apps(db):
    # Every app that had focus, once, whichever worker (what the Privacy page offers to delete).
    assert run(db, "stored_apps")["app"].to_list() == ["Code", "Firefox"]


def check_has_data(db, tmp_path):
    assert run(db, "has_data")["has_data"].to_list() == [True]
    empty = tmp_path / "empty.duckdb"
    store.open_writable(empty).close()
    assert run(empty, "has_data")["has_data"].to_list() == [False]


def check_data_range(db):
    assert run(db, "data_range").rows() == [(dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0)]
    assert run(db, "data_range", worker="nobody").rows() == [(None, None, None)]


def check_dwell_by_app(db, at):
    # Focus spans (see conftest.DAY): Code 9, 95 and 3600 s; Firefox 195 s.
    frame = run(db, "dwell_by_app")
    assert frame.select("app", "visits", "p50_s", "total_s").rows() == [("Code", 3, 95.0, 3704.0),
                                                                        ("Firefox", 1, 195.0, 195.0)]
    # p90 of 9, 95, 3600: 95 + 0.8 * (3600 - 95)
    assert frame["p90_s"].to_list() == [pytest.approx(2899.0), pytest.approx(195.0)]
    assert frame["p25_s"].to_list() == [pytest.approx(52.0), pytest.approx(195.0)]
    # From 205 s on: Code 205-300 (95 s) and 400-4000; Firefox's visit ended at 205 s.
    assert run(db, "dwell_by_app", start=at(205)).select("app", "visits").rows() == [("Code", 2)]
    assert run(db, "dwell_by_app", limit=1)["app"].to_list() == ["Code"]  # the most total time


def check_consent_state(db, tmp_path):
    assert run(db, "consent_state").height == 0  # the day's database was written without asking
    other = tmp_path / "consent.duckdb"
    con = store.open_writable(other)
    store.record_consent(con, True, version=2)
    store.record_consent(con, False)  # the latest action is the state, for the version accepted
    store.record_consent(con, True, version=3, worker="w01")
    con.close()
    row = run(other, "consent_state").row(0, named=True)
    assert (row["action"], row["text_version"]) == ("withdraw", "2")
    assert row["ts"].tzinfo is not None
    assert run(other, "consent_state", worker="w01")["action"].to_list() == ["accept"]


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


def test_every_query_has_a_check():
    """A query without a hand-worked check is a query nobody knows to be right."""
    assert sorted(CHECKS) == queries.names()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_query(day_db, request, name):
    check = CHECKS[name]
    fixtures = list(inspect.signature(check).parameters)[1:]
    check(day_db, **{f: request.getfixturevalue(f) for f in fixtures})


def test_every_query_answers_on_an_empty_database(db):
    store.open_writable(db).close()
    for name in queries.names():
        params = {"measure": "iki"} if "measure" in queries.catalog()[name].params else {}
        if name == "sequence_occurrences":
            params = {"sequence": "A > B"}
        frame = run(db, name, **params)
        assert frame.height <= 1, name  # aggregates without rows give one row of nulls


def test_unknown_query_and_parameters_are_named():
    with pytest.raises(KeyError, match="no query named 'nope'"):
        queries.run("nope")
    with pytest.raises(ValueError, match="takes no parameter.*colour"):
        queries.run("app_time", colour="red")
    with pytest.raises(ValueError, match="needs parameter.*measure"):
        queries.run("percentiles")


def test_days_follow_local_time_across_a_travel_offset_change(db, write_events):
    """Day boundaries are the worker's local midnight, even when the offset changes mid-span."""
    # Focus on one app with hourly keystrokes from 2026-01-01 10:00 UTC (second 0) for 30 hours,
    # each event stamped with the offset in force then.
    events = [(0, ev.START), (1, ev.FOCUS, "Code", None, 1)]
    events += [(h * 3600, ev.KEY_DOWN, LETTER, h) for h in range(1, 30)]
    events.append((30 * 3600, ev.STOP))
    con = store.open_writable(db)
    change = 12 * 3600  # 2026-01-01 22:00 UTC: flies from UTC+1 to UTC-5
    write_events(con, events, 1, offset_of=lambda t: 3600 if t < change else -5 * 3600)
    derive.refresh(con, "local")
    con.close()
    days = dict(run(db, "daily_activity").select("day", "active_s").rows())
    # Active 10:00 UTC (11:00 local) .. 22:00 UTC at +1 => 13 h on Jan 1 (local 11:00-24:00 is 13 h,
    # minus the first second before focus), then at -5 the rest (22:00 UTC = 17:00 local) stays on Jan 1
    # until 05:00 UTC Jan 2 (= midnight local), and the last 11 h fall on Jan 2.
    assert set(days) == {dt.date(2026, 1, 1), dt.date(2026, 1, 2)}
    assert days[dt.date(2026, 1, 2)] == pytest.approx(11 * 3600, abs=2)
    assert sum(days.values()) == pytest.approx(30 * 3600 - 1, abs=2)


def test_days_follow_a_dst_change(db):
    """Berlin leaves summer time on 2026-10-25 at 01:00 UTC: the local day still ends at midnight."""
    import zoneinfo

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start = int(dt.datetime(2026, 10, 24, 12, tzinfo=dt.timezone.utc).timestamp()) * S

    def offset(t):
        return int(dt.datetime.fromtimestamp(t / S, berlin).utcoffset().total_seconds())

    con = store.open_writable(db)
    rows = [(start, ev.START), (start + S, ev.FOCUS, "Code", None, 1)]
    rows += [(start + h * 3600 * S, ev.KEY_DOWN, LETTER, h) for h in range(1, 24)]
    rows.append((start + 24 * 3600 * S, ev.STOP))
    import pyarrow as pa

    table = ev.to_table(rows).set_column(1, "utc_offset", pa.array([offset(r[0]) for r in rows], pa.int32()))
    store.write_batch(con, 1, table, "test")
    derive.refresh(con, "local")
    con.close()
    days = dict(run(db, "daily_activity").select("day", "active_s").rows())
    # 12:00 UTC Oct 24 = 14:00 CEST; local midnight Oct 25 = 22:00 UTC Oct 24 => 10 h on Oct 24.
    assert days[dt.date(2026, 10, 24)] == pytest.approx(10 * 3600 - 1, abs=2)
    assert days[dt.date(2026, 10, 25)] == pytest.approx(14 * 3600, abs=2)
    hours = run(db, "hourly_activity").filter(pl.col("day") == dt.date(2026, 10, 25))["hour_of_day"].to_list()
    assert hours[:4] == [0, 1, 2, 3] and len(hours) == 14  # the 02:00 hour happens twice, in one row


def test_cli_lists_and_runs_queries(day_db):
    out = subprocess.run([sys.executable, "-m", "queries", "list"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "app_time" in out and "--param active_only" in out and "derive_spans" not in out
    base = [sys.executable, "-m", "queries", "run", "app_time", "--db", str(day_db), "--param", "active_only=true"]
    csv = subprocess.run(base, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert csv.splitlines() == ["app,seconds", "Code,3704.0", "Firefox,7.0"]
    js = subprocess.run([*base, "--format", "json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert json.loads(js) == [{"app": "Code", "seconds": 3704.0}, {"app": "Firefox", "seconds": 7.0}]
    parquet = subprocess.run([*base, "--format", "parquet"], cwd=ROOT, capture_output=True, check=True).stdout
    assert pl.read_parquet(io.BytesIO(parquet)).rows() == [("Code", 3704.0), ("Firefox", 7.0)]
    bad = subprocess.run([*base[:-2], "--param", "start=yesterday"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "yesterday" in bad.stderr and "Traceback" not in bad.stderr


def test_comparison_says_what_changed_in_plain_words():
    rng = np.random.default_rng(7)
    before = rng.lognormal(np.log(245), 0.5, 4000)
    after = rng.lognormal(np.log(200), 0.5, 3000)
    result = stats.compare(before, after)
    assert result.cliffs_delta < -0.147 and result.p_value < 0.001
    text = result.sentence("Inter-key intervals", "ms", "last week", "this week")
    assert text.startswith("Inter-key intervals were shorter in this week than in last week")
    assert "too consistent to be chance" in text
    # Issue 9 #4: each period's median and count go with its own name.
    assert f"median {stats._num(np.median(after))} ms in this week, {stats._num(np.median(before))} ms in last week" in text
    assert "3,000 values in this week, 4,000 in last week" in text
    same = stats.compare(before, rng.lognormal(np.log(245), 0.5, 4000))
    words = same.sentence("Holds", "ms")
    assert same.magnitude == "negligible" and "about the same" in words
    huge = stats.compare(rng.normal(100, 10, 100_000), rng.normal(100.5, 10, 100_000))
    words = huge.sentence("Holds", "ms")
    assert huge.magnitude == "negligible" and huge.p_value < 0.01
    assert "too small to matter" in words and "chance" not in words
    with pytest.raises(ValueError, match="at least 2 values"):
        stats.compare([1.0], [1.0, 2.0])


def test_cli_upgrades_a_file_from_an_older_workprint(db):
    """A worker who upgraded Workprint and queries an older file from the command line gets
    answers, not "category_of does not exist": the file's macros are brought up to date first."""
    con = store.open_writable(db)
    con.execute("DROP MACRO category_of")
    con.execute("DELETE FROM meta WHERE key = 'macros'")
    con.close()
    result = subprocess.run([sys.executable, "-m", "queries", "run", "category_time", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "category,seconds,apps"
    assert not store.needs_upgrade(store.open_read_only(db))


def test_the_sample_is_the_values_with_the_smallest_hashes_whichever_way_it_is_found(db):
    """measure_sample keeps the values below a hash threshold before sorting
    (a parameter LIMIT sorts everything), and sorts all of them when fewer
    than $n passed: either way exactly the plain ORDER BY hash LIMIT n. Two
    dwell lengths, one whose hash lies below every threshold here and one
    above: n = 5000 is met by the first alone, n = 6000 is not."""

    con = store.open_writable(db)
    hashes = dict(con.execute("SELECT v, hash(v::DOUBLE, 'local') FROM range(1, 400) t(v)").fetchall())
    small = min(hashes, key=hashes.get)
    large = next(v for v, h in hashes.items() if h > 0.95 * 2**64)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    con.execute("""INSERT INTO spans SELECT 'local', 'focus', $t0 + to_seconds(i * 1000),
                          $t0 + to_seconds(i * 1000 + CASE WHEN i < 5000 THEN $small ELSE $large END),
                          0, 'Code', NULL, NULL, 'test', 1 FROM range(15000) t(i)""",
                {"t0": t0, "small": small, "large": large})
    con.close()
    plain = ("SELECT v FROM measure_values('dwell', '-infinity'::TIMESTAMPTZ, 'infinity'::TIMESTAMPTZ, NULL) "
             "ORDER BY hash(v, worker) LIMIT $n")
    for n, larges in ((5000, 0), (6000, 1000), (20000, 10000)):
        sample = run(db, "measure_sample", measure="dwell", n=n)["v"].to_list()
        assert sample == [v for (v,) in rows(db, plain, {"n": n})]
        assert sample.count(float(large)) == larges
