"""Workflow: how work moves between apps, and which routines repeat (with when they happened)."""

import polars as pl
import streamlit as st

from dashboard import data, frame, ui
from dashboard.charts import style
from dashboard.charts import workflow as charts

ctx = frame.context()
st.title("Workflow")
st.caption(f"{ctx.start_day:%a %d %b %Y} – {ctx.end_day:%a %d %b %Y}, local time. A session is a run of "
           "activity that ends after 3 minutes without input (for an imported event log: one case); its steps "
           "are the apps you switched to, in order.")

ROUTINES = {  # what the reader picks -> (query, its count column, rows shown, what it means)
    "Automation candidates": ("automation_candidates", "occurrences", 20, (
        "Runs of 3 to 5 steps through at least 3 different apps that recur at least 5 times, ranked by the total "
        "time they took: the routines most worth automating or streamlining. Going back and forth between two "
        "apps is under Ping-pong loops.")),
    "Frequent sequences": ("sequences", "occurrences", 50, "The most frequent runs of 2 to 5 apps in a row."),
    "Ping-pong loops": ("ping_pong", "loops", None, (
        "Ping-pong: going to another app and straight back (A > B > A), say to look something up. Many quick "
        "loops can mean two windows that belong side by side.")),
}
try:
    with st.spinner("Following your sessions from app to app...", show_time=True):  # a year takes seconds, once
        transitions = ctx.query("transitions")
        order = ctx.query("app_first_seen")["app"].to_list()  # an app's colour, the same on every page
        ends = ctx.query("start_end_activities")
        variants = ctx.query("variants")
        rework = ctx.query("rework")
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()
if transitions.is_empty():
    ui.empty("No app switches in these dates: a workflow needs at least two apps used in one session. "
             "Pick other dates in the sidebar.")
    st.stop()

sessions = ends.filter(pl.col("role") == "start")["n"].sum()
filtered = bool(ctx.apps or ctx.categories)
apps = ctx.keep_apps(pl.DataFrame({"app": sorted(set(transitions["src"]) | set(transitions["dst"]))}))["app"].to_list()


def involving(table: pl.DataFrame, column: str) -> pl.DataFrame:
    """Rows whose app, or any app of an 'A > B > C' path, passes the sidebar's app and category filters."""
    if not filtered:
        return table
    return table.filter(pl.col(column).str.split(" > ").list.eval(pl.element().is_in(apps)).list.any())


transitions = transitions.filter(pl.col("src").is_in(apps) | pl.col("dst").is_in(apps))
if transitions.is_empty():
    ui.empty("None of the apps chosen in the sidebar was switched to or from in these dates. Clear the app or "
             "category filter, or pick other dates.")
    st.stop()

st.subheader("How you move between apps")
st.caption("Each band or arrow is a switch from one app straight to the next within a session; the wider, "
           "the more often. Hover for counts and the time between the two switches.")
flow, graph = st.tabs(["Flow (Sankey)", "Directly-follows graph"])
with flow:
    ui.chart(charts.switch_flow(transitions, title="The 25 most frequent switches, left to right", order=order,
                                dark=ui.dark_theme()),
             transitions, "transitions")
with graph:
    counts = sorted(set(transitions["n"].to_list()))
    default = sorted(transitions["n"].to_list(), reverse=True)[min(19, transitions.height - 1)]
    min_n = st.select_slider("Show switches seen at least this many times", counts, value=default,
                             help="Raise it to keep only the main paths.") if len(counts) > 1 else counts[0]
    shown = transitions.filter(pl.col("n") >= min_n)
    ui.chart(charts.follows_graph(transitions, min_n, f"{shown.height} of {transitions.height} switches", order),
             shown, "transitions_graph")

st.subheader("Sessions")
cols = ui.metric_row(3)
cols[0].metric("Sessions", f"{sessions:,}")
cols[1].metric("Distinct paths (variants)", f"{variants.height:,}",
               help="A variant is a session's whole path from app to app.")
steps = (variants["n"] * variants["steps"]).sum() / max(sessions, 1)
cols[2].metric("Mean session", ui.hours((variants["n"] * variants["mean_s"]).sum() / max(sessions, 1)),
               delta=f"{steps:,.0f} steps", delta_color="off", delta_arrow="off",
               help="From the first app to the last one of a session, and how many apps you switched to.")
if filtered:
    st.caption("These counts cover every app; the switches above and the chart and tables below follow the "
               "sidebar's filters.")
# One under the other: side by side, an 800 px window hid the table's right-hand columns.
firsts_lasts = involving(ends, "app")
if firsts_lasts.is_empty():
    ui.empty("No session started or ended in the apps chosen in the sidebar.")
else:
    ui.chart(charts.start_end_bars(firsts_lasts), firsts_lasts, "start_end_activities")
st.markdown("**Rework: coming back to an app used earlier in the same session**")
back = involving(rework, "app").with_columns(share=pl.col("sessions_with_returns") / pl.col("sessions"))
st.dataframe(back, hide_index=True, width="stretch", column_config={
    "returns": st.column_config.NumberColumn("returns", help="Times you came back to the app"),
    "sessions_with_returns": None, "sessions": st.column_config.NumberColumn("sessions using it"),
    # A number, not a coloured bar: coming back to an app is normal work, not a fault to paint red.
    "share": st.column_config.NumberColumn("sessions with a return", format="percent"),
})
ui.downloads(back, "rework")
with st.expander(f"Variants: the {min(variants.height, 20)} most common whole-session paths"):
    st.caption("Long sessions rarely repeat exactly, so most variants occur once; the routines below find the "
               "parts that do repeat.")
    common = involving(variants, "variant").head(20).with_columns(minutes=pl.col("mean_s") / 60).drop("mean_s")
    st.dataframe(common, hide_index=True, width="stretch", column_config={
        "variant": st.column_config.TextColumn("path", width="large"), "n": "sessions",
        "steps": st.column_config.NumberColumn("steps", format="%.0f"),
        "minutes": st.column_config.NumberColumn("mean length", format="%.0f min")})
    ui.downloads(involving(variants, "variant"), "variants")

st.subheader("Repeated routines")
kind = st.segmented_control("Show", list(ROUTINES), default=next(iter(ROUTINES))) or next(iter(ROUTINES))
name, count, top, meaning = ROUTINES[kind]
st.caption(meaning)
try:  # with an app filter, look further down the ranking before keeping the top rows
    table = ctx.query(name, **({"limit": 1000} if filtered and top else {}))
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()
table = involving(table, "sequence").head(top or table.height)
total_unit, _, total_size = style.time_unit(table["total_s"])  # "537466 h" over years: days, years
each_unit, _, each_size = style.time_unit(table["mean_s"])
table = table.with_columns(total=pl.col("total_s") / total_size, each=pl.col("mean_s") / each_size)
if table.is_empty():
    ui.empty("Nothing repeats often enough in these dates" + (" with the chosen apps" if filtered else "")
             + ". Pick a longer date range" + (", or other apps." if filtered else "."))
    st.stop()
picked = st.dataframe(
    table.select("sequence", count, "total", "each", *(["days"] if "days" in table.columns else [])),
    hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=f"pick-{kind}",
    column_config={  # widths that fit every column in an 800 px window (the sidebar open)
        "sequence": st.column_config.TextColumn("apps in order", width=140, help="Hover a cell for the whole path."),
        count: st.column_config.NumberColumn(count, format="%d", width=85),
        "total": st.column_config.ProgressColumn("total time", format=f"%.1f {total_unit}", min_value=0, width=75,
                                                 color=style.OKABE_ITO[0],  # an amount, not an alarm: not red
                                                 max_value=float(table["total"].max())),
        "each": st.column_config.NumberColumn("each", format=f"%.1f {each_unit}", width=70,
                                                 help="Mean time each occurrence took."),
        "days": st.column_config.NumberColumn("days", width=50, help="Days it was seen on."),
    },
)
ui.downloads(table, kind.lower().replace(" ", "_"))

rows = [r for r in picked.selection.rows if r < table.height]
row = table.row(rows[0] if rows else 0, named=True)
st.markdown(f"#### When: {row['sequence']}")
st.caption(("" if rows else "The first row; tick another row's box to see it. ")
           + f"{row[count]:,} times, {ui.hours(row['total_s'])} in all, {ui.hours(row['mean_s'])} each on average.")
try:
    when = ctx.query("sequence_occurrences", sequence=row["sequence"])
except data.DataUnavailable as exc:
    st.error(str(exc))
    st.stop()
ui.chart(charts.occurrences(when, title="Each time it happened, by day and time of day"), when.drop("start"),
         "sequence_occurrences")
