""""What my manager sees": a worker who joined a team reads the figures the team
server drew and published to the store, never noise of its own.

What breaks for a user if these fail: a worker would be shown figures other
than their manager's (their own draw), each teammate's dashboard would spend
privacy budget and draw fresh noise that averaging across dashboards washes
out, a worker could read another team, a published file would carry a
per-person value or a cell of fewer than k people, or an altered file would
be shown as if the server had drawn it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import team_gen as g

from dashboard import teamdata
from sharing import pseudonym, teamlog, teamstore
from team import ledger, published, views
from team.viewer import Viewer

W0, W1, W2 = (g.WEEK0 + dt.timedelta(weeks=i) for i in range(3))
ANN = Viewer("manager ann (local account)", "manager", frozenset({"A"}))
MEMBER = Viewer("a member of A (own team view)", "member", frozenset({"A"}))
PER_WEEK = [v for v in views.VIEWS if v != "compare"]


@pytest.fixture
def store(tmp_path):
    # two of A's six use the rare category 'Rare' (a cell under k); B has four, fewer than k = 5
    return g.build(tmp_path / "store", {"A": 6, "B": 4}, weeks=3, rare={"A": [0, 1]})


def _manager(store, tmp_path, view, weeks, categories=None):
    return views.read(ANN, view, ["A"], weeks, categories, store=store, state=tmp_path / "server", today=g.TODAY)


def _member(store, tmp_path, view, weeks, categories=None):
    src = teamdata.TeamSource("member", MEMBER, store, tmp_path / "worker")
    return views.read(src.viewer, view, ["A"], weeks, categories, store=src.store, state=src.state, today=g.TODAY)


def test_a_member_sees_exactly_the_managers_figures(store, tmp_path):
    """Every view, one week and two, and the comparison: the worker's page gets the very frames, notes and
    budget the manager gets, not a draw of its own."""
    with pytest.raises(views.NotDrawnYet, match="has not drawn"):
        _member(store, tmp_path, "activity", [W1])  # before the server drew it: said, nothing shown
    for weeks in ([W1], [W0, W1]):
        for view in views.VIEWS:
            boss = _manager(store, tmp_path, view, weeks)
            mine = _member(store, tmp_path, view, weeks)
            assert mine.frame.equals(boss.frame), (view, weeks)
            assert mine.frame["value"].drop_nulls().len() > 0, view  # figures, not only suppressed cells
            assert (mine.k, mine.unit, mine.note) == (boss.k, boss.unit, boss.note)
            assert mine.budget.equals(boss.budget)
    assert _member(store, tmp_path, "categories", [W1], ["Code"]).frame.equals(
        _manager(store, tmp_path, "categories", [W1], ["Code"]).frame)
    assert views.categories(MEMBER, ["A"], store=store, state=tmp_path / "worker") == \
        views.categories(ANN, ["A"], store=store, state=tmp_path / "server")


def test_a_week_the_server_has_not_drawn_is_said_to_be_so(store, tmp_path):
    """A member choosing a drawn week and one not drawn yet sees the drawn one's figures and the other marked
    'not drawn by the team server yet', with a note saying so; the member's read draws nothing."""
    _manager(store, tmp_path, "switching", [W0])
    result = _member(store, tmp_path, "switching", [W0, W1])
    rows = {r["week"]: r for r in result.frame.to_dicts()}
    assert rows[W0]["value"] is not None and not rows[W0]["suppressed"]
    assert rows[W1]["value"] is None and rows[W1]["reason"] == views.NOT_DRAWN
    assert result.pending == (W1,) and "Not drawn by the team server yet" in result.note
    _, weeks = views.options(MEMBER, store=store, state=tmp_path / "worker", today=g.TODAY)
    assert weeks == [W0, W1, W2]  # offered, so the page can say which are not drawn
    with ledger.opened(tmp_path / "server") as con:
        assert ledger.rows(con, "drawn_pairs", teams=["A"], weeks=[W1]) == []


def test_a_member_read_spends_no_budget_keeps_no_ledger_and_is_logged(store, tmp_path):
    """The server's budget does not move however often members read; the worker's folder holds no ledger
    (only the digests of what it read); each read is in every included worker's log under the member's name."""
    _manager(store, tmp_path, "activity", [W0, W1])
    before = views.budget(ANN, ["A"], [W0, W1, W2], store=store, state=tmp_path / "server")
    logged = {i: len(teamlog.entries(store, g.who("A", i))) for i in range(6)}
    for _ in range(3):
        for view in PER_WEEK:
            _member(store, tmp_path, view, [W0, W1])
    assert views.budget(ANN, ["A"], [W0, W1, W2], store=store, state=tmp_path / "server").equals(before)
    assert views.budget(MEMBER, ["A"], [W0, W1], store=store, state=tmp_path / "worker").equals(
        before.filter(before["week"] != W2))
    assert sorted(p.name for p in (tmp_path / "worker").iterdir()) == [published.SEEN]
    for i in range(6):
        chain = teamlog.entries(store, g.who("A", i))
        assert len(chain) == logged[i] + 3 * len(PER_WEEK)
        assert chain[-1].who == MEMBER.who and teamlog.verify(chain).ok


def test_a_member_reading_another_team_is_refused(store, tmp_path):
    """A's member cannot read B, alone or beside A, nor B's budget or categories: B's people are not logged."""
    _manager(store, tmp_path, "activity", [W0])
    views.read(Viewer("bob", "manager", frozenset({"B"})), "activity", ["B"], [W0], store=store,
               state=tmp_path / "server", today=g.TODAY)
    for teams in (["B"], ["A", "B"]):
        with pytest.raises(PermissionError, match="'B'"):
            views.read(MEMBER, "activity", teams, [W0], store=store, state=tmp_path / "worker", today=g.TODAY)
        with pytest.raises(PermissionError):
            views.budget(MEMBER, teams, [W0], store=store, state=tmp_path / "worker")
        with pytest.raises(PermissionError):
            views.categories(MEMBER, teams, store=store, state=tmp_path / "worker")
    assert views.options(MEMBER, store=store, state=tmp_path / "worker", today=g.TODAY)[0] == ["A"]
    assert all(e.who != MEMBER.who for i in range(4) for e in teamlog.entries(store, g.who("B", i)))


def _file(store, team, week) -> dict:
    return json.loads(store.get(teamstore.figures_key(team, week)))


def test_published_files_hold_no_per_person_value_and_no_cell_under_k(store, tmp_path):
    """The file's columns are the cells' (measure, idx, category, noisy, scale, denom, contributors), every
    cell from at least k people, and the only pseudonyms are the members list: the team of four publishes
    no cell at all, the rare category used by two is not there."""
    for team, boss in (("A", ANN), ("B", Viewer("bob", "manager", frozenset({"B"})))):
        views.read(boss, "categories", [team], [W0, W1], store=store, state=tmp_path / "server", today=g.TODAY)
    assert sorted(k for k in store.list("figures")) == [teamstore.figures_key(t, w) for t in "AB" for w in (W0, W1)]
    for team, size in (("A", 6), ("B", 4)):
        for week in (W0, W1):
            figures = _file(store, team, week)["figures"]
            assert sorted(figures) == ["cells", "format", "k", "members", "rho_total", "spent", "team", "week"]
            assert sorted(figures["cells"]) == sorted(published.CELLS)
            assert all(c >= views.K_DEFAULT for c in figures["cells"]["contributors"])
            assert sorted(figures["members"]) == sorted(g.who(team, i) for i in range(size))
            text = json.dumps(figures["cells"])
            assert not any(p in text for p in figures["members"])
            assert all(not (isinstance(v, str) and pseudonym.is_pseudonym(v))
                       for col in figures["cells"].values() for v in col)
            if team == "B":
                assert figures["cells"]["measure"] == []
            else:
                assert "Rare" not in figures["cells"]["category"] and "Code" in figures["cells"]["category"]
                assert set(figures["spent"]) == {"activity", "categories", "switching", "focus", "typing", "clicking"}


def _rewrite(store, week, change, *, redigest: bool) -> None:
    raw = _file(store, "A", week)
    change(raw["figures"])
    if redigest:
        raw["sha256"] = published._digest(raw["figures"])
    store.put(teamstore.figures_key("A", week), json.dumps(raw).encode())


@pytest.mark.parametrize("change, redigest, said", [
    (lambda f: f["cells"]["noisy"].__setitem__(0, f["cells"]["noisy"][0] + 50), False, "SHA-256"),
    (lambda f: f["cells"]["contributors"].__setitem__(0, 2), True, "fewer than k"),
    (lambda f: f["cells"].__setitem__("pseudonym", [g.who("A", 0)] * len(f["cells"]["idx"])), True, "columns"),
    (lambda f: f.__setitem__("k", 1), True, "below 3"),
])
def test_a_tampered_file_is_reported_not_shown(store, tmp_path, change, redigest, said):
    """An edited value (digest broken), a cell claiming two people, a per-person column or k lowered (each with
    a digest recomputed to match): the member is told the figures fail their checks and gets none of them."""
    _manager(store, tmp_path, "activity", [W0])
    _rewrite(store, W0, change, redigest=redigest)
    with pytest.raises(views.FiguresDamaged, match=said):
        _member(store, tmp_path, "activity", [W0])


def test_a_file_rewritten_after_the_worker_read_it_is_caught(store, tmp_path):
    """A value changed, digest and all, after this dashboard first read the week: caught by the digest the
    worker's folder kept, not shown."""
    _manager(store, tmp_path, "switching", [W0])
    _member(store, tmp_path, "switching", [W0])
    _rewrite(store, W0, lambda f: f["cells"]["noisy"].__setitem__(0, 0.0), redigest=True)
    with pytest.raises(views.FiguresDamaged, match="rewritten since"):
        _member(store, tmp_path, "switching", [W0])


@pytest.mark.slow
def test_the_workers_team_page_shows_the_managers_figures(monkeypatch, tmp_path, running_server):
    """The Team page on a worker's own dashboard, joined to Engineering of a real store the server has read:
    the heatmap and switching line are the manager's figures cell for cell, Engineering only, and the
    worker's folder holds no ledger. Before the server has read, the page says the weeks are not drawn."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import store as own_store
    from capture import team_control
    from demo import team as demo_team
    from store.paths import Paths
    from testkit import ROOT

    root = tmp_path / "store"
    demo_team.generate(root, seed=1)
    (root / demo_team.MARKER).unlink()  # a real store with the demo's people: a real database never joins the demo's
    store = teamstore.open_store(root)
    boss = Viewer("manager of Engineering", "manager", frozenset({"Engineering"}))
    server = tmp_path / "server"
    own = tmp_path / "own" / "own.duckdb"
    own.parent.mkdir()
    own_store.open_writable(own).close()
    secret = tmp_path / "secret.txt"
    secret.write_text("an organisation secret of enough length\n")
    secret.chmod(0o600)
    team_control.join(Paths(own), root, "Engineering", secret, worker_id="w-test")
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(tmp_path / "demo.duckdb"))
    monkeypatch.setenv("WORKPRINT_DB", str(own))
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", "owner-key-for-these-tests")
    monkeypatch.delenv("WORKPRINT_MODE", raising=False)

    def page():
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.query_params["token"] = "owner-key-for-these-tests"
        at.run().switch_page("pages/team.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = page()
    assert not at.get("plotly_chart") and any("has not drawn" in e.value for e in at.main.error)
    weeks = views.options(boss, store=store, state=server)[1][-4:]
    wanted = {v: views.read(boss, v, ["Engineering"], weeks, store=store, state=server) for v in views.VIEWS}
    at = page()
    assert at.multiselect(key="team_teams").options == ["Engineering"]
    shown = {el.key: json.loads(el.proto.spec) for el in at.get("plotly_chart")}
    z = shown["team-activity-Engineering"]["data"][0]["z"]
    for row in wanted["activity"].frame.iter_rows(named=True):
        assert z[row["weekday"]][row["hour"]] == (None if row["suppressed"] else row["value"]), row
    line = [t for t in shown["team-switching"]["data"] if t.get("name", "").startswith("Engineering")
            and t.get("showlegend", True) is not False][0]["y"]  # the line, not its interval band
    frame = wanted["switching"].frame.sort("week")
    assert line == [None if s else v for v, s in zip(frame["value"], frame["suppressed"])]
    assert not (tmp_path / "own" / "team-view" / ledger.FILE).exists()
    assert any("what your manager sees of your team, Engineering" in c.value for c in at.main.caption)


def test_the_page_door_says_when_weeks_are_not_drawn(store, tmp_path):
    """Through dashboard.teamdata (the Team page's door): a worker's read of a week the server has not drawn is
    refused with a sentence saying so, and a half-drawn choice says which weeks are missing."""
    src = teamdata.TeamSource("member", MEMBER, store, tmp_path / "worker")
    with pytest.raises(ValueError, match="has not drawn the figures of A"):
        teamdata.read(src, "switching", ["A"], [W2])
    _manager(store, tmp_path, "switching", [W1])
    assert teamdata.read(src, "switching", ["A"], [W1]).pending == ()
    assert teamdata.options(src) == (["A"], [W0, W1, W2])
    assert not (tmp_path / "worker" / ledger.FILE).exists()
