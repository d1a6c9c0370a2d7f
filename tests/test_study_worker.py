"""The worker's side of studies: consent per study, its releases, leaving
with removal of what was sent, and the study pseudonyms. Real DuckDB files
(the demo generator's worker, as if captured here) and a real team store
folder holding real study definitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_team_release import DAYS, SECRET, TODAY, write_local_days

from capture import control, study_control, team_control
from sharing import pseudonym, release, studies, teamstore
from sharing import study_format as sf
from store.paths import Paths
from testkit import cli, connect, copy_db, rows

ALL = studies.Study("rhythm-2027", "Work rhythm", "How typing and switching change over the week.",
                    "Dr Rhea Search, rhea@uni.example", TODAY + dt.timedelta(days=60), tuple(sf.MEASURES), 5)
SOME = studies.Study("switching", "Switching", "How often people switch between kinds of work.",
                     "Dr Sam Witch, sam@uni.example", TODAY + dt.timedelta(days=60), ("activity", "transitions"), 7)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("study") / "workprint.duckdb"
    write_local_days(db)
    return db


@pytest.fixture(autouse=True)
def today_is_the_days_written(monkeypatch):
    """Releases go by the worker's date; the data was written for TODAY's week."""
    monkeypatch.setattr(study_control, "local_today", lambda: TODAY)
    monkeypatch.setattr(team_control, "local_today", lambda: TODAY)


@pytest.fixture
def world(tmp_path, template):
    """A worker database with a week of data, a team store with two studies, the secret's file."""
    db = copy_db(template, tmp_path / "workprint.duckdb")
    folder = teamstore.create(tmp_path / "teamstore")
    assert studies.publish(folder, ALL) and studies.publish(folder, SOME)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    return Paths(db), folder, secret


def join(paths: Paths, folder, secret, study: str = ALL.id, days_ago: int = 7) -> dict:
    """Join, then move that study's consent back to noon ``days_ago`` days before TODAY."""
    done = study_control.join(paths, folder.root, study, secret)
    given = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12)).astimezone()
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = $at WHERE scope = $scope AND seq = (SELECT max(seq) FROM consent_log "
                "WHERE scope = $scope)", {"at": given, "scope": f"study:{study}"})
    con.close()
    return done


def files(folder, study: str | None = None) -> list[str]:
    return folder.list(studies.release_prefix(study) if study else "study-releases")


def days_with_data(db: Path) -> set[dt.date]:
    return {d for d in DAYS if rows(db, "SELECT count(*) FROM hourly_total WHERE "
                                        "CAST(hour + to_seconds(utc_offset) AS DATE) = $d", {"d": d})[0][0]}


def entry(paths: Paths, study: str) -> dict:
    return next(s for s in study_control.overview(paths)["studies"] if s["study"] == study)


def test_a_worker_who_did_not_join_a_study_has_no_release_in_it(world):
    """Joining one study must send nothing to another: each study's consent
    is its own, and a study the worker never joined holds nothing of theirs."""
    paths, folder, secret = world
    join(paths, folder, secret, ALL.id)
    sent = study_control.send(paths)
    assert {s["study"] for s in sent} == {ALL.id}
    assert {dt.date.fromisoformat(s["day"]) for s in sent} == days_with_data(paths.db) - {TODAY}
    assert files(folder, SOME.id) == [] and len(files(folder, ALL.id)) == len(sent) >= 4
    with pytest.raises(control.ControlError, match="no consent to study 'switching' stands"):
        study_control.send(paths, study_id=SOME.id)
    assert files(folder, SOME.id) == []


def test_leaving_removes_every_file_sent_and_nothing_more_is_sent(world):
    """Leave at any time, with removal of what was sent: every file this
    database sent goes; one under my study pseudonym that it did not send (it
    may be another worker's with the same worker id) stays and is reported;
    nobody else's goes; the secret is cleared, and no later round sends anything."""
    paths, folder, secret = world
    join(paths, folder, secret, ALL.id, days_ago=3)
    join(paths, folder, secret, SOME.id)
    sent = study_control.send(paths)
    mine = entry(paths, ALL.id)["membership"]["pseudonym"]
    stray = studies.release_key(ALL.id, DAYS[0] - dt.timedelta(days=9), mine)  # e.g. another worker's, with the same worker id
    folder.put(stray, b"not sent by this database")
    other = studies.release_key(ALL.id, DAYS[1], "b" * 64)
    folder.put(other, b"someone else's")
    done = study_control.leave(paths, ALL.id)
    assert done["left"] and done["remove_error"] is None
    assert sorted(done["removed"]) == sorted([s["key"] for s in sent if s["study"] == ALL.id])
    assert done["kept"] == [f"{stray}: this database did not send it; another worker may use the same worker id"]
    assert files(folder, ALL.id) == sorted([other, stray])
    folder.delete(stray)
    assert len(files(folder, SOME.id)) == len([s for s in sent if s["study"] == SOME.id]) > 0  # the other study stays
    with pytest.raises(control.ControlError, match="no consent to study 'rhythm-2027' stands"):
        study_control.send(paths, study_id=ALL.id)
    assert {s["study"] for s in study_control.send(paths, DAYS[-2])} == {SOME.id}
    con = connect(paths.db)  # days go by: the days after leaving are never sent either
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 6 DAY WHERE scope = 'study:rhythm-2027' "
                "AND action = 'withdraw'")
    con.close()
    assert {s["study"] for s in study_control.send(paths)} <= {SOME.id}
    assert files(folder, ALL.id) == [other]
    left = entry(paths, ALL.id)
    assert not left["in_study"] and left["releases"] == 0 and left["removed"] == len(done["removed"])
    assert rows(paths.db, "SELECT secret FROM study_membership WHERE study = $s", {"s": ALL.id}) == [(None,)]
    assert rows(paths.db, "SELECT count(*) FROM study_membership WHERE study = $s AND secret IS NOT NULL",
                {"s": SOME.id}) == [(1,)]


def test_a_new_join_after_leaving_needs_consent_again(world):
    """After leaving, nothing is sent until the worker reads and accepts the
    text again; a join that is not answered records nothing, and a new
    consent covers only the days after it."""
    paths, folder, secret = world
    join(paths, folder, secret)
    assert study_control.send(paths)
    study_control.leave(paths, ALL.id)
    asked = cli("study", "join", "--db", str(paths.db), "--store", str(folder.root), "--study", ALL.id,
                "--secret-file", str(secret), check=False)
    assert asked.returncode == 1 and "nothing was recorded" in asked.stdout and "What one release holds" in asked.stdout
    assert rows(paths.db, "SELECT action FROM consent_log WHERE scope = 'study:rhythm-2027' ORDER BY seq") == [
        ("accept",), ("withdraw",)]
    with pytest.raises(control.ControlError, match="no consent to study"):
        study_control.send(paths, study_id=ALL.id)
    study_control.join(paths, folder.root, ALL.id, secret)  # consent again, today
    assert study_control.send(paths) == [] and files(folder, ALL.id) == []
    with pytest.raises(control.ControlError, match="before the day after you joined"):
        study_control.send(paths, DAYS[-2])
    assert rows(paths.db, "SELECT action FROM consent_log WHERE scope = 'study:rhythm-2027' ORDER BY seq") == [
        ("accept",), ("withdraw",), ("accept",)]


def test_one_study_store_away_never_holds_another_study_back(world, tmp_path):
    """Two studies in two stores: while one store is away, the other study still
    gets its days, and the error names the study whose store could not be
    written; once it is back, its days go too."""
    paths, folder, secret = world
    elsewhere = teamstore.create(tmp_path / "other-store")
    studies.publish(elsewhere, SOME)
    join(paths, folder, secret, ALL.id)
    study_control.join(paths, elsewhere.root, SOME.id, secret)
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 7 DAY WHERE scope = 'study:switching'")
    con.close()
    marker = folder.root / teamstore.MARKER
    marker.rename(marker.with_name("marker.aside"))
    with pytest.raises(control.ControlError, match="study 'rhythm-2027': .* is not a team store .*the other studies'"):
        study_control.send(paths)
    assert len(files(elsewhere, SOME.id)) >= 4 and entry(paths, ALL.id)["releases"] == 0
    marker.with_name("marker.aside").rename(marker)
    assert {s["study"] for s in study_control.send(paths)} == {ALL.id}
    assert len(files(folder, ALL.id)) == len(files(elsewhere, SOME.id))


def test_pseudonyms_differ_between_studies_and_from_the_team_and_stay_the_same_each_day(world):
    """Two studies (and the team) must not be joinable on the person: the same
    worker and secret give three unrelated pseudonyms; within one study the
    pseudonym is the same every day, so a researcher can follow a person-day series."""
    paths, folder, secret = world
    team_control.join(paths, folder.root, "Alpha", secret)
    join(paths, folder, secret, ALL.id)
    join(paths, folder, secret, SOME.id)
    sent = study_control.send(paths)
    team = team_control.status(paths)["membership"]["pseudonym"]
    by_study = {s: entry(paths, s)["membership"]["pseudonym"] for s in (ALL.id, SOME.id)}
    worker = entry(paths, ALL.id)["membership"]["worker_id"]
    assert len({team, *by_study.values()}) == 3
    assert team == pseudonym.pseudonym(worker, SECRET.encode())
    for study, who in by_study.items():
        assert who == pseudonym.scoped(worker, SECRET.encode(), f"study:{study}")
        theirs = [s for s in sent if s["study"] == study]
        assert len(theirs) >= 4
        assert {studies.parse_release_key(s["key"])[2] for s in theirs} == {who}
        assert {pq.read_table(folder.root / s["key"]).column("pseudonym")[0].as_py() for s in theirs} == {who}


@pytest.mark.parametrize("study", [ALL, SOME], ids=lambda s: s.id)
def test_a_release_holds_exactly_the_study_columns_and_keeps_the_promise(world, study):
    """The file read back must hold the columns of the study's measures and no
    other (a study that asked for activity must not get categories), pass
    study_format.check, and carry the team measures' figures exactly as the
    team release computes them for the same day."""
    paths, folder, secret = world
    join(paths, folder, secret, study.id)
    sent = study_control.send(paths)
    promise = entry(paths, study.id)["promise"]
    assert promise["columns"] == list(sf.names(study.measures))
    for s in sent:
        table = sf.as_promised(pq.read_table(folder.root / s["key"]), study.measures)
        assert table.schema.names == list(sf.names(study.measures))
        assert sf.check(table, study.measures, set(promise["categories"])) == []
        day = dt.date.fromisoformat(s["day"])
        con = connect(paths.db, read_only=True)
        team_row = release.compute(con, day, "local", "a" * 64, "Alpha", promise["categories"])
        con.close()
        got = table.to_pylist()[0]
        for name in set(got) & set(team_row) - {"pseudonym", "day"}:
            assert got[name] == team_row[name], (day, name)
        assert got["study"] == study.id and got["day"] == day
        assert sum(p["n"] for p in got["category_transitions"]) > 50


def test_a_category_added_after_consent_leaves_only_as_other(world):
    """A rule added after joining must not send a name the consent text did
    not: its seconds and its transitions count as 'Other'."""
    paths, folder, secret = world
    join(paths, folder, secret, ALL.id)
    con = connect(paths.db)
    con.execute("INSERT INTO category_rules VALUES (1, 'code|slack', 'Project Nightingale')")
    con.close()
    sent = study_control.send(paths)
    assert sent
    for s in sent:
        got = pq.read_table(folder.root / s["key"]).to_pylist()[0]
        named = {c for c, _ in got["category_seconds"]}
        pairs = got["category_transitions"]
        named |= {p["src"] for p in pairs} | {p["dst"] for p in pairs}
        assert "Project Nightingale" not in named and "Other" in named
        assert all(p["src"] != p["dst"] for p in pairs)


def test_nothing_is_sent_after_the_study_ends_before_consent_or_for_today(world, monkeypatch):
    """The study's end date is the last day sent; a day before consent is
    never sent, and today is not complete."""
    paths, folder, secret = world
    ending = studies.Study("short-one", "Short", "A study that ends soon.", "Dr Brief, b@uni.example",
                           TODAY - dt.timedelta(days=3), ("activity",), 5)
    studies.publish(folder, ending)
    with pytest.raises(control.ControlError, match="ended on"):
        study_control.join(paths, folder.root, ending.id, secret)
    monkeypatch.setattr(study_control, "local_today", lambda: TODAY - dt.timedelta(days=5))
    join(paths, folder, secret, ending.id, days_ago=7)  # joined while it ran
    monkeypatch.setattr(study_control, "local_today", lambda: TODAY)
    sent = {dt.date.fromisoformat(s["day"]) for s in study_control.send(paths)}
    assert sent == {d for d in days_with_data(paths.db) if d <= ending.ends} and sent
    with pytest.raises(control.ControlError, match="ended on"):
        study_control.send(paths, ending.ends + dt.timedelta(days=1), ending.id)
    study_control.join(paths, folder.root, ALL.id, secret)  # consent given today
    with pytest.raises(control.ControlError, match="not a completed day"):
        study_control.send(paths, TODAY, ALL.id)
    with pytest.raises(control.ControlError, match="before the day after you joined"):
        study_control.send(paths, DAYS[-2], ALL.id)
    assert study_control.send(paths) == []
    assert files(folder, ALL.id) == []
    assert {studies.parse_release_key(k)[1] for k in files(folder, ending.id)} == sent


@pytest.mark.parametrize("bad, said", [
    ("unknown", "holds no study 'no-such-study' (its studies: rhythm-2027, switching)"),
    ("damaged", "teamstore/studies/broken.json is damaged"),
    ("store", "is not a team store"),
    ("short", "at least 16 characters"),
    ("id", "is not a study id"),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(world, bad, said):
    """A study id that is not in the store, a damaged definition, a folder that
    is not a store, a short secret, an id that is a path: the command says
    which, and neither the ledger, the memberships nor the store changes."""
    paths, folder, secret = world
    study = {"unknown": "no-such-study", "damaged": "broken", "id": "../x"}.get(bad, ALL.id)
    if bad == "damaged":
        (folder.root / "studies" / "broken.json").write_text('{"format": 1, "id": "broken", "name": ')
    if bad == "short":
        secret.write_text("short\n")
    where = paths.db.parent / "nowhere" if bad == "store" else folder.root
    before = sorted(folder.list("studies"))
    result = cli("study", "join", "--db", str(paths.db), "--store", str(where), "--study", study,
                 "--secret-file", str(secret), "--yes", check=False)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    if bad == "damaged":
        assert "is damaged: a study definition is not JSON" in result.stderr
    assert rows(paths.db, "SELECT count(*) FROM study_membership")[0][0] == 0
    assert rows(paths.db, "SELECT count(*) FROM consent_log WHERE scope LIKE 'study:%'")[0][0] == 0
    assert files(folder) == [] and sorted(folder.list("studies")) == before


def test_the_command_line_lists_joins_releases_and_leaves(world):
    """The worker's study commands end to end: the studies listed, the exact
    text shown, the secret never printed, and leaving says what it removed."""
    paths, folder, secret = world
    listed = cli("study", "list", "--db", str(paths.db), "--store", str(folder.root)).stdout
    assert listed.splitlines() == [
        f"rhythm-2027: 'Work rhythm', by Dr Rhea Search, rhea@uni.example; ends {ALL.ends}; k = 5; measures: "
        "activity, categories, focus, typing, clicking, transitions, typing_fine, clicking_fine",
        f"switching: 'Switching', by Dr Sam Witch, sam@uni.example; ends {SOME.ends}; k = 7; measures: activity, "
        "transitions"]
    out = cli("study", "join", "--db", str(paths.db), "--store", str(folder.root), "--study", SOME.id,
              "--secret-file", str(secret), "--yes").stdout
    offered = study_control.offer(paths, folder.root, SOME.id, secret)
    assert out.startswith(offered["text"]) and "joined study 'switching'" in out and SECRET not in out
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 7 DAY WHERE scope = 'study:switching'")
    con.close()
    out = cli("study", "release", "--db", str(paths.db), "--day", DAYS[-2].isoformat()).stdout
    assert f"{DAYS[-2]} to study switching: sent: study-releases/switching/{DAYS[-2]}/" in out
    status = cli("study", "status", "--db", str(paths.db)).stdout
    assert "in study 'switching'" in status and "1 release(s) held, 0 removed" in status
    out = cli("study", "leave", "--db", str(paths.db), "--study", SOME.id).stdout
    assert "left study 'switching'" in out and "removed 1 file(s)" in out and files(folder) == []
    assert SECRET not in cli("inventory", "--db", str(paths.db)).stdout


def test_the_consent_text_says_what_a_release_holds_and_how_to_leave(world):
    """The text is the promise: every column of the study's measures with its
    meaning and no other, the study's facts, k, the pseudonym keyed for this
    study, the access log, how to leave; the ledger keeps it under study:<id>."""
    paths, folder, secret = world
    offered = study_control.offer(paths, folder.root, SOME.id, secret)
    flat = " ".join(offered["text"].split())
    for column in sf.columns(SOME.measures):
        assert f"{column.name}: {' '.join(column.meaning.split())}" in flat
    assert "category_seconds:" not in flat and "typing_bins:" not in flat
    for fact in (SOME.name, SOME.purpose, SOME.researcher, SOME.ends.isoformat(), "at least k = 7 people",
                 "keyed for this study alone", "nor with your team's", "logged in the store under your study "
                 "pseudonym", "study leave --study switching", "deletes every file you sent"):
        assert fact in flat, fact
    study_control.join(paths, folder.root, SOME.id, secret, sha256=offered["sha256"])
    assert rows(paths.db, "SELECT consent_scope, text FROM consent_texts WHERE consent_scope LIKE 'study:%'") == [
        ("study:switching", offered["text"])]


def test_an_export_leaves_the_study_secret_out(world):
    """An export leaves the file: with the secret in it, whoever got it could
    compute anyone's study pseudonym from their id."""
    paths, folder, secret = world
    join(paths, folder, secret, SOME.id)
    done = control.export(paths, "parquet", to="mine")
    assert done["tables"]["study_membership"] == 1
    for part in Path(done["path"]).rglob("*"):
        if part.is_file():
            assert SECRET.encode() not in part.read_bytes(), part


def test_a_file_from_before_studies_upgrades_with_its_team_consent_kept(tmp_path, old_database):
    """A version-8 file (team mode) upgrades to the study tables, its team
    consent standing and no study consent appearing."""
    db = old_database(tmp_path / "old.duckdb", 8)
    import duckdb

    raw = duckdb.connect(str(db))
    raw.execute("INSERT INTO consent_log (ts, action, text_version, worker, seq, account, scope) "
                "VALUES (now(), 'accept', '1', 'local', 1, 'me', 'team')")
    raw.close()
    control.upgrade(Paths(db))
    assert rows(db, "SELECT count(*) FROM study_membership")[0][0] == 0
    assert rows(db, "SELECT scope, action FROM consent_log") == [("team", "accept")]
    assert study_control.status(Paths(db)) == {"studies": [], "joined": 0}
