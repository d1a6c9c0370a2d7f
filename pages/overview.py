"""Overview: where the time went in the dates picked, at a glance, against your usual day."""

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import data, frame, ui
from dashboard.charts import today as charts

ctx = frame.context()
st.title("Overview" if ctx.days > 1 else f"Overview of {ctx.start_day:%a %d %b %Y}")
span = f"{ctx.start_day:%a %d %b %Y} – {ctx.end_day:%a %d %b %Y}, local time"
st.caption(f"{span}." + (f" {ctx.days} days." if ctx.days > 1 else ""))

USUAL_DAYS = 28
usual_start = ctx.start - dt.timedelta(days=USUAL_DAYS)
LIVE = data.capture_status() is not None and not ctx.source.demo
# A source that only says which app was in front (ActivityWatch without its AFK watcher, an event log)
# does not say whether anyone was at it: its time is "in front", never active or idle.
KNOWN = frame.source_records_activity(ctx.source)
FILTERED = bool(ctx.apps or ctx.categories)
if not KNOWN:
    st.info(frame.ACTIVITY_UNKNOWN)
if FILTERED:
    chosen = ", ".join([*ctx.categories, *ctx.apps])
    st.caption(f"Filtered to {chosen}. The {'active ' if KNOWN else ''}time, top apps, categories and focus "
               "stretches count only these; app switches, typing and the per-day chart count every app.")


def app_seconds(start=None, end=None):
    """Seconds per app that pass the filters (active only where activity is known)."""
    period = {"start": start, "end": end} if start is not None else {}
    return ctx.keep_apps(ctx.query("app_time", active_only=KNOWN, **period))


def at_a_glance(days, before, typing, focus) -> None:
    """The metrics row: per-day means over the dates, each against the usual day when there is one."""
    n, n_before = max(days.height, 1), before.height
    if FILTERED or not KNOWN:  # the same apps and kind of time as the charts below
        active = app_seconds()["seconds"].sum() / n
        usual = app_seconds(usual_start, ctx.start)["seconds"].sum() / n_before if n_before else None
    else:
        active = days["active_s"].sum() / n
        usual = before["active_s"].sum() / n_before if n_before else None
    switches = days["switches"].sum() / n
    usual_switches = before["switches"].sum() / n_before if n_before else None
    all_apps = " (all apps)" if FILTERED else ""
    st.subheader("At a glance")
    if n_before:
        st.caption(f"Per day with activity. Against your usual day: the mean of the {n_before} day"
                   f"{'s' if n_before > 1 else ''} with activity in the {USUAL_DAYS} days before.")
    else:
        st.caption("Per day with activity.")
    cols = ui.metric_row(4)
    cols[0].metric("Active per day" if KNOWN else "In front per day", ui.hours(active),
                   delta=f"{(active - usual) / 60:+.0f} min vs usual" if usual else None, delta_color="off",
                   help=None if KNOWN else "Activity is unknown for this source: time an app was in front.")
    cols[1].metric("App switches per day" + all_apps, f"{switches:,.0f}",
                   delta=f"{switches - usual_switches:+,.0f} vs usual" if usual_switches else None, delta_color="off")
    cols[2].metric("Focus stretches ≥ 10 min", f"{ctx.keep_apps(focus, 'label').height:,}",
                   help="Time in one app without switching away for at least 10 minutes.")
    row = typing.row(0, named=True)
    wpm = row["wpm"]
    cols[3].metric("Typing speed" + all_apps, f"{wpm:.0f} WPM" if wpm else "–",
                   help=f"Median {row['iki_median_ms'] or 0:.0f} ms between keys; "
                        f"{(row['backspace_share'] or 0) * 100:.1f}% of keystrokes are corrections.")


# While capture runs, everything below is read and drawn again together every 10 s, in place.
@st.fragment(run_every=10 if LIVE else None)
def live_part() -> None:
    try:
        days = ctx.query("daily_activity")
        before = ctx.query("daily_activity", start=usual_start, end=ctx.start)
        typing = ctx.query("typing_summary")
        focus = ctx.query("focus_sessions")
        apps = app_seconds()
        order = ctx.query("app_first_seen")["app"].to_list()  # an app's colour, the same on every page
    except data.DataUnavailable as exc:
        st.error(str(exc))
        return
    if days.is_empty():
        ui.empty("No activity in these dates. Pick other dates in the sidebar, or start capture on the "
                 "Privacy & data page.")
        return
    at_a_glance(days, before, typing, focus)

    # Categories from the same apps and seconds as the app chart, so both always agree.
    categories = (apps.with_columns(category=pl.col("app").replace_strict(ctx.app_category, default="Other"))
                  .group_by("category").agg(pl.col("seconds").sum(), apps=pl.len())
                  .sort("seconds", "category", descending=[True, False]))
    kind = "active time" if KNOWN else "time in front"
    st.subheader("Where the time went")
    left, right = st.columns(2)
    with left:
        if apps.is_empty():
            ui.empty("No app matches the filters in these dates.")
        else:
            ui.chart(charts.time_bars(apps, "app", f"Top apps ({kind})", order=order), apps, "app_time")
    with right:
        if not categories.is_empty():
            ui.chart(charts.time_bars(categories, "category", f"Categories ({kind})"), categories, "category_time")
    ui.chart(charts.daily_active_idle(days, known=KNOWN), days, "daily_activity")

    st.subheader("Longest focus stretches")
    focus = ctx.keep_apps(focus, "label")
    if focus.is_empty():
        ui.empty("No stretch of 10 minutes or more in one app in these dates.")
        return
    longest = focus.sort("seconds", descending=True).head(8)
    st.dataframe(
        longest.select("label", "local_start", (longest["seconds"] / 60).round(0).alias("minutes")),
        hide_index=True, width="stretch",
        column_config={"label": "app", "local_start": st.column_config.DatetimeColumn("started (local)",
                                                                                      format="ddd D MMM YYYY, HH:mm")},
    )


live_part()
