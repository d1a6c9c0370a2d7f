"""`workprint team study create | list | sync | export`: what the research server's operator types, and what
they read back; a bad study or an existing id is refused with the reason, nothing written."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import study_gen as g

import cli
from sharing import studies, teamstore


def _create(store, *extra):
    return cli.main(["team", "study", "create", "--store", str(store), "--id", "focus-2027", "--name", "Focus",
                     "--purpose", "How long people stay on one thing", "--researcher", "Dr. Ada, ada@example.org",
                     "--ends", "2027-06-30", "--measures", "transitions,activity", *extra])


def test_create_publishes_once_and_list_shows_it(tmp_path, capsys):
    store = teamstore.create(tmp_path / "store")
    assert _create(store.root, "--k", "6") == 0
    assert "published study 'focus-2027'" in capsys.readouterr().out
    made = studies.load(store, "focus-2027")
    assert (made.measures, made.k, made.ends, made.demo) == (("activity", "transitions"), 6, dt.date(2027, 6, 30),
                                                             False)
    before = store.get(studies.study_key("focus-2027"))
    assert _create(store.root, "--k", "9") == 2
    assert "already holds a study 'focus-2027'" in capsys.readouterr().err
    assert store.get(studies.study_key("focus-2027")) == before
    assert cli.main(["team", "study", "list", "--store", str(store.root)]) == 0
    assert capsys.readouterr().out.startswith("focus-2027: Focus (Dr. Ada, ada@example.org); until 2027-06-30; k = 6")


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
