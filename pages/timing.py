"""Timing: how long key presses, clicks, app visits, sessions and pauses take, and whether that changed."""

import dataclasses
import datetime as dt
from typing import NamedTuple

import numpy as np
import polars as pl
import streamlit as st

from dashboard import data, frame, ui
from dashboard.charts import timing as charts
from sharing import stats


class Measure(NamedTuple):
    label: str  # on the picker
    plural: str  # what the values are, for sentences
    unit: str
    per_unit: int  # query values per displayed unit
    axis: str  # the x axis, before the unit
    meaning: str


MEASURES = {
    "iki": Measure("Between keys", "intervals between key presses", "ms", 1, "time between key presses",
                   "Time from one key press to the next while typing (within a typing burst)."),
    "hold": Measure("Key holds", "key hold times", "ms", 1, "time a key is held down",
                    "How long each key stays pressed down."),
    "burst": Measure("Typing bursts", "typing bursts", "s", 1, "length of a typing burst",
                     "How long a typing burst lasts: a run of typing without a pause of more than 2 s."),
    "pause": Measure("Typing pauses", "pauses between typing bursts", "s", 1, "length of a pause",
                     "Time from the end of one typing burst to the start of the next (overnight gaps included)."),
    "click_interval": Measure("Between clicks", "intervals between clicks", "s", 1, "time between clicks",
                              "Time from one mouse click to the next, when they are less than a minute apart."),
    "dwell": Measure("App visits", "visits to apps", "s", 1, "length of one visit",
                     "How long an app keeps the focus each time you switch to it (dwell time)."),
    "session": Measure("Sessions", "sessions", "min", 60, "length of a session",
                       "How long a session lasts: a stretch of activity without a break of more than 3 minutes."),
}
FORMATS = {"ms": "%.0f ms", "s": "%.1f s", "min": "%.0f min"}


def days_label(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{start:%-d %b}"
    return f"{start:%-d}–{end:%-d %b}" if (start.year, start.month) == (end.year, end.month) \
        else f"{start:%-d %b} – {end:%-d %b}"


def thin(values: np.ndarray, points: int = 1500) -> list[float]:
    """Evenly spaced order statistics: the same ECDF drawn with far fewer points."""
    values = np.sort(values)
    return values[np.linspace(0, len(values) - 1, min(len(values), points)).astype(int)].tolist()


ctx = frame.context()
this = days_label(ctx.start_day, ctx.end_day)
st.title("Timing")
span = f"{ctx.start_day:%a %d %b %Y}" + (f" – {ctx.end_day:%a %d %b %Y}" if ctx.days > 1 else "")
st.caption(f"{span}, local time. How long things take: typical values and the spread around them.")
if ctx.apps or ctx.categories:
    st.info("The Categories and Apps filters apply only to app visits (Distributions → App visits); "
            "the other timings cover all apps.", icon=":material/filter_alt:")

try:
    typing = ctx.query("typing_summary").row(0, named=True)
    bursts = ctx.query("typing_bursts")
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()

st.subheader("Typing")
if not typing["keystrokes"]:
    ui.empty("No typing in these dates. Key timing comes from Workprint's own capture (ActivityWatch imports "
             "have none): pick other dates in the sidebar, or look at the click, visit and session timings below.")
else:
    cols = ui.metric_row(5)
    cols[0].metric("Typing speed", f"{typing['wpm']:.0f} WPM" if typing["wpm"] else "–",
                   help="Words per minute (5 keystrokes a word, corrections taken off), bursts of 5 keys or more.")
    cols[1].metric("Between keys (median)", f"{typing['iki_median_ms'] or 0:,.0f} ms")
    cols[2].metric("Key hold (mean)", f"{typing['hold_mean_ms'] or 0:,.0f} ms")
    cols[3].metric("Corrections", f"{(typing['backspace_share'] or 0) * 100:.1f}%",
                   help="Share of keystrokes that are backspace or delete.")
    cols[4].metric("Rollover", f"{(typing['rollover'] or 0) * 100:.0f}%",
                   help="Share of key presses made before the previous key was released: a sign of fluent typing.")
    if not bursts.is_empty():
        ui.chart(charts.bursts_per_day(bursts), bursts, "typing_bursts")

st.subheader("Distributions")
# One under the other: in a row, an 800 px window cut the last measures off.
measure = st.segmented_control("Measure", list(MEASURES), format_func=lambda m: MEASURES[m].label, default="iki",
                               required=True, key="measure", bind="query-params")
log_x = st.toggle("Log scale", value=True, key="log_x", bind="query-params",
                  help="Spreads out the many short values; each step on the axis is ten times the one before.")
label, plural, unit, per_unit, axis, meaning = MEASURES[measure]
st.caption(meaning)

try:
    dist = ctx.query("distribution", measure=measure)
    pct = ctx.query("percentiles", measure=measure)
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()
dist = dist.with_columns(pl.col("lo", "hi") / per_unit)
pct = pct.with_columns(pl.exclude("n") / per_unit)

row = pct.row(0, named=True)
if dist.is_empty():
    ui.empty(f"No {plural} in these dates. Pick other dates in the sidebar or another measure.")
else:
    # The chart across the page, the figures under it: beside it, an 800 px window squeezed both.
    ui.chart(charts.measure_histogram(dist, unit, f"{label}: how often each length occurs", axis, log_x),
             dist, f"distribution_{measure}")
    left, right = st.columns(2)
    with left:
        st.metric("Median", FORMATS[unit] % row["p50"], help="Half the values are shorter, half longer.")
        st.metric("90% are shorter than", FORMATS[unit] % row["p90"])
        st.caption(f"From {row['n']:,} values.")
    with right:
        names = {"p10": "10th percentile", "p25": "25th percentile", "p50": "median", "p75": "75th percentile",
                 "p90": "90th percentile", "p99": "99th percentile", "mean": "mean"}
        table = pl.DataFrame({"statistic": list(names.values()), "value": [row[k] for k in names]})
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"statistic": st.column_config.TextColumn("statistic", width=110),
                                    "value": st.column_config.NumberColumn(unit, format=FORMATS[unit], width=80)})
        ui.downloads(pct, f"percentiles_{measure}")

if measure == "dwell":
    try:
        visits = ctx.keep_apps(ctx.query("dwell_by_app", limit=500))
    except data.DataUnavailable as exc:
        st.error(str(exc))
        st.stop()
    if visits.is_empty():
        ui.empty("No app matches the Categories and Apps filters in these dates: widen them in the sidebar.")
    else:
        ui.chart(charts.dwell_ranges(visits, log_x=log_x), visits, "dwell_by_app")


@st.fragment
def comparison():
    st.subheader("Compared with another period")
    before = dataclasses.replace(ctx, start_day=ctx.start_day - dt.timedelta(days=ctx.days),
                                 end_day=ctx.start_day - dt.timedelta(days=1))
    half = ctx.days // 2
    options = ["before", "halves", "other"] if half else ["before", "other"]
    # With no data before these dates (a new worker, the demo), start with a comparison that has some.
    default = 0 if ctx.first_day < ctx.start_day or not half else 1
    labels = {"other": "dates I choose", "halves": f"their own first {half} day{'s' if half > 1 else ''}",
              "before": "the day just before" if ctx.days == 1 else f"the {ctx.days} days just before"}
    choice = st.radio("Compare these dates with", options, index=default, horizontal=True, key="compare_with",
                      format_func=labels.get)
    this_ctx = ctx
    other = before
    if choice == "halves":
        other = dataclasses.replace(ctx, end_day=ctx.start_day + dt.timedelta(days=half - 1))
        this_ctx = dataclasses.replace(ctx, start_day=ctx.end_day - dt.timedelta(days=half - 1))
    if choice == "other":
        default = (max(before.start_day, ctx.first_day), max(before.end_day, ctx.first_day))
        picked = st.date_input("Other dates (local)", value=default, min_value=ctx.first_day,
                               max_value=ctx.last_day, key="other_dates")
        if not isinstance(picked, (tuple, list)) or len(picked) != 2:
            ui.empty("Pick the last day of the other dates too.")
            return
        other = dataclasses.replace(ctx, start_day=picked[0], end_day=picked[1])
    that = days_label(other.start_day, other.end_day)
    this = days_label(this_ctx.start_day, this_ctx.end_day)
    try:  # up to 100,000 values a period: every value, for most ranges, and still quick
        a, b = (ctx.query("measure_sample", measure=measure, start=p.start, end=p.end, n=100_000)["v"].to_numpy()
                / per_unit for p in (other, this_ctx))
    except data.DataUnavailable as exc:
        st.error(str(exc))
        return
    try:  # in the unit of the figures above, so the medians read the same in both
        result = stats.compare(a, b)
    except ValueError:
        hint = "Pick longer or other dates."
        if other.start_day < ctx.first_day:
            hint = f"Your data starts on {ctx.first_day:%-d %b %Y}, so there is little or nothing before it." + (
                " Choose the dates to compare with, or pick later dates in the sidebar."
                if ctx.last_day > ctx.first_day else "")
        ui.empty(f"Too few {plural} to compare: {len(a):,} in {that} and {len(b):,} in {this}; "
                 f"at least 2 in each are needed. {hint}")
        return
    st.markdown(result.sentence(plural.capitalize(), unit, that, this))
    st.caption("How big a difference is (Cliff's delta, from −1 to +1; 0: none) matters more than whether it "
               "could be chance (the test): with thousands of values, even a difference too small to notice "
               "is measurable.")
    sample = pl.DataFrame({"period": [that] * len(a) + [this] * len(b), f"value_{unit}": np.concatenate([a, b])})
    ui.chart(charts.period_ecdf(thin(a), thin(b), (that, this), unit, f"{label}: {this} against {that}", axis),
             sample, f"compare_{measure}")


if not dist.is_empty():
    comparison()
