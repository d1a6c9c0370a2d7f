"""Overview: where the time went in the dates picked, at a glance, against your usual day."""

import datetime as dt

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


def at_a_glance(days, before, typing, focus) -> None:
    """The metrics row: per-day means over the dates, each against the usual day when there is one."""
    n, n_before = max(days.height, 1), before.height
    active, switches = days["active_s"].sum() / n, days["switches"].sum() / n
    usual = before["active_s"].sum() / n_before if n_before else None
    usual_switches = before["switches"].sum() / n_before if n_before else None
    st.subheader("At a glance")
    if n_before:
        st.caption(f"Per day with activity. Against your usual day: the mean of the {n_before} day"
                   f"{'s' if n_before > 1 else ''} with activity in the {USUAL_DAYS} days before.")
    else:
        st.caption("Per day with activity.")
    cols = ui.metric_row(4)
    cols[0].metric("Active per day", ui.hours(active),
                   delta=f"{(active - usual) / 60:+.0f} min vs usual" if usual else None, delta_color="off")
    cols[1].metric("App switches per day", f"{switches:,.0f}",
                   delta=f"{switches - usual_switches:+,.0f} vs usual" if usual_switches else None, delta_color="off")
    cols[2].metric("Focus stretches ≥ 10 min", f"{focus.height:,}",
                   help="Time in one app without switching away for at least 10 minutes.")
    row = typing.row(0, named=True)
    wpm = row["wpm"]
    cols[3].metric("Typing speed", f"{wpm:.0f} WPM" if wpm else "–",
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
        apps = ctx.keep_apps(ctx.query("app_time", active_only=True))
        categories = ctx.query("category_time")
        order = ctx.query("app_first_seen")["app"].to_list()  # an app's colour, the same on every page
    except data.DataUnavailable as exc:
        st.error(str(exc))
        return
    if days.is_empty():
        ui.empty("No activity in these dates. Pick other dates in the sidebar, or start capture on the "
                 "Privacy & data page.")
        return
    at_a_glance(days, before, typing, focus)

    st.subheader("Where the time went")
    left, right = st.columns(2)
    with left:
        if apps.is_empty():
            ui.empty("No app matches the filters in these dates.")
        else:
            ui.chart(charts.time_bars(apps, "app", "Top apps (active time)", order=order), apps, "app_time")
    with right:
        if not categories.is_empty():
            ui.chart(charts.time_bars(categories, "category", "Categories (active time)"), categories, "category_time")
    ui.chart(charts.daily_active_idle(days), days, "daily_activity")

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
