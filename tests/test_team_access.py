"""Each read of team figures is logged where every included worker sees it:
one entry in that worker's chain in the store, and none in anyone else's;
a read whose log cannot be written is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import team_gen as g

from sharing import teamlog
from team import views
from team.viewer import Viewer

W0, W1 = g.WEEK0, g.WEEK0 + dt.timedelta(weeks=1)
ANN = Viewer("manager ann (local account)", "manager", frozenset({"A"}))


@pytest.fixture
def store(tmp_path):
    # member 5 of A is away in the second week; team B is another manager's
    return g.build(tmp_path / "store", {"A": 6, "B": 5}, weeks=2, absent={("A", 5): [1]})


def _chain(store, team, i):
    return teamlog.entries(store, g.who(team, i))


def test_a_read_appears_in_each_included_workers_log_and_no_one_elses(store, tmp_path):
    """Ann reads A's second week: A's five workers who released that week each get one intact entry saying
    who looked at what; the one away that week and B's workers get none."""
    views.read(ANN, "categories", ["A"], [W1], ["Code"], store=store, state=tmp_path / "state", today=g.TODAY)
    for i in range(5):
        chain = _chain(store, "A", i)
        assert [(e.who, e.what) for e in chain] == [("manager ann (local account)", "team figures: categories")]
        assert json.loads(chain[0].params) == {"teams": ["A"], "weeks": [W1.isoformat()], "categories": ["Code"]}
        assert teamlog.verify(chain).ok
    assert _chain(store, "A", 5) == []
    assert all(_chain(store, "B", i) == [] for i in range(5))


def test_a_read_served_from_the_ledger_is_logged_again(store, tmp_path):
    """Figures drawn before still show a worker's data: every read writes its entry."""
    for _ in range(3):
        views.read(ANN, "switching", ["A"], [W0], store=store, state=tmp_path / "state", today=g.TODAY)
    chain = _chain(store, "A", 5)
    assert [e.seq for e in chain] == [1, 2, 3] and teamlog.verify(chain).ok


def test_compare_logs_the_workers_of_the_weeks_before_too(store, tmp_path):
    """Comparing week 2 with week 1 reads week 1's figures: the worker there only is included."""
    views.read(ANN, "compare", ["A"], [W1], store=store, state=tmp_path / "state", today=g.TODAY)
    assert len(_chain(store, "A", 5)) == 1


def test_the_demo_viewer_is_logged_like_anyone(store, tmp_path):
    demo = Viewer("the demo (this dashboard)", "demo", frozenset({"A", "B"}))
    views.read(demo, "activity", ["B"], [W0], store=store, state=tmp_path / "state", today=g.TODAY)
    assert all([e.who for e in _chain(store, "B", i)] == ["the demo (this dashboard)"] for i in range(5))


def test_a_read_whose_log_cannot_be_written_is_refused(store, tmp_path):
    """With the store's access area unwritable (here a file where its folder should be), the read raises
    and returns no figures: no unlogged read."""
    (store.root / "access").write_text("not a folder")
    with pytest.raises(views.LogRefused, match="access log"):
        views.read(ANN, "activity", ["A"], [W0], store=store, state=tmp_path / "state", today=g.TODAY)


def test_budget_and_options_log_nothing(store, tmp_path):
    """Seeing what may be chosen, and the budget, shows no one's figures."""
    views.options(ANN, store=store, state=tmp_path / "state", today=g.TODAY)
    views.budget(ANN, ["A"], [W0], store=store, state=tmp_path / "state")
    assert store.list("access") == []
