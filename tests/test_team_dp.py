"""Differential privacy of the team figures: the noise is drawn once and kept,
the budget is tracked and capped, the noise is as large as the intervals say,
and differencing two reads that differ by one person leaves that person
hidden in the noise (a no-noise mode is caught by the same statistic)."""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics

import polars as pl
import pytest
import team_gen as g

from team import draw, ledger, noise, views
from team.viewer import Viewer

W0, W1 = g.WEEK0, g.WEEK0 + dt.timedelta(weeks=1)
ANN = Viewer("manager ann", "manager", frozenset({"A"}))


def _read(store, state, view, weeks=(W0, W1)):
    return views.read(ANN, view, ["A"], list(weeks), store=store, state=state, today=g.TODAY)


def test_a_repeated_read_returns_the_same_figures_and_spends_nothing(tmp_path):
    """Reading again, any view, gives the very same numbers and the budget does not move: averaging
    repeated reads cannot wash the noise out."""
    store = g.build(tmp_path / "store", {"A": 6}, weeks=2)
    state = tmp_path / "state"
    first = {view: _read(store, state, view) for view in views.VIEWS if view != "compare"}
    spent = first["activity"].budget
    assert spent["spent"].to_list() == [pytest.approx(1.0)] * 2  # every measure of both weeks, at the first read
    for _ in range(3):
        for view, result in first.items():
            again = _read(store, state, view)
            assert again.frame.equals(result.frame), view
            assert again.budget.equals(spent)


def test_a_late_release_stays_out_of_a_drawn_week(tmp_path):
    """A release that arrives after its week was drawn changes nothing the manager sees, and its worker is
    not logged as included."""
    store = g.build(tmp_path / "store", {"A": 6}, weeks=1)
    state = tmp_path / "state"
    before = _read(store, state, "switching", weeks=[W0])
    late = g.who("A", 99)
    g.put(store, g.release_row("A", W0 + dt.timedelta(days=2), late, random.Random(1)))
    after = _read(store, state, "switching", weeks=[W0])
    assert after.frame.equals(before.frame)
    assert store.list(f"access/{late}") == []


def test_a_figure_beyond_the_cap_is_refused(tmp_path):
    """A server capped at rho 0.5 per team-week draws activity and categories (0.30 + 0.15); switching would
    pass the cap, so it is refused, says so, and stays refused without spending."""
    store = g.build(tmp_path / "store", {"A": 6}, weeks=1)
    state = tmp_path / "state"
    state.mkdir()
    (state / "team-config.json").write_text('{"rho_per_team_week": 0.5}')
    switching = _read(store, state, "switching", weeks=[W0])
    assert switching.frame["suppressed"].all() and switching.frame["reason"].to_list() == [views.NO_BUDGET]
    assert switching.budget.select("spent", "total").row(0) == (pytest.approx(0.45), 0.5)
    assert not _read(store, state, "activity", weeks=[W0]).frame["suppressed"].all()
    again = _read(store, state, "switching", weeks=[W0])
    assert again.frame["suppressed"].all() and again.budget["spent"].item() == pytest.approx(0.45)


def test_each_mechanism_spends_its_share_of_the_budget():
    """OpenDP's own privacy map of each measure's Gaussian mechanism at its sensitivity is its share (and
    not much less: noise is not wasted)."""
    assert sum(m.share for m in noise.MEASURES) == pytest.approx(1.0)
    for measure in noise.MEASURES:
        rho = measure.share * noise.RHO_DEFAULT
        for size in (1, 7, 168):
            mechanism, scale = noise.mechanism(measure, rho, size)
            assert 0.99 * rho <= mechanism.map(measure.sensitivity) <= rho
            assert scale == pytest.approx(noise.scale(measure, rho), rel=0.02)  # the grid adds under 2 %


def test_one_persons_contribution_is_clamped_to_the_sensitivity(tmp_path, monkeypatch):
    """A person active every minute of every hour with thousands of switches moves the figures by no more
    than the sensitivity the noise is scaled to."""
    store = g.teamstore.create(tmp_path / "store")
    row = g.release_row("A", W0, g.who("A", 0), random.Random(1))
    for d in range(7):
        g.put(store, {**row, "day": W0 + dt.timedelta(days=d), "active_minutes": [60] * 24,
                      "switches": [5000] * 24})
    with ledger.opened(tmp_path / "state") as con:
        g_ingest = __import__("team.ingest", fromlist=["sync"])
        g_ingest.sync(con, store)
        activity = draw._contributions(con, "activity", ["A"], [W0])
        switching = draw._contributions(con, "switching", ["A"], [W0])
    assert math.sqrt(sum(r[4] ** 2 for r in activity)) == pytest.approx(noise.BY_NAME["activity"].sensitivity)
    assert switching[0][4] == noise.BY_NAME["switching"].sensitivity


def _forget_draws(state):
    """The ledger as a fresh server's: releases ingested, nothing drawn."""
    with ledger.opened(state) as con:
        for table in ("draws", "spent", "drawn", "members"):
            con.execute("DELETE FROM " + table)  # noqa: S608 (a fixed table name)


def _redraws(store, state, n):
    """``n`` independent draws of the same team-week, as ``n`` fresh servers would make them."""
    with ledger.opened(state) as con:
        __import__("team.ingest", fromlist=["sync"]).sync(con, store)
        for _ in range(n):
            draw.draw(con, [("A", W0)], 1.0)
            yield ledger.frame(con, "read_draws", teams=["A"], weeks=[W0], measure="activity")
            for table in ("draws", "spent", "drawn", "members"):
                con.execute("DELETE FROM " + table)  # noqa: S608 (a fixed table name)


def test_the_noise_is_as_large_as_the_intervals_say(tmp_path):
    """About 95 % of drawn cells lie within their 95 % interval of the figure without noise: intervals
    that understate the noise would make a manager read noise as change."""
    store = g.build(tmp_path / "store", {"A": 6}, weeks=1)
    with ledger.opened(tmp_path / "exact") as con:
        __import__("team.ingest", fromlist=["sync"]).sync(con, store)
        exact = {r[2]: r[4] for r in draw._contributions(con, "activity", ["A"], [W0])}
    inside = total = 0
    for cells in _redraws(store, tmp_path / "state", 25):
        for idx, noisy, scale in cells.select("idx", "noisy", "scale").iter_rows():
            inside += abs(noisy - exact.get(idx, 0.0)) <= noise.accuracy(scale)
            total += 1
    assert total == 25 * 168
    assert 0.935 <= inside / total <= 0.965


# --- differencing --------------------------------------------------------------------------------
def _twin_weeks(root, *, gained: bool):
    """Team A in two weeks with the same releases, but for one person: away in the second week
    (``gained`` False), or joining in it (True). Returns the store and that person's true contribution."""
    store = g.teamstore.create(root)
    rng = random.Random(5)
    people = [g.who("A", i) for i in range(7)]
    odd = people[-1]
    for d in range(5):
        for p in people:
            row = g.release_row("A", W0 + dt.timedelta(days=d), p, rng)
            if p != odd or not gained:
                g.put(store, row)
            if p != odd or gained:
                g.put(store, {**row, "day": row["day"] + dt.timedelta(weeks=1)})
    return store, odd


def _attack(store, state, view, odd, rounds):
    """Each round a fresh server; the manager reads both weeks and takes n1 * v1 - n0 * v0, the difference of
    the two sums, as the odd person's contribution. Returns the errors of that estimate."""
    rows = g.raw(store)
    mine = [r for r in rows if r["pseudonym"] == odd]
    if view == "switching":
        rate = sum(sum(r["switches"]) for r in mine) / (sum(sum(r["active_minutes"]) for r in mine) / 60)
        truth = min(noise.SWITCH_CLAMP, rate)
        pick = pl.lit(True)
    else:
        seconds = {}
        for r in mine:
            for c, s in r["category_seconds"]:
                seconds[c] = seconds.get(c, 0) + s
        truth = seconds["Code"] / sum(seconds.values())
        pick = pl.col("category") == "Code"
    errors = []
    for _ in range(rounds):
        frame = views.read(ANN, view, ["A"], [W0, W1], store=store, state=state, today=g.TODAY).frame
        _forget_draws(state)
        v0, v1 = frame.filter(pick).sort("week")["value"].to_list()
        n0, n1 = (7, 6) if view == "switching" else (6, 7)  # who released: the manager knows the team
        estimate = n0 * v0 - n1 * v1 if view == "switching" else n1 * v1 - n0 * v0
        errors.append(estimate - truth)
    return errors, truth


def _noise_hides(errors, sigma):
    """The statistic: the estimate's spread is the two draws' noise (sd sigma * sqrt 2, not less), and it
    lands within 10 % of the sensitivity of the truth no more often than that noise allows."""
    spread = statistics.pstdev(errors)
    close = sum(abs(e) < 0.1 * sigma for e in errors) / len(errors)
    return 0.75 * sigma * math.sqrt(2) <= spread <= 1.3 * sigma * math.sqrt(2) and close <= 0.15


CASES = [("switching", False), ("categories", True)]


@pytest.mark.slow
@pytest.mark.parametrize("view,gained", CASES)
def test_differencing_two_reads_leaves_the_person_in_the_noise(tmp_path, view, gained):
    """A week where one member has no release (switching), or a team that gained one (categories): the
    difference of the two figures misses that person's true contribution by the noise of two draws,
    far more than the contribution itself."""
    store, odd = _twin_weeks(tmp_path / "store", gained=gained)
    errors, truth = _attack(store, tmp_path / "state", view, odd, 120)
    sigma = noise.calibrated(view, noise.BY_NAME[view].share, 1 if view == "switching" else 3)
    assert _noise_hides(errors, sigma)
    assert statistics.pstdev(errors) > 2 * abs(truth)


def test_without_noise_differencing_recovers_the_person(tmp_path, monkeypatch):
    """The planted no-noise mode: the same statistic fails, as the attack then gives the person's exact
    figure. This is what the test above guards against."""
    monkeypatch.setattr(noise, "draw", lambda measure, rho, vector: (list(vector), noise.scale(measure, rho)))
    store, odd = _twin_weeks(tmp_path / "store", gained=False)
    errors, _ = _attack(store, tmp_path / "state", "switching", odd, 5)
    assert max(abs(e) for e in errors) < 1e-6
    assert not _noise_hides(errors, noise.scale(noise.BY_NAME["switching"], 0.15))
