"""What the new-user trial found on the worker's side of studies and teams:
two workers with the same worker id (the default: the login name) must never
replace or remove each other's files; a day of imported data says whose data
is released; a mistyped --db makes no database; the demo's study and team
store are not for a real database; the consent text says how long the study
keeps what it received; ended studies and leaving are said plainly. Real
DuckDB files, a real team store folder, the command line as a user runs it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from test_study_worker import ALL, SOME
from test_team_release import DAYS, SECRET, TODAY, write_local_days

import store
from capture import control, study_control, team_control
from sharing import studies, teamstore
from store import derive, keys
from store.paths import Paths
from testkit import cli, connect, copy_db, rows


def write_person(db: Path, seed: int, worker: str, days) -> None:
    """A demo person (``seed``) as worker ``worker`` on ``days`` ('local': as captured here; else as imported)."""
    from demo import generate

    con = store.open_writable(db)
    try:
        person = dataclasses.replace(generate.make_worker(seed, 0, 1, 1), id=worker)
        generate.write_worker(con, person, list(days), seed)
        derive.refresh(con, worker)
    finally:
        con.close()


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> tuple[Path, Path]:
    """Two people's databases: the first captured a week here; the second
    captured three days here and imported a week of someone else's ('alex')."""
    folder = tmp_path_factory.mktemp("same-worker")
    first, second = folder / "first.duckdb", folder / "second.duckdb"
    write_local_days(first)
    write_person(second, 4, "local", DAYS[:3])
    write_person(second, 5, "alex", DAYS)
    return first, second


@pytest.fixture(autouse=True)
def today_is_the_days_written(monkeypatch):
    monkeypatch.setattr(study_control, "local_today", lambda: TODAY)
    monkeypatch.setattr(team_control, "local_today", lambda: TODAY)


@pytest.fixture
def two(tmp_path, templates):
    """Two workers' databases, one team store with both studies, the secret's file."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir(mode=0o700)
    first = Paths(copy_db(templates[0], tmp_path / "a" / "workprint.duckdb"))
    second = Paths(copy_db(templates[1], tmp_path / "b" / "workprint.duckdb"))
    folder = teamstore.create(tmp_path / "teamstore")
    assert studies.publish(folder, ALL) and studies.publish(folder, SOME)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    return first, second, folder, secret


def back_date(paths: Paths, scope: str, days: int = 7) -> None:
    given = dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(12)).astimezone()
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = $at WHERE scope = $scope", {"at": given, "scope": scope})
    con.close()


def test_a_second_worker_with_the_same_id_never_replaces_nor_removes_the_first_one_files(two):
    """Both take the default worker id, so both get the same pseudonym: the
    second one's release must not replace the first one's file (refused,
    naming the key and the way out), the second one's leaving must leave it
    (and say so), and the first one's status still finds it as sent."""
    first, second, folder, secret = two
    for paths in (first, second):
        study_control.join(paths, folder.root, ALL.id, secret)
        back_date(paths, f"study:{ALL.id}")
    day = DAYS[1]
    (mine,) = study_control.send(first, day, ALL.id)
    before = folder.get(mine["key"])
    with pytest.raises(control.ControlError) as refused:
        study_control.send(second, day, ALL.id)
    said = str(refused.value)
    assert mine["key"] in said and "same worker id" in said and "--worker-id" in said, said
    assert folder.get(mine["key"]) == before
    assert rows(second.db, "SELECT count(*) FROM study_releases")[0][0] == 0
    with pytest.raises(control.ControlError, match="same worker id"):  # the daily round refuses it too
        study_control.send(second)
    assert folder.get(mine["key"]) == before
    out = cli("study", "leave", "--db", str(second.db), "--study", ALL.id).stdout
    assert f"not removed: {mine['key']}: this database did not send it" in out, out
    assert folder.get(mine["key"]) == before
    status = cli("study", "status", "--db", str(first.db)).stdout
    assert "1 release(s) held" in status and "in the store: 1 as sent, 0 gone, 0 changed" in status, status
    done = study_control.leave(first, ALL.id)  # its own file: removed
    assert done["removed"] == [mine["key"]] and done["kept"] == [] and folder.list("study-releases") == []


def test_a_second_worker_with_the_same_id_never_replaces_nor_removes_a_team_release(two):
    """The same for team releases: the second one's `release` is refused and
    writes nothing, its `team leave --remove-releases` leaves the first one's file."""
    first, second, folder, secret = two
    for paths in (first, second):
        team_control.join(paths, folder.root, "Alpha", secret)
        back_date(paths, "team")
    (mine,) = team_control.send(first, DAYS[1])
    before = folder.get(mine["key"])
    refused = cli("release", "--db", str(second.db), "--day", DAYS[1].isoformat(), check=False)
    assert refused.returncode == 2 and mine["key"] in refused.stderr and "--worker-id" in refused.stderr
    assert folder.get(mine["key"]) == before
    assert rows(second.db, "SELECT count(*) FROM team_releases")[0][0] == 0
    out = cli("team", "leave", "--db", str(second.db), "--remove-releases").stdout
    assert f"not removed: {mine['key']}: this database did not send it" in out, out
    assert folder.get(mine["key"]) == before
    done = team_control.leave(first, remove=True)
    assert done["removed"] == [mine["key"]] and folder.list("releases") == []


def test_status_counts_releases_gone_or_changed_in_the_store(two):
    """`study status` must say when the store no longer holds what I sent:
    one file deleted by someone, one replaced, the rest as sent."""
    first, _, folder, secret = two
    study_control.join(first, folder.root, ALL.id, secret)
    back_date(first, f"study:{ALL.id}")
    sent = study_control.send(first)
    assert len(sent) >= 3
    folder.delete(sent[0]["key"])
    folder.put(sent[1]["key"], b"not what I sent")
    status = cli("study", "status", "--db", str(first.db)).stdout
    assert f"in the store: {len(sent) - 2} as sent, 1 gone, 1 changed" in status, status
    state = json.loads(cli("study", "status", "--db", str(first.db), "--json").stdout)
    assert state["studies"][0]["in_store"] == {"as sent": len(sent) - 2, "gone": 1, "changed": 1}


def test_joining_with_the_login_name_says_so_and_how_to_give_an_assigned_id(two):
    """The default worker id is the login name, which two people may share:
    the join output says so, and how to give the id the organisation assigned."""
    first, second, folder, secret = two
    out = cli("study", "join", "--db", str(first.db), "--store", str(folder.root), "--study", SOME.id,
              "--secret-file", str(secret), "--yes").stdout
    assert "your login name (the default)" in out and "--worker-id ID" in out, out
    out = cli("team", "join", "--db", str(first.db), "--store", str(folder.root), "--team", "Alpha",
              "--secret-file", str(secret), "--yes").stdout
    assert "your login name (the default)" in out
    out = cli("study", "join", "--db", str(second.db), "--store", str(folder.root), "--study", SOME.id,
              "--secret-file", str(secret), "--worker-id", "w-00042", "--yes").stdout
    assert "joined study" in out and "login name" not in out


def test_a_day_of_imported_data_only_says_whose_data_is_released(two):
    """A day that holds only data imported under another worker name is not
    released, and the message says whose data is ('local', captured here) and
    that the imported names are not."""
    _, second, folder, secret = two
    study_control.join(second, folder.root, ALL.id, secret)
    back_date(second, f"study:{ALL.id}")
    said = cli("study", "release", "--db", str(second.db), "--day", DAYS[-2].isoformat(), check=False)
    assert said.returncode == 2
    assert "no data of worker 'local' (what capture records on this machine)" in said.stderr, said.stderr
    assert "data imported under other worker names (here: 'alex') is never released" in said.stderr
    team_control.join(second, folder.root, "Alpha", secret)
    back_date(second, "team")
    with pytest.raises(control.ControlError, match="no data of worker 'local'.*'alex'"):
        team_control.send(second, DAYS[-2])


@pytest.mark.parametrize("command", [["study", "status"], ["study", "release"], ["study", "leave", "--study", "x1"],
                                     ["team", "status"], ["release"], ["team", "leave"]])
def test_a_mistyped_db_makes_no_database(tmp_path, command):
    """A command on a path with no database says so (exit 2) and creates
    nothing there: a typo must not leave a new, empty database behind."""
    db = tmp_path / "typo" / "workprint.duckdb"
    result = cli(*command, "--db", str(db), check=False)
    assert result.returncode == 2 and f"no Workprint database at {db}" in result.stderr, result.stderr
    assert not db.parent.exists() and not keys.key_file(db).exists()


def test_a_failed_join_leaves_no_new_database_behind(two, tmp_path):
    """A join refused after the file was opened (the text's hash is not the
    one read) must not leave the new, empty database, its key or its folder."""
    _, _, folder, secret = two
    db = tmp_path / "new" / "workprint.duckdb"
    result = cli("study", "join", "--db", str(db), "--store", str(folder.root), "--study", SOME.id,
                 "--secret-file", str(secret), "--sha256", "0" * 64, check=False)
    assert result.returncode == 2 and "that hash is not" in result.stderr, result.stderr
    assert not db.exists() and not db.parent.exists() and not keys.key_file(db).exists()


def test_a_real_database_does_not_join_the_demo_study_nor_the_demo_team_store(two, tmp_path):
    """The demo's people are made up: a real worker's releases must not go
    into the demo study, nor into a demo team store (its marker), whatever is asked."""
    from demo import team as demo_team

    assert team_control.DEMO_MARKER == demo_team.MARKER  # capture may not import demo: the name is kept twice
    first, _, folder, secret = two
    demo_study = dataclasses.replace(SOME, id="demo-rhythm", demo=True)
    studies.publish(folder, demo_study)
    with pytest.raises(control.ControlError, match="is the demo's study"):
        study_control.join(first, folder.root, demo_study.id, secret)
    demo_store = teamstore.create(tmp_path / "demo-team")
    studies.publish(demo_store, SOME)
    demo_store.put(demo_team.MARKER, json.dumps({"demo": True}).encode())
    with pytest.raises(control.ControlError, match="is the demo team store"):
        study_control.join(first, demo_store.root, SOME.id, secret)
    refused = cli("team", "join", "--db", str(first.db), "--store", str(demo_store.root), "--team", "Alpha",
                  "--secret-file", str(secret), "--yes", check=False)
    assert refused.returncode == 2 and "is the demo team store" in refused.stderr, refused.stderr
    assert rows(first.db, "SELECT count(*) FROM consent_log WHERE scope = 'team' OR scope LIKE 'study:%'")[0][0] == 0


def test_the_consent_text_says_how_long_the_study_keeps_it_and_how_to_leave_this_database(two, monkeypatch):
    """The text must say until when the research server keeps what it
    received (then deleted), that leaving before removes it all, that it holds
    rows under the pseudonym and may run the queries on a Spark cluster,
    logged; and the leave command must name this database when it is not the default."""
    first, _, folder, secret = two
    flat = " ".join(study_control.offer(first, folder.root, SOME.id, secret)["text"].split())
    keep = (SOME.ends + dt.timedelta(days=studies.KEEP_DAYS)).isoformat()
    for fact in (f"keeps what this study received until {keep}", "then deletes it",
                 f"leaving before {keep} removes everything the study received from you",
                 "as your rows under your study pseudonym", "on a Spark cluster inside the organisation",
                 "logged in the access log", f"study leave --study {SOME.id} --db {first.db.resolve()}"):
        assert fact in flat, fact
    monkeypatch.setenv("WORKPRINT_DB", str(first.db))
    flat = " ".join(study_control.offer(first, folder.root, SOME.id, secret)["text"].split())
    assert f"study leave --study {SOME.id} stops" in flat and "--db" not in flat


def test_ended_studies_and_leaving_are_said_plainly(two, monkeypatch):
    """`study list` marks a study that has ended; the status of an ended study
    says nothing more is sent; after leaving it says which date is the
    study's end and which the day I left."""
    first, _, folder, secret = two
    ended = studies.Study("short-one", "Short", "A study that ended.", "Dr Brief, b@uni.example",
                          TODAY - dt.timedelta(days=3), ("activity",), 5)
    studies.publish(folder, ended)
    listed = cli("study", "list", "--store", str(folder.root)).stdout
    assert f"short-one: 'Short', by Dr Brief, b@uni.example; ended on {ended.ends} (ended: no more releases)" in listed
    assert f"switching: 'Switching', by Dr Sam Witch, sam@uni.example; ends {SOME.ends};" in listed
    monkeypatch.setattr(study_control, "local_today", lambda: TODAY - dt.timedelta(days=5))
    study_control.join(first, folder.root, ended.id, secret)
    monkeypatch.setattr(study_control, "local_today", lambda: TODAY)
    study_control.join(first, folder.root, SOME.id, secret)
    status = cli("study", "status", "--db", str(first.db)).stdout
    assert f"study 'short-one' (Short) ended on {ended.ends}, nothing more is sent" in status, status
    assert f"in study 'switching' (Switching) until it ends on {SOME.ends}" in status
    assert "in study 'short-one'" not in status
    study_control.leave(first, SOME.id)
    status = cli("study", "status", "--db", str(first.db)).stdout
    assert (f"left study 'switching' (Switching) on {dt.date.today()} (the day you left); the study ends on "
            f"{SOME.ends}") in status, status


def test_the_daemon_logs_a_taken_key_and_goes_on(two, consented):
    """While capture runs, the daily round of a second worker with the same
    worker id meets the first one's file: the daemon logs why (the key, the
    same worker id), replaces nothing, keeps capturing and tries again later."""
    from test_team_daemon import _wait_for

    from testkit import DaemonProcess

    first, _, folder, secret = two
    write_person(consented, 4, "local", DAYS[-3:])
    second = Paths(consented)
    for paths in (first, second):
        study_control.join(paths, folder.root, ALL.id, secret)
        back_date(paths, f"study:{ALL.id}", 3)
    (mine,) = study_control.send(first, DAYS[-2], ALL.id)
    before = folder.get(mine["key"])
    with DaemonProcess(consented, "--backend", "replay", env={"WORKPRINT_RELEASE_RETRY_SECONDS": "0.5"}) as daemon:
        log = second.log
        _wait_for(lambda: log.exists() and log.read_text().count(mine["key"]) >= 2, "the log, twice")
        text = log.read_text()
        assert "could not send the daily study releases" in text and "same worker id" in text
        assert daemon.status()["running"] and daemon.proc.poll() is None
    assert folder.get(mine["key"]) == before
    assert rows(consented, "SELECT count(*) FROM study_releases WHERE key = $k", {"k": mine["key"]}) == [(0,)]
