"""The chart functions on hand-made frames, without Streamlit.

Each frame has the columns its named query returns (queries/time.sql,
timing.sql, workflow.sql), with values worked out by hand, so a chart that
puts a value in the wrong cell, drops the wrong rows, misstates a share or
mislabels a span fails here, with the number that is wrong.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import polars as pl
import pytest

from dashboard.charts import style, timeline, timing, today, workflow

# --- weekday x hour heatmap (weekday_hour_heatmap: weekday 1 = Monday ... 7 = Sunday) ---------------------


def heat(*cells: tuple[int, int, float]) -> pl.DataFrame:
    return pl.DataFrame(cells, schema={"weekday": pl.Int64, "hour_of_day": pl.Int64, "active_min": pl.Float64},
                        orient="row")


def test_heatmap_has_weekday_rows_and_hour_columns():
    fig = timeline.heatmap(heat((1, 9, 42.0), (7, 23, 5.0), (3, 0, 12.34)))
    z = [list(row) for row in fig.data[0].z]
    assert list(fig.data[0].y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(fig.data[0].x) == list(range(24))
    assert len(z) == 7 and all(len(row) == 24 for row in z)
    assert z[0][9] == 42.0, "weekday 1 (Monday), 09:00 is not at the Mon row, 9 column"
    assert z[6][23] == 5.0, "weekday 7 (Sunday), 23:00 is not at the last (Sun) row, 23 column"
    assert z[2][0] == 12.3, "Wednesday 00:00, rounded to a tenth"
    filled = {(r, c) for r, row in enumerate(z) for c, v in enumerate(row) if v}
    assert filled == {(0, 9), (6, 23), (2, 0)}, "a value landed in a cell the frame did not give"
    assert fig.layout.yaxis.autorange == "reversed", "Monday is not the top row"


def test_heatmap_each_weekday_on_its_own_row():
    fig = timeline.heatmap(heat(*[(d, 12, float(d)) for d in range(1, 8)]))
    assert [row[12] for row in fig.data[0].z] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


# --- top N ----------------------------------------------------------------------------------------------------


def test_time_bars_keep_the_largest_largest_on_top():
    # app_time's columns, not in order; 15 apps, a default of 12 shown.
    seconds = {f"app{i:02d}": 3600.0 * i for i in range(1, 16)}
    frame = pl.DataFrame({"app": list(seconds), "seconds": list(seconds.values())}).sample(fraction=1, shuffle=True, seed=3)
    bar = today.time_bars(frame, "app", "Top apps").data[0]
    assert list(bar.y) == [f"app{i:02d}" for i in range(4, 16)], "not the 12 largest, in ascending order"
    assert list(bar.x) == [float(i) for i in range(4, 16)], "bar lengths are not the hours"
    assert bar.orientation == "h"
    # A horizontal bar chart draws its first category at the bottom: the largest, last, is on top.
    assert bar.y[-1] == "app15"


def test_time_bars_top_and_other_label_column():
    frame = pl.DataFrame({"category": ["Web", "Development", "Chat", "Other"], "seconds": [7200.0, 10800.0, 900.0, 1800.0],
                          "apps": [2, 1, 1, 4]})
    bar = today.time_bars(frame, "category", "Categories", top=2).data[0]
    assert list(bar.y) == ["Web", "Development"] and list(bar.x) == [2.0, 3.0]
    assert sum(bar.x) == 5.0, "the rest is left out, not summed into a bar"


def test_dwell_ranges_keep_the_first_apps_of_the_query_on_top():
    # dwell_by_app comes ordered by total time, most first; the chart keeps that order, top first.
    frame = pl.DataFrame({"app": ["Code", None, "Slack", "Mail"], "visits": [10, 4, 8, 2],
                          "p25_s": [5.0, 1.0, 2.0, 3.0], "p50_s": [20.0, 2.0, 4.0, 6.0], "p75_s": [40.0, 3.0, 8.0, 9.0],
                          "p90_s": [90.0, 5.0, 16.0, 12.0], "total_s": [400.0, 30.0, 25.0, 20.0]})
    fig = timing.dwell_ranges(frame, top=3)
    median = next(t for t in fig.data if t.name == "median visit")
    assert list(median.y) == ["Slack", "(no app)", "Code"] and list(median.x) == [4.0, 2.0, 20.0]
    assert list(fig.layout.yaxis.categoryarray) == ["Slack", "(no app)", "Code"]


def test_switch_flow_shows_the_most_frequent_switches():
    frame = pl.DataFrame({"src": ["A", "B", "A", "C", "B"], "dst": ["B", "A", "C", "A", "C"], "n": [5, 9, 1, 7, 3],
                          "mean_s": [1.0] * 5, "median_s": [30.0, 90.0, 5.0, 4000.0, 2.0]})
    link = workflow.switch_flow(frame, top=3).data[0].link
    assert list(link.value) == [9, 7, 5]
    assert [tuple(c) for c in link.customdata] == [("B", "A", "2 min"), ("C", "A", "1 h 07 min"), ("A", "B", "30 s")]


def test_start_end_bars_rank_by_sessions_started_and_ended():
    frame = pl.DataFrame({"role": ["start", "start", "end", "end", "start"], "app": ["Mail", "Code", "Code", "Slack", "Web"],
                          "n": [4, 2, 3, 1, 1]})
    fig = workflow.start_end_bars(frame, top=2)
    assert [t.name for t in fig.data] == ["last app", "first app"]
    assert list(fig.data[1].y) == ["Mail", "Code"], "Code (2 + 3) is on top of Mail (4 + 0)"
    assert list(fig.data[1].x) == [4, 2] and list(fig.data[0].x) == [0, 3]


# --- histogram shares -----------------------------------------------------------------------------------------


@pytest.fixture
def dist() -> pl.DataFrame:
    """`distribution` for the values 1.1, 3.5, 3.9, 12 and 13: bins of a tenth of a decade
    (floor(10 log10 v)): 1.1 in bin 0 [1, 10^0.1), 3.5 and 3.9 in bin 5, 12 and 13 in bin 10."""
    lo = [1.0, 10 ** 0.5, 10.0]
    hi = [10 ** 0.1, 10 ** 0.6, 10 ** 1.1]
    n = [1, 2, 2]
    return pl.DataFrame({"lo": lo, "hi": hi, "n": n, "share": [0.2, 0.4, 0.4], "cum_share": [0.2, 0.6, 1.0]})


def test_histogram_bars_are_percent_of_values_per_bin(dist):
    fig = timing.histogram(dist, "ms", "t")
    bar, ecdf = fig.data
    assert list(bar.y) == pytest.approx([20.0, 40.0, 40.0])
    assert sum(bar.y) == pytest.approx(100.0), "the bars' shares do not add up to all values"
    assert list(bar.width) == pytest.approx([10 ** 0.1 - 1, 10 ** 0.6 - 10 ** 0.5, 10 ** 1.1 - 10])
    assert list(bar.x) == pytest.approx([10 ** 0.05, 10 ** 0.55, 10 ** 1.05]), "bars are not centred on a log axis"
    assert list(ecdf.x) == list(dist["hi"]) and list(ecdf.y) == pytest.approx([20.0, 60.0, 100.0])
    assert fig.layout.xaxis.type == "log"


def test_measure_histogram_on_a_log_axis_keeps_percent_per_bin(dist):
    bar = timing.measure_histogram(dist, "ms", "t", "inter-key interval").data[0]
    assert sum(bar.y) == pytest.approx(100.0)
    assert [tuple(c) for c in bar.customdata] == list(dist.select("lo", "hi").rows())


def test_measure_histogram_on_a_linear_axis_is_a_density(dist):
    fig = timing.measure_histogram(dist, "ms", "t", "inter-key interval", log_x=False)
    bar = fig.data[0]
    widths = [10 ** 0.1 - 1, 10 ** 0.6 - 10 ** 0.5, 10 ** 1.1 - 10]
    assert list(bar.y) == pytest.approx([20 / widths[0], 40 / widths[1], 40 / widths[2]])
    area = sum(h * w for h, w in zip(bar.y, bar.width))
    assert area == pytest.approx(100.0), "the bars' area is not the share of all values"
    assert bar.name == "share of values per ms" and fig.layout.yaxis.title.text == "% of values per ms"
    assert fig.layout.xaxis.type == "linear"
    assert list(fig.data[1].y) == pytest.approx([20.0, 60.0, 100.0]), "the ECDF stays in percent"


# --- focus states ---------------------------------------------------------------------------------------------

DAY = dt.datetime(2026, 11, 26)
OFFSET = dt.timedelta(hours=1)  # local time is UTC+1: the local columns are what the chart reads


def at(hhmm: str, day: dt.datetime = DAY) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return day + dt.timedelta(hours=h, minutes=m)


def spans(*rows: tuple[str, str, str | None, str, str]) -> pl.DataFrame:
    """`timeline` rows: worker, kind ('focus' or 'active'), app, local start and stop ('HH:MM')."""
    local = [(w, k, a, at(s), at(e)) for w, k, a, s, e in rows]
    return pl.DataFrame({
        "worker": [r[0] for r in local], "kind": [r[1] for r in local], "app": [r[2] for r in local],
        "start": [(r[3] - OFFSET).replace(tzinfo=dt.timezone.utc) for r in local],
        "stop": [(r[4] - OFFSET).replace(tzinfo=dt.timezone.utc) for r in local],
        "local_start": [r[3] for r in local], "local_stop": [r[4] for r in local],
        "seconds": [(r[4] - r[3]).total_seconds() for r in local],
    }, schema={"worker": pl.String, "kind": pl.String, "app": pl.String, "start": pl.Datetime("us", "Etc/UTC"),
               "stop": pl.Datetime("us", "Etc/UTC"), "local_start": pl.Datetime("us"), "local_stop": pl.Datetime("us"),
               "seconds": pl.Float64})


def pieces(frame: pl.DataFrame) -> list[tuple]:
    return [(w, a, s, f"{t0:%H:%M}", f"{t1:%H:%M}") for w, a, s, t0, t1 in frame.rows()]


def test_focus_states_cut_focus_into_active_and_idle():
    # Editor has focus 09:00-09:30, then capture is paused until 09:45, then Browser until 10:00.
    # There was input from 09:10 to 09:50 (09:30-09:45 had no focus span: paused, so no piece).
    states = timeline.focus_states(spans(
        ("w1", "active", None, "09:10", "09:50"),
        ("w1", "focus", "Editor", "09:00", "09:30"),
        ("w1", "focus", "Browser", "09:45", "10:00"),
    ))
    assert states.columns == ["worker", "app", "state", "local_start", "local_stop"]
    assert pieces(states) == [
        ("w1", "Editor", "idle", "09:00", "09:10"),
        ("w1", "Editor", "active", "09:10", "09:30"),
        ("w1", "Browser", "active", "09:45", "09:50"),
        ("w1", "Browser", "idle", "09:50", "10:00"),
    ]


def test_focus_states_several_active_spans_in_one_focus_span():
    states = timeline.focus_states(spans(
        ("w1", "focus", "Editor", "09:00", "10:00"),
        ("w1", "active", None, "09:40", "09:50"),
        ("w1", "active", None, "09:10", "09:20"),
        ("w1", "active", None, "10:30", "11:00"),  # input with no focus: not a piece
    ))
    assert pieces(states) == [
        ("w1", "Editor", "idle", "09:00", "09:10"),
        ("w1", "Editor", "active", "09:10", "09:20"),
        ("w1", "Editor", "idle", "09:20", "09:40"),
        ("w1", "Editor", "active", "09:40", "09:50"),
        ("w1", "Editor", "idle", "09:50", "10:00"),
    ]


def test_focus_states_a_worker_without_active_spans_is_active_throughout():
    # w2's log has no afk data (an imported event log): all its focus counts as active.
    # Zero-length focus spans are no piece at all.
    states = timeline.focus_states(spans(
        ("w1", "focus", "Editor", "09:00", "09:30"),
        ("w1", "active", None, "09:00", "09:15"),
        ("w2", "focus", "Mail", "08:00", "08:20"),
        ("w2", "focus", "Mail", "08:30", "08:30"),
    ))
    assert pieces(states) == [
        ("w1", "Editor", "active", "09:00", "09:15"),
        ("w1", "Editor", "idle", "09:15", "09:30"),
        ("w2", "Mail", "active", "08:00", "08:20"),
    ]
    alone = timeline.focus_states(spans(("w2", "focus", "Mail", "08:00", "08:20")))
    assert pieces(alone) == [("w2", "Mail", "active", "08:00", "08:20")]


def test_day_timeline_cuts_a_span_at_local_midnight():
    frame = spans(("w1", "focus", "Editor", "23:30", "23:59"), ("w1", "active", None, "23:30", "23:59"))
    late = frame.with_columns(local_stop=pl.lit(DAY + dt.timedelta(days=1, minutes=30)))
    fig = timeline.day_timeline(late, ["Editor"])
    editor = next(t for t in fig.data if t.name == "Editor")
    assert list(editor.y) == ["Thu 26 Nov", "Fri 27 Nov"]
    assert list(editor.x) == [30 * 60 * 1000, 30 * 60 * 1000], "not 30 min before and 30 min after midnight"


# --- style ----------------------------------------------------------------------------------------------------


def test_an_app_keeps_its_colour_whichever_apps_a_view_shows():
    """Issue 9 #5: Slack was vermillion unfiltered and sky blue filtered, and two apps
    swapped colours minutes into live capture. An app's colour depends only on when it
    first appeared: the same in any subset of apps, and unchanged when new apps come
    later; no app is grey, only 'other apps'."""
    order = [f"app{i}" for i in range(15)]
    everything = style.app_colours(order, order)
    assert style.app_colours(["app8", "app3"], order) == {"app8": everything["app8"], "app3": everything["app3"]}
    assert style.app_colours(order, order + ["new1", "new2"]) == everything  # live capture adds apps at the end
    assert len(set(everything[a] for a in order[:len(style.APP_PALETTE)])) == len(style.APP_PALETTE)
    assert style.OTHER_COLOUR not in everything.values() and style.IDLE_COLOUR not in everything.values()
    assert style.app_colours(["other apps", "zz"], order)["other apps"] == style.OTHER_COLOUR
    assert style.app_colours(["zz"], order) == style.app_colours(["zz"], None) != {"zz": style.OTHER_COLOUR}


def test_day_timeline_colours_apps_as_everywhere_else():
    """The timeline draws an app in its colour from the first-seen order, however
    many other apps the day had."""
    focus = pl.DataFrame({
        "worker": ["w"] * 3, "kind": ["focus"] * 3, "app": ["Mail", "Code", "Slack"],
        "local_start": [dt.datetime(2026, 11, 26, h) for h in (9, 10, 11)],
        "local_stop": [dt.datetime(2026, 11, 26, h, 50) for h in (9, 10, 11)],
    })
    order = ["Code", "Slack", "Mail"]
    fig = timeline.day_timeline(focus, order)
    drawn = {t.name: t.marker.color for t in fig.data if t.name in order}
    assert drawn == style.app_colours(order, order)
    alone = timeline.day_timeline(focus.filter(pl.col("app") == "Slack"), order)
    assert next(t.marker.color for t in alone.data if t.name == "Slack") == drawn["Slack"]


@pytest.mark.parametrize("seconds, text", [(0.4, "0 s"), (59.4, "59 s"), (59.6, "1 min"), (3540, "59 min"),
                                           (3600, "1 h 00 min"), (7500, "2 h 05 min")])
def test_duration_texts_agree(seconds, text):
    assert style.duration(seconds) == text
    frame = pl.DataFrame({"s": [float(seconds)]})
    assert frame.select(style.duration_text("s")).item() == text


def test_charts_import_no_streamlit():
    """The chart modules stay pure: importing them all loads no Streamlit."""
    code = ("import sys; from dashboard.charts import style, today, timeline, workflow, timing; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_csv_downloads_cannot_smuggle_a_formula():
    """Hardening #13: an app named '=HYPERLINK(...)' must reach a spreadsheet as text, not run."""
    import polars as pl

    from dashboard.ui import safe_csv

    frame = pl.DataFrame({"app": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "Code", None],
                          "seconds": [1.0, 2.0, 3.0, 4.0, 5.0, -6.0, 7.0]})
    lines = safe_csv(frame).decode().splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(")
    assert [line.split(",")[0] for line in lines[2:5]] == ["'+1", "'-2", "'@SUM(A1)"]
    assert lines[6] == "Code,-6.0" and lines[7] == ",7.0"  # numbers and plain text untouched


@pytest.mark.parametrize("seconds, text", [(47 * 3600, "47 h 00 min"), (2 * 86400, "2 days"),
                                           (3 * 86400 + 4 * 3600, "3 days 4 h"),
                                           (876048 * 3600, "99.9 years")])
def test_long_durations_say_days_or_years(seconds, text):
    """Issue 9 #8: an event log over 13 years gave totals like '876048 h 00 min'."""
    from dashboard import ui

    assert style.duration(seconds) == ui.hours(seconds) == text


def test_day_axes_over_years_say_the_year():
    """Issue 9 #8: a drill-down over 2000-2013 read 'Mon 01 Jan' on every tick."""
    when = pl.DataFrame({"local_start": [dt.datetime(2000, 3, 15, 9), dt.datetime(2013, 4, 24, 10)],
                         "seconds": [60.0, 120.0]})
    fig = workflow.occurrences(when)
    assert "%Y" in fig.layout.xaxis.tickformat and "%Y" in fig.data[0].hovertemplate
    one_year = when.with_columns(pl.col("local_start").dt.offset_by("-13y").clip(dt.datetime(2000, 1, 1)))
    assert style.day_format(dt.date(2026, 11, 23), dt.date(2026, 11, 27)) == "%a %d %b"
    assert workflow.occurrences(one_year).layout.xaxis.tickformat == "%a %d %b"
    spans = pl.DataFrame({"worker": ["w", "w"], "kind": ["focus", "focus"], "app": ["A", "B"],
                          "local_start": [dt.datetime(2000, 3, 15, 9), dt.datetime(2013, 4, 24, 9)],
                          "local_stop": [dt.datetime(2000, 3, 15, 10), dt.datetime(2013, 4, 24, 10)]})
    rows = {y for trace in timeline.day_timeline(spans).data for y in (trace.y or []) if y}
    assert rows == {"Wed 15 Mar 2000", "Wed 24 Apr 2013"}


def test_switch_flow_labels_read_on_light_and_dark():
    """Issue 9 #8: Sankey labels were grey on the grey of the bands. They are near black on
    the light theme, near white on the dark one, without plotly's halo."""
    t = pl.DataFrame({"src": ["A", "B"], "dst": ["B", "A"], "n": [3, 2], "median_s": [10.0, 20.0]})
    light, dark = workflow.switch_flow(t).data[0].textfont, workflow.switch_flow(t, dark=True).data[0].textfont
    assert (light.color, dark.color) == (workflow.LABEL_ON_LIGHT, workflow.LABEL_ON_DARK)
    assert light.shadow == dark.shadow == "none"
