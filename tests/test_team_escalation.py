"""Role escalation: no filter combination gives a manager a figure computed
from fewer than k people.

The store has team A with exactly k = 5 members (one of them away in the
second week, so A has k - 1 that week, and two of them using a category
nobody else uses) and team B with k - 1. Every view is read with every subset
of teams, weeks and categories; each figure shown is held against the release
files themselves: the people whose releases enter it must be at least k.
"""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
import pytest
import team_gen as g

from team import views
from team.viewer import Viewer

K = views.K_DEFAULT
WEEKS = [g.WEEK0 + dt.timedelta(weeks=i) for i in range(3)]
ADMIN = Viewer("admin ada", "admin", frozenset({"A", "B"}))
FOCUS_EDGES = (60, 120, 240)


def _subsets(items):
    return [list(c) for n in range(1, len(items) + 1) for c in itertools.combinations(items, n)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("escalation")
    store = g.build(root / "store", {"A": K, "B": K - 1}, weeks=3, seed=7, absent={("A", 4): [1]},
                    rare={"A": [0, 1]})
    return store, root / "state", g.raw(store)


def _people(rows, view, key: dict, weeks) -> set[str]:
    """The pseudonyms whose releases enter the figure at ``key``, from the release rows themselves."""
    def days_in(chosen):
        return [r for r in rows if r["team"] == key["team"]
                and r["day"] - dt.timedelta(days=r["day"].weekday()) in chosen]

    picked = days_in(weeks if view != "compare" or key["period"] == "this" else
                     [weeks[0] - dt.timedelta(weeks=i) for i in range(len(weeks), 0, -1)])
    if "week" in key:
        picked = [r for r in picked if r["day"] - dt.timedelta(days=r["day"].weekday()) == key["week"]]
    measure = key.get("measure", "")
    if view == "activity" or measure.startswith("active minutes"):
        return {r["pseudonym"] for r in picked if view != "activity" or r["day"].weekday() == key["weekday"]}
    if view == "switching" or measure.startswith("app switches"):
        minutes = {}
        for r in picked:
            minutes[r["pseudonym"]] = minutes.get(r["pseudonym"], 0) + sum(r["active_minutes"])
        return {p for p, m in minutes.items() if m >= 60}
    if view == "categories" or measure.startswith("share of time: "):
        category = key.get("category") or measure.removeprefix("share of time: ")
        return {r["pseudonym"] for r in picked if dict(r["category_seconds"]).get(category, 0) > 0}
    if view == "focus" or "focus" in measure:
        def bin_of(r):
            return sum(e <= r["focus_seconds"] / 60 for e in FOCUS_EDGES)
        wanted = {FOCUS_EDGES.index(120) + 1, len(FOCUS_EDGES)} if measure else {[0, *FOCUS_EDGES].index(key["bin_lo"])}
        return {r["pseudonym"] for r in picked if bin_of(r) in wanted}
    column = "typing_bins" if view == "typing" or "typing" in measure else "click_bins"
    edges = [0, 60, 120, 240, 480, 960] if column == "typing_bins" else [0, 0.25, 0.5, 1, 2, 4, 8]
    wanted = ({0, 1} if "typing" in measure else {0, 1, 2}) if measure else {edges.index(key["bin_lo"])}
    return {r["pseudonym"] for r in picked if any(r[column][i] > 0 for i in wanted)}


def _combinations():
    cats = [None] + _subsets(list(g.CATEGORIES))
    for view in views.VIEWS:
        for teams in _subsets(["A", "B"]):
            for weeks in _subsets(WEEKS):
                for chosen in (cats if view in ("categories", "compare") else [None, ["Code"]]):
                    yield view, teams, weeks, chosen


@pytest.mark.slow
def test_no_filter_combination_shows_a_figure_from_fewer_than_k_people(world):
    """Every view x team subset x week subset x category subset: each figure shown comes from at least k
    people's releases, team B (k - 1 people) never shows one, nor team A in the week one of them was away,
    nor the category two people use."""
    store, state, rows = world
    shown_from = []
    for view, teams, weeks, chosen in _combinations():
        result = views.read(ADMIN, view, teams, weeks, chosen, store=store, state=state, today=g.TODAY)
        keys = [c for c in result.frame.columns if c not in ("value", "lo", "hi", "suppressed", "reason")]
        for row in result.frame.filter(~pl.col("suppressed")).iter_rows(named=True):
            people = _people(rows, view, {c: row[c] for c in keys}, weeks)
            assert len(people) >= K, (view, teams, weeks, chosen, row, len(people))
            assert row["team"] == "A"
            if "week" in keys:
                assert row["week"] != WEEKS[1]
            assert "Rare" not in str(row.get("category")) + str(row.get("measure"))
            shown_from.append(len(people))
        if chosen is not None and view in ("categories",):
            assert set(result.frame["category"]) <= set(chosen)
    assert len(shown_from) > 1000  # the enumeration did show figures, not only blanks


def test_a_week_or_category_value_cannot_be_crafted(world):
    """Values no picker offers are refused: a week that is not a Monday, a timestamp, text, the category
    only two people use, a name built to look like SQL."""
    store, state, _ = world
    for weeks in ([WEEKS[0] + dt.timedelta(days=1)], [dt.datetime(2026, 1, 5, 12)], ["2026-01-05"], []):
        with pytest.raises(ValueError):
            views.read(ADMIN, "activity", ["A"], weeks, store=store, state=state, today=g.TODAY)
    for category in ("Rare", "Code'--", "", "x" * 500):
        with pytest.raises(ValueError, match="not a category"):
            views.read(ADMIN, "categories", ["A"], WEEKS, [category], store=store, state=state, today=g.TODAY)
    for teams in (["../B"], ["A/.."], [], ["C"]):
        with pytest.raises((ValueError, PermissionError)):
            views.read(ADMIN, "activity", teams, WEEKS, store=store, state=state, today=g.TODAY)


def test_a_manager_of_a_cannot_read_b(world):
    store, state, _ = world
    manager = Viewer("manager ann", "manager", frozenset({"A"}))
    for view in views.VIEWS:
        with pytest.raises(PermissionError, match="team 'B'"):
            views.read(manager, view, ["B"], WEEKS, store=store, state=state, today=g.TODAY)
        with pytest.raises(PermissionError):
            views.budget(manager, ["B"], WEEKS, store=store, state=state)
