"""The Privacy page's team section, with AppTest on the worker's own
database: "what my team sees" is the release file as the store holds it,
a tampered file and a forged access entry are flagged, joining and revoking work."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest
from test_team_release import SECRET, write_local_days

from capture import team_control
from sharing import teamlog, teamstore
from store.paths import Paths
from testkit import ROOT, connect, copy_db

TOKEN = "owner-key-for-these-tests"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from test_team_release import DAYS

    db = tmp_path_factory.mktemp("teampage") / "workprint.duckdb"
    write_local_days(db, DAYS[-4:])
    return db


@pytest.fixture
def own(tmp_path, monkeypatch, template, running_server):
    db = copy_db(template, tmp_path / "workprint.duckdb")
    monkeypatch.setenv("WORKPRINT_DB", str(db))
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", TOKEN)
    folder = teamstore.create(tmp_path / "teamstore")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    return Paths(db), folder, secret


@pytest.fixture
def released(own):
    paths, folder, secret = own
    team_control.join(paths, folder.root, "Alpha", secret)
    con = connect(paths.db)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 4 DAY WHERE scope = 'team'")
    con.close()
    sent = team_control.send(paths)
    assert sent
    return paths, folder, sent[0]


def privacy() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["token"] = TOKEN
    at.run().switch_page("pages/privacy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def release_table(at, day: str) -> dict:
    """The release's row as the page shows it: column -> value."""
    expander = next(e for e in at.main.expander if e.label.startswith(day))
    frame = expander.dataframe[0].value
    return dict(zip(frame["column"], frame["value"])), expander


def test_the_page_shows_each_release_as_the_store_holds_it_and_that_it_keeps_the_promise(released):
    """The figures on the page are the file's: if the page showed the local
    record, a changed file in the store would go unseen."""
    paths, folder, newest = released
    at = privacy()
    shown, expander = release_table(at, newest["day"])
    held = pq.read_table(folder.root / newest["key"]).to_pylist()[0]
    assert json.loads(shown["active_minutes"]) == held["active_minutes"]
    assert json.loads(shown["typing_bins"]) == held["typing_bins"]
    assert json.loads(shown["category_seconds"]) == dict(held["category_seconds"])
    assert any("Matches what the consent text promised" in s.value for s in expander.success)
    assert any("You are in team **Alpha**" in s.value for s in at.main.success)


def test_a_tampered_file_is_flagged_with_what_differs(released):
    """Someone with write access to the shared drive raises a figure: the page
    must say the file is not the one sent, and which columns differ."""
    paths, folder, newest = released
    table = pq.read_table(folder.root / newest["key"])
    row = table.to_pylist()[0]
    row["active_minutes"] = [60] * 24
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([row], schema=table.schema), out)
    folder.put(newest["key"], out.getvalue())
    at = privacy()
    shown, expander = release_table(at, newest["day"])
    assert json.loads(shown["active_minutes"]) == [60] * 24
    assert "CHANGED" in expander.label
    assert any("sha256 differs" in e.value for e in expander.error)
    assert any("differs from what was sent in: active_minutes" in e.value for e in expander.error)


def test_a_file_with_an_unpromised_column_is_flagged(released):
    paths, folder, newest = released
    table = pq.read_table(folder.root / newest["key"]).append_column("app", pa.array(["firefox"]))
    out = io.BytesIO()
    pq.write_table(table, out)
    folder.put(newest["key"], out.getvalue())
    _, expander = release_table(privacy(), newest["day"])
    assert any("column app: string is not promised" in e.value for e in expander.error)


def test_the_access_log_shows_who_looked_and_a_forged_entry_is_caught(released):
    """A manager's read appears; an entry edited afterwards (to hide who looked)
    must turn the page's verdict into a warning, also after a verified pull."""
    paths, folder, _ = released
    me = team_control.status(paths)["membership"]["pseudonym"]
    teamlog.append(folder, me, "manager:ana", "weekday x hour, team Alpha", {"weeks": "2026-W48"}, "weekly review")
    at = privacy()
    assert any("access log for you is intact (1 entry)" in s.value for s in at.main.success)
    log = at.main.dataframe[-1].value
    assert list(log["who"]) == ["manager:ana"]
    assert paths.team_access_head.exists() and oct(paths.team_access_head.stat().st_mode & 0o777) == "0o600"
    key = folder.list(teamstore.access_prefix(me))[0]
    entry = json.loads(folder.get(key))
    entry["who"] = "nobody"
    (folder.root / key).write_text(json.dumps(entry))
    at = privacy()
    assert any("access log for your pseudonym is broken at entry 1" in e.value for e in at.main.error)


def test_an_access_log_cut_back_after_a_verified_pull_is_caught(released):
    paths, folder, _ = released
    me = team_control.status(paths)["membership"]["pseudonym"]
    for n in range(2):
        teamlog.append(folder, me, "manager:ana", f"read {n}")
    privacy()
    folder.delete(folder.list(teamstore.access_prefix(me))[-1])
    at = privacy()
    assert any("the log was cut back" in e.value for e in at.main.error)


def test_revoking_from_the_page_with_removal_leaves_no_file_of_mine(released):
    paths, folder, _ = released
    at = privacy()
    at.checkbox(key="team_remove").check().run()
    next(b for b in at.main.button if b.key == "team_leave").click().run()
    assert not team_control.status(paths)["consent"]["given"]
    me = team_control.status(paths)["membership"]["pseudonym"]
    assert [k for k in folder.list("releases") if me in k] == []
    assert any("You left the team" in s.value for s in at.main.success)


def test_joining_from_the_page_shows_the_team_text_and_records_team_consent(own):
    paths, folder, secret = own
    at = privacy()
    at.text_input(key="team_store").input(str(folder.root)).run()
    at.text_input(key="team_name").input("Alpha").run()
    at.text_input(key="team_secret").input(str(secret)).run()
    assert any("What one release holds" in m.value for m in at.main.markdown)
    at.checkbox(key="team_read").check().run()
    next(b for b in at.main.button if b.key == "team_join").click().run()
    state = team_control.status(paths)
    assert state["in_team"] and state["consent"]["given"]
