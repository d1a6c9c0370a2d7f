"""`workprint team study create | list | sync | export`: what the research server's operator types, and what
they read back; a bad study or an existing id is refused with the reason, nothing written."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import study_gen as g

import cli
from sharing import studies, teamstore

ENDS = dt.date.today() + dt.timedelta(days=200)  # a create refuses an end by today: never a fixed date here


def _create(store, *extra):
    return cli.main(["team", "study", "create", "--store", str(store), "--id", "focus-2027", "--name", "Focus",
                     "--purpose", "How long people stay on one thing", "--researcher", "Dr. Ada, ada@example.org",
                     "--ends", ENDS.isoformat(), "--measures", "transitions,activity", *extra])


def test_create_publishes_once_and_list_shows_it(tmp_path, capsys):
    store = teamstore.create(tmp_path / "store")
    assert _create(store.root, "--k", "6") == 0
    assert "published study 'focus-2027'" in capsys.readouterr().out
    made = studies.load(store, "focus-2027")
    assert (made.measures, made.k, made.ends, made.demo) == (("activity", "transitions"), 6, ENDS,
                                                             False)
    before = store.get(studies.study_key("focus-2027"))
    assert _create(store.root, "--k", "9") == 2
    assert "already holds a study 'focus-2027'" in capsys.readouterr().err
    assert store.get(studies.study_key("focus-2027")) == before
    assert cli.main(["team", "study", "list", "--store", str(store.root)]) == 0
    assert capsys.readouterr().out.startswith(f"focus-2027: Focus (Dr. Ada, ada@example.org); until {ENDS}; k = 6")


def test_a_bad_study_is_refused_naming_the_field(tmp_path, capsys):
    store = teamstore.create(tmp_path / "store")
    for extra, message in ((["--k", "2"], "k must be a whole number of at least 3"),
                           (["--measures", "keystrokes"], "unknown measure 'keystrokes'"),
                           (["--ends", "next June"], "--ends must be a day")):
        assert _create(store.root, *extra) == 2
        assert message in capsys.readouterr().err
    assert studies.listing(store) == []


def test_sync_prints_the_report_and_export_writes_parquet(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(tmp_path / "state"))  # --state sets it; restored after
    s = g.study()
    store = g.build(tmp_path / "store", s, {"A": 3}, days=2)
    store.put(studies.release_key(s.id, g.DAY0 + dt.timedelta(days=9), g.who(s.id, "A", 0)), b"not parquet")
    state = tmp_path / "state"
    assert cli.main(["team", "study", "sync", "--store", str(store.root), "--study", s.id, "--state", str(state)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("study rhythm: 6 new, 0 changed, 0 removed, 0 unchanged") and "skipped study-releases/" in out
    assert cli.main(["team", "study", "export", "--store", str(store.root), "--study", s.id, "--state", str(state),
                     "--to", str(tmp_path / "out")]) == 0
    assert pq.read_table(tmp_path / "out" / "days" / "part-0.parquet").num_rows == 6
    assert cli.main(["team", "study", "sync", "--store", str(store.root), "--study", "nope", "--state",
                     str(state)]) == 2
    assert "holds no study 'nope'" in capsys.readouterr().err


def test_a_study_ending_by_today_is_refused(tmp_path, capsys):
    """Workers release completed days from the day after they join: a study ending today could never receive one."""
    store = teamstore.create(tmp_path / "store")
    for ends in (dt.date.today(), dt.date.today() - dt.timedelta(days=30)):
        assert cli.main(["team", "study", "create", "--store", str(store.root), "--id", "late", "--name", "Late",
                         "--purpose", "p", "--researcher", "r", "--ends", ends.isoformat(), "--measures",
                         "activity"]) == 2
        assert "is not after today" in capsys.readouterr().err
    assert studies.listing(store) == []


def test_the_spark_copy_is_logged_for_everyone_and_goes_only_into_an_empty_folder(tmp_path, capsys, monkeypatch):
    """The export holds each person's days: every person's access log says so before a file is written, and it
    is never mixed into a folder holding other files."""
    from sharing import teamlog

    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(tmp_path / "state"))
    s = g.study()
    store = g.build(tmp_path / "store", s, {"A": 3}, days=2)
    people = {studies.parse_release_key(k)[2] for k in store.list(studies.release_prefix(s.id))}
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    args = ["team", "study", "export", "--store", str(store.root), "--study", s.id, "--state", str(tmp_path / "state")]
    assert cli.main([*args, "--to", str(busy)]) == 2
    assert "must be a new or empty folder" in capsys.readouterr().err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    assert all(teamlog.entries(store, p) == [] for p in people)
    assert cli.main([*args, "--to", str(tmp_path / "copy")]) == 0
    assert f"Logged in the access logs of all {len(people)} people" in capsys.readouterr().out
    for person in people:
        (entry,) = teamlog.entries(store, person)
        assert entry.what == "study ledger copied for the Spark engine"


def test_a_study_edited_in_the_store_after_the_first_read_is_refused(tmp_path, capsys, monkeypatch):
    """Workers consented to the first definition: a k lowered in the file must not reach a single read."""
    import json

    from team import explore
    from team.viewer import Viewer

    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(tmp_path / "state"))
    s = g.study()
    store = g.build(tmp_path / "store", s, {"A": 3}, days=2)
    sync = ["team", "study", "sync", "--store", str(store.root), "--study", s.id, "--state", str(tmp_path / "state")]
    assert cli.main(sync) == 0
    edited = json.loads(store.get(studies.study_key(s.id)))
    edited["k"] = 3
    store.put(studies.study_key(s.id), json.dumps(edited).encode())
    assert cli.main(sync) == 2
    assert f"k {s.k} -> 3" in capsys.readouterr().err
    viewer = Viewer("researcher rob", "researcher", frozenset(), frozenset({s.id}))
    try:
        explore.read(viewer, store, tmp_path / "state", s.id, "active_minutes", ("weekday",))
    except ValueError as exc:
        assert "not the one this server first read" in str(exc)
    else:
        raise AssertionError("a read under an edited definition went through")
