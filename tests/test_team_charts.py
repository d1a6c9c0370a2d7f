"""The Team page's charts (dashboard/charts/team.py) on hand-made frames of team.views' shape.

A manager reads these charts as the team's figures: a suppressed cell drawn
as 0 would say "nobody worked then" where the truth is "too few people to
show"; a value in the wrong cell or an interval off its point would misstate
the team; a difference called real while it is within the noise would have a
manager act on noise.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard.charts import team as charts

K = 5
W1, W2, W3 = dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)


def cells(rows, keys, half: float = 2.0):
    """A frame of ``keys`` + value, lo, hi, suppressed, reason, as team.views returns it
    (lo/hi = value -/+ ``half`` unless suppressed)."""
    out = []
    for *key, value, suppressed in rows:
        lo, hi = (None, None) if suppressed else (value - half, value + half)
        out.append((*key, None if suppressed else value, lo, hi, suppressed,
                    "fewer than k people" if suppressed else None))
    return pl.DataFrame(out, schema=[*keys, "value", "lo", "hi", "suppressed", "reason"], orient="row")


ACTIVITY = cells([("Eng", 0, 9, 42.0, False), ("Eng", 6, 23, 0.0, True), ("Eng", 2, 0, 12.34, False),
                  ("Eng", 4, 15, 0.0, False), ("Small", 0, 9, 0.0, True)],
                 [("team", pl.String), ("weekday", pl.Int64), ("hour", pl.Int64)])


def test_heatmap_puts_each_value_in_its_weekday_and_hour():
    fig = charts.heatmap(ACTIVITY, "Eng", "min", K)
    z = [list(r) for r in fig.data[0].z]
    assert list(fig.data[0].y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] and len(z[0]) == 24
    assert z[0][9] == 42.0, "Monday 09:00"
    assert z[2][0] == 12.34, "Wednesday 00:00"
    assert z[4][15] == 0.0, "a real zero (shown, not suppressed) stays 0"
    assert fig.layout.yaxis.autorange == "reversed"


def test_heatmap_leaves_suppressed_cells_blank_and_says_why():
    fig = charts.heatmap(ACTIVITY, "Eng", "min", K)
    z, hover = fig.data[0].z, fig.data[0].customdata
    assert z[6][23] is None, "a suppressed cell is drawn as a number (it must be a gap, never 0)"
    assert not fig.layout.annotations, "a team with figures is said to have none"
    assert hover[6][23] == "fewer than k people (k = 5)"
    assert "95 % interval 40.0 min to 44.0 min" in hover[0][9]
    small = charts.heatmap(ACTIVITY, "Small", "min", K)
    assert all(v is None for row in small.data[0].z for v in row), "a team under k shows a figure"
    assert "fewer than k people (k = 5) in every cell" in small.layout.annotations[0].text


CATEGORIES = cells([("Eng", W1, "Development", 40.0, False), ("Eng", W2, "Development", 44.0, False),
                    ("Eng", W3, "Development", 0.0, True), ("Eng", W1, "Chat", 15.0, False),
                    ("Eng", W2, "Chat", 12.5, False), ("Eng", W3, "Chat", 0.0, True)],
                   [("team", pl.String), ("week", pl.Date), ("category", pl.String)])


def test_category_shares_one_line_per_category_with_its_noise():
    fig = charts.category_shares(CATEGORIES, "Eng", "%", K)
    lines = {t.name: t for t in fig.data}
    assert list(lines) == ["Development", "Chat"], "largest category first"
    dev = lines["Development"]
    assert list(dev.x) == ["02 Nov", "09 Nov", "16 Nov"]
    assert list(dev.y) == [40.0, 44.0, None], "the suppressed week must be a gap"
    assert list(dev.error_y.array) == [2.0, 2.0, None] and list(dev.error_y.arrayminus) == [2.0, 2.0, None]
    assert dev.customdata[2] == "fewer than k people (k = 5)"


SWITCHING = cells([("Eng", W1, 150.0, False), ("Eng", W2, 160.0, False), ("Small", W1, 0.0, True),
                   ("Small", W2, 0.0, True)], [("team", pl.String), ("week", pl.Date)])


def test_switching_band_is_the_interval_and_suppressed_weeks_are_gaps():
    fig = charts.switching(SWITCHING, "per active hour", K)
    named = {t.name: t for t in fig.data if t.showlegend is not False}
    assert list(named["Eng"].y) == [150.0, 160.0]
    bands = {t.name: t for t in fig.data if t.showlegend is False}
    assert list(bands["Eng hi"].y) == [152.0, 162.0] and list(bands["Eng lo"].y) == [148.0, 158.0]
    assert bands["Eng lo"].fill == "tonexty", "the band is not filled between its edges"
    small = named["Small (fewer than k)"]
    assert list(small.y) == [None, None], "a team under k has a switching line"


FOCUS = cells([("Eng", 0.0, 30.0, 10.0, False), ("Eng", 30.0, 60.0, 25.0, False), ("Eng", 360.0, None, 0.0, True)],
              [("team", pl.String), ("bin_lo", pl.Float64), ("bin_hi", pl.Float64)])


def test_distribution_bars_per_bin_with_error_bars_and_no_bar_when_suppressed():
    fig = charts.distribution(FOCUS, "", K, "Focus time per day", "focus time in a day", "min", "share of days")
    bar = fig.data[0]
    assert list(bar.x) == ["under 30 min", "30–60 min", "360 min and more"]
    assert list(bar.y) == [10.0, 25.0, None]
    assert list(bar.error_y.array) == [2.0, 2.0, None]
    assert bar.customdata[2] == "fewer than k people (k = 5)"


M = "app switches per active hour"
S = "share of time: Chat"
COMPARE = pl.concat([
    cells([("Eng", M, "this", 150.0, False), ("Eng", M, "before", 151.0, False),
           ("Ops", M, "this", 180.0, False), ("Ops", M, "before", 150.0, False),
           ("Small", M, "this", 0.0, True), ("Small", M, "before", 0.0, True)],
          [("team", pl.String), ("measure", pl.String), ("period", pl.String)]),
    cells([("Eng", S, "this", 0.30, False), ("Eng", S, "before", 0.20, False)],
          [("team", pl.String), ("measure", pl.String), ("period", pl.String)], half=0.02),
    # the change rows: this - before, with the interval of the difference (2.83 = hypot(2, 2))
    cells([("Eng", M, "change", -1.0, False), ("Ops", M, "change", 30.0, False), ("Small", M, "change", 0.0, True)],
          [("team", pl.String), ("measure", pl.String), ("period", pl.String)], half=2.83),
    cells([("Eng", S, "change", 0.10, False)], [("team", pl.String), ("measure", pl.String), ("period", pl.String)],
          half=0.03),
])


def test_comparison_says_plainly_when_a_difference_is_within_the_noise():
    rows = {(r["team"], r["measure"]): r for r in charts.comparison_rows(COMPARE)}
    assert rows["Eng", M]["within_noise"] is True, "a change of 1 with a ±2.8 interval is called real"
    assert rows["Ops", M]["within_noise"] is False
    assert rows["Small", M]["within_noise"] is None
    said = {key: charts.comparison_sentence(r, K) for key, r in rows.items()}
    assert "within the noise" in said["Eng", M]
    assert "up by 30.0" in said["Ops", M] and "more than the noise" in said["Ops", M]
    assert "fewer than k people (k = 5)" in said["Small", M]
    assert "20.0 % before, 30.0 % now, up by 10.0 percentage points" in said["Eng", S]


def test_comparison_points_carry_their_intervals():
    fig = charts.comparison(COMPARE, M, K)
    this = next(t for t in fig.data if t.name == "this period")
    before = next(t for t in fig.data if t.name == "period before")
    assert list(fig.layout.yaxis.ticktext) == ["Eng", "Ops", "Small"] and list(fig.layout.yaxis.tickvals) == [2, 1, 0]
    assert list(this.y) == [1.85, 0.85, -0.15] and list(before.y) == [2.15, 1.15, 0.15], "a point off its team's row"
    assert list(this.x) == [150.0, 180.0, None] and list(before.x) == [151.0, 150.0, None]
    assert list(this.error_x.array) == [2.0, 2.0, None]


@pytest.mark.parametrize("lo,hi,unit,want", [(0, 60, "ms", "under 60 ms"), (60, 120, "ms", "60–120 ms"),
                                              (960, None, "ms", "960 ms and more"), (0.25, 0.5, "s", "0.25–0.5 s")])
def test_bin_labels(lo, hi, unit, want):
    assert charts.bin_label(lo, hi, unit) == want


def test_a_team_with_figures_comes_before_one_with_none():
    """The page's tabs open on the first team: a suppressed-only team there shows an empty chart."""
    frame = pl.DataFrame({"team": ["Design", "Design", "Ops"], "value": [None, None, 3.0],
                          "suppressed": [True, True, False]})
    assert charts.readable_first(frame, ["Design", "Ops", "Zeta"]) == ["Ops", "Design", "Zeta"]
    assert charts.readable_first(frame.clear(), ["Design", "Ops"]) == ["Design", "Ops"]
