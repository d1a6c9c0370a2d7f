"""The worker's side of team mode: joining (team consent), daily releases,
revocation. Real DuckDB files, a real team store folder, the demo generator's
habits for a worker captured here ('local')."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import queries
import store
from capture import control, team_control
from sharing import release_format as rf
from sharing import teamstore
from store import derive
from store.paths import Paths
from testkit import cli, connect, copy_db, rows

TODAY = dt.date.today()
DAYS = [TODAY - dt.timedelta(days=i) for i in range(6, -1, -1)]  # six completed days and today
SECRET = "organisation-secret-for-these-tests"


def write_local_days(db: Path, days=DAYS) -> None:
    """The demo generator's worker 0, as if captured here (worker 'local'), on ``days``."""
    from demo import generate

    con = store.open_writable(db)
    try:
        worker = dataclasses.replace(generate.make_worker(3, 0, 1, 1), id="local")
        generate.write_worker(con, worker, list(days), 3)
        derive.refresh(con, "local")
    finally:
        con.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("team") / "workprint.duckdb"
    write_local_days(db)
    return db


@pytest.fixture
def team(tmp_path, template):
    """A worker database with a week of data, a team store and the secret's file."""
    db = copy_db(template, tmp_path / "workprint.duckdb")
    folder = teamstore.create(tmp_path / "teamstore")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    return Paths(db), folder, secret


@pytest.fixture(autouse=True)
def today_is_the_days_written(monkeypatch):
    """Releases go by the worker's date; the data was written for TODAY's week, so a run
    that crosses midnight must not see a different today halfway through."""
    monkeypatch.setattr(team_control, "local_today", lambda: TODAY)


def join(paths: Paths, folder, secret, days_ago: int = 7, name: str = "Alpha") -> dict:
    """Join, then move the team consent back to noon ``days_ago`` days before TODAY (as if given then)."""
    done = team_control.join(paths, folder.root, name, secret)
    given = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12)).astimezone()
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = $at WHERE scope = 'team'", {"at": given})
    con.close()
    return done


def release_files(folder) -> list[str]:
    return [k for k in folder.list("releases")]


def window(db: Path, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day in UTC, from the offset the worker's hours were recorded with."""
    (offset,) = rows(db, "SELECT any_value(utc_offset) FROM hourly_total WHERE "
                         "CAST(hour + to_seconds(utc_offset) AS DATE) = $d", {"d": day})[0]
    start = dt.datetime.combine(day, dt.time(), dt.timezone.utc) - dt.timedelta(seconds=offset)
    return start, start + dt.timedelta(days=1)


def binned(values, edges) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_right(edges, v)] += 1
    return counts


def own_figures(db: Path, day: dt.date, categories: set[str]) -> dict:
    """The day as the worker's own queries give it, aggregated as the promise says."""
    start, end = window(db, day)
    hours = queries.run("hourly_activity", db=db, worker="local", start=start - dt.timedelta(hours=14),
                        end=end + dt.timedelta(hours=14)).filter(queries_day(day))
    active, switches = [0] * 24, [0] * 24
    for row in hours.iter_rows(named=True):
        active[row["hour_of_day"]] = int(row["active_s"] / 60 + 0.5)
        switches[row["hour_of_day"]] = row["switches"]
    cats: dict[str, float] = {}
    for row in queries.run("category_time", db=db, worker="local", start=start, end=end).iter_rows(named=True):
        name = row["category"] if row["category"] in categories else "Other"
        cats[name] = cats.get(name, 0) + row["seconds"]
    focus = queries.run("focus_sessions", db=db, worker="local", start=start, end=end, min_s=600, by="category")
    sample = {m: queries.run("measure_sample", db=db, worker="local", measure=m, start=start, end=end, n=10**7)["v"]
              for m in ("iki", "click_interval")}
    return {"active_minutes": active, "switches": switches,
            "category_seconds": {c: int(s + 0.5) for c, s in cats.items() if int(s + 0.5) > 0},
            "focus_sessions": focus.height, "focus_seconds": int(focus["seconds"].sum() + 0.5),
            "typing_bins": binned(sample["iki"].to_list(), rf.TYPING_EDGES_MS),
            "click_bins": binned(sample["click_interval"].to_list(), rf.CLICK_EDGES_S)}


def queries_day(day):
    import polars as pl

    return pl.col("day") == day


def test_a_release_holds_the_worker_own_figures_for_the_day(team):
    """Each day's release must be what the worker's own pages show for that
    day, aggregated: if it differed, the team would see figures the worker
    cannot check, and the consent text's promise would be broken."""
    paths, folder, secret = team
    join(paths, folder, secret)
    sent = team_control.send(paths)
    assert [s["day"] for s in sent] == [d.isoformat() for d in DAYS[:-1] if rows(
        paths.db, "SELECT count(*) FROM hourly_total WHERE CAST(hour + to_seconds(utc_offset) AS DATE) = $d",
        {"d": d})[0][0]]
    assert len(sent) >= 4
    categories = set(team_control.overview(paths)["promise"]["categories"])
    for s in sent:
        day = dt.date.fromisoformat(s["day"])
        table = pq.read_table(folder.root / s["key"])
        got = json.loads(json.dumps(table.to_pylist()[0], default=str))
        got["category_seconds"] = dict(got["category_seconds"])
        expected = own_figures(paths.db, day, categories)
        assert {k: got[k] for k in expected} == expected, day
        assert sum(got["active_minutes"]) > 60 and sum(got["typing_bins"]) > 100 and sum(got["click_bins"]) > 10
        assert got["pseudonym"] == team_control.status(paths)["membership"]["pseudonym"] and got["team"] == "Alpha"


def test_the_file_holds_exactly_the_promised_columns(team):
    """The Parquet schema read back from the store must be the promise, column
    for column: an extra column would send something the worker never agreed to."""
    paths, folder, secret = team
    join(paths, folder, secret)
    sent = team_control.send(paths)
    for s in sent:
        schema = pq.read_schema(folder.root / s["key"])
        assert schema.names == list(rf.NAMES)
        assert rf.check(pq.read_table(folder.root / s["key"]), set(team_control.overview(paths)["promise"]["categories"])) == []


def test_the_same_day_twice_is_one_file_with_the_same_bytes(team):
    """Releasing a day again (the daemon's next tick, a manual release) must
    leave one file, byte for byte the same, and one record and log entry."""
    paths, folder, secret = team
    join(paths, folder, secret)
    first = team_control.send(paths)
    day = dt.date.fromisoformat(first[0]["day"])
    data = (folder.root / first[0]["key"]).read_bytes()
    assert team_control.send(paths) == []
    again = team_control.send(paths, day)
    assert again[0]["new"] is False and again[0]["sha256"] == first[0]["sha256"]
    assert (folder.root / first[0]["key"]).read_bytes() == data
    assert len(release_files(folder)) == len(first)
    log = control.access_log(paths)["entries"]
    assert len([e for e in log if e["who"] == "team release"]) == len(first)
    assert {e["params"]["day"] for e in log} == {s["day"] for s in first}


def test_nothing_is_released_before_consent_for_today_or_before_joining(team):
    """No team consent: nothing goes. Today is not complete, and a day before
    consent was given is never released, even when asked for."""
    paths, folder, secret = team
    with pytest.raises(control.ControlError, match="no team consent stands"):
        team_control.send(paths)
    team_control.join(paths, folder.root, "Alpha", secret)  # consent given today
    assert team_control.send(paths) == []
    with pytest.raises(control.ControlError, match="before the day after you joined"):
        team_control.send(paths, DAYS[2])
    assert release_files(folder) == []
    join(paths, folder, secret, days_ago=3)  # consent given three days ago: today is still not complete
    with pytest.raises(control.ControlError, match="not a completed day"):
        team_control.send(paths, TODAY)
    with pytest.raises(control.ControlError, match="before the day after you joined"):
        team_control.send(paths, DAYS[2])
    assert {teamstore.parse_release_key(k)[1] for k in release_files(folder)} == set()
    sent = {dt.date.fromisoformat(s["day"]) for s in team_control.send(paths)}
    assert sent and all(TODAY - dt.timedelta(days=3) < d < TODAY for d in sent)


def test_after_revoking_nothing_more_is_released_and_removal_leaves_no_file_of_mine(team):
    """Leaving stops releases at once; --remove-releases deletes every file
    this database sent, and leaves (and reports) one under the pseudonym it did
    not send: it may be another worker's with the same worker id."""
    paths, folder, secret = team
    join(paths, folder, secret)
    sent = team_control.send(paths)
    me = team_control.status(paths)["membership"]["pseudonym"]
    stray = teamstore.release_key("Beta", DAYS[0], me)  # e.g. another worker's, with the same worker id
    folder.put(stray, b"not mine to keep")
    other = teamstore.release_key("Alpha", DAYS[0], "b" * 64)
    folder.put(other, b"someone else's")
    team_control.leave(paths)
    with pytest.raises(control.ControlError, match="no team consent stands"):
        team_control.send(paths)
    assert len(release_files(folder)) == len(sent) + 2
    done = team_control.leave(paths, remove=True)
    assert sorted(done["removed"]) == sorted([s["key"] for s in sent])
    assert done["kept"] == [f"{stray}: this database did not send it; another worker may use the same worker id"]
    assert [k for k in release_files(folder) if me in k] == [stray] and sorted(release_files(folder)) == sorted(
        [other, stray])
    assert "secret" not in team_control.status(paths)["membership"]
    (secret_kept,) = rows(paths.db, "SELECT secret FROM team_membership")[0]
    assert secret_kept is None


def test_team_consent_and_capture_consent_never_change_each_other(team):
    """Joining and leaving a team must not give or take capture consent, and
    withdrawing capture consent must not touch team consent."""
    paths, folder, secret = team
    control.accept(paths)
    before = control.consent_standing(paths)
    join(paths, folder, secret)
    team_control.leave(paths)
    after = control.consent_standing(paths)
    assert after["covered"] and after["accepted_version"] == before["accepted_version"]
    join(paths, folder, secret)
    control.withdraw(paths)
    assert team_control.status(paths)["consent"]["given"]
    assert not control.consent_standing(paths)["given"]


def test_the_team_consent_text_states_every_column_the_categories_and_how_to_revoke(team):
    """The text is the promise: every column and its meaning, the team, the
    store, the categories, the pseudonym, what managers see, how to revoke;
    the ledger keeps exactly the text accepted, as a team text."""
    paths, folder, secret = team
    offered = team_control.offer(paths, folder.root, "Alpha", secret)
    flat = " ".join(offered["text"].split())
    for column in rf.COLUMNS:
        assert f"{column.name}: {' '.join(column.meaning.split())}" in flat
    assert "'Alpha'" in flat and str(folder.root.resolve()) in flat
    assert "Development, Documents" in flat and "Other" in flat and "HMAC-SHA256" in flat
    assert "at least k people" in flat and "noise" in flat and "team leave --remove-releases" in flat
    team_control.join(paths, folder.root, "Alpha", secret, sha256=offered["sha256"])
    (_, text) = rows(paths.db, "SELECT consent_scope, text FROM consent_texts WHERE consent_scope = 'team'")[0]
    assert text == offered["text"]


@pytest.mark.parametrize("bad, said", [
    ("store", "is not a team store"), ("secret", "does not exist"), ("short", "at least 16 characters"),
    ("team", "is not a team name")])
def test_a_bad_store_secret_or_team_is_a_clear_error_and_writes_nothing(team, bad, said):
    """A wrong path, a missing or short secret, a team name that is a path: the
    command says which, and neither the ledger, the membership nor the store changes."""
    paths, folder, secret = team
    if bad == "short":
        secret.write_text("short\n")
    args = {"store": paths.db.parent / "nowhere" if bad == "store" else folder.root,
            "team": "../x" if bad == "team" else "Alpha",
            "secret": paths.db.parent / "missing.txt" if bad == "secret" else secret}
    result = cli("team", "join", "--db", str(paths.db), "--store", str(args["store"]), "--team", args["team"],
                 "--secret-file", str(args["secret"]), "--yes", check=False)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert rows(paths.db, "SELECT count(*) FROM team_membership")[0][0] == 0
    assert rows(paths.db, "SELECT count(*) FROM consent_log WHERE scope = 'team'")[0][0] == 0
    assert release_files(folder) == []


def test_the_command_line_joins_releases_and_says_what_it_sent(team):
    """The worker's commands end to end: the text is shown, the secret comes from the file only."""
    paths, folder, secret = team
    out = cli("team", "join", "--db", str(paths.db), "--store", str(folder.root), "--team", "Alpha",
              "--secret-file", str(secret), "--yes").stdout
    assert "What one release holds" in out and "joined team 'Alpha'" in out and SECRET not in out
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 7 DAY WHERE scope = 'team'")
    con.close()
    out = cli("release", "--db", str(paths.db), "--day", DAYS[1].isoformat()).stdout
    assert f"{DAYS[1]}: sent: releases/Alpha/{DAYS[1]}/" in out and '"active_minutes": [' in out
    status = cli("team", "status", "--db", str(paths.db)).stdout
    assert "in team 'Alpha'" in status and "1 release(s) sent" in status
    assert SECRET not in cli("inventory", "--db", str(paths.db)).stdout
    # The secret is kept in the encrypted database only: no other file here or in the store holds it.
    holders = [f for f in paths.db.parent.rglob("*") if f.is_file() and f != secret and SECRET.encode() in f.read_bytes()]
    assert holders == []


def test_an_older_file_keeps_its_capture_consent_exactly_when_upgraded(tmp_path, old_database):
    """A file from before team mode, with capture consent: upgraded, the same
    version stands, covering what is recorded, and no team consent appears."""
    import duckdb

    db2 = old_database(tmp_path / "old.duckdb", 7)

    raw = duckdb.connect(str(db2))
    raw.execute("INSERT INTO consent_log (ts, action, text_version, worker, seq, account) "
                "VALUES (now(), 'accept', '1', 'local', 1, 'me')")
    raw.close()
    paths = Paths(db2)
    control.upgrade(paths)
    (scope,) = rows(db2, "SELECT scope FROM consent_log")[0]
    assert scope == "capture"
    con = store.open_read_only(db2)
    assert store.consent_given(con) and not store.consent_given(con, scope="team")
    assert store.latest_consent(con)["text_version"] == "1"
    con.close()


def test_an_export_leaves_the_organisation_secret_out(team, tmp_path, monkeypatch):
    """An export is made to leave the file (to another tool, a researcher): with the
    secret in it, whoever got it could work out every colleague's pseudonym."""
    paths, folder, secret = team
    join(paths, folder, secret)
    for fmt in ("parquet", "json"):
        done = control.export(paths, fmt, to=f"mine-{fmt}")
        out = Path(done["path"])
        assert done["tables"]["team_membership"] == 1
        for part in out.rglob("*"):
            if part.is_file():
                assert SECRET.encode() not in part.read_bytes(), part
    held = duckdb.connect().execute("SELECT team, secret FROM read_parquet($f)",
                                    {"f": str(Path(control.export_folder()) / "mine-parquet" / "team_membership.parquet")})
    assert held.fetchall() == [("Alpha", None)]
