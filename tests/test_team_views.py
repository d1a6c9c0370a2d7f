"""The team views' figures: what a manager sees is the team's real aggregate
(checked against the release files, with the noise switched off), in the
shape the Team page draws, and a bad request is refused with a reason."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
import pytest
import team_gen as g

from team import noise, views
from team.viewer import Viewer

WEEKS = [g.WEEK0 + dt.timedelta(weeks=i) for i in range(2)]
ANN = Viewer("manager ann (local account)", "manager", frozenset({"A"}))


@pytest.fixture
def store(tmp_path):
    return g.build(tmp_path / "store", {"A": 6, "B": 5}, weeks=2, seed=3)


@pytest.fixture
def exact(monkeypatch):
    """The noise switched off, to compare figures with the releases by hand."""
    monkeypatch.setattr(noise, "draw", lambda measure, rho, vector: (list(vector), noise.scale(measure, rho)))


def _read(store, tmp_path, view, teams=("A",), weeks=WEEKS, cats=None, viewer=ANN):
    return views.read(viewer, view, list(teams), list(weeks), cats, store=store, state=tmp_path / "state",
                      today=g.TODAY)


def test_activity_is_the_mean_per_person_day_of_the_releases(store, tmp_path, exact):
    """A manager's weekday x hour grid shows what the team's releases hold: a heatmap shifted by a
    weekday or an hour, or divided by the wrong number of days, fails here."""
    frame = _read(store, tmp_path, "activity").frame
    sums, days = defaultdict(float), defaultdict(set)
    for row in g.raw(store):
        if row["team"] == "A":
            days[row["day"].weekday()].add((row["pseudonym"], row["day"]))
            for hour, minutes in enumerate(row["active_minutes"]):
                sums[(row["day"].weekday(), hour)] += minutes
    shown = {(r["weekday"], r["hour"]): r["value"] for r in frame.filter(~pl.col("suppressed")).iter_rows(named=True)}
    assert len(shown) == 5 * 24  # Monday to Friday; nobody released at the weekend
    for (weekday, hour), value in shown.items():
        assert value == pytest.approx(sums[(weekday, hour)] / len(days[weekday]))
    assert frame.filter(pl.col("weekday") >= 5)["reason"].unique().to_list() == [views.FEWER]


def test_categories_switching_and_distributions_match_the_releases(store, tmp_path, exact):
    """Each view's figure, recomputed from the release files: category shares per week, switches per active
    hour, the focus and rhythm distributions."""
    rows = [r for r in g.raw(store) if r["team"] == "A" and r["day"] < WEEKS[0] + dt.timedelta(days=7)]
    people = sorted({r["pseudonym"] for r in rows})
    cats = views.read(ANN, "categories", ["A"], WEEKS[:1], store=store, state=tmp_path / "state", today=g.TODAY)
    for category in g.CATEGORIES:
        shares = []
        for p in people:
            mine = [dict(r["category_seconds"]) for r in rows if r["pseudonym"] == p]
            shares.append(sum(m.get(category, 0) for m in mine) / sum(sum(m.values()) for m in mine))
        shown = cats.frame.filter(pl.col("category") == category)["value"].item()
        assert shown == pytest.approx(sum(shares) / len(people))
    rates = []
    for p in people:
        mine = [r for r in rows if r["pseudonym"] == p]
        rate = sum(sum(r["switches"]) for r in mine) / (sum(sum(r["active_minutes"]) for r in mine) / 60)
        rates.append(min(noise.SWITCH_CLAMP, rate))
    switching = _read(store, tmp_path, "switching", weeks=WEEKS[:1]).frame
    assert switching["value"].item() == pytest.approx(sum(rates) / len(rates))
    focus = _read(store, tmp_path, "focus", weeks=WEEKS[:1]).frame
    counts = [0] * 4
    for r in rows:
        counts[sum(e <= r["focus_seconds"] / 60 for e in (60, 120, 240))] += 1
    for row, count in zip(focus.sort("bin_lo").iter_rows(named=True), counts):
        if not row["suppressed"]:
            assert row["value"] == pytest.approx(count / len(rows))
    typing = _read(store, tmp_path, "typing", weeks=WEEKS[:1]).frame.sort("bin_lo")
    for i, row in enumerate(typing.iter_rows(named=True)):
        mine = [[r["typing_bins"] for r in rows if r["pseudonym"] == p] for p in people]
        share = sum(sum(b[i] for b in m) / sum(sum(b) for b in m) for m in mine) / len(people)
        assert row["value"] == pytest.approx(share)


def test_every_view_has_the_pages_columns_and_an_interval(store, tmp_path):
    """The frame the page draws: the view's keys, then value, lo, hi, suppressed, reason; every figure shown
    carries an interval around it, every suppressed one has none."""
    keys = {"activity": ["team", "weekday", "hour"], "categories": ["team", "week", "category"],
            "switching": ["team", "week"], "focus": ["team", "bin_lo", "bin_hi"], "typing": ["team", "bin_lo", "bin_hi"],
            "clicking": ["team", "bin_lo", "bin_hi"], "compare": ["team", "measure", "period"]}
    for view in views.VIEWS:
        result = _read(store, tmp_path, view)
        assert result.frame.columns == keys[view] + ["value", "lo", "hi", "suppressed", "reason"]
        shown = result.frame.filter(~pl.col("suppressed"))
        assert shown.height and (shown["lo"] < shown["value"]).all() and (shown["value"] < shown["hi"]).all()
        hidden = result.frame.filter(pl.col("suppressed"))
        assert hidden["value"].null_count() == hidden.height == hidden["lo"].null_count()
        assert result.k == views.K_DEFAULT and result.unit and "at least 5 people" in result.note
        assert result.budget.columns == ["team", "week", "spent", "total"]


def test_compare_sets_the_weeks_against_as_many_before(tmp_path):
    """This period against the one before: two selected weeks against the two before them, with the change
    and its wider interval."""
    store = g.build(tmp_path / "store", {"A": 6}, weeks=4)
    result = _read(store, tmp_path, "compare", weeks=[g.WEEK0 + dt.timedelta(weeks=i) for i in (2, 3)])
    assert set(result.budget["week"]) == {g.WEEK0 + dt.timedelta(weeks=i) for i in range(4)}
    row = {r["period"]: r for r in result.frame.filter(pl.col("measure") == "app switches per active hour")
           .iter_rows(named=True)}
    assert row["change"]["value"] == pytest.approx(row["this"]["value"] - row["before"]["value"])
    assert row["change"]["hi"] - row["change"]["lo"] > row["this"]["hi"] - row["this"]["lo"]


def test_bad_requests_are_refused_with_what_was_wrong(store, tmp_path):
    """A crafted view, week or category gets a clear error, not figures."""
    with pytest.raises(ValueError, match="not a team view"):
        _read(store, tmp_path, "people")
    for week, why in ((dt.date(2026, 1, 6), "not a week"), ("2026-01-05", "not a week"),
                      (dt.datetime(2026, 1, 5), "not a week"), (dt.date.today() - dt.timedelta(days=dt.date.today().weekday()),
                                                                 "not over yet")):
        with pytest.raises(ValueError, match=why):
            views.read(ANN, "activity", ["A"], [week], store=store, state=tmp_path / "state")
    for name in ("Code' OR 1=1 --", "Nope", 3):
        with pytest.raises(ValueError, match="not a category"):
            _read(store, tmp_path, "categories", cats=[name])
    with pytest.raises(ValueError, match="at least 3"):
        views.read(ANN, "activity", ["A"], WEEKS, store=store, state=tmp_path / "state", k=2, today=g.TODAY)
    (tmp_path / "state" / "team-config.json").write_text('{"k": 2}')
    with pytest.raises(ValueError, match="at least 3"):
        _read(store, tmp_path, "activity")


def test_a_manager_reads_only_their_own_teams(store, tmp_path):
    """Ann manages A: B's figures, or A's and B's together, are refused, and B's workers' logs stay empty."""
    for teams in (["B"], ["A", "B"]):
        with pytest.raises(PermissionError, match="may not read the figures of team 'B'"):
            _read(store, tmp_path, "activity", teams=teams)
    researcher = Viewer("researcher rob", "researcher", frozenset({"A"}))
    with pytest.raises(PermissionError):
        _read(store, tmp_path, "activity", viewer=researcher)
    assert not store.list("access")


def test_options_are_the_viewers_teams_and_completed_weeks(store, tmp_path):
    teams, weeks = views.options(ANN, store=store, state=tmp_path / "state", today=g.TODAY)
    assert teams == ["A"] and weeks == WEEKS
    _, early = views.options(ANN, store=store, state=tmp_path / "state", today=WEEKS[1] + dt.timedelta(days=7))
    assert early == WEEKS[:1]  # the second week's grace day has not passed


def test_categories_offered_are_those_k_people_used(tmp_path):
    """A category only two people use is neither offered nor accepted: its name alone would say someone
    in the team spends time on it."""
    store = g.build(tmp_path / "store", {"A": 6}, weeks=1, rare={"A": [0, 1]})
    _read(store, tmp_path, "activity", weeks=WEEKS[:1])
    assert views.categories(ANN, ["A"], store=store, state=tmp_path / "state") == sorted(g.CATEGORIES)
    with pytest.raises(ValueError, match="not a category"):
        _read(store, tmp_path, "categories", weeks=WEEKS[:1], cats=["Rare"])
    frame = _read(store, tmp_path, "categories", weeks=WEEKS[:1]).frame
    assert "Rare" not in frame["category"].to_list()
