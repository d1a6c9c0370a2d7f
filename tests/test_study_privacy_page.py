"""The Privacy page's Studies section, with AppTest on the worker's own
database: each release a study received, as the store holds it, held against
that study's promise; a changed or vanished file flagged; each study's
access log under its own pseudonym; leaving from the page."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_study_worker import ALL, SOME
from test_team_privacy_page import TOKEN, privacy
from test_team_release import DAYS, SECRET, write_local_days

from capture import study_control, study_seen
from sharing import studies, teamlog, teamstore
from store.paths import Paths
from testkit import connect, copy_db


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    db = tmp_path_factory.mktemp("studypage") / "workprint.duckdb"
    write_local_days(db, DAYS[-4:])
    return db


@pytest.fixture
def released(tmp_path, monkeypatch, template, running_server):
    """Two studies joined four days ago, their releases sent."""
    db = copy_db(template, tmp_path / "workprint.duckdb")
    monkeypatch.setenv("WORKPRINT_DB", str(db))
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", TOKEN)
    folder = teamstore.create(tmp_path / "teamstore")
    for study in (ALL, SOME):
        studies.publish(folder, study)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    paths = Paths(db)
    for study in (ALL, SOME):
        study_control.join(paths, folder.root, study.id, secret)
    con = connect(db)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 4 DAY WHERE scope LIKE 'study:%'")
    con.close()
    sent = study_control.send(paths)
    assert {s["study"] for s in sent} == {ALL.id, SOME.id}
    return paths, folder, sent


def newest(sent, study):
    return max((s for s in sent if s["study"] == study), key=lambda s: s["day"])


def release_table(at, key: str) -> tuple[dict, object]:
    """The release's row as the page shows it (column -> value), found by its key in the caption."""
    expander = next(e for e in at.main.expander if any(key in c.value for c in e.caption))
    frame = expander.dataframe[0].value
    return dict(zip(frame["column"], frame["value"])), expander


def pseudonym_of(paths, study: str) -> str:
    return next(s for s in study_control.status(paths)["studies"] if s["study"] == study)["membership"]["pseudonym"]


def test_the_page_shows_what_each_study_received_as_the_store_holds_it(released):
    """The figures on the page are the file's, with the meaning the study's
    consent text gave each column, and the page says it keeps the promise;
    a study that asked for less shows only its columns."""
    paths, folder, sent = released
    at = privacy()
    for study in (ALL, SOME):
        mine = newest(sent, study.id)
        shown, expander = release_table(at, mine["key"][:60])
        held = pq.read_table(folder.root / mine["key"]).to_pylist()[0]
        assert list(shown) == list(studies.sf.names(study.measures))
        assert json.loads(shown["category_transitions"]) == held["category_transitions"]
        assert json.loads(shown["active_minutes"]) == held["active_minutes"]
        assert any("Matches what the consent text promised" in s.value for s in expander.success)
    assert any("**Work rhythm** (`rhythm-2027`)" in m.value for m in at.main.markdown)
    assert any("You are in this study" in s.value for s in at.main.success)


def test_a_changed_file_and_a_vanished_one_are_flagged(released):
    """Someone with write access to the store raises a count, or deletes a file:
    the page must say the file is not the one sent (which column), or is gone."""
    paths, folder, sent = released
    changed = newest(sent, SOME.id)
    table = pq.read_table(folder.root / changed["key"])
    row = table.to_pylist()[0]
    row["category_transitions"] = [{"src": "Web", "dst": "Chat", "n": 999}]
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([row], schema=table.schema), out)
    folder.put(changed["key"], out.getvalue())
    gone = newest(sent, ALL.id)
    folder.delete(gone["key"])
    at = privacy()
    _, expander = release_table(at, changed["key"][:60])
    assert "CHANGED" in expander.label
    assert any("differs from what was sent in: category_transitions" in e.value for e in expander.error)
    _, expander = release_table(at, gone["key"][:60])
    assert "GONE" in expander.label


def test_a_file_with_a_column_the_study_did_not_ask_for_is_flagged(released):
    """The file must hold the study's columns only: one that holds a team
    measure the study never asked for breaks the promise, and the page says so."""
    paths, folder, sent = released
    mine = newest(sent, SOME.id)
    table = pq.read_table(folder.root / mine["key"]).append_column("focus_sessions", pa.array([3], pa.int32()))
    out = io.BytesIO()
    pq.write_table(table, out)
    folder.put(mine["key"], out.getvalue())
    _, expander = release_table(privacy(), mine["key"][:60])
    assert any("column focus_sessions: int32 is not promised" in e.value for e in expander.error)


def test_each_study_access_log_is_its_own_and_a_forged_entry_is_caught(released):
    """A researcher's read is logged under the study pseudonym and shown with
    that study; an entry edited afterwards turns the verdict into an error."""
    paths, folder, _ = released
    me = pseudonym_of(paths, SOME.id)
    teamlog.append(folder, me, "researcher:sam", "transitions by weekday", {"study": SOME.id}, "the study's question")
    at = privacy()
    assert any("access log for you is intact (1 entry)" in s.value for s in at.main.success)
    assert any("Nobody on the research server" in s.value for s in at.main.success)  # the other study
    assert list(at.main.dataframe[-1].value["who"]) == ["researcher:sam"]
    head = study_seen.access_head(paths, SOME.id)
    assert head.exists() and not study_seen.access_head(paths, ALL.id).exists() and not paths.team_access_head.exists()
    key = folder.list(teamstore.access_prefix(me))[0]
    entry = json.loads(folder.get(key))
    entry["who"] = "nobody"
    (folder.root / key).write_text(json.dumps(entry))
    at = privacy()
    assert any("access log for your pseudonym is broken at entry 1" in e.value for e in at.main.error)


def test_leaving_from_the_page_removes_what_the_study_received(released):
    paths, folder, sent = released
    at = privacy()
    next(b for b in at.main.button if b.key == f"study_leave_{SOME.id}").click().run()
    assert folder.list(studies.release_prefix(SOME.id)) == []
    assert folder.list(studies.release_prefix(ALL.id))
    assert any("You left the study" in s.value for s in at.main.success)
    assert any("file(s) it received were removed" in c.value for c in at.main.caption)


def test_a_removal_the_store_was_away_for_is_shown_and_retried_from_the_page(released):
    """Leaving while the shared drive is away still withdraws consent at once;
    the page then says the files are not removed yet, and removes them once
    the store is back."""
    paths, folder, sent = released
    marker = folder.root / teamstore.MARKER
    marker.rename(marker.with_name("marker.aside"))
    done = study_control.leave(paths, SOME.id)
    assert done["left"] and done["remove_error"] and folder.list(studies.release_prefix(SOME.id))
    marker.with_name("marker.aside").rename(marker)
    at = privacy()
    held = len([s for s in sent if s["study"] == SOME.id])
    assert any(f"{held} file(s) it received are not removed yet" in w.value for w in at.main.warning)
    next(b for b in at.main.button if b.key == f"study_remove_{SOME.id}").click().run()
    assert folder.list(studies.release_prefix(SOME.id)) == []
    assert any("The files the study received were removed" in s.value for s in at.main.success)
