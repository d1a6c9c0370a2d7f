"""Timeline: the day(s) as focus intervals, idle and pauses; the week by hour; weeks compared."""

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import data, frame, ui
from dashboard.charts import timeline as charts

MOST_DAYS = 31  # more day rows than this are slow to draw and too thin to read

ctx = frame.context()
st.title("Timeline")
st.caption(f"{ctx.start_day:%a %d %b %Y} – {ctx.end_day:%a %d %b %Y}, local time.")
KNOWN = frame.source_records_activity(ctx.source)
if not KNOWN:
    st.info(frame.ACTIVITY_UNKNOWN)


def utc(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day``, in UTC (the same offset as the sidebar's dates)."""
    return dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(seconds=ctx.utc_offset)))


def day_label(day: dt.date | str) -> str:
    if isinstance(day, str):
        return day
    return f"{day:%a %d %b %Y}" if ctx.start_day.year != ctx.end_day.year else f"{day:%a %d %b}"


try:
    hourly = ctx.query("hourly_activity")
    order = ctx.query("app_first_seen")["app"].to_list()  # an app's colour, the same on every page
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()
if hourly.is_empty():
    ui.empty("No activity in these dates. Pick other dates in the sidebar, or start capture on the "
             "Privacy & data page.")
    st.stop()

days = hourly["day"].unique().sort().to_list()
st.subheader("Day by day")
options = days + [f"All {len(days)} days"] if len(days) <= MOST_DAYS else days
if len(days) > MOST_DAYS:
    st.caption(f"To see all the days at once, pick at most {MOST_DAYS} days in the sidebar.")
if len(days) == 1:
    choice = days[0]
elif len(options) <= 15:
    choice = st.segmented_control("Day", options, default=days[-1], format_func=day_label)
else:
    choice = st.selectbox("Day", options, index=len(days) - 1, format_func=day_label)
picked = days if isinstance(choice, str) else [choice or days[-1]]

try:
    spans = ctx.query("timeline", start=utc(picked[0]), end=utc(picked[-1] + dt.timedelta(days=1)))
    heat = ctx.query("weekday_hour_heatmap")
    first_monday = ctx.end_day - dt.timedelta(days=ctx.end_day.weekday(), weeks=11)
    weeks = ctx.query("weekly_trend", start=utc(first_monday), end=ctx.end)
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()

if ctx.apps or ctx.categories:
    shown = ctx.keep_apps(spans.filter(pl.col("kind") == "focus"))["app"].unique().to_list()
    spans = spans.with_columns(app=pl.when((pl.col("kind") == "active") | pl.col("app").is_in(shown))
                               .then(pl.col("app")).otherwise(pl.lit("other apps")))
    if not shown:
        ui.empty("None of the apps chosen in the sidebar had focus here, so every app is shown as 'other apps'. "
                 "Pick another day, or change the app or category filter.")
    st.caption("The app and category filters colour the timeline only (other apps are grey); "
               "the hours, the heatmap and the weeks count every app.")

chosen = hourly.filter(pl.col("day").is_in(picked))
per = "" if len(picked) == 1 else " per day"
cols = ui.metric_row(3)
if KNOWN:
    cols[0].metric(f"Active{per}", ui.hours(chosen["active_s"].sum() / len(picked)),
                   help="Keyboard or mouse input with no pause longer than the idle threshold (3 min).")
    cols[1].metric(f"Idle{per}", ui.hours(chosen["idle_s"].sum() / len(picked)),
                   help="An app had focus but there was no input.")
else:
    cols[0].metric(f"An app in front{per}", ui.hours((chosen["active_s"] + chosen["idle_s"]).sum() / len(picked)),
                   help="Activity is unknown for this source: the time an app was in front.")
if len(picked) > 1:
    cols[2].metric("Days with activity", f"{len(picked)} of {ctx.days}")
elif not spans.is_empty():
    cols[2].metric("First to last activity",
                   f"{spans['local_start'].min():%H:%M} – {spans['local_stop'].max():%H:%M}")

if spans.filter(pl.col("kind") == "focus").is_empty():
    ui.empty("No app had focus then. Pick another day, or all the days.")
else:
    st.caption(("Thick bars: you were active in that app. Thin grey: an app was open but there was no input "
                "(idle). Blank: capture was paused or not running." if KNOWN else
                "Bars: the app in front (whether you were at it is unknown for this source). Blank: no data.")
               + " Drag across the chart to zoom in; double-click to zoom out.")
    fig = charts.day_timeline(spans, order, known=KNOWN,
                              **({} if KNOWN else {"title": "Which app was in front, and when"}))
    ui.chart(fig, spans.drop("start", "stop"), "timeline")

usual = hourly if len(picked) == 1 and len(days) > 1 else None
title = "Minutes per hour" + (f" on {day_label(picked[0])}" if len(picked) == 1 else ", mean of the days")
ui.chart(charts.hourly_profile(chosen, usual, title=title, known=KNOWN), chosen, "hourly_activity")

st.subheader("Your week by hour")
st.caption("Mean active minutes in each local hour of each weekday, over the days with activity in the "
           "sidebar's dates.")
if not KNOWN:
    ui.empty("Activity is unknown for this source, so there are no active minutes to show here.")
elif heat.is_empty():
    ui.empty("No active time in these dates.")
else:
    ui.chart(charts.heatmap(heat, title="Active minutes by weekday and hour"), heat, "weekday_hour_heatmap")

st.subheader("Weeks compared")
st.caption(f"Active hours in each of the 12 weeks up to {ctx.end_day:%d %b %Y} (whatever the sidebar's start "
           "date), with the number of days that had activity above each bar.")
if not KNOWN:
    ui.empty("Activity is unknown for this source, so there are no active hours to compare.")
elif weeks.is_empty():
    ui.empty("No activity in the 12 weeks up to the end of the dates picked in the sidebar.")
else:
    ui.chart(charts.weekly_bars(weeks), weeks, "weekly_trend")
