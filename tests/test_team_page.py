"""The Team page (pages/team.py), run from app.py with AppTest on the demo team store.

What breaks for a user if these fail: a manager would see figures other than
the query layer's (a chart that redraws or rounds them differently), a team
of fewer than k people would show figures (or zeros that look like figures),
a pseudonym would appear on the page (a handle to single someone out), the
demo would not say it is one, or a download would hold what the chart hides.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import store
from dashboard import teamdata
from demo import team as demo_team
from sharing import teamstore
from team import views
from team.viewer import Viewer
from testkit import ROOT, copy_db

TOKEN = "owner-key-for-these-tests"
HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, dashboard_db):
    """A demo database and, beside it, the demo team store, as `demo --if-needed` leaves them
    (a copy: the page draws figures and writes access logs into the team store)."""
    folder = tmp_path_factory.mktemp("team-page")
    copy_db(dashboard_db, folder / "demo.duckdb")
    demo_team.generate(folder / "demo-team", seed=1)
    return folder


@pytest.fixture(autouse=True)
def _env(monkeypatch, demo_dir, running_server, tmp_path):
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(demo_dir / "demo.duckdb"))
    monkeypatch.setenv("WORKPRINT_DB", str(tmp_path / "own.duckdb"))  # nothing captured, no team joined
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", TOKEN)
    monkeypatch.delenv("WORKPRINT_MODE", raising=False)
    st.cache_data.clear()


def team_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["token"] = TOKEN
    at.run().switch_page("pages/team.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> dict[str, dict]:
    return {el.key: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def demo_read(view: str, weeks: int = 4, categories=None):
    """What team.views gives the demo viewer for the page's default choices: every team, the last 4 weeks."""
    store = teamstore.open_store(teamdata.demo_root())
    viewer = Viewer("demo viewer (this machine's dashboard)", "demo", frozenset(teamstore.teams(store)))
    teams, all_weeks = views.options(viewer, store=store, state=teamdata.demo_root() / ".server-state")
    return views.read(viewer, view, teams, all_weeks[-weeks:], categories, store=store,
                      state=teamdata.demo_root() / ".server-state")


def by_team(traces) -> dict:
    """Traces by the team they draw (a legend entry may add why it has no figure)."""
    return {t["name"].split(" (")[0]: t for t in traces if t.get("name") and t.get("showlegend", True) is not False}


def values(frame, **where) -> list:
    for column, value in where.items():
        frame = frame.filter(frame[column] == value)
    return [None if s else v for v, s in zip(frame["value"].to_list(), frame["suppressed"].to_list())]


def test_the_figures_shown_are_the_query_layers(demo_dir):
    """Every chart's numbers are team.views.read()'s for the same teams and weeks, cell for cell."""
    at = team_page()
    shown = figures(at)
    activity = demo_read("activity").frame
    z = shown["team-activity-Engineering"]["data"][0]["z"]
    for row in activity.filter(activity["team"] == "Engineering").iter_rows(named=True):
        assert z[row["weekday"]][row["hour"]] == (None if row["suppressed"] else row["value"]), row
    switching = demo_read("switching").frame
    lines = {team: t["y"] for team, t in by_team(shown["team-switching"]["data"]).items()}
    for team in ("Engineering", "Operations", "Support", "Design"):
        assert lines[team] == values(switching.sort("week"), team=team), team
    for view in ("focus", "typing", "clicking"):
        frame = demo_read(view).frame.sort("bin_lo")
        bars = {team: t["y"] for team, t in by_team(shown[f"team-{view}"]["data"]).items()}
        assert bars["Engineering"] == values(frame, team="Engineering"), view
    shares = demo_read("categories").frame.sort("week")
    lines = {t["name"]: t["y"] for t in shown["team-categories-Operations"]["data"]}
    assert lines["Documents"] == values(shares, team="Operations", category="Documents")
    assert len(at.get("plotly_chart")) == 4 + 4 + 1 + 3 + 1


def test_the_small_team_shows_suppression_not_figures(demo_dir):
    """Design has 3 people: its heatmap is blank (never zeros), every hover says why, and its
    lines and bars have no points."""
    at = team_page()
    shown = figures(at)
    heat = shown["team-activity-Design"]["data"][0]
    assert all(v is None for row in heat["z"] for v in row), "a team of 3 shows a figure"
    assert all(text.startswith("fewer than k people") for row in heat["customdata"] for text in row)
    lines = by_team(shown["team-switching"]["data"])
    assert all(v is None for v in lines["Design"]["y"]) and "fewer than k" in lines["Design"]["name"]
    bars = by_team(shown["team-typing"]["data"])
    assert all(v is None for v in bars["Design"]["y"])
    compare = " ".join(m.value for m in at.main.markdown if m.value.startswith("- Design"))
    assert "fewer than k people" in compare


def test_no_pseudonym_appears_anywhere_on_the_page(demo_dir):
    """Nothing the page sends the browser names a worker: no pseudonym (nor any 64-digit hex
    handle) in any element, figure or table, and none in the downloads."""
    at = team_page()
    sent = "\n".join(str(node.proto) for node in walk(at._tree) if getattr(node, "proto", None) is not None)
    assert len(sent) > 10_000, "the page sent almost nothing: the check would be vacuous"
    pseudonyms = {p.pseudonym for p in demo_team.people(1)}
    assert not [p for p in pseudonyms if p in sent]
    assert not HEX64.search(sent)
    for view in views.VIEWS:
        csv = teamdata.export(demo_read(view)).write_csv()
        assert not HEX64.search(csv), view


def walk(node):
    yield node
    children = getattr(node, "children", None)
    for child in (children.values() if isinstance(children, dict) else children or []):
        yield from walk(child)


def test_downloads_keep_the_k_rule():
    """The CSV of a view holds no value where the chart shows none: Design's rows are empty."""
    for view in ("activity", "switching", "typing"):
        frame = teamdata.export(demo_read(view))
        design = frame.filter(frame["team"] == "Design")
        assert design.height and design["value"].is_null().all() and design["lo"].is_null().all(), view
        assert frame.filter(frame["team"] == "Engineering")["value"].is_not_null().any()


def test_the_demo_says_it_is_one_and_that_nobody_is_ranked(demo_dir):
    at = team_page()
    warnings = " ".join(w.value for w in at.main.warning)
    assert "**Demo data**" in warnings
    captions = " ".join(c.value for c in at.main.caption)
    assert "no per-person figures, rankings or drill-downs" in captions
    assert "95 % interval of the noise" in captions
    assert not at.main.error, [e.value for e in at.main.error]


def test_the_budget_is_shown_per_team_and_week(demo_dir):
    at = team_page()
    table = next(d.value for d in at.main.dataframe if "week (Monday)" in d.value.columns)
    budget = demo_read("activity").budget
    assert len(table) == 4 and set(table.columns) == {"week (Monday)", "Design", "Engineering", "Operations",
                                                      "Support"}
    spent = budget.filter(budget["team"] == "Support").sort("week")
    assert list(table["Support"]) == [f"{s:.2f} / {t:.2f}" for s, t in zip(spent["spent"], spent["total"])]


def test_choosing_eight_weeks_reads_eight_weeks(demo_dir):
    at = team_page()
    at.segmented_control(key="team_weeks").set_value("Last 8 weeks").run()
    assert not at.exception
    shown = figures(at)
    switching = demo_read("switching", weeks=8).frame.sort("week")
    lines = {team: t["y"] for team, t in by_team(shown["team-switching"]["data"]).items()}
    assert len(lines["Engineering"]) == 8 and lines["Engineering"] == values(switching, team="Engineering")


def test_on_the_team_server_nothing_shows_without_signing_in(monkeypatch, demo_dir):
    """In team mode a browser that has not signed in gets no team figure: the page is not listed
    (the sign-in layer's navigation) or, if it runs, reads nothing and says to sign in."""
    monkeypatch.setenv("WORKPRINT_MODE", "team")
    monkeypatch.setenv("WORKPRINT_TEAM_STORE", str(demo_dir / "demo-team"))
    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(demo_dir / "server-state"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["token"] = TOKEN
    at.run()
    try:
        at.switch_page("pages/team.py").run()
    except ValueError as exc:  # not a page of this session's navigation
        assert "Could not find a navigation page" in str(exc)
        assert not at.get("plotly_chart")
        return
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("plotly_chart") and not at.main.dataframe
    assert any("Sign in" in i.value for i in at.main.info)


def test_a_missing_demo_team_store_is_explained(monkeypatch, tmp_path, dashboard_db):
    db = tmp_path / "demo.duckdb"
    copy_db(dashboard_db, db)
    shutil.rmtree(tmp_path / "demo-team", ignore_errors=True)
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(db))
    at = team_page()
    assert any("python -m capture demo --if-needed" in i.value for i in at.main.info)
    assert not at.get("plotly_chart")


@pytest.mark.skipif(importlib.util.find_spec("capture.team_control") is None,
                    reason="the worker's team controller (branch release) is not here yet")
def test_a_worker_in_a_team_sees_what_their_manager_sees_of_their_team_only(monkeypatch, tmp_path):
    """A worker who joined a team sees their own team's figures, as the team server drew and published
    them when its manager read them, and no other team's; it is not marked as demo data."""
    from capture import team_control
    from store.paths import Paths

    own = tmp_path / "own.duckdb"  # the _env fixture's own database
    store.open_writable(own).close()
    secret = tmp_path / "secret.txt"
    secret.write_text("an organisation secret of enough length\n")
    secret.chmod(0o600)
    demo_team.generate(tmp_path / "store", seed=1)
    (tmp_path / "store" / demo_team.MARKER).unlink()  # a real store with the demo's people: never joined as a demo
    team_control.join(Paths(own), tmp_path / "store", "Engineering", secret, worker_id="w-test")
    boss = Viewer("manager of Engineering", "manager", frozenset({"Engineering"}))
    found = teamstore.open_store(tmp_path / "store")
    weeks = views.options(boss, store=found, state=tmp_path / "server")[1][-4:]
    for view in views.VIEWS:  # the server draws and publishes; the worker's page only reads that
        views.read(boss, view, ["Engineering"], weeks, store=found, state=tmp_path / "server")
    at = team_page()
    assert at.multiselect(key="team_teams").options == ["Engineering"]
    assert {key.rsplit("-", 1)[-1] for key in figures(at) if key.startswith("team-activity-")} == {"Engineering"}
    assert any("what your manager sees of your team, Engineering" in c.value for c in at.main.caption)
    assert not any("**Demo data**" in w.value for w in at.main.warning)


def test_choosing_a_category_narrows_the_shares_to_it(demo_dir):
    """The category picker reads the categories view for those categories only, as team.views gives it."""
    at = team_page()
    at.multiselect(key="team_categories").set_value(["Chat"]).run()
    assert not at.exception
    lines = {t["name"]: t["y"] for t in figures(at)["team-categories-Support"]["data"]}
    shares = demo_read("categories", categories=["Chat"]).frame.sort("week")
    assert list(lines) == ["Chat"] and lines["Chat"] == values(shares, team="Support", category="Chat")


@pytest.mark.skipif(importlib.util.find_spec("dashboard.signin") is None,
                    reason="sign-in (branch signin) is not here yet")
def test_a_signed_in_manager_sees_their_teams_only(monkeypatch, tmp_path, demo_dir):
    """On the team server a manager of Engineering gets Engineering's figures, as team.views gives
    that manager, no other team's, and nothing marked as demo."""
    from dashboard import signin
    from team.accounts import Accounts

    shutil.copytree(demo_dir / "demo-team", tmp_path / "store", ignore=shutil.ignore_patterns(".server-state"))
    (tmp_path / "store" / demo_team.MARKER).unlink()  # a real store, not the demo
    monkeypatch.setenv("WORKPRINT_MODE", "team")
    monkeypatch.setenv("WORKPRINT_TEAM_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("WORKPRINT_DASHBOARD_TOKEN", raising=False)
    Accounts().add("ann", "manager", ["Engineering"], "correct horse battery")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.text_input(key=signin.NAME_KEY).input("ann")
    at.text_input(key=signin.PASSWORD_KEY).input("correct horse battery")
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="team_teams").options == ["Engineering"]
    shown = figures(at)
    assert {k.rsplit("-", 1)[-1] for k in shown if k.startswith("team-activity-")} == {"Engineering"}
    assert not any("Demo data" in w.value for w in at.main.warning)
    store = teamstore.open_store(tmp_path / "store")
    viewer = Viewer("manager ann (local account)", "manager", frozenset({"Engineering"}))
    _, weeks = views.options(viewer, store=store, state=tmp_path / "state")
    frame = views.read(viewer, "switching", ["Engineering"], weeks[-4:], store=store, state=tmp_path / "state").frame
    lines = {team: t["y"] for team, t in by_team(shown["team-switching"]["data"]).items()}
    assert lines == {"Engineering": values(frame.sort("week"), team="Engineering")}
