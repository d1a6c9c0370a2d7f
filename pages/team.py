"""Team: aggregate team figures, over at least k people and with noise; never an individual."""

import datetime as dt

import streamlit as st

from dashboard import frame, teamdata, ui
from dashboard.charts import team as charts

frame.enter()

SPANS = {"Last 4 weeks": 4, "Last 8 weeks": 8, "Last 12 weeks": 12}
NO_PERSON = ("There are **no per-person figures, rankings or drill-downs** on this page, by design: every figure is "
             "over a whole team and at least k people, and carries random noise, so that no one person's work can "
             "be picked out or compared with a colleague's.")
EXPLAIN = {
    "activity": "When the team works: active minutes per person-day in each local hour, by weekday.",
    "categories": "What the team's time goes to: each category's share of the team's active time, week by week.",
    "switching": "How often people switch apps: app switches per active hour, the mean over the team, per week.",
    "focus": "How much focused time a day holds (stretches of 10 min or more in one category): the share of the "
             "team's person-days in each band of daily focus time.",
    "typing": "The team's typing rhythm: the share of intervals between key presses in a few wide bins.",
    "clicking": "The team's clicking rhythm: the share of intervals between clicks (up to 60 s) in a few wide bins.",
    "compare": "These weeks against as many weeks just before them, per measure, with the uncertainty the noise adds.",
}
NOISE = ("Error bars and bands are the 95 % interval of the noise added for privacy (not the spread between "
         "people); noise can push a figure below 0 or past its top, and it is drawn as it is, so that figures stay "
         "unbiased. Blank cells have fewer than k people. Small teams and single weeks are mostly noise: read "
         "more weeks.")


def read(view: str, categories: list[str] | None = None):
    """One view's figures for the chosen teams and weeks (None, said on the page, if they cannot be read)."""
    try:
        result = teamdata.read(src, view, chosen, chosen_weeks, categories)
    except (PermissionError, ValueError, teamdata.TeamUnavailable) as exc:  # a week not drawn, a damaged file
        st.error(str(exc))
        return None
    if result.pending:  # a worker's view: weeks the team server has not drawn yet are left out, and said
        st.info("Not drawn by the team server yet, so not shown: the week(s) of "
                + ", ".join(f"{w:%d %b %Y}" for w in result.pending) + ".")
    return result


def section(view: str, title: str):
    st.subheader(title)
    st.markdown(EXPLAIN[view])
    # The first read of a week draws its noisy figures and keeps them: seconds, once.
    with st.spinner("Reading the team figures (a week's figures are drawn once, the first time they are read)..."):
        return read(view, chosen_categories if view in ("categories", "compare") else None)


def download(result, view: str) -> None:
    """The figures as read (suppressed cells empty): the same read as the chart, so the k rule holds here too."""
    weeks = f"{chosen_weeks[0]:%Y-%m-%d}-to-{chosen_weeks[-1] + dt.timedelta(days=6):%Y-%m-%d}"
    name = f"workprint-team-{view}-{weeks}{'-demo' if src.demo else ''}.csv"
    st.download_button("CSV", ui.safe_csv(teamdata.export(result)), name, "text/csv", key=f"csv-team-{view}",
                       icon=":material/download:", width="content")


st.title("Team")
try:
    src = teamdata.source()
    teams, weeks = teamdata.options(src)
except teamdata.TeamUnavailable as exc:
    ui.empty(str(exc))
    st.stop()
if src.demo:
    st.warning("**Demo data**: a generated team store of made-up teams, no real person's work. This is exactly what "
               "a manager of these teams would see on the team server.", icon=":material/science:")
st.caption(f"Showing {src.who}. {NO_PERSON}")
if not teams or not weeks:
    ui.empty("No team you may read has a completed week of releases yet: figures are drawn once a week is over.")
    st.stop()

chosen = st.multiselect("Teams", teams, default=teams, key="team_teams", help="Whole teams only.")
spans = [s for s, n in SPANS.items() if n <= len(weeks)] or ["Last 4 weeks"]
span = st.segmented_control("Weeks", spans, default=spans[0], key="team_weeks",
                            help="Whole weeks, Monday to Sunday, newest last.") or spans[0]
chosen_weeks = weeks[-SPANS[span]:]
st.caption(f"Weeks of Monday {chosen_weeks[0]:%d %b %Y} to Sunday {chosen_weeks[-1] + dt.timedelta(days=6):%d %b %Y}"
           " (the sidebar's dates and filters are for your own data, not this page). " + NOISE)
if not chosen:
    ui.empty("Choose at least one team.")
    st.stop()
chosen_categories: list[str] | None = None

if (activity := section("activity", "Active time by weekday and hour")) is not None:
    ordered = charts.readable_first(activity.frame, chosen)
    for tab, team in zip(st.tabs(ordered), ordered):
        tab.plotly_chart(charts.heatmap(activity.frame, team, "min", activity.k), key=f"team-activity-{team}")
    download(activity, "activity")

try:
    known = teamdata.categories(src, chosen)
except ValueError as exc:  # a worker's view whose published figures fail their checks
    st.error(str(exc))
    known = []
picked = st.multiselect("Categories", known, key="team_categories", placeholder="all categories",
                        help="Narrows the category shares and the comparison; none chosen shows them all.")
chosen_categories = picked or None
if (shares := section("categories", "Share of time per category")) is not None:
    ordered = charts.readable_first(shares.frame, chosen)
    for tab, team in zip(st.tabs(ordered), ordered):
        tab.plotly_chart(charts.category_shares(shares.frame, team, "%", shares.k), key=f"team-categories-{team}")
    download(shares, "categories")

if (switching := section("switching", "Switching rate")) is not None:
    st.plotly_chart(charts.switching(switching.frame, "switches per active hour", switching.k), key="team-switching")
    download(switching, "switching")

for view, title, x_title, bin_unit, y_title in (
        ("focus", "Focus time per day", "focus time in a day", "min", "share of person-days"),
        ("typing", "Typing rhythm", "time between key presses", "ms", "share of intervals"),
        ("clicking", "Clicking rhythm", "time between clicks", "s", "share of intervals")):
    if (result := section(view, title)) is not None:
        st.plotly_chart(charts.distribution(result.frame, "%", result.k, title, x_title, bin_unit, y_title),
                        key=f"team-{view}")
        download(result, view)

if (compared := section("compare", "These weeks against the weeks before")) is not None:
    rows = charts.comparison_rows(compared.frame)
    measures = list(dict.fromkeys(r["measure"] for r in rows))
    measure = st.selectbox("Measure", measures, key="team_compare_measure")
    st.plotly_chart(charts.comparison(compared.frame, measure, compared.k), key="team-compare")
    for row in (r for r in rows if r["measure"] == measure):
        st.markdown(f"- {charts.comparison_sentence(row, compared.k)}")
    download(compared, "compare")

st.subheader("Privacy budget")
st.markdown("Each team-week's figures are drawn once, with noise, and kept: the week's budget is spent then, and "
            "reading them again spends nothing. The budget (ρ, zero-concentrated differential privacy) spent per "
            "team and week, of its total:")
st.dataframe(teamdata.budget_table(teamdata.budget(src, chosen, chosen_weeks)), hide_index=True)
